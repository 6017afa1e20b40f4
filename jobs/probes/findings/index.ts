/**
 * Findings and the thread's text block from a privileged probe's data. Pure:
 * data in, findings and text out; the worker attaches them to the ProbeResult.
 */
import { type Finding, finding, sortFindings } from '../../contracts/finding.js';
import type { ProbeData, ProbeSpec } from '../../contracts/probe.js';
import { fdsFindings, fdsQuiet, fdsText } from './fds.js';
import { capLines, humanSeconds, type ProbeFindingContext, probeCommand, TEXT_MAX_CHARS } from './format.js';
import { memFindings, memLimit, memQuiet, memText } from './mem.js';
import { netcheckFindings, netcheckQuiet, netcheckText } from './netcheck.js';
import { psFindings, psQuiet, psText } from './ps.js';
import { straceFindings, straceText } from './strace.js';
import { tcpdumpFindings, tcpdumpText } from './tcpdump.js';

export type { ProbeFindingContext, ProbeTargetView } from './format.js';
export { TEXT_MAX_CHARS } from './format.js';

/** The closing finding when nothing is wrong, said plainly, with what was checked. */
function quietFinding(data: ProbeData, ctx: ProbeFindingContext): Finding | undefined {
  const c = ctx.target.container;
  switch (data.action) {
    case 'strace': {
      const dur = ctx.spec.action === 'strace' ? humanSeconds(ctx.spec.durationSec) : 'the trace';
      return finding(
        'no-problem-found',
        'info',
        `Nothing alarming in ${dur} of container \`${c}\`'s syscalls: no refused or timed-out connections, no missing configuration or certificates, no long blocking calls`,
        [
          `syscalls traced: ${data.summary.filter((r) => r.syscall !== 'total').length}`,
          `threads traced: ${data.threads}`,
        ],
        [probeCommand(ctx, 'netcheck'), probeCommand(ctx, 'mem')],
      );
    }
    case 'mem':
      return finding(
        'no-problem-found',
        'info',
        `Memory of container \`${c}\` looks fine: ${memLimit(data, ctx.memoryLimitBytes) === null ? 'no limit to hit' : 'well below its limit'}, no OOM events${data.samples.length >= 2 ? ', no steady growth' : ''}`,
        memQuiet(data, ctx),
        data.samples.length >= 2
          ? [probeCommand(ctx, 'ps')]
          : [probeCommand(ctx, 'mem', ['--watch', '120s'])],
      );
    case 'ps':
      return finding(
        'no-problem-found',
        'info',
        `Processes of container \`${c}\` look fine: none stuck in I/O or stopped, no zombie pile-up or thread explosion`,
        psQuiet(data),
        [probeCommand(ctx, 'strace')],
      );
    case 'fds':
      return finding(
        'no-problem-found',
        'info',
        `File descriptors of container \`${c}\` look fine: not near the limit, no CLOSE_WAIT pile-up`,
        fdsQuiet(data),
        [probeCommand(ctx, 'netcheck')],
      );
    case 'netcheck':
      return finding(
        'no-problem-found',
        'info',
        `DNS and TCP checks passed from pod \`${ctx.target.pod}\`: every name resolved and every port connected`,
        netcheckQuiet(data),
        [probeCommand(ctx, 'strace', ['--trace', 'network', '--full'])],
      );
    case 'tcpdump':
      // the capture finding already says what was captured
      return undefined;
  }
}

/** Findings from a probe's data, worst first; `no-problem-found` leads when nothing is a warning. */
export function probeFindings(data: ProbeData, ctx: ProbeFindingContext): Finding[] {
  let found: Finding[];
  switch (data.action) {
    case 'strace':
      found = straceFindings(data, ctx);
      break;
    case 'mem':
      found = memFindings(data, ctx);
      break;
    case 'ps':
      found = psFindings(data, ctx);
      break;
    case 'fds':
      found = fdsFindings(data, ctx);
      break;
    case 'netcheck':
      found = netcheckFindings(data, ctx);
      break;
    case 'tcpdump':
      found = tcpdumpFindings(data, ctx);
      break;
  }
  if (!found.some((f) => f.severity !== 'info')) {
    const quiet = quietFinding(data, ctx);
    if (quiet) found.unshift(quiet);
  }
  return sortFindings(found);
}

/**
 * The short monospace block for the thread (≤ TEXT_MAX_CHARS characters,
 * without the surrounding code fence): the strace summary table, the memory
 * table, the process tree, descriptors and sockets, the network checks, or the
 * capture's statistics.
 */
export function probeText(
  data: ProbeData,
  spec: ProbeSpec,
  opts: { memoryLimitBytes?: number; maxChars?: number } = {},
): string {
  let lines: string[];
  switch (data.action) {
    case 'strace':
      lines = straceText(data);
      break;
    case 'mem':
      lines = memText(data, opts.memoryLimitBytes);
      break;
    case 'ps':
      lines = psText(data);
      break;
    case 'fds':
      lines = fdsText(data);
      break;
    case 'netcheck':
      lines = netcheckText(data);
      break;
    case 'tcpdump':
      lines = tcpdumpText(data, spec);
      break;
  }
  return capLines(lines, opts.maxChars ?? TEXT_MAX_CHARS);
}
