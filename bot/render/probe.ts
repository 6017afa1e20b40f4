/**
 * Messages of a privileged request, in its thread: the request itself (the
 * thread root, updated as the request moves), the approval message with what
 * exactly will run and the Approve / Deny / Cancel buttons (replaced by the
 * decision), and the probe's findings. Pure.
 */
import type { KnownBlock } from '@slack/types';
import type { UserFacingError } from '../../jobs/contracts/errors.js';
import { sortFindings } from '../../jobs/contracts/finding.js';
import {
  isDigestPinned,
  type ProbePlan,
  type ProbeResult,
  type ProbeSpec,
  type ProbeTarget,
} from '../../jobs/contracts/probe.js';
import { actions, button, context, divider, header, section } from './blocks.js';
import { describeDebug } from './debug.js';
import { findingText } from './diagnosis.js';
import { LIMITS, truncate } from './limits.js';
import { code, codeBlock, inline, mention } from './mrkdwn.js';
import { countBySeverity, formatCounts, verdictLine, verdictMarker } from './severity.js';
import type { RenderedMessage, ResultContext } from './types.js';

export const APPROVE_ACTION_ID = 'poddebug_approve';
export const DENY_ACTION_ID = 'poddebug_deny';
export const CANCEL_ACTION_ID = 'poddebug_cancel';
export const REASON_VIEW_ID = 'poddebug_probe_reason';
export const DENY_VIEW_ID = 'poddebug_deny_reason';

/** What a person sees of a request: enough to decide. */
export interface ProbeView {
  id: string;
  cluster: string;
  requester: string;
  target: ProbeTarget;
  spec: ProbeSpec;
  reason: string;
  needed: number;
  approvers: string[];
  plan?: ProbePlan;
  /** The Slack channel ID the request (and its results) live in. */
  channel?: string;
  /** ms since the epoch. */
  expiresAt?: number;
  startBy?: number;
}

export type ProbeStatus =
  | { phase: 'planning' }
  | { phase: 'pending' }
  | { phase: 'approved' }
  | { phase: 'running' }
  | { phase: 'done'; verdict: string }
  | { phase: 'failed'; message: string }
  | { phase: 'denied'; by: string; reason: string }
  | { phase: 'cancelled'; by: string }
  | { phase: 'expired' }
  | { phase: 'voided' };

/** The probe spec as the command a person would type: `strace --duration 30s --full`. */
export function describeSpec(spec: ProbeSpec): string {
  const parts: string[] = [spec.action];
  switch (spec.action) {
    case 'strace':
      parts.push(`--duration ${spec.durationSec}s`);
      if (spec.full) parts.push('--full');
      if (spec.trace) parts.push(`--trace ${spec.trace}`);
      if (spec.failedOnly) parts.push('--failed-only');
      if (spec.data) parts.push('--data');
      break;
    case 'mem':
      if (spec.watchSec) parts.push(`--watch ${spec.watchSec}s`);
      break;
    case 'netcheck':
      for (const t of spec.targets) parts.push(t.port ? `${hostText(t.host)}:${t.port}` : t.host);
      break;
    case 'tcpdump':
      parts.push(`--duration ${spec.durationSec}s`);
      if (spec.filter.length > 0) parts.push(`--filter ${spec.filter.join(' ')}`);
      break;
    case 'debug':
      parts.push(...describeDebug(spec));
      break;
    case 'connectivity':
      for (const t of spec.targets) parts.push(t.port ? `${hostText(t.host)}:${t.port}` : t.host);
      break;
    default:
      break;
  }
  return parts.join(' ');
}

function hostText(h: string): string {
  return h.includes(':') ? `[${h}]` : h;
}

export function targetText(t: ProbeTarget, container?: string): string {
  const c = container ?? t.container;
  return `${t.namespace}/${t.pod}${c ? ` (container ${c})` : ''}`;
}

/** `<!date^…>` renders in each reader's time zone; the fallback is UTC. */
export function slackDate(ms: number): string {
  const sec = Math.floor(ms / 1000);
  const iso = new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
  return `<!date^${sec}^{date_short_pretty} {time}|${iso}>`;
}

function statusLine(s: ProbeStatus, v: ProbeView): string {
  switch (s.phase) {
    case 'planning':
      return '⏳ resolving the target…';
    case 'pending':
      return `🟡 waiting for approval (${v.approvers.length} of ${v.needed}) — see thread`;
    case 'approved':
      return '🟢 approved — starting';
    case 'running':
      return '▶️ running…';
    case 'done':
      return `✅ done: ${inline(s.verdict, 300)} — see thread`;
    case 'failed':
      return `❌ failed: ${inline(s.message, 300)}`;
    case 'denied':
      return `⛔ denied by ${mention(s.by)}: ${inline(s.reason, 300)}`;
    case 'cancelled':
      return `🚫 cancelled by ${mention(s.by)}`;
    case 'expired':
      return '⌛ expired: not approved in time; nothing ran';
    case 'voided':
      return '⌛ void: approved but not started in time; nothing ran';
  }
}

/** The thread root: who asked for what, why, and where it stands. */
export function renderProbeRequest(v: ProbeView, s: ProbeStatus): RenderedMessage {
  const what = `🔐 ${mention(v.requester)} requested ${code(describeSpec(v.spec), 300)} on ${code(targetText(v.target, v.plan?.container))} in *${inline(v.cluster, 63)}*`;
  const reason = `*Reason:* ${inline(v.reason, 1000)}`;
  const line = statusLine(s, v);
  return {
    text: truncate(
      `🔐 ${v.spec.action} on ${v.target.namespace}/${v.target.pod} (${v.cluster}) — ${line}`,
      LIMITS.fallbackText,
    ),
    blocks: [section(`${what}\n${reason}`), context([line, `request ${code(v.id, 100)}`])],
  };
}

/**
 * The approval message: exactly what will run, where, with which privileges
 * and caps, the overhead, the reason, who asked and until when it can be
 * approved. While pending it carries the buttons; afterwards the decision.
 */
export function renderApproval(v: ProbeView, s: ProbeStatus): RenderedMessage {
  const p = v.plan;
  // Debug and connectivity with the general/baseline/restricted profiles run without an approval.
  const title = v.needed > 0 ? 'Approval needed' : 'No approval needed';
  const blocks: KnownBlock[] = [
    header(`${title}: ${v.spec.action} on ${v.target.namespace}/${v.target.pod}`),
  ];
  if (p) {
    blocks.push(section(`*Command:*\n${codeBlock([p.commandLine], 1500, 5).text}`));
    blocks.push(
      section(
        [
          `*Cluster:* ${code(p.cluster)}   *Namespace:* ${code(p.namespace)}   *Pod:* ${code(p.pod)}`,
          `*Container:* ${code(p.container)}   *Node:* ${code(p.node)}`,
          `*Image:* ${code(p.image, 300)}`,
          `*Container ID:* ${code(p.containerId, 120)}`,
          `*${p.debug ? 'Debug image' : 'Probe image'}:* ${code(p.probeImage, 300)}${isDigestPinned(p.probeImage) ? '' : ' — *image not pinned by digest*'}`,
          `*Capabilities:* ${p.capabilities.length > 0 ? p.capabilities.map((c) => code(`CAP_${c}`)).join(', ') : 'none'}`,
          `*Privileges:* ${p.privileges.map((x) => inline(x, 80)).join(', ')}`,
          `*Caps:* ${p.caps.map((x) => inline(x, 80)).join(', ')}`,
          ...resolvedLines(p),
        ].join('\n'),
      ),
    );
    const warnings = approvalWarnings(p, v.channel);
    if (warnings.length > 0) blocks.push(section(warnings.join('\n')));
    if (p.overhead) blocks.push(section(`⚠️ *Overhead:* ${inline(p.overhead, 500)}`));
  }
  blocks.push(
    section(
      [
        `*Requested by:* ${mention(v.requester)}`,
        `*Reason:* ${inline(v.reason, 1500)}`,
        v.needed > 0
          ? `*Needs:* ${v.needed} approval${v.needed === 1 ? '' : 's'} from approvers in scope (not the requester)${
              v.approvers.length > 0 ? ` — so far ${v.approvers.map(mention).join(', ')}` : ''
            }`
          : '*Needs:* no approval (the policy lets the requester run this profile)',
        v.expiresAt ? `*Expires:* ${slackDate(v.expiresAt)}` : '',
      ]
        .filter(Boolean)
        .join('\n'),
    ),
  );
  if (s.phase === 'pending') {
    blocks.push(
      actions([
        { ...button('Approve', APPROVE_ACTION_ID, v.id), style: 'primary' },
        { ...button('Deny', DENY_ACTION_ID, v.id), style: 'danger' },
        button('Cancel request', CANCEL_ACTION_ID, v.id),
      ]),
    );
  } else {
    blocks.push(section(decisionLine(v, s)));
  }
  blocks.push(context([`request ${code(v.id, 100)}`, `cluster *${inline(v.cluster, 63)}*`]));
  const fallbackTail = s.phase === 'pending' ? 'approve or deny in the thread' : decisionPlain(v, s);
  return {
    text: truncate(
      `${title}: ${v.spec.action} on ${v.target.namespace}/${v.target.pod} in ${v.cluster}, requested by <@${v.requester}> — ${fallbackTail}`,
      LIMITS.fallbackText,
    ),
    blocks,
  };
}

/** Bold warnings an approver must not miss: node-wide scope, where an unredacted capture goes. */
export function approvalWarnings(p: ProbePlan, channel?: string): string[] {
  const out: string[] = [];
  if (p.hostScope?.network)
    out.push(
      `🚨 *this probe sees the whole NODE's network*: the pod uses \`hostNetwork: true\`, so ${p.spec.action} runs in node ${code(p.node)}'s network namespace (every pod's traffic on it)`,
    );
  if (p.hostScope?.pid)
    out.push(
      `🚨 *this probe sees the whole NODE's processes*: the pod uses \`hostPID: true\`, so ${p.spec.action} lists every process on node ${code(p.node)}`,
    );
  if (p.spec.action === 'tcpdump')
    out.push(
      `⚠️ *unredacted capture, posted to ${channel ? `<#${channel}>` : 'this channel'}*: the pcap holds packet contents (up to the snap length) as captured; nothing in it is redacted`,
    );
  return out;
}

function resolvedLines(p: ProbePlan): string[] {
  if (!p.resolved || p.resolved.length === 0) return [];
  const each = p.resolved.map(
    (r) =>
      `${code(r.name, 120)} → ${r.addresses.length > 0 ? r.addresses.map((a) => code(a, 60)).join(', ') : 'did not resolve'}`,
  );
  return [`*Names resolved at plan time:* ${each.join('; ')}`];
}

function decisionLine(v: ProbeView, s: ProbeStatus): string {
  const by = v.approvers.map(mention).join(', ');
  switch (s.phase) {
    case 'approved':
    case 'running':
      return `✅ *Approved* by ${by || 'policy (no approval needed)'} — ${s.phase === 'running' ? 'running' : 'starting'}`;
    case 'done':
      return `✅ *Approved* by ${by || 'policy'} — ran; findings below`;
    case 'failed':
      return `✅ *Approved* by ${by || 'policy'} — the run failed: ${inline(s.message, 300)}`;
    default:
      return statusLine(s, v);
  }
}

function decisionPlain(v: ProbeView, s: ProbeStatus): string {
  return decisionLine(v, s).replace(/[*`]/g, '');
}

/** The findings of a probe run, like diagnose's: verdict, findings, the tool's text, artefacts, footer. */
export function renderProbeResult(r: ProbeResult, ctx: ResultContext): RenderedMessage {
  const findings = sortFindings(r.findings);
  const verdict = verdictLine(findings);
  const marker = verdictMarker(findings);
  const where = `${r.target.namespace}/${r.target.pod}`;
  const blocks: KnownBlock[] = [
    header(`🔬 ${r.action} · ${where}`),
    section(
      `${marker} *${inline(verdict, 300)}*\n${code(`${where} (${r.target.container})`)} on node ${code(r.target.node)} · ${formatCounts(countBySeverity(findings), true)}`,
    ),
  ];
  if (r.text) blocks.push(section(codeBlock(r.text.split('\n'), 2900, 40).text));
  blocks.push(divider());
  const room = LIMITS.blocks - blocks.length - 4;
  for (const f of findings.slice(0, room)) blocks.push(section(findingText(f, 2500, 12)));
  if (ctx.artefactLines.length > 0) {
    blocks.push(section(truncate(`*Artefacts:*\n${ctx.artefactLines.join('\n')}`, LIMITS.sectionText)));
  }
  if (r.notes.length > 0) {
    blocks.push(section(truncate(r.notes.map((n) => `• ${inline(n, 300)}`).join('\n'), LIMITS.sectionText)));
  }
  blocks.push(
    context([
      `ran ${code(r.argv.join(' '), 400)}`,
      `pid ${r.pid ?? '?'}`,
      `exit ${r.exitCode ?? '—'}`,
      `took ${(r.stats.durationMs / 1000).toFixed(1)} s`,
      `asked by ${mention(ctx.requester)}`,
      `approved by ${ctx.approvers.length > 0 ? ctx.approvers.map(mention).join(', ') : 'policy'}`,
      `request ${code(ctx.requestId, 100)}`,
    ]),
  );
  const lines = [`${marker} ${r.action} on ${where} (${ctx.cluster}): ${verdict}`];
  for (const f of findings) lines.push(`• [${f.severity}] ${f.title}`);
  return { text: truncate(lines.join('\n'), LIMITS.fallbackText), blocks };
}

/** A probe that could not run (plan or run failed). */
export function renderProbeFailure(
  e: UserFacingError,
  ctx: { cluster: string; requestId: string; what: string; stage: 'plan' | 'run' },
): RenderedMessage {
  const title =
    ctx.stage === 'plan'
      ? `❌ *Could not prepare ${inline(ctx.what, 200)}* on *${inline(ctx.cluster, 63)}*`
      : `❌ *${inline(ctx.what, 200)} did not complete* on *${inline(ctx.cluster, 63)}*`;
  const blocks: KnownBlock[] = [section(`${title}\n${inline(e.message, 1500)}`)];
  const next = e.next.slice(0, 8).map((s) => `• ${inline(s, 300)}`);
  if (next.length > 0) blocks.push(section(`*Next:*\n${next.join('\n')}`));
  blocks.push(context([`error ${code(e.code)}`, `request ${code(ctx.requestId, 100)}`]));
  return {
    text: truncate(`❌ ${ctx.what} on ${ctx.cluster}: ${e.message}`, LIMITS.fallbackText),
    blocks,
  };
}

/** The modal that asks the requester why (required). `metadata` is an opaque draft id. */
export function reasonModal(spec: ProbeSpec, target: ProbeTarget, cluster: string, metadata: string) {
  const inPod = spec.action === 'debug' || spec.action === 'connectivity';
  const how = inPod
    ? spec.action === 'debug' && spec.copy
      ? 'It runs in a copy of the pod (same identity), after approval, and everything is recorded in the channel.'
      : 'It adds a debug container to the pod (ephemeral containers cannot be removed), and everything is recorded in the channel.'
    : "It runs from the pod's node with host privileges, after approval, and everything is recorded in the channel.";
  return {
    type: 'modal' as const,
    callback_id: REASON_VIEW_ID,
    private_metadata: metadata,
    title: { type: 'plain_text' as const, text: inPod ? 'Debug container' : 'Privileged probe' },
    submit: { type: 'plain_text' as const, text: inPod ? 'Request' : 'Request approval' },
    close: { type: 'plain_text' as const, text: 'Cancel' },
    blocks: [
      section(
        `You are asking to run ${code(describeSpec(spec), 300)} on ${code(targetText(target))} in *${inline(cluster, 63)}*.\n${how}`,
      ),
      {
        type: 'input' as const,
        block_id: 'reason',
        label: { type: 'plain_text' as const, text: 'Why? (an incident link is welcome)' },
        element: {
          type: 'plain_text_input' as const,
          action_id: 'reason',
          multiline: true,
          min_length: 10,
          max_length: 1000,
          placeholder: { type: 'plain_text' as const, text: 'INC-2031: checkout p99 at 8 s, suspect DNS…' },
        },
      },
    ],
  };
}

/** The modal an approver fills in to deny. */
export function denyModal(requestId: string, what: string) {
  return {
    type: 'modal' as const,
    callback_id: DENY_VIEW_ID,
    private_metadata: requestId,
    title: { type: 'plain_text' as const, text: 'Deny request' },
    submit: { type: 'plain_text' as const, text: 'Deny' },
    close: { type: 'plain_text' as const, text: 'Back' },
    blocks: [
      section(`Deny ${inline(what, 300)}? The requester and the channel see your reason.`),
      {
        type: 'input' as const,
        block_id: 'reason',
        label: { type: 'plain_text' as const, text: 'Reason' },
        element: {
          type: 'plain_text_input' as const,
          action_id: 'reason',
          multiline: true,
          min_length: 3,
          max_length: 1000,
        },
      },
    ],
  };
}
