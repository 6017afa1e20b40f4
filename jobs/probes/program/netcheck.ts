/** The netcheck action: resolv.conf, then DNS and TCP from inside the pod's network namespace only. */
import { closeSync, existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NetcheckData, ProbeSpec } from '../../contracts/probe.js';
import { type ActionContext, type ActionResult, checkExec, ProbeFailure, runTool } from './common.js';
import { readNetSockets } from './fds.js';
import type { NetcheckChildInput, NetcheckChildOutput } from './netcheck-child.js';
import { parseResolvConf } from './resolv.js';
import { openProcessRoot, ROOT_READ_MAX, type RootRead, readFileInRoot } from './root-read.js';

type NetcheckSpec = Extract<ProbeSpec, { action: 'netcheck' }>;

export const DEFAULT_DNS_NAME = 'kubernetes.default.svc';
const TCP_TIMEOUT_MS = 3000;

/** How to run the child: compiled `.js` with node, or the `.ts` source with tsx (under jest/tsx). */
export function childCommand(moduleUrl: string = import.meta.url): { argv: string[]; cwd: string } {
  const here = fileURLToPath(moduleUrl);
  const dir = dirname(here);
  if (here.endsWith('.ts') || !existsSync(join(dir, 'netcheck-child.js'))) {
    return { argv: [process.execPath, '--import', 'tsx', join(dir, 'netcheck-child.ts')], cwd: dir };
  }
  return { argv: [process.execPath, join(dir, 'netcheck-child.js')], cwd: dir };
}

/** The child's input: the default name plus the targets, the container's resolver settings. Pure. */
export function childInput(spec: NetcheckSpec, resolvConfText: string): NetcheckChildInput {
  const conf = parseResolvConf(resolvConfText);
  const names = [DEFAULT_DNS_NAME];
  for (const t of spec.targets) if (!names.includes(t.host) && isIP(t.host) === 0) names.push(t.host);
  return {
    names,
    tcp: spec.targets.flatMap((t) => (t.port === undefined ? [] : [{ host: t.host, port: t.port }])),
    nameservers: conf.nameservers.filter((s) => !s.includes('%')),
    search: conf.search,
    ndots: conf.ndots,
    timeoutMs: TCP_TIMEOUT_MS,
  };
}

/** The note for a resolv.conf that was not read, or null. Pure. */
export function resolvConfNote(read: RootRead): string | null {
  if (read.ok) {
    return read.truncated
      ? `the container's /etc/resolv.conf is larger than ${ROOT_READ_MAX} bytes: only the first ${read.bytes} were read`
      : null;
  }
  if (read.reason === 'missing') {
    return `the container has no /etc/resolv.conf (${read.message}; default resolver 127.0.0.1)`;
  }
  return `the container's /etc/resolv.conf was not read: ${read.message} (default resolver 127.0.0.1)`;
}

/**
 * The container's /etc/resolv.conf, read inside its root only (see root-read.ts): the root is opened
 * first, the process confirmed as the container's, then the file read from that open root.
 */
async function readContainerResolvConf(ctx: ActionContext): Promise<string> {
  const rootFd = openProcessRoot(ctx.input.procRoot, ctx.pid);
  if (rootFd === null) {
    throw new ProbeFailure('container_changed', `pid ${ctx.pid} exited before its resolv.conf was read`);
  }
  try {
    // The fd pins the root it was opened on: once the PID is confirmed after the open, it is the container's.
    await ctx.confirm();
    const read = readFileInRoot(rootFd, '/etc/resolv.conf', ROOT_READ_MAX);
    const note = resolvConfNote(read);
    if (note) ctx.notes.push(note);
    return read.ok ? read.text : '';
  } finally {
    closeSync(rootFd);
  }
}

export async function runNetcheck(spec: NetcheckSpec, ctx: ActionContext): Promise<ActionResult> {
  const { procRoot } = ctx.input;
  const resolvConf = await readContainerResolvConf(ctx);
  const input = childInput(spec, resolvConf);
  const child = childCommand();
  const argv = [
    'nsenter',
    `--net=${procRoot}/${ctx.pid}/ns/net`,
    '--',
    ...child.argv,
    Buffer.from(JSON.stringify(input)).toString('base64url'),
  ];
  await ctx.confirm();
  const run = await runTool(argv, { stdoutCap: 1024 * 1024, killAfterMs: 60_000, cwd: child.cwd });
  ctx.log(run.stderr);
  checkExec(run, run.stderr, argv);
  if (run.exitCode !== 0) {
    const msg = run.stderr.trim().split('\n').pop() ?? '';
    const code = /Operation not permitted|Permission denied/.test(msg) ? 'permission_denied' : 'tool_failed';
    throw new ProbeFailure(
      code,
      `netcheck in the pod's network namespace failed (exit ${run.exitCode}): ${msg.slice(0, 300)}`,
      argv,
    );
  }
  // nsenter opened the namespace at the start: the process must still be the one confirmed.
  await ctx.recheck('netcheck');
  let out: NetcheckChildOutput;
  try {
    out = JSON.parse(run.stdout.toString('utf8')) as NetcheckChildOutput;
  } catch {
    throw new ProbeFailure('tool_failed', 'netcheck printed no result', argv);
  }
  const listening: NetcheckData['listening'] = (await readNetSockets(procRoot, ctx.pid))
    .filter((s) => s.proto.startsWith('tcp') && s.state === 'LISTEN')
    .map(({ proto, local, remote, state }) => ({ proto, local, remote, state }));
  return {
    argv,
    exitCode: run.exitCode,
    artefacts: [],
    data: {
      action: 'netcheck',
      resolvConf: resolvConf.slice(0, 4096),
      dns: out.dns,
      tcp: out.tcp,
      listening,
    },
  };
}
