/**
 * `HOST[:PORT]` for netcheck: a DNS name or an IPv4 address, optionally with a
 * port; an IPv6 address in brackets (`[fd00::1]:443`) or bare without a port.
 * Host names are lower-cased. Pure.
 */
import { type HostPort, isHostName, isIPv4, isIPv6, looksNumeric } from '../../jobs/contracts/probe.js';
import { type Fail, fail, show } from './common.js';

export type HostPortParse = { ok: true; value: HostPort } | { ok: false; reason: string };

export const HOST_FORMS = '`NAME`, `NAME:PORT`, `10.0.0.7:5432`, `[fd00::1]:443`';

/** A port as typed: 1–65535, digits only, no leading zero. */
export function parsePort(text: string): number | undefined {
  if (!/^[1-9][0-9]{0,4}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 65_535 ? n : undefined;
}

export function parseHostPort(raw: string): HostPortParse {
  const bad = (why: string): HostPortParse => ({
    ok: false,
    reason: `${why}; hosts look like ${HOST_FORMS}.`,
  });
  if (raw.startsWith('-')) return bad(`${show(raw)} looks like an option, not a host`);
  if (raw.length > 253 + 8) return bad(`${show(raw)} is too long for a host (${raw.length} characters)`);

  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^[\]]*)\](?::([^[\]]*))?$/.exec(raw);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
    if (!isIPv6(host)) return bad(`${show(raw)}: only an IPv6 address goes in brackets`);
  } else if (raw.includes('[') || raw.includes(']')) {
    return bad(`${show(raw)} is not a host: brackets go around a whole IPv6 address`);
  } else if (isIPv6(raw)) {
    host = raw;
  } else {
    const colon = raw.lastIndexOf(':');
    if (colon !== -1 && raw.indexOf(':') !== colon) {
      return bad(`${show(raw)} is not a host: put an IPv6 address in brackets`);
    }
    host = colon === -1 ? raw : raw.slice(0, colon);
    portText = colon === -1 ? undefined : raw.slice(colon + 1);
    if (host.length === 0) return bad(`${show(raw)} has no host before the ':'`);
    if (host.length > 253)
      return bad(`${show(host)} is too long for a host name (${host.length}; at most 253)`);
    const numeric = numericHostProblem(host);
    if (numeric) return bad(numeric);
    if (!isIPv4(host) && !isHostName(host)) {
      const why = /^(?=.*[0-9])[0-9.]+$/.test(host)
        ? 'not a valid IPv4 address'
        : "not a host name (letters, digits and '-' in dot-separated labels) or IP address";
      return bad(`${show(host)} is ${why}`);
    }
  }
  const value: HostPort = { host: host.toLowerCase() };
  if (portText !== undefined) {
    const port = parsePort(portText);
    if (port === undefined) {
      return bad(
        portText.length === 0
          ? `${show(raw)} has no port after the ':'`
          : `${show(portText)} is not a port: ports are 1 to 65535`,
      );
    }
    value.port = port;
  }
  return { ok: true, value };
}

/**
 * Why a host that looks like a number in another notation is refused, or undefined: hex (`0x7f.1`), octal
 * (`0177.0.0.1`), a bare integer (`2130706433`), a short dotted form (`127.1`) or a name whose last label is
 * digits. inet_aton and libpcap read these as addresses, so what runs would differ from what approvers read.
 */
export function numericHostProblem(host: string): string | undefined {
  if (isIPv4(host) || isIPv6(host)) return undefined;
  const dotted = /^[0-9.]+$/.test(host) && /[0-9]/.test(host);
  if (!dotted && !looksNumeric(host)) return undefined;
  const how = /(^|\.)0x/i.test(host)
    ? 'it looks like a hex address'
    : /(^|\.)0[0-9]/.test(host)
      ? 'it looks like an octal address'
      : dotted
        ? 'some resolvers read it as an address in another notation'
        : 'its last label is a number, so some resolvers read it as an address';
  return `${show(host)} is not a valid IPv4 address or host name (${how}): write the address as four decimal numbers such as \`127.0.0.1\`, or use a real name`;
}

/**
 * The hosts a verb checks (netcheck, connectivity): at most `max` words, each a HOST[:PORT]; a host given
 * twice is checked once. The first bad word is refused.
 */
export function parseHostList(
  words: readonly string[],
  max: number,
  verb: string,
): { ok: true; hosts: HostPort[] } | Fail {
  if (words.length > max) return fail(`${verb} checks at most ${max} hosts at once (${words.length} given).`);
  const hosts: HostPort[] = [];
  const seen = new Set<string>();
  for (const raw of words) {
    const hp = parseHostPort(raw);
    if (!hp.ok) return fail(hp.reason);
    const key = `${hp.value.host}|${hp.value.port ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    hosts.push(hp.value);
  }
  return { ok: true, hosts };
}
