/** The netcheck action: resolv.conf, then DNS and TCP from inside the pod's network namespace only. */
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NetcheckData, ProbeSpec } from '../../contracts/probe.js';
import {
  type ActionContext,
  type ActionResult,
  checkExec,
  ProbeFailure,
  readText,
  runTool,
} from './common.js';
import { readNetSockets } from './fds.js';
import type { NetcheckChildInput, NetcheckChildOutput } from './netcheck-child.js';
import { parseResolvConf } from './resolv.js';

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

export async function runNetcheck(spec: NetcheckSpec, ctx: ActionContext): Promise<ActionResult> {
  const { procRoot } = ctx.input;
  const resolvConf = (await readText(`${procRoot}/${ctx.pid}/root/etc/resolv.conf`, 8 * 1024)) ?? '';
  if (resolvConf === '') ctx.notes.push('the container has no /etc/resolv.conf (default resolver 127.0.0.1)');
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
