/** The tcpdump action: a bounded capture inside the pod's network namespace; the pcap is the artefact. */
import { PROBE_LIMITS, type ProbeSpec } from '../../contracts/probe.js';
import { toolArgv } from '../../contracts/probe-argv.js';
import { type ActionContext, type ActionResult, checkExec, ProbeFailure, runTool } from './common.js';

type TcpdumpSpec = Extract<ProbeSpec, { action: 'tcpdump' }>;

/** Why a filter is refused (the grammar validated it; checked again here), or null. Pure. */
export function filterProblem(filter: string[]): string | null {
  if (filter.length > PROBE_LIMITS.maxFilterTokens)
    return `more than ${PROBE_LIMITS.maxFilterTokens} filter tokens`;
  if (filter.join(' ').length > PROBE_LIMITS.maxFilterLength)
    return `filter longer than ${PROBE_LIMITS.maxFilterLength} characters`;
  for (const t of filter) {
    if (t === '' || t.length > 64) return 'empty or over-long filter token';
    if (t.startsWith('-')) return `filter token ${JSON.stringify(t)} starts with "-"`;
    if (!/^[A-Za-z0-9_.:/[\]()!<>=&|+*%^~-]+$/.test(t))
      return `filter token ${JSON.stringify(t.slice(0, 64))} has characters outside a pcap filter`;
  }
  return null;
}

/** tcpdump's closing stats: "N packets captured", "N packets received by filter", "N packets dropped by kernel". */
export function parseTcpdumpStats(stderr: string): { packets: number | null; stats: string[] } {
  const stats = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^\d+ packets? (captured|received by filter|dropped by (kernel|interface))/.test(l));
  const m = /^(\d+) packets? captured/m.exec(stats.join('\n'));
  return { packets: m ? Number(m[1]) : null, stats };
}

export async function runTcpdump(spec: TcpdumpSpec, ctx: ActionContext): Promise<ActionResult> {
  const problem = filterProblem(spec.filter);
  if (problem) throw new ProbeFailure('invalid_input', `refusing the tcpdump filter: ${problem}`);
  // The pcap goes to stdout (`-w -`), so runTool caps it as it streams.
  const argv = toolArgv(spec, ctx.pid, { procRoot: ctx.input.procRoot });
  await ctx.confirm();
  const run = await runTool(argv, {
    stdoutCap: PROBE_LIMITS.maxArtefactBytes,
    killAfterMs: (spec.durationSec + 20) * 1000,
    // nsenter opened /proc/PID/ns/net by PID number: once tcpdump listens, the PID must still be the container's.
    attached: { marker: /listening on /, check: () => ctx.changed() },
  });
  if (run.ownerChanged !== undefined) {
    throw new ProbeFailure(
      'container_changed',
      `container ${ctx.shortId} changed while tcpdump entered the network namespace of pid ${ctx.pid}: ${run.ownerChanged}; the capture was stopped and discarded`,
      argv,
    );
  }
  ctx.log(run.stderr);
  checkExec(run, run.stderr, argv);
  const { packets, stats } = parseTcpdumpStats(run.stderr);
  if (packets === null) {
    const msg = run.stderr.trim().split('\n').pop() ?? '';
    const code = /Operation not permitted|permission|You don't have/i.test(msg)
      ? 'permission_denied'
      : 'tool_failed';
    throw new ProbeFailure(code, `tcpdump failed (exit ${run.exitCode}): ${msg.slice(0, 300)}`, argv);
  }
  const truncated = run.stdoutTruncated;
  if (truncated)
    ctx.notes.push(
      `the pcap was cut at ${PROBE_LIMITS.maxArtefactBytes} bytes (the last packet may be partial)`,
    );
  return {
    argv,
    exitCode: run.exitCode,
    data: { action: 'tcpdump', packets, stats },
    artefacts: [
      {
        name: `tcpdump-${ctx.shortId}.pcap`,
        contentType: 'application/vnd.tcpdump.pcap',
        bytes: run.stdout,
        truncated,
        title: `capture in pod network namespace (${spec.durationSec} s${spec.filter.length ? `, ${spec.filter.join(' ')}` : ''})`,
        ...(truncated ? { note: `cut at ${run.stdout.length} of ${run.stdoutBytes} bytes` } : {}),
      },
    ],
  };
}
