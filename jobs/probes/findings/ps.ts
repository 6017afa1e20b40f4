/**
 * ps: the container's processes: zombies, processes stuck in the kernel,
 * stopped processes, thread explosions and CPU hogs.
 */
import { type Finding, finding } from '../../contracts/finding.js';
import type { PsData } from '../../contracts/probe.js';
import { humanBytes } from '../../contracts/units.js';
import {
  clean,
  columns,
  cut,
  int,
  kubectlNs,
  type ProbeFindingContext,
  plural,
  probeCommand,
} from './format.js';

type Proc = PsData['processes'][number];

export const PS_THRESHOLDS = {
  /** Zombies at or above this count are a warning (fewer may be a parent about to reap). */
  zombiesWarning: 5,
  /** Threads in one process. */
  threadsWarning: 1000,
  /** CPU percent (100 = one core) worth naming. */
  cpuInfo: 80,
} as const;

/** The one-letter state (`S`, `D`, `Z`…) from `S`, `S (sleeping)` or `sleeping`. */
export function stateLetter(state: string): string {
  const s = state.trim();
  if (s.length === 0) return '?';
  const words: Record<string, string> = {
    running: 'R',
    sleeping: 'S',
    'disk sleep': 'D',
    zombie: 'Z',
    stopped: 'T',
    'tracing stop': 't',
    dead: 'X',
    idle: 'I',
  };
  return words[s.toLowerCase()] ?? s[0]!;
}

function label(p: Proc): string {
  return `pid ${p.pid} \`${clean(p.comm, 40)}\``;
}

function procLine(p: Proc): string {
  return `pid ${p.pid} (host ${p.hostPid}) ppid ${p.ppid} state ${p.state} threads ${p.threads} cpu ${p.cpuPercent.toFixed(1)}% rss ${humanBytes(p.rssBytes, 'fixed')}: ${clean(p.args || p.comm, 160)}`;
}

/** Findings from a ps probe, unsorted. */
export function psFindings(d: PsData, ctx: ProbeFindingContext): Finding[] {
  const out: Finding[] = [];
  const T = PS_THRESHOLDS;
  const procs = d.processes;
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  const c = ctx.target.container;

  const zombies = procs.filter((p) => stateLetter(p.state) === 'Z');
  if (zombies.length > 0) {
    const parents = [...new Set(zombies.map((z) => z.ppid))];
    const parentText = parents
      .slice(0, 3)
      .map((pp) => {
        const parent = byPid.get(pp);
        const n = zombies.filter((z) => z.ppid === pp).length;
        return `${n} of ${parent ? label(parent) : `pid ${pp}`}`;
      })
      .join(', ');
    const pid1Parent = parents.includes(1);
    const ev = zombies.slice(0, 5).map(procLine);
    ev.push(`parents: ${parentText}`);
    if (pid1Parent) {
      const init = byPid.get(1);
      ev.push(
        `PID 1 is ${init ? `\`${clean(init.comm, 40)}\`` : 'the main process'}: it does not reap orphaned children, as an init would`,
      );
    }
    out.push(
      finding(
        'ps-zombies',
        zombies.length >= T.zombiesWarning ? 'warning' : 'info',
        `${plural(zombies.length, 'zombie process', 'zombie processes')} in container \`${c}\`: exited children that ${parents
          .slice(0, 3)
          .map((pp) => (byPid.get(pp) ? label(byPid.get(pp)!) : `pid ${pp}`))
          .join(', ')} never reaped`,
        ev,
        [
          pid1Parent
            ? 'Run an init as PID 1 (tini or dumb-init as the ENTRYPOINT, or `shareProcessNamespace: true`) so exited children are reaped'
            : 'The parent must wait() for its children: look at how it spawns them',
          'Zombies hold a PID each: many of them exhaust the pod’s PID limit',
        ],
      ),
    );
  }

  const stuck = procs.filter((p) => stateLetter(p.state) === 'D');
  if (stuck.length > 0) {
    const live = procs.filter((p) => stateLetter(p.state) !== 'Z');
    const all = stuck.length === live.length;
    out.push(
      finding(
        'ps-uninterruptible',
        all ? 'critical' : 'warning',
        `${plural(stuck.length, 'process', 'processes')} stuck in uninterruptible I/O (state D): ${stuck
          .slice(0, 3)
          .map(label)
          .join(', ')}`,
        [
          ...stuck.slice(0, 5).map(procLine),
          'State D waits in the kernel, usually for I/O: a network volume (NFS, CSI) that stopped answering, or a failing disk; it cannot be killed until the I/O returns',
        ],
        [
          kubectlNs(ctx, `get pod ${ctx.target.pod} -o jsonpath='{.spec.volumes}'`),
          `kubectl describe node ${ctx.target.node}`,
          `kubectl debug node/${ctx.target.node} -it --image=busybox -- dmesg | grep -iE 'hung task|nfs|blocked for more'`,
        ],
      ),
    );
  }

  const stopped = procs.filter((p) => stateLetter(p.state) === 'T' || stateLetter(p.state) === 't');
  if (stopped.length > 0) {
    out.push(
      finding(
        'ps-stopped',
        'warning',
        `${plural(stopped.length, 'process', 'processes')} stopped (state T): ${stopped.slice(0, 3).map(label).join(', ')}`,
        [
          ...stopped.slice(0, 5).map(procLine),
          'A stopped process does nothing until it gets SIGCONT (SIGSTOP, a debugger, or a shell job suspended)',
        ],
        ['Find who stopped it (a debugger still attached?), then send SIGCONT or restart the pod'],
      ),
    );
  }

  const threaded = procs.filter((p) => p.threads >= T.threadsWarning).sort((a, b) => b.threads - a.threads);
  if (threaded.length > 0) {
    const total = procs.reduce((s, p) => s + p.threads, 0);
    out.push(
      finding(
        'ps-thread-explosion',
        'warning',
        `${label(threaded[0]!)} runs ${int(threaded[0]!.threads)} threads: a thread leak or an unbounded pool`,
        [
          ...threaded.slice(0, 3).map(procLine),
          `threads in the container: ${int(total)}`,
          'Each thread holds a PID and a stack: at the pod’s PID limit, creating threads fails with EAGAIN',
        ],
        [
          'Take a thread dump (jstack, py-spy dump, SIGQUIT for Go) and look for many threads with the same stack',
          probeCommand(ctx, 'strace', ['--trace', 'process']),
        ],
      ),
    );
  }

  const hot = procs.filter((p) => p.cpuPercent >= T.cpuInfo).sort((a, b) => b.cpuPercent - a.cpuPercent);
  if (hot.length > 0) {
    const top = hot[0]!;
    out.push(
      finding(
        'ps-top-cpu',
        'info',
        `${label(top)} uses ${top.cpuPercent.toFixed(0)}% CPU (about ${(top.cpuPercent / 100).toFixed(1)} cores)`,
        hot.slice(0, 3).map(procLine),
        [
          kubectlNs(ctx, `top pod ${ctx.target.pod} --containers`),
          'If it sits at its CPU limit it is throttled: compare with `resources.limits.cpu`',
          probeCommand(ctx, 'strace'),
        ],
      ),
    );
  }
  return out;
}

export function psQuiet(d: PsData): string[] {
  const threads = d.processes.reduce((s, p) => s + p.threads, 0);
  const states = new Map<string, number>();
  for (const p of d.processes) states.set(stateLetter(p.state), (states.get(stateLetter(p.state)) ?? 0) + 1);
  return [
    `${plural(d.processes.length, 'process', 'processes')}, ${plural(threads, 'thread')}`,
    `states: ${[...states].map(([s, n]) => `${s} ${n}`).join(', ')}`,
  ];
}

/** Processes in tree order: each parent followed by its children, depth for indenting. */
export function processTree(procs: readonly Proc[]): { p: Proc; depth: number }[] {
  const pids = new Set(procs.map((p) => p.pid));
  const children = new Map<number, Proc[]>();
  const roots: Proc[] = [];
  for (const p of [...procs].sort((a, b) => a.pid - b.pid)) {
    if (p.ppid !== p.pid && pids.has(p.ppid)) {
      const list = children.get(p.ppid) ?? [];
      list.push(p);
      children.set(p.ppid, list);
    } else {
      roots.push(p);
    }
  }
  const out: { p: Proc; depth: number }[] = [];
  const seen = new Set<number>();
  const walk = (p: Proc, depth: number) => {
    if (seen.has(p.pid)) return;
    seen.add(p.pid);
    out.push({ p, depth });
    for (const ch of children.get(p.pid) ?? []) walk(ch, depth + 1);
  };
  for (const r of roots) walk(r, 0);
  // a parent cycle leaves processes unvisited: list them at the top level
  for (const p of procs) if (!seen.has(p.pid)) walk(p, 0);
  return out;
}

const MAX_ROWS = 25;
const ARGS_WIDTH = 60;

/** The process tree: PID, state, threads, CPU%, RSS, command indented by parent. */
export function psText(d: PsData): string[] {
  const tree = processTree(d.processes);
  const rows: string[][] = [['PID', 'S', 'THR', 'CPU%', 'RSS', 'COMMAND']];
  for (const { p, depth } of tree.slice(0, MAX_ROWS)) {
    const indent = depth === 0 ? '' : `${'  '.repeat(Math.min(depth, 6) - 1)}└ `;
    rows.push([
      String(p.pid),
      stateLetter(p.state),
      int(p.threads),
      p.cpuPercent.toFixed(1),
      humanBytes(p.rssBytes, 'fixed'),
      cut(indent + clean(p.args || `[${p.comm}]`, 200), ARGS_WIDTH),
    ]);
  }
  const lines = columns(rows, ['r', 'l', 'r', 'r', 'r', 'l']);
  if (tree.length > MAX_ROWS) lines.push(`… ${tree.length - MAX_ROWS} more processes`);
  return lines;
}
