/**
 * Host-namespace targets: a pod with `hostNetwork: true` or `hostPID: true` shares the node's namespace,
 * so tcpdump, netcheck and fds (network) or ps (PID) would see the whole node. The program compares the
 * target's `/proc/PID/ns/{net,pid}` with the host's (`/proc/1/ns/*`, the node's init, visible because the
 * probe pod has hostPID) and refuses unless the input's `hostScope` allows it.
 */
import { stat } from 'node:fs/promises';
import { HOST_SCOPE_BY_ACTION, type HostScope, type ProbeInput } from '../../contracts/probe.js';
import { ProbeFailure, readText } from './common.js';
import { parseProcStat } from './proc-parse.js';

const NS_FILE: Record<keyof HostScope, string> = { network: 'net', pid: 'pid' };
const WHAT: Record<keyof HostScope, string> = {
  network: "the node's network namespace (hostNetwork: true): it would see the whole node's network",
  pid: "the node's PID namespace (hostPID: true): it would see every process on the node",
};

/** Why this action may not run given which namespaces are the host's, or null. Pure. */
export function hostScopeProblem(
  action: ProbeInput['spec']['action'],
  shared: Readonly<Partial<Record<keyof HostScope, boolean>>>,
  allowed: HostScope | undefined,
): string | null {
  for (const ns of HOST_SCOPE_BY_ACTION[action]) {
    if (shared[ns] && allowed?.[ns] !== true) {
      return `the target shares ${WHAT[ns]}; the request did not allow a node-wide ${action} (hostScope.${ns}): refusing`;
    }
  }
  return null;
}

/** Throws `host_namespace` when the action would see a host namespace the request did not allow. */
export async function checkHostScope(input: ProbeInput, pid: number): Promise<void> {
  const needed = HOST_SCOPE_BY_ACTION[input.spec.action];
  const shared: Partial<Record<keyof HostScope, boolean>> = {};
  for (const ns of needed) {
    const file = NS_FILE[ns];
    const [mine, host] = await Promise.all([
      nsId(`${input.procRoot}/${pid}/ns/${file}`),
      hostNsId(input.procRoot, file),
    ]);
    shared[ns] = mine === host;
  }
  const problem = hostScopeProblem(input.spec.action, shared, input.hostScope);
  if (problem) throw new ProbeFailure('host_namespace', problem);
}

/**
 * The host's namespace: PID 1's. Where PID 1's is closed to us (an init with capabilities the probe lacks,
 * or a hardened one), kthreadd's (PID 2, parent 0): kernel threads always live in the initial namespaces
 * and are visible only from the initial PID namespace, so it cannot be a container's process.
 */
async function hostNsId(procRoot: string, file: string): Promise<string> {
  try {
    return await nsId(`${procRoot}/1/ns/${file}`);
  } catch (e) {
    if (!(e instanceof ProbeFailure) || e.code !== 'permission_denied') throw e;
    const stat2 = parseProcStat((await readText(`${procRoot}/2/stat`, 4096).catch(() => null)) ?? '');
    if (stat2?.comm !== 'kthreadd' || stat2.ppid !== 0) throw e;
    return nsId(`${procRoot}/2/ns/${file}`);
  }
}

/** A namespace's identity: device and inode of its nsfs file. */
async function nsId(path: string): Promise<string> {
  try {
    const st = await stat(path, { bigint: true });
    return `${st.dev}:${st.ino}`;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH')
      throw new ProbeFailure('container_changed', `${path} is gone (the process exited)`);
    throw new ProbeFailure(
      'permission_denied',
      `cannot compare the target's namespace with the host's: ${path}: ${code ?? String(e)}`,
    );
  }
}
