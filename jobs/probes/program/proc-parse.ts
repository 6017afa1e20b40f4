/** Parsers for /proc/PID files and a minimal argument redactor. Pure. */

/** `Key:   123 kB` lines → bytes; other numeric fields (Threads) → number. */
export function parseStatusKb(text: string): {
  bytes: Record<string, number>;
  fields: Record<string, string>;
} {
  const bytes: Record<string, number> = {};
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const key = line.slice(0, i).trim();
    const value = line.slice(i + 1).trim();
    fields[key] = value;
    const m = /^(\d+)\s+kB$/.exec(value);
    if (m) bytes[key] = Number(m[1]) * 1024;
  }
  return { bytes, fields };
}

/** The memory fields of /proc/PID/status worth showing, in bytes. */
export const STATUS_MEM_KEYS = [
  'VmPeak',
  'VmSize',
  'VmHWM',
  'VmRSS',
  'VmData',
  'VmStk',
  'VmExe',
  'VmLib',
  'VmPTE',
  'VmSwap',
  'RssAnon',
  'RssFile',
  'RssShmem',
] as const;

/** /proc/PID/smaps_rollup: `Rss:  1234 kB` lines → bytes (the header line is skipped). */
export function parseSmapsRollup(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_]+):\s+(\d+)\s+kB$/.exec(line.trim());
    if (m) out[m[1]!] = Number(m[2]) * 1024;
  }
  return out;
}

export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  utime: number;
  stime: number;
  numThreads: number;
  startTime: number;
  rssPages: number;
}

/** /proc/PID/stat: the comm is in parentheses and may hold spaces and ')'; fields follow the last ')'. */
export function parseProcStat(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  const rest = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  // rest[0] is field 3 (state); field n is rest[n - 3].
  const f = (n: number): number => Number(rest[n - 3]);
  const stat: ProcStat = {
    pid,
    comm: text.slice(open + 1, close),
    state: rest[0] ?? '?',
    ppid: f(4),
    utime: f(14),
    stime: f(15),
    numThreads: f(20),
    startTime: f(22),
    rssPages: f(24),
  };
  return Number.isSafeInteger(pid) && Number.isSafeInteger(stat.ppid) && Number.isSafeInteger(stat.startTime)
    ? stat
    : null;
}

/** The PID inside the innermost namespace: the last value of status's `NSpid:` line. */
export function nsPid(statusText: string): number | null {
  const m = /^NSpid:\s*([\d\s]+)$/m.exec(statusText);
  if (!m) return null;
  const vals = m[1]!.trim().split(/\s+/).map(Number);
  const last = vals[vals.length - 1];
  return last !== undefined && Number.isSafeInteger(last) ? last : null;
}

/** `Max open files  1024  1048576  files` → soft/hard (null: unlimited or absent). */
export function parseMaxOpenFiles(limitsText: string): { soft: number | null; hard: number | null } {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limitsText);
  const num = (s: string | undefined): number | null =>
    s !== undefined && /^\d+$/.test(s) ? Number(s) : null;
  return { soft: num(m?.[1]), hard: num(m?.[2]) };
}

const SECRET_FLAG =
  /^(--?(?:[a-z0-9-]*-)?(?:password|passwd|token|secret|api-?key|access-key|credentials?))(=)(.+)$/i;
const SECRET_FLAG_ALONE = /^--?(?:[a-z0-9-]*-)?(?:password|passwd|token|secret|api-?key|access-key)$/i;
const SECRET_ENV = /^([A-Za-z_][A-Za-z0-9_]*(?:TOKEN|PASSWORD|PASSWD|SECRET|API_KEY|ACCESS_KEY))(=)(.+)$/i;

/**
 * Hides values after `--password=`, `--token=`, `--x-secret=`, `FOO_TOKEN=`… and the argument after a bare
 * `--password`. A deliberately small local redactor (the shared redaction module lives elsewhere).
 */
export function redactArgs(args: string[]): string[] {
  const out: string[] = [];
  let hideNext = false;
  for (const a of args) {
    if (hideNext) {
      out.push('***');
      hideNext = false;
      continue;
    }
    const m = SECRET_FLAG.exec(a) ?? SECRET_ENV.exec(a);
    if (m) {
      out.push(`${m[1]}=***`);
      continue;
    }
    if (SECRET_FLAG_ALONE.test(a)) hideNext = true;
    out.push(a);
  }
  return out;
}

/** /proc/PID/cmdline (NUL-separated) → one redacted line of at most `max` characters. */
export function formatCmdline(raw: string, max = 200): string {
  const parts = raw.split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  const line = Array.from(redactArgs(parts).join(' '), (c) => {
    const n = c.charCodeAt(0);
    return n < 0x20 || n === 0x7f ? ' ' : c;
  }).join('');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
