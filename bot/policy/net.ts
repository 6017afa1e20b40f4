/** IP addresses and CIDRs as numbers, for the probe network denylist. Pure. */
import { isIPv4, isIPv6 } from '../../jobs/contracts/probe.js';

export interface Net {
  v6: boolean;
  base: bigint;
  bits: number;
}

function v4ToBigInt(a: string): bigint {
  return a.split('.').reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
}

function v6ToBigInt(addr: string): bigint {
  let text = addr;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const n = v4ToBigInt(tail);
    text = `${text.slice(0, lastColon + 1)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const groups = (s: string | undefined) => (s === undefined || s === '' ? [] : s.split(':'));
  const left = groups(head);
  const right = groups(rest);
  const all =
    rest === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return all.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

const V4_MAPPED = 0xffffn << 32n;

/** An address or CIDR as a network; IPv4-mapped IPv6 (`::ffff:a.b.c.d`) becomes IPv4. Undefined if neither. */
export function parseNet(text: string): Net | undefined {
  const [addr, bitsText] = text.split('/') as [string, string | undefined];
  let net: Net;
  if (isIPv4(addr)) net = { v6: false, base: v4ToBigInt(addr), bits: 32 };
  else if (isIPv6(addr)) net = { v6: true, base: v6ToBigInt(addr), bits: 128 };
  else return undefined;
  if (bitsText !== undefined) {
    if (!/^[0-9]{1,3}$/.test(bitsText)) return undefined;
    const bits = Number(bitsText);
    if (bits > net.bits) return undefined;
    net.bits = bits;
  }
  if (net.v6 && net.bits >= 96 && net.base >> 32n === V4_MAPPED >> 32n) {
    return { v6: false, base: net.base & 0xffffffffn, bits: net.bits - 96 };
  }
  const width = net.v6 ? 128 : 32;
  const mask = ((1n << BigInt(width)) - 1n) ^ ((1n << BigInt(width - net.bits)) - 1n);
  return { ...net, base: net.base & mask };
}

/** The two networks share at least one address. */
export function overlaps(a: Net, b: Net): boolean {
  if (a.v6 !== b.v6) return false;
  const width = a.v6 ? 128 : 32;
  const bits = Math.min(a.bits, b.bits);
  const shift = BigInt(width - bits);
  return a.base >> shift === b.base >> shift;
}

/** `b` lies inside `a`. */
export function contains(a: Net, b: Net): boolean {
  return overlaps(a, b) && a.bits <= b.bits;
}
