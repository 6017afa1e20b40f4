import { type AuditEventType, type AuditLog, auditEvent, SYSTEM_ACTOR } from '../audit/index.js';
import type { Logger } from '../log.js';
import { describeSpec } from '../render/probe.js';
import type { ProbeRequest } from './store.js';

/** Audit events of one request, built from its record. Never throws: a failed append is logged by AuditLog. */
export class RequestAudit {
  constructor(
    private readonly log: AuditLog,
    private readonly logger: Logger,
  ) {}

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
    try {
      const e = auditEvent({
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
        reason: extra.reason ? oneLine(extra.reason) : undefined,
        decision: extra.decision,
        details: { command: describeSpec(r.spec), ...(extra.details ?? {}) },
      });
      await this.log.record(e);
    } catch (err) {
      this.logger.error({ err, requestId: r.id, type }, 'audit event not recorded');
    }
  }
}

export function oneLine(s: string, max = 2000): string {
  return s
    .replace(/\p{Cc}+/gu, ' ')
    .trim()
    .slice(0, max);
}
