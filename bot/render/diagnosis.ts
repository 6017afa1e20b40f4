/**
 * The thread reply for a finished diagnosis: verdict, one section per finding
 * (worst first), owner and siblings, gaps, footer and a re-run button — cut to
 * fit Block Kit limits, saying what was cut. Pure.
 */
import type { KnownBlock } from '@slack/types';
import type { DiagnoseResult, Sibling } from '../../jobs/contracts/diagnose.js';
import { type Finding, sortFindings } from '../../jobs/contracts/finding.js';
import { TARGET_KIND_API, type TargetKind, type TargetRef } from '../../jobs/contracts/target.js';
import { actions, button, context, divider, header, section } from './blocks.js';
import { followUpButtons } from './follow-ups.js';
import { LIMITS, truncate } from './limits.js';
import { code, codeBlock, inline, mention } from './mrkdwn.js';
import { encodeRerunValue, RERUN_ACTION_ID } from './rerun.js';
import { countBySeverity, formatCounts, SEVERITY_MARKER, verdictLine, verdictMarker } from './severity.js';
import type { RenderContext, RenderedMessage } from './types.js';

type Diagnosed = Extract<DiagnoseResult, { outcome: 'diagnosed' }>;

/** Total characters the finding sections may use together; keeps a long result readable. */
const FINDINGS_CHAR_BUDGET = 30_000;
/** Evidence lines shared by all shown findings (each gets 3 to 20). */
const EVIDENCE_LINE_BUDGET = 150;
const MAX_NEXT_STEPS = 5;
const MAX_SIBLING_ROWS = 10;
const MAX_GAPS = 10;

/** Renders a diagnosed result as a Slack thread reply. */
export function renderDiagnosis(r: Diagnosed, ctx: RenderContext): RenderedMessage {
  const findings = sortFindings(r.findings);
  const podRef = `${r.target.namespace}/${r.target.name}`;
  const verdict = verdictLine(findings);
  const marker = verdictMarker(findings);

  const top: KnownBlock[] = [
    header(`🔎 ${podRef}`),
    section(
      `${marker} *${inline(verdict, 300)}*\n${code(podRef)} · ${formatCounts(countBySeverity(findings), true)}`,
    ),
  ];
  if (r.owner || r.siblings.length > 0) top.push(section(ownerText(r)));
  top.push(divider());

  const bottom: KnownBlock[] = [];
  if (r.gaps.length > 0) bottom.push(section(gapsText(r.gaps)));
  bottom.push(context(footer(r, ctx)));
  // Follow-ups (logs, events, debug, connectivity, strace) on the pod diagnosed, beside the re-run.
  const followUps =
    r.target.kind === 'Pod'
      ? followUpButtons({
          cluster: ctx.cluster,
          namespace: r.target.namespace,
          pod: r.target.name,
          ...(ctx.requested?.container ? { container: ctx.requested.container } : {}),
        })
      : [];
  bottom.push(
    actions([button('Re-run diagnose', RERUN_ACTION_ID, encodeRerunValue(rerunOf(r, ctx))), ...followUps]),
  );

  const room = LIMITS.blocks - top.length - bottom.length;
  const shownCount = findings.length <= room ? findings.length : room - 1;
  const shown = findings.slice(0, shownCount);
  const hidden = findings.slice(shownCount);
  const perFinding = Math.min(LIMITS.sectionText, Math.floor(FINDINGS_CHAR_BUDGET / Math.max(1, shownCount)));
  const perLines = Math.max(3, Math.min(20, Math.floor(EVIDENCE_LINE_BUDGET / Math.max(1, shownCount))));
  const middle: KnownBlock[] = shown.map((f) => section(findingText(f, perFinding, perLines)));
  if (hidden.length > 0) middle.push(section(hiddenText(hidden)));

  return {
    text: fallback(marker, podRef, ctx.cluster, verdict, findings),
    blocks: [...top, ...middle, ...bottom],
  };
}

export function findingText(f: Finding, maxChars: number, maxLines: number): string {
  const because = (f.causedBy ?? []).map((id) => `\`${id}\``).join(', ');
  const head = `${SEVERITY_MARKER[f.severity]} *${inline(f.title, 300)}*\n_${f.severity}_ · \`${f.id}\`${because ? ` · because ${because}` : ''}`;
  const next = nextText(f.next, Math.min(1000, Math.floor(maxChars / 3)));
  const room = maxChars - head.length - (next ? next.length + 1 : 0) - 1;
  const evidence = codeBlock(f.evidence, room, maxLines);
  let ev = evidence.text;
  if (!ev && evidence.cut > 0) ev = `_(evidence truncated, ${evidence.cut} lines not shown)_`;
  return truncate([head, ev, next].filter(Boolean).join('\n'), maxChars);
}

/** "*Next:*" and up to five bullets within `maxChars`; kubectl and /poddebug commands shown as code. */
function nextText(steps: readonly string[], maxChars: number): string {
  if (steps.length === 0) return '';
  const bullets = steps.map((s) => {
    const oneLine = s.replace(/\s+/g, ' ').trim();
    const isCommand = /^(kubectl|\/poddebug|npx poddebug) /.test(oneLine) && !oneLine.includes('`');
    return `• ${isCommand ? `\`${inline(oneLine, 400)}\`` : inline(oneLine, 400)}`;
  });
  const build = (k: number) => {
    const rest = bullets.length - k;
    const more = rest > 0 ? [`• …and ${rest} more step${rest === 1 ? '' : 's'}`] : [];
    return ['*Next:*', ...bullets.slice(0, k), ...more].join('\n');
  };
  let shown = Math.min(bullets.length, MAX_NEXT_STEPS);
  while (shown > 1 && build(shown).length > maxChars) shown--;
  return truncate(build(shown), maxChars);
}

function hiddenText(hidden: readonly Finding[]): string {
  const n = hidden.length;
  const prefix = `…and ${n} more finding${n === 1 ? '' : 's'} (${formatCounts(countBySeverity(hidden), true)}): `;
  let ids = '';
  let listed = 0;
  for (const f of hidden) {
    const piece = `${listed > 0 ? ', ' : ''}${f.id}`;
    if (prefix.length + ids.length + piece.length + 20 > LIMITS.sectionText) break;
    ids += piece;
    listed++;
  }
  const rest = n - listed > 0 ? ` …(${n - listed} more ids)` : '';
  return `${prefix}${ids}${rest}`;
}

/** `Deployment` (API kind) or `deploy` → `deploy`; kinds diagnose cannot target → undefined. */
function ownerTargetKind(kind: string): TargetKind | undefined {
  return (Object.keys(TARGET_KIND_API) as TargetKind[]).find(
    (k) => k !== 'pod' && (TARGET_KIND_API[k] === kind || k === kind),
  );
}

function ownerLabel(owner: { kind: string; name: string }): string {
  return `${ownerTargetKind(owner.kind) ?? owner.kind}/${owner.name}`;
}

function ownerText(r: Diagnosed): string {
  const lines: string[] = [];
  if (r.owner && r.target.kind !== 'Pod') {
    lines.push(`*Owner:* ${code(ownerLabel(r.owner))} — ${inline(r.owner.reason, 400)}`);
  } else if (r.owner) {
    lines.push(
      `*Owner:* ${code(ownerLabel(r.owner))} — picked ${code(r.target.name)}: ${inline(r.owner.reason, 400)}`,
    );
  }
  if (r.siblings.length > 0) {
    lines.push(`*Pods (${r.siblings.length}):* ${inline(statusSummary(r.siblings), 600)}`);
    const table = codeBlock(
      siblingRows(r.siblings),
      LIMITS.sectionText - lines.join('\n').length - 10,
      MAX_SIBLING_ROWS + 1,
    );
    if (table.text) lines.push(table.text);
  }
  return lines.join('\n');
}

/** "2 × Running, 1 × CrashLoopBackOff", most common first. */
function statusSummary(siblings: readonly Sibling[]): string {
  const counts = new Map<string, number>();
  for (const s of siblings) counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([status, n]) => `${n} × ${status}`)
    .join(', ');
}

function siblingRows(siblings: readonly Sibling[]): string[] {
  const rows = [['NAME', 'STATUS', 'READY', 'RESTARTS', 'NODE']].concat(
    siblings.map((s) => [s.name, s.status, s.ready, String(s.restarts), s.node ?? '-']),
  );
  const widths = rows[0]!.map((_, i) => Math.min(60, Math.max(...rows.map((r) => r[i]!.length))));
  return rows.map((r) =>
    r
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
}

function gapsText(gaps: readonly string[]): string {
  const items = gaps.slice(0, MAX_GAPS).map((g) => `• ${inline(g, 200)}`);
  if (gaps.length > MAX_GAPS) items.push(`• …and ${gaps.length - MAX_GAPS} more`);
  return `⚠️ *Could not read* — the checks that need these did not run, so their silence proves nothing:\n${items.join('\n')}`;
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function footer(r: Diagnosed, ctx: RenderContext): string[] {
  return [
    `cluster *${inline(ctx.cluster, 63)}*`,
    `job ${code(ctx.jobId, 100)}`,
    `${r.stats.apiRequests} API request${r.stats.apiRequests === 1 ? '' : 's'}`,
    `took ${formatDuration(r.stats.durationMs)}`,
    `asked by ${mention(ctx.requestedBy)}`,
  ];
}

function rerunOf(r: Diagnosed, ctx: RenderContext): { cluster: string; target: TargetRef } {
  if (ctx.requested) {
    return {
      cluster: ctx.cluster,
      target: { ...ctx.requested, namespace: ctx.requested.namespace ?? r.target.namespace },
    };
  }
  const ownerKind = r.owner ? ownerTargetKind(r.owner.kind) : undefined;
  if (r.owner && ownerKind) {
    return {
      cluster: ctx.cluster,
      target: { kind: ownerKind, name: r.owner.name, namespace: r.target.namespace },
    };
  }
  return {
    cluster: ctx.cluster,
    target: { kind: 'pod', name: r.target.name, namespace: r.target.namespace },
  };
}

function fallback(
  marker: string,
  podRef: string,
  cluster: string,
  verdict: string,
  findings: readonly Finding[],
): string {
  const lines = [`${marker} ${inline(podRef)} on ${inline(cluster, 63)}: ${inline(verdict, 300)}`];
  for (const f of findings) lines.push(`• [${f.severity}] ${inline(f.title, 200)}`);
  let text = lines.join('\n');
  if (text.length > LIMITS.fallbackText) {
    text = `${text.slice(0, LIMITS.fallbackText - 40).replace(/\n[^\n]*$/, '')}\n…(more in the message)`;
  }
  return text;
}
