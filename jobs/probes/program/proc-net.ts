/**
 * Parsers for `/proc/PID/net/{tcp,tcp6,udp,udp6,unix}` (the process's own network
 * namespace). Pure: texts in, rows out.
 */

export type InetProto = 'tcp' | 'tcp6' | 'udp' | 'udp6';

export interface ProcSocket {
  proto: string;
  local: string;
  remote: string;
  state: string;
  inode: number;
}

/** /proc/net/tcp state codes. */
const TCP_STATES: Record<string, string> = {
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECV',
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
  '0C': 'NEW_SYN_RECV',
};

/** `CLOSE_WAIT` from `CLOSE_WAIT`, `CLOSE-WAIT` (ss), `close_wait` or `08` (/proc/net/tcp). */
export function tcpState(s: string): string {
  const up = s.trim().toUpperCase();
  return TCP_STATES[up] ?? up.replace(/-/g, '_');
}

/** `0100007F:1F90` → `127.0.0.1:8080`; 32-hex IPv6 (four little-endian words) → `[::1]:8080`. */
export function decodeHexEndpoint(hex: string): string | null {
  const m = /^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})$/.exec(hex);
  if (!m) return null;
  const port = Number.parseInt(m[2]!, 16);
  const addr = m[1]!;
  if (addr.length === 8) return `${leWordToBytes(addr).join('.')}:${port}`;
  const bytes: number[] = [];
  for (let i = 0; i < 32; i += 8) bytes.push(...leWordToBytes(addr.slice(i, i + 8)));
  return `[${formatIPv6(bytes)}]:${port}`;
}

function leWordToBytes(word: string): number[] {
  const out: number[] = [];
  for (let i = 6; i >= 0; i -= 2) out.push(Number.parseInt(word.slice(i, i + 2), 16));
  return out;
}

/** 16 bytes → RFC 5952 text (longest zero run compressed, IPv4-mapped shown dotted). */
export function formatIPv6(bytes: number[]): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${bytes.slice(12).join('.')}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Rows of /proc/net/{tcp,tcp6,udp,udp6}. UDP's state 07 is shown as UNCONN (as `ss` does). */
export function parseProcNetInet(text: string, proto: InetProto): ProcSocket[] {
  const rows: ProcSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const local = decodeHexEndpoint(f[1]!);
    const remote = decodeHexEndpoint(f[2]!);
    const st = f[3]!.toUpperCase();
    const inode = Number(f[9]);
    if (local === null || remote === null || !Number.isSafeInteger(inode)) continue;
    let state = tcpState(st);
    if (proto.startsWith('udp')) state = st === '07' ? 'UNCONN' : st === '01' ? 'ESTABLISHED' : state;
    rows.push({ proto, local, remote, state, inode });
  }
  return rows;
}

const UNIX_TYPES: Record<string, string> = { '0001': 'stream', '0002': 'dgram', '0005': 'seqpacket' };
const UNIX_STATES: Record<string, string> = {
  '01': 'UNCONNECTED',
  '02': 'CONNECTING',
  '03': 'CONNECTED',
  '04': 'DISCONNECTING',
};
const SO_ACCEPTCON = 0x10000;

/** Rows of /proc/net/unix: `Num RefCount Protocol Flags Type St Inode [Path]`. */
export function parseProcNetUnix(text: string): ProcSocket[] {
  const rows: ProcSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 7) continue;
    const flags = Number.parseInt(f[3]!, 16);
    const inode = Number(f[6]);
    if (!Number.isSafeInteger(inode)) continue;
    const type = UNIX_TYPES[f[4]!] ?? f[4]!;
    const state = flags & SO_ACCEPTCON ? 'LISTEN' : (UNIX_STATES[f[5]!] ?? f[5]!);
    const path = f.slice(7).join(' ');
    rows.push({ proto: `unix/${type}`, local: path === '' ? '*' : path, remote: '*', state, inode });
  }
  return rows;
}

/** `socket:[12345]` → 12345. */
export function socketInode(linkTarget: string): number | null {
  const m = /^socket:\[(\d+)\]$/.exec(linkTarget);
  return m ? Number(m[1]) : null;
}
