/**
 * Parsers for strace output: the `-c`/`-C` summary table and the `-f -T` trace
 * lines (failed calls by errno with the paths and addresses involved, slow calls).
 * Pure: text in, data out; the trace is fed line by line so it never has to be held.
 */

export interface SyscallRow {
  syscall: string;
  calls: number;
  errors: number;
  seconds: number;
  usecsPerCall: number;
  pctTime: number;
}

export interface ErrnoGroup {
  errno: string;
  count: number;
  syscalls: string[];
  examples: string[];
}

export interface SlowCall {
  syscall: string;
  seconds: number;
  line: string;
}

/** Rows of strace's `-c` table (`% time seconds usecs/call calls errors syscall`), without the total. */
export function parseStraceSummary(text: string): SyscallRow[] {
  const rows: SyscallRow[] = [];
  const re = /^\s*(\d+(?:\.\d+)?)\s+(\d+(?:\.\d+)?)\s+(\d+)\s+(\d+)\s+(?:(\d+)\s+)?([A-Za-z_][\w]*)\s*$/;
  for (const line of text.split('\n')) {
    const m = re.exec(line);
    if (!m || m[6] === 'total') continue;
    rows.push({
      pctTime: Number(m[1]),
      seconds: Number(m[2]),
      usecsPerCall: Number(m[3]),
      calls: Number(m[4]),
      errors: m[5] === undefined ? 0 : Number(m[5]),
      syscall: m[6]!,
    });
  }
  return rows;
}

/** "Process 123 attached with 7 threads" (strace's stderr) → 7; a plain attach → 1; nothing → null. */
export function threadsFromStraceStderr(stderr: string): number | null {
  const m = /Process \d+ attached with (\d+) threads/.exec(stderr);
  if (m) return Number(m[1]);
  return /Process \d+ attached/.test(stderr) ? 1 : null;
}

/** Does this line begin strace's summary table? */
export function isSummaryHeader(line: string): boolean {
  return /^% time\s+seconds/.test(line);
}

/** A trace line: `-o FILE -f` prefixes `PID  `, stderr output `[pid PID] ` (none while one thread is traced). */
const LINE_RE = /^(?:\[pid\s+(\d+)\]\s+|(\d+)\s+)?(?:<\.\.\. ([A-Za-z_]\w*) resumed>|([A-Za-z_]\w*)\()(.*)$/;
const ERR_RE = /\)\s+=\s+-1\s+([A-Z][A-Z0-9_]+)(?:\s+\([^)]*\))?(?:\s+<(\d+\.\d+)>)?\s*$/;
const TIME_RE = /<(\d+\.\d+)>\s*$/;
const SO_ERROR_RE = /SO_ERROR,\s+\[(E[A-Z0-9]+)\]/;

/** The first quoted string argument: a path for file calls. */
function firstQuoted(args: string): string | null {
  // Under `-s 0` buffers print as `""...`: an empty string names nothing; fall back to the fd.
  const m = /"((?:[^"\\]|\\.)+)"/.exec(args);
  if (m) return m[1]!;
  const fd = /^(\d+),/.exec(args);
  return fd ? `fd ${fd[1]}` : null;
}

/** A sockaddr as `ip:port`, `[ip6]:port` or a unix path. */
export function sockaddr(args: string): string | null {
  const port = /sin6?_port=htons\((\d+)\)/.exec(args);
  const v4 = /sin_addr=inet_addr\("([^"]+)"\)/.exec(args);
  if (v4 && port) return `${v4[1]}:${port[1]}`;
  const v6 = /inet_pton\(AF_INET6,\s*"([^"]+)"/.exec(args);
  if (v6 && port) return `[${v6[1]}]:${port[1]}`;
  const un = /sun_path=(@?"(?:[^"\\]|\\.)*")/.exec(args);
  if (un) return un[1]!.replace(/"/g, '');
  return null;
}

/** Feeds trace lines (`-f -T`), keeps counts by errno, examples and the slowest calls. */
export class TraceMiner {
  private readonly groups = new Map<string, { count: number; syscalls: Set<string>; examples: string[] }>();
  private readonly slow: SlowCall[] = [];
  private readonly pids = new Set<number>();
  /** fd → address of the last connect() on it, per process, for SO_ERROR reports. */
  private readonly connects = new Map<string, string>();
  private readonly unfinished = new Map<string, string>();

  constructor(private readonly slowThresholdSec = 0.01) {}

  line(raw: string): void {
    const line = raw.length > 2000 ? raw.slice(0, 2000) : raw;
    const m = LINE_RE.exec(line);
    if (!m) return;
    const pid = Number(m[1] ?? m[2] ?? 0);
    this.pids.add(pid);
    const resumed = m[3] !== undefined;
    const syscall = (m[3] ?? m[4])!;
    let args = m[5]!;
    if (args.endsWith('<unfinished ...>')) {
      this.unfinished.set(`${pid}:${syscall}`, args);
      return;
    }
    if (resumed) {
      const start = this.unfinished.get(`${pid}:${syscall}`);
      this.unfinished.delete(`${pid}:${syscall}`);
      if (start !== undefined) args = start.replace(/<unfinished \.\.\.>$/, '') + args;
    }
    if (syscall === 'connect') {
      const fd = /^(\d+),/.exec(args);
      const addr = sockaddr(args);
      if (fd && addr) this.connects.set(`${pid}:${fd[1]}`, addr);
    }
    const err = ERR_RE.exec(args);
    if (err) {
      this.addError(err[1]!, syscall, sockaddr(args) ?? firstQuoted(args));
    } else if (syscall === 'getsockopt') {
      const so = SO_ERROR_RE.exec(args);
      const fd = /^(\d+),/.exec(args);
      if (so)
        this.addError(
          so[1]!,
          'connect (SO_ERROR)',
          fd ? (this.connects.get(`${pid}:${fd[1]}`) ?? null) : null,
        );
    }
    const t = TIME_RE.exec(args);
    if (t) {
      const seconds = Number(t[1]);
      if (seconds >= this.slowThresholdSec) this.addSlow({ syscall, seconds, line: line.slice(0, 300) });
    }
  }

  private addError(errno: string, syscall: string, example: string | null): void {
    let g = this.groups.get(errno);
    if (!g) {
      g = { count: 0, syscalls: new Set(), examples: [] };
      this.groups.set(errno, g);
    }
    g.count++;
    g.syscalls.add(syscall);
    if (example !== null) {
      const ex = `${syscall} ${example.slice(0, 200)}`;
      if (g.examples.length < 10 && !g.examples.includes(ex)) g.examples.push(ex);
    }
  }

  private addSlow(c: SlowCall): void {
    this.slow.push(c);
    this.slow.sort((a, b) => b.seconds - a.seconds);
    if (this.slow.length > 20) this.slow.length = 20;
  }

  errors(): ErrnoGroup[] {
    return [...this.groups]
      .map(([errno, g]) => ({
        errno,
        count: g.count,
        syscalls: [...g.syscalls].sort(),
        examples: g.examples,
      }))
      .sort((a, b) => b.count - a.count || a.errno.localeCompare(b.errno));
  }

  slowCalls(): SlowCall[] {
    return [...this.slow];
  }

  /** Distinct thread ids seen in the trace. */
  threadsSeen(): number {
    return this.pids.size;
  }
}
