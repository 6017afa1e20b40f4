/**
 * What a debug container's run looks like in its thread: the command, its exit status and its output (inline
 * when short, the file otherwise), where it ran, and that the ephemeral container stays. connectivity runs show
 * netcheck's findings and table. Pure.
 */
import type { KnownBlock } from '@slack/types';
import { sortFindings } from '../../jobs/contracts/finding.js';
import type { DebugSpec, ProbeResult } from '../../jobs/contracts/probe.js';
import { context, header, section } from './blocks.js';
import { findingText } from './diagnosis.js';
import { LIMITS, truncate } from './limits.js';
import { code, codeBlock, inline, mention } from './mrkdwn.js';
import { verdictLine, verdictMarker } from './severity.js';
import type { RenderedMessage, ResultContext } from './types.js';

/** `--profile netadmin --image … --copy --keep 15m -- ip route` (the spec as typed, image resolved). */
export function describeDebug(spec: DebugSpec): string[] {
  const parts = [`--profile ${spec.profile}`, `--image ${spec.image}`];
  if (spec.copy) parts.push('--copy', `--keep ${Math.round(spec.copy.keepSec / 60)}m`);
  parts.push('--', ...spec.argv.map((w) => (/^[A-Za-z0-9_./:=,@%+-]+$/.test(w) ? w : JSON.stringify(w))));
  return parts;
}

/** The one line a debug run ends with: its exit status (or that it still runs). */
export function debugVerdict(r: ProbeResult): string {
  if (r.action === 'connectivity') return verdictLine(r.findings);
  if (r.exitCode === null) return 'the command was still running when the worker stopped waiting';
  return r.exitCode === 0 ? 'the command exited with 0' : `the command exited with ${r.exitCode}`;
}

export function renderDebugResult(r: ProbeResult, ctx: ResultContext): RenderedMessage {
  const verdict = debugVerdict(r);
  const findings = sortFindings(r.findings);
  const marker =
    r.action === 'connectivity'
      ? verdictMarker(findings)
      : r.exitCode === 0
        ? '✅'
        : r.exitCode === null
          ? '⏳'
          : '🟠';
  const where = `${r.target.namespace}/${r.target.pod}`;
  const command = r.argv.join(' ');
  const blocks: KnownBlock[] = [
    header(`🧰 ${r.action} · ${where}`),
    section(
      `${marker} *${inline(verdict, 300)}*\n${r.action === 'debug' ? `${code(command, 400)} in ` : ''}container ${code(r.target.container)} of ${code(where)}${r.target.node ? ` on node ${code(r.target.node)}` : ''}`,
    ),
  ];
  if (r.text) blocks.push(section(codeBlock(r.text.split('\n'), 2900, 40).text));
  else if (r.action === 'debug') blocks.push(section('_(no output)_'));
  for (const f of findings.slice(0, LIMITS.blocks - 8)) blocks.push(section(findingText(f, 2500, 12)));
  if (ctx.artefactLines.length > 0) {
    blocks.push(section(truncate(`*Output:*\n${ctx.artefactLines.join('\n')}`, LIMITS.sectionText)));
  }
  if (r.notes.length > 0) {
    blocks.push(section(truncate(r.notes.map((n) => `• ${inline(n, 400)}`).join('\n'), LIMITS.sectionText)));
  }
  blocks.push(
    context([
      `exit ${r.exitCode ?? '—'}`,
      `took ${(r.stats.durationMs / 1000).toFixed(1)} s`,
      `asked by ${mention(ctx.requester)}`,
      `approved by ${ctx.approvers.length > 0 ? ctx.approvers.map(mention).join(', ') : 'policy (no approval needed)'}`,
      `request ${code(ctx.requestId, 100)}`,
    ]),
  );
  const lines = [`${marker} ${r.action} on ${where} (${ctx.cluster}): ${verdict}`];
  if (r.text) lines.push(r.text.slice(0, 1500));
  return { text: truncate(lines.join('\n'), LIMITS.fallbackText), blocks };
}
