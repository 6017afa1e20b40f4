/** The fds action: open descriptors by kind, the limit, and sockets with endpoints and state. */
import { readdir, readlink } from 'node:fs/promises';
import type { FdsData } from '../../contracts/probe.js';
import { type ActionContext, type ActionResult, ProbeFailure, readText } from './common.js';
import {
  type InetProto,
  type ProcSocket,
  parseProcNetInet,
  parseProcNetUnix,
  socketInode,
} from './proc-net.js';
import { parseMaxOpenFiles } from './proc-parse.js';

/** What an fd link points to: `socket`, `pipe`, `anon_inode`, `device`, `file`, … Pure. */
export function fdKind(target: string): string {
  if (target.startsWith('socket:')) return 'socket';
  if (target.startsWith('pipe:')) return 'pipe';
  if (target.startsWith('anon_inode:')) return 'anon_inode';
  if (target.startsWith('/dev/')) return 'device';
  if (target.startsWith('/memfd:')) return 'memfd';
  if (target.startsWith('/')) return 'file';
  const m = /^([a-z_]+):/.exec(target);
  return m ? m[1]! : 'other';
}

/** Every socket of the process's network namespace, by inode. */
export async function readNetSockets(procRoot: string, pid: number): Promise<ProcSocket[]> {
  const out: ProcSocket[] = [];
  for (const proto of ['tcp', 'tcp6', 'udp', 'udp6'] as InetProto[]) {
    const text = await readText(`${procRoot}/${pid}/net/${proto}`, 8 * 1024 * 1024).catch(() => null);
    if (text !== null) out.push(...parseProcNetInet(text, proto));
  }
  const unix = await readText(`${procRoot}/${pid}/net/unix`, 8 * 1024 * 1024).catch(() => null);
  if (unix !== null) out.push(...parseProcNetUnix(unix));
  return out;
}

export async function runFds(ctx: ActionContext): Promise<ActionResult> {
  const { procRoot } = ctx.input;
  const argv = ['poddebug-probe', 'fds', '--pid', String(ctx.pid)];
  await ctx.confirm();
  let names: string[];
  try {
    names = await readdir(`${procRoot}/${ctx.pid}/fd`);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ProbeFailure('container_changed', `pid ${ctx.pid} exited`, argv);
    throw new ProbeFailure(
      'permission_denied',
      `cannot list ${procRoot}/${ctx.pid}/fd: ${code} (CAP_SYS_PTRACE?)`,
      argv,
    );
  }
  const fds = names
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .sort((a, b) => a - b);
  const links: { fd: number; target: string }[] = [];
  for (const fd of fds) {
    try {
      links.push({ fd, target: await readlink(`${procRoot}/${ctx.pid}/fd/${fd}`) });
    } catch {
      // closed meanwhile
    }
  }
  const byType: Record<string, number> = {};
  for (const l of links) {
    const k = fdKind(l.target);
    byType[k] = (byType[k] ?? 0) + 1;
  }
  const limits = parseMaxOpenFiles((await readText(`${procRoot}/${ctx.pid}/limits`, 16 * 1024)) ?? '');
  const inodes = new Set(links.map((l) => socketInode(l.target)).filter((i): i is number => i !== null));
  const sockets: FdsData['sockets'] = (await readNetSockets(procRoot, ctx.pid))
    .filter((s) => inodes.has(s.inode))
    .map(({ proto, local, remote, state }) => ({ proto, local, remote, state }));
  if (sockets.length < inodes.size) {
    ctx.notes.push(
      `${inodes.size - sockets.length} sockets are not in this network namespace's tables (netlink, other namespaces, …)`,
    );
  }
  // Read by PID number: the container's only if the PID still is.
  await ctx.recheck('fds');
  return {
    argv,
    exitCode: 0,
    artefacts: [],
    data: {
      action: 'fds',
      open: fds.length,
      softLimit: limits.soft,
      hardLimit: limits.hard,
      byType,
      top: links.slice(0, 30).map((l) => ({ fd: l.fd, target: l.target.slice(0, 300) })),
      sockets: sockets.slice(0, 500),
    },
  };
}
