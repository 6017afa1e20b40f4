import {
  type AuditEventInput,
  type AuditEventType,
  type AuditLog,
  auditEvent,
  SYSTEM_ACTOR,
} from '../audit/index.js';
import type { Logger } from '../log.js';
import { describeSpec } from '../render/probe.js';
import type { ProbeRequest } from './store.js';

/**
 * The bot's one way to write audit events. Never throws: a failed append is logged (by AuditLog, and an
 * invalid event here), so auditing never takes a Slack reply or a state change down with it.
 */
export class RequestAudit {
  constructor(
    private readonly log: AuditLog,
    private readonly logger: Logger,
  ) {}

  /** Any event (diagnose requests and results, refusals); text fields are made one line. */
  async event(input: AuditEventInput): Promise<void> {
    try {
      await this.log.record(
        auditEvent({
          ...input,
          ...(input.reason ? { reason: oneLine(input.reason) } : {}),
          ...(input.decision ? { decision: oneLine(input.decision, 250) } : {}),
        }),
      );
    } catch (err) {
      this.logger.error({ err, requestId: input.requestId, type: input.type }, 'audit event not recorded');
    }
  }

  async record(
    type: AuditEventType,
    r: Pick<
      ProbeRequest,
      'id' | 'cluster' | 'requester' | 'target' | 'spec' | 'channel' | 'threadTs' | 'approvers'
    > & {
      plan?: ProbeRequest['plan'];
      permalink?: string;
    },
    extra: {
      actor?: string;
      reason?: string;
      decision?: string;
      jobId?: string;
      details?: Record<string, string | number | boolean | null>;
    } = {},
  ): Promise<void> {
    await this.event({
      type,
      requestId: r.id,
      jobId: extra.jobId,
      cluster: r.cluster,
      action: r.spec.action,
      target: {
        namespace: r.target.namespace,
        name: r.target.pod,
        kind: 'Pod',
        container: r.plan?.container ?? r.target.container,
        node: r.plan?.node,
      },
      actor: extra.actor ?? SYSTEM_ACTOR,
      requester: r.requester,
      approvers: r.approvers,
      channel: r.channel,
      threadTs: r.threadTs,
      permalink: r.permalink,
      reason: extra.reason,
      decision: extra.decision,
      details: { command: describeSpec(r.spec), ...(extra.details ?? {}) },
    });
  }
}

export function oneLine(s: string, max = 2000): string {
  return s
    .replace(/\p{Cc}+/gu, ' ')
    .trim()
    .slice(0, max);
}
