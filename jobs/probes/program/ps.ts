/** The ps action: the processes in the container's PID namespace, with CPU% from two samples. */
import { readdir, readlink } from 'node:fs/promises';
import type { PsData } from '../../contracts/probe.js';
import { type ActionContext, type ActionResult, ProbeFailure, readText, sleep } from './common.js';
import { formatCmdline, nsPid, parseProcStat, parseStatusKb } from './proc-parse.js';

/** Kernel ticks per second (USER_HZ); 100 on every Linux architecture Kubernetes runs on. */
const CLK_TCK = 100;
const SAMPLE_MS = 500;
const MAX_PROCESSES = 500;

async function pidNsOf(procRoot: string, pid: number | string): Promise<string | null> {
  try {
    return await readlink(`${procRoot}/${pid}/ns/pid`);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new ProbeFailure(
        'permission_denied',
        `cannot read ${procRoot}/${pid}/ns/pid: ${code} (CAP_SYS_PTRACE?)`,
      );
    }
    return null;
  }
}

export async function runPs(ctx: ActionContext): Promise<ActionResult> {
  const { procRoot } = ctx.input;
  const argv = ['poddebug-probe', 'ps', '--pid', String(ctx.pid)];
  await ctx.confirm();
  const ns = await pidNsOf(procRoot, ctx.pid);
  if (ns === null) throw new ProbeFailure('container_changed', `pid ${ctx.pid} exited`, argv);
  const members: number[] = [];
  for (const n of await readdir(procRoot)) {
    if (!/^\d+$/.test(n)) continue;
    const other = await pidNsOf(procRoot, n).catch(() => null);
    if (other === ns) members.push(Number(n));
  }
  members.sort((a, b) => a - b);
  const ticks = async (pid: number) => {
    const st = parseProcStat((await readText(`${procRoot}/${pid}/stat`, 4096).catch(() => null)) ?? '');
    return st ? st.utime + st.stime : null;
  };
  const before = new Map<number, number | null>();
  for (const pid of members.slice(0, MAX_PROCESSES)) before.set(pid, await ticks(pid));
  const t0 = Date.now();
  await sleep(SAMPLE_MS);
  const elapsedSec = (Date.now() - t0) / 1000;

  const rows: PsData['processes'] = [];
  const nsPidOf = new Map<number, number>();
  const raw: { hostPid: number; hostPpid: number; row: Omit<PsData['processes'][number], 'ppid'> }[] = [];
  for (const pid of members.slice(0, MAX_PROCESSES)) {
    const statusText = await readText(`${procRoot}/${pid}/status`, 16 * 1024).catch(() => null);
    const stat = parseProcStat((await readText(`${procRoot}/${pid}/stat`, 4096).catch(() => null)) ?? '');
    if (statusText === null || !stat) continue; // exited between samples
    const cmdline = (await readText(`${procRoot}/${pid}/cmdline`, 64 * 1024).catch(() => null)) ?? '';
    const start = before.get(pid);
    const now = stat.utime + stat.stime;
    const cpu = start === null || start === undefined ? 0 : ((now - start) / CLK_TCK / elapsedSec) * 100;
    const inner = nsPid(statusText) ?? pid;
    nsPidOf.set(pid, inner);
    raw.push({
      hostPid: pid,
      hostPpid: stat.ppid,
      row: {
        pid: inner,
        hostPid: pid,
        comm: stat.comm,
        args: cmdline === '' ? `[${stat.comm}]` : formatCmdline(cmdline),
        state: stat.state,
        threads: stat.numThreads,
        cpuPercent: Math.round(Math.max(0, cpu) * 10) / 10,
        rssBytes: parseStatusKb(statusText).bytes.VmRSS ?? 0,
      },
    });
  }
  for (const r of raw) rows.push({ ...r.row, ppid: nsPidOf.get(r.hostPpid) ?? 0 });
  if (members.length > MAX_PROCESSES)
    ctx.notes.push(`${members.length} processes; the first ${MAX_PROCESSES} are shown`);
  ctx.notes.push('arguments are redacted by a small local filter (--password=, --token=, *_TOKEN=, …)');
  return { argv, exitCode: 0, artefacts: [], data: { action: 'ps', processes: rows } };
}
