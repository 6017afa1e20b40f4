/** How a privileged request's state reads in Slack. Pure. */
import type { ProbeStatus, ProbeView } from '../render/probe.js';
import type { PrivilegedReq } from './store.js';

export function view(r: PrivilegedReq): ProbeView {
  return {
    id: r.id,
    cluster: r.cluster,
    requester: r.requester,
    target: r.target,
    spec: r.spec,
    reason: r.reason,
    needed: r.needed,
    approvers: r.approvers,
    plan: r.plan,
    channel: r.channel,
    expiresAt: r.expiresAt,
    startBy: r.startBy,
  };
}

export function status(r: PrivilegedReq): ProbeStatus {
  switch (r.state) {
    case 'done':
      return { phase: 'done', verdict: r.verdict ?? 'finished' };
    case 'failed':
      return { phase: 'failed', message: r.failure ?? 'see thread' };
    case 'denied':
      return { phase: 'denied', by: r.decidedBy ?? '?', reason: r.decisionReason ?? '' };
    case 'cancelled':
      return { phase: 'cancelled', by: r.decidedBy ?? r.requester };
    default:
      return { phase: r.state };
  }
}

/** The thread line that says how a request ended, when no other message does. */
export function finalLine(r: PrivilegedReq): string | undefined {
  switch (r.state) {
    case 'expired':
      return `⌛ The request expired at ${new Date(r.expiresAt ?? r.createdAt).toISOString()}: nobody approved it in time. Nothing ran.`;
    case 'denied':
      return `⛔ <@${r.decidedBy}> denied the request: ${r.decisionReason ?? ''}`;
    case 'cancelled':
      if (r.cancelledFrom === 'running')
        return `🛑 <@${r.decidedBy ?? r.requester}> stopped the request while it ran (\`/poddebug cancel\`): the probe was stopped and its pod deleted; no result will be posted.`;
      if (r.cancelledFrom === 'approved')
        return `🚫 <@${r.decidedBy ?? r.requester}> cancelled the request after its approval (\`/poddebug cancel\`): it never started, and its approval can no longer be used.`;
      return `🚫 <@${r.decidedBy ?? r.requester}> cancelled the request. Nothing ran.`;
    default:
      return undefined;
  }
}

/** Why a click on a request in this state changes nothing. */
export function stateRefusal(r: PrivilegedReq): string {
  switch (r.state) {
    case 'planning':
      return 'This request is still being prepared; the approval message appears in the thread in a moment.';
    case 'approved':
    case 'running':
      return 'This request is already approved. Nothing changed.';
    case 'done':
      return 'This request has already run. Nothing changed.';
    case 'failed':
      return r.plan && r.approvedAt !== undefined
        ? 'This request has already run (it failed; see the thread). Nothing changed.'
        : 'This request failed before it could run (see the thread). Nothing changed.';
    case 'denied':
      return `This request was denied by <@${r.decidedBy}>. Nothing changed.`;
    case 'cancelled':
      return 'This request was cancelled by its requester. Nothing changed.';
    case 'expired':
      return '⌛ This request has expired and can no longer be approved.';
    case 'voided':
      return '⌛ This approval is void: the probe did not start in time.';
    default:
      return 'This request is no longer waiting for approval. Nothing changed.';
  }
}
