/**
 * Refusals of commands that never become a request (refused by the policy, rate limited, no live worker, a
 * denied probe target, a channel poddebug does not serve): the user's answer and the audit entry, in that
 * order.
 */
import type { RespondArguments } from '@slack/bolt';
import type { CommandOutcome } from '../../metrics.js';
import type { RequestAudit } from '../../requests/index.js';

/** An audit event for a command that never became a request (refused, rate limited) or a diagnose. */
export async function auditCommand(
  d: { audit: RequestAudit },
  e: {
    type: 'refused' | 'rate_limited';
    requestId: string;
    userId: string;
    channelId: string;
    cluster: string;
    action: string;
    target: { namespace?: string; name: string; kind?: string; container?: string };
    reason?: string;
  },
): Promise<void> {
  await d.audit.event({
    type: e.type,
    requestId: e.requestId,
    cluster: e.cluster,
    action: e.action,
    target: e.target,
    actor: e.userId,
    requester: e.userId,
    channel: e.channelId,
    decision: e.type,
    reason: e.reason,
  });
}

/** A command's first answer (its ack), counting the outcome and why (bot metrics). */
export type CommandAnswer = (
  outcome: CommandOutcome,
  reason: string,
  msg?: RespondArguments,
) => Promise<void>;

/**
 * Refuses a command that never becomes a request: the ephemeral answer first (the ack, which Slack wants
 * within 3 s), then `audit` (its audit entry) started in the background, never awaited before the ack (the
 * audit logs its own failures). `why`: the outcome's reason in the metrics.
 */
export async function refuseCommand(
  answer: CommandAnswer,
  why: string,
  text: string,
  audit: () => Promise<void>,
): Promise<void> {
  await answer('refused', why, { response_type: 'ephemeral', text });
  void audit();
}
