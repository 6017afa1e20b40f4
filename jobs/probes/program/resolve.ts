/** Finds the container's host process by scanning `<procRoot>/*\/cgroup`, cross-checked with the runtime. */
import { readdir } from 'node:fs/promises';
import type { ProbeInput } from '../../contracts/probe.js';
import { ProbeFailure, readText, runTool } from './common.js';
import {
  cgroupMatches,
  parseContainerId,
  pickContainerPid,
  podUidsOf,
  samePodUid,
} from './find-container.js';
import { parseProcStat } from './proc-parse.js';
import { parseCrictlInspect } from './resolv.js';

export interface Resolved {
  pid: number;
  /** `starttime` of /proc/PID/stat: a PID reused by another process has another. */
  startTime: number;
  id: string;
  resolvedVia: 'cgroup' | 'cgroup+cri';
  notes: string[];
}

/** Every process of `procRoot` whose cgroup names the container, with its parent and start time. */
export async function scanContainerProcs(
  procRoot: string,
  id: string,
): Promise<{ pid: number; ppid: number; cgroup: string; startTime: number }[]> {
  let names: string[];
  try {
    names = await readdir(procRoot);
  } catch (e) {
    throw new ProbeFailure('permission_denied', `cannot list ${procRoot}: ${(e as Error).message}`);
  }
  const found: { pid: number; ppid: number; cgroup: string; startTime: number }[] = [];
  await Promise.all(
    names
      .filter((n) => /^\d+$/.test(n))
      .map(async (n) => {
        let cgroup: string | null;
        try {
          cgroup = await readText(`${procRoot}/${n}/cgroup`, 64 * 1024);
        } catch {
          return; // a process we may not read is not ours to probe
        }
        if (cgroup === null || !cgroupMatches(cgroup, id)) return;
        const stat = parseProcStat((await readText(`${procRoot}/${n}/stat`, 4096).catch(() => null)) ?? '');
        if (!stat) return; // exited meanwhile
        found.push({ pid: Number(n), ppid: stat.ppid, cgroup, startTime: stat.startTime });
      }),
  );
  return found;
}

/** Resolves the approved container ID to its main host PID, or throws a ProbeFailure with the matching code. */
export async function resolveContainer(
  input: Pick<ProbeInput, 'containerId' | 'podUid' | 'procRoot' | 'criSocket'>,
): Promise<Resolved> {
  const parsed = parseContainerId(input.containerId);
  if ('error' in parsed) throw new ProbeFailure('invalid_input', parsed.error);
  const { id } = parsed;
  const short = id.slice(0, 12);
  const procs = await scanContainerProcs(input.procRoot, id);
  if (procs.length === 0) {
    throw new ProbeFailure(
      'container_not_found',
      `no process is in container ${short} on this node (not running here, restarted with a new containerID, or ${input.procRoot} is not the host's /proc)`,
    );
  }
  const picked = pickContainerPid(procs, id);
  if ('error' in picked) throw new ProbeFailure('container_ambiguous', picked.error);
  const main = procs.find((p) => p.pid === picked.pid)!;
  const podProblem = podUidProblem(main.cgroup, id, input.podUid);
  if (podProblem) throw new ProbeFailure('pod_mismatch', podProblem);
  const notes: string[] = [];
  let resolvedVia: Resolved['resolvedVia'] = 'cgroup';
  if (input.criSocket !== undefined) {
    const cri = await criPid(input.criSocket, id);
    if ('pid' in cri) {
      if (cri.pid !== main.pid) {
        throw new ProbeFailure(
          'container_ambiguous',
          `container ${short}: the cgroup scan found pid ${main.pid} but the runtime reports pid ${cri.pid}: refusing`,
        );
      }
      resolvedVia = 'cgroup+cri';
    } else if ('notRunning' in cri) {
      throw new ProbeFailure('not_running', `container ${short}: ${cri.notRunning}`);
    } else {
      notes.push(`runtime cross-check skipped: ${cri.error}`);
    }
  }
  return { pid: main.pid, startTime: main.startTime, id, resolvedVia, notes };
}

/** Why the container's cgroup does not belong to the approved pod, or null. Pure. */
export function podUidProblem(cgroupText: string, id: string, podUid: string): string | null {
  const short = id.slice(0, 12);
  const found = podUidsOf(cgroupText, id);
  if (found.length === 0)
    return `container ${short}: its cgroup path names no pod (pod<uid>): cannot check it belongs to pod ${podUid}`;
  const other = found.find((u) => !samePodUid(u, podUid));
  if (other !== undefined)
    return `container ${short} belongs to pod ${other} by its cgroup path, not to the approved pod ${podUid}: refusing`;
  return null;
}

/** Is the process still the container's main process (same PID, same start time, same cgroup)? */
export async function confirmSame(procRoot: string, r: Resolved): Promise<string | null> {
  const stat = parseProcStat((await readText(`${procRoot}/${r.pid}/stat`, 4096).catch(() => null)) ?? '');
  if (!stat) return `pid ${r.pid} is gone`;
  if (stat.startTime !== r.startTime) return `pid ${r.pid} is now another process (start time changed)`;
  const cgroup = await readText(`${procRoot}/${r.pid}/cgroup`, 64 * 1024).catch(() => null);
  if (cgroup === null || !cgroupMatches(cgroup, r.id))
    return `pid ${r.pid} left container ${r.id.slice(0, 12)}`;
  return null;
}

/** `crictl --runtime-endpoint unix://<sock> inspect <id>` → pid, not running, or why the check could not run. */
async function criPid(
  socket: string,
  id: string,
): Promise<{ pid: number } | { notRunning: string } | { error: string }> {
  if (!socket.startsWith('/') || /[\s\0]/.test(socket))
    return { error: `bad CRI socket path ${JSON.stringify(socket)}` };
  const argv = ['crictl', '--runtime-endpoint', `unix://${socket}`, '--timeout', '5s', 'inspect', id];
  try {
    const run = await runTool(argv, { stdoutCap: 4 * 1024 * 1024, killAfterMs: 15_000 });
    if (run.exitCode !== 0) {
      const msg = run.stderr.trim().split('\n').pop() ?? '';
      if (/not ?found/i.test(msg))
        return { notRunning: `the runtime does not know it (${msg.slice(0, 200)})` };
      return { error: `crictl exited ${run.exitCode}: ${msg.slice(0, 200)}` };
    }
    return parseCrictlInspect(run.stdout.toString('utf8'));
  } catch (e) {
    return { error: e instanceof ProbeFailure ? e.message : String(e) };
  }
}
