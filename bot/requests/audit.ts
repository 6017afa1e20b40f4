import { formatTarget, KEYS } from '../../jobs/contracts/index.js';
import {
  type AuditEventInput,
  type AuditEventType,
  type AuditLog,
  auditEvent,
  SYSTEM_ACTOR,
} from '../audit/index.js';
import type { Logger } from '../log.js';
import { describeSpec } from '../render/probe.js';
import type { Req } from './store.js';

export interface AuditExtra {
  actor?: string;
  reason?: string;
  decision?: string;
  jobId?: string;
  permalink?: string;
  details?: Record<string, string | number | boolean | null>;
}

/**
 * The bot's one way to write audit events. Never throws: a failed append is logged, so auditing never takes
 * a Slack reply or a state change down with it. Events that a request's record lists as due (`due:<type>`,
 * set with the state change: the `requested` entry, final outcomes) are written at most once, and the sweep
 * writes those a crash left due (`flushDue`), so no request lacks its `requested` and final entries.
 */
export class RequestAudit {
  constructor(
    private readonly log: AuditLog,
    private readonly logger: Logger,
  ) {}

  /** Any event (refusals of commands that never became requests, clicks); text fields are made one line. */
  async event(input: AuditEventInput, onceFor?: { requestId: string; item: string }): Promise<void> {
    try {
      await this.log.record(
        auditEvent({
          ...input,
          ...(input.reason ? { reason: oneLine(input.reason) } : {}),
          ...(input.decision ? { decision: oneLine(input.decision, 250) } : {}),
        }),
        onceFor ? { key: KEYS.request(onceFor.requestId), item: onceFor.item } : undefined,
      );
    } catch (err) {
      this.logger.error({ err, requestId: input.requestId, type: input.type }, 'audit event not recorded');
    }
  }

  /** An event about a request. `due`: write it only while the record lists it as due (exactly once). */
  async record(type: AuditEventType, r: Req, extra: AuditExtra = {}, due = false): Promise<void> {
    await this.event(
      {
        type,
        requestId: r.id,
        jobId: extra.jobId,
        cluster: r.cluster,
        ...(r.kind === 'diagnose'
          ? {
              action: r.read?.action ?? 'diagnose',
              target: r.targetRef
                ? {
                    namespace: r.targetRef.namespace,
                    name: formatTarget({ ...r.targetRef, namespace: undefined }),
                  }
                : { name: r.target },
            }
          : {
              action: r.spec.action,
              target: {
                namespace: r.target.namespace,
                name: r.target.pod,
                kind: 'Pod',
                container: r.plan?.container ?? r.target.container,
                node: r.plan?.node,
              },
            }),
        actor: extra.actor ?? SYSTEM_ACTOR,
        requester: r.requester,
        approvers: r.approvers,
        channel: r.channel,
        threadTs: r.threadTs,
        permalink: extra.permalink,
        reason: extra.reason,
        decision: extra.decision,
        details: {
          ...(r.kind === 'privileged' ? { command: describeSpec(r.spec) } : {}),
          ...(extra.details ?? {}),
        },
      },
      due ? { requestId: r.id, item: type } : undefined,
    );
  }

  /**
   * Writes the entries left due on the record for longer than `graceMs` (a crash between a state change and
   * its entry), from what the record says. Requested entries come first.
   */
  async flushDue(r: Req, now: number, graceMs: number, permalink?: string): Promise<void> {
    const due = Object.entries(r.due)
      .filter(([, at]) => now - at > graceMs)
      .sort(([a], [b]) => (a === 'requested' ? -1 : b === 'requested' ? 1 : 0));
    for (const [type] of due)
      await this.record(type as AuditEventType, r, dueExtra(type, r, permalink), true);
  }
}

/** What the record says about an event that is due (the normal path adds more, e.g. a probe's argv). */
function dueExtra(type: string, r: Req, permalink?: string): AuditExtra {
  if (type === 'requested') {
    return r.kind === 'privileged'
      ? { actor: r.requester, reason: r.reason, permalink, details: { approvalsNeeded: r.needed } }
      : { actor: r.requester };
  }
  if (r.kind === 'diagnose') return { decision: r.final?.verdict ?? type };
  return { decision: r.verdict ?? r.failure ?? r.decisionReason ?? type, actor: r.decidedBy };
}

export function oneLine(s: string, max = 2000): string {
  return s
    .replace(/\p{Cc}+/gu, ' ')
    .trim()
    .slice(0, max);
}
