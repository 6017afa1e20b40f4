import { isPreUpgradeRequestId, jobIdOf } from '../../jobs/contracts/index.js';
import { describeSpec } from '../render/probe.js';
import { type AuditExtra, oneLine } from './audit.js';
import type { PrivilegedRequests } from './privileged.js';
import { stateRefusal } from './privileged-view.js';
import type { PrivilegedReq } from './store.js';

type Reply = (text: string) => Promise<void>;

/** A decision an approver takes on a privileged request with its button. */
export type Decision = 'approve' | 'deny';

/** How the audit trail names what a click asked for ("approval refused", …). */
const WHAT = { approve: 'approval', deny: 'denial', cancel: 'cancellation' } as const;

const GONE = 'That request no longer exists. Nothing changed.';

/**
 * How much of a clicked value the audit trail keeps after `click-`: every request id (at most 93 characters:
 * `diag-`, a 63-character cluster, `-`, 24 hex digits) and job id fits; a longer (forged) value is cut.
 */
export const CLICKED_AUDIT_MAX = 100;

/**
 * What a click or a form whose value is not a request id reads: a request id of the form from before an
 * upgrade (its request is no longer tracked), or anything else (not valid). Each fits a modal's error (≤ 150).
 */
export function invalidValueRefusal(value: string, where: 'button' | 'form'): string {
  const thing = where === 'button' ? 'This button' : 'This form';
  return isPreUpgradeRequestId(value)
    ? `${thing} is from before an upgrade of poddebug: its request is no longer tracked. Nothing changed.`
    : `That ${where} is not valid. Nothing changed.`;
}

/**
 * Why `userId` may not take `decision` on `r` as the record stands, before the policy is asked: the request
 * is not waiting for that decision (approve: pending; deny: pending or still being prepared), or it is the
 * clicker's own and they would deny it (the requester withdraws with Cancel instead). Undefined: ask the
 * policy (deciderRefusal). Approving one's own request is refused by the policy and again, atomically, by
 * the store.
 */
export function decisionRefusal(r: PrivilegedReq, userId: string, decision: Decision): string | undefined {
  const waiting =
    decision === 'approve' ? r.state === 'pending' : r.state === 'pending' || r.state === 'planning';
  if (!waiting) return stateRefusal(r);
  if (decision === 'deny' && r.requester === userId) {
    return 'This is your own request: use *Cancel request* to withdraw it.';
  }
  return undefined;
}

/** The policy's approver refusal as the clicker reads it, worded for the decision they tried. */
export function approverRefusal(decision: Decision, reason: string): string {
  return `⛔ ${decision === 'deny' ? denyWording(reason) : reason} Nothing changed.`;
}

/**
 * Approve, Deny and Cancel on a privileged request. A button carries only the request id: the clicker is
 * authorized against the current policy and the record in Redis, and the state moves only through atomic
 * transitions there. A refused click changes nothing and is written to the audit trail with the clicker
 * as actor and the reason.
 */
export class PrivilegedClicks {
  constructor(private readonly p: PrivilegedRequests) {}

  private get d() {
    return this.p.d;
  }

  /**
   * Answers the clicker and records the refusal: against the request, or, when there is none (an unknown id,
   * a forged value), as a click of its own (`click-…`: not a request id, so the trail's check that every
   * request starts with its `requested` entry is not fooled).
   */
  private async refuse(
    r: PrivilegedReq | undefined,
    userId: string,
    what: string,
    text: string,
    reply: Reply,
    clicked?: string,
  ) {
    await reply(text);
    if (r) {
      await this.d.audit.record('refused', r, { actor: userId, decision: `${what} refused`, reason: text });
      return;
    }
    await this.d.audit.event({
      type: 'refused',
      requestId: `click-${(clicked ?? '').slice(0, CLICKED_AUDIT_MAX) || 'none'}`,
      cluster: 'unknown',
      action: 'probe',
      target: { name: 'unknown' },
      actor: userId,
      requester: userId,
      channel: 'unknown',
      decision: `${what} refused`,
      reason: text,
    });
  }

  /** Refuses with the request's state as it is now (read afresh), or `gone` when its record is gone. */
  private async refuseAsNow(id: string, userId: string, what: string, gone: string, reply: Reply) {
    const r = await this.p.get(id);
    return this.refuse(r, userId, what, r ? stateRefusal(r) : gone, reply, id);
  }

  /**
   * Whether `userId` may take `decision` on `r` now: undefined, or the refusal they read. One check for
   * Approve and Deny: the request's state and owner (decisionRefusal), then the policy's approver check in
   * the request's scope, as it is in force now.
   */
  private async deciderRefusal(r: PrivilegedReq, userId: string, decision: Decision) {
    const early = decisionRefusal(r, userId, decision);
    if (early) return early;
    const may = await this.d.auth.mayApprove(userId, {
      requester: r.requester,
      cluster: r.cluster,
      namespace: r.target.namespace,
      action: r.spec.action,
      channelId: r.channel,
    });
    return may.allow ? undefined : approverRefusal(decision, may.reason);
  }

  /**
   * A decision that ended the request (denied, cancelled: already moved in Redis): its entry in the audit
   * trail, its plan job taken back if it is still queued, its thread brought to the final state.
   */
  private async ended(id: string, type: 'denied' | 'cancelled', entry: AuditExtra): Promise<void> {
    const r = (await this.p.get(id))!;
    await this.d.audit.record(type, r, entry, true);
    await this.d.queues.removeIfWaiting(r.cluster, jobIdOf(id, 'plan')).catch(() => undefined);
    await this.d.engine.withLock(id, () => this.p.thread.finish(id));
  }

  /**
   * A click (or a deny form) whose value is not a request id: one from before an upgrade, or forged or
   * edited. Answered (invalidValueRefusal) and audited as a click of its own (`click-invalid:…`).
   */
  refuseInvalid(
    value: string,
    userId: string,
    kind: 'approve' | 'deny' | 'cancel',
    reply: Reply,
    where: 'button' | 'form' = 'button',
  ): Promise<void> {
    return this.refuse(
      undefined,
      userId,
      WHAT[kind],
      invalidValueRefusal(value, where),
      reply,
      `invalid:${value.slice(0, CLICKED_AUDIT_MAX).replace(/[^A-Za-z0-9_-]/g, '_')}`,
    );
  }

  /** An Approve click. Re-authorizes the clicker against the policy and the stored request. */
  approve(id: string, userId: string, reply: Reply): Promise<void> {
    return this.d.engine.track(this.approveNow(id, userId, reply));
  }

  private async approveNow(id: string, userId: string, reply: Reply): Promise<void> {
    const r = await this.p.get(id);
    if (!r) {
      const text = 'That request no longer exists (it may have expired long ago). Nothing changed.';
      return this.refuse(undefined, userId, WHAT.approve, text, reply, id);
    }
    const refusal = await this.deciderRefusal(r, userId, 'approve');
    if (refusal) return this.refuse(r, userId, WHAT.approve, refusal, reply);
    const expiry = this.d.auth.expiry();
    const out = await this.d.store.approve(
      id,
      userId,
      this.d.now(),
      expiry.approvedNotStartedMinutes * 60_000,
    );
    switch (out.status) {
      case 'missing':
        return this.refuse(undefined, userId, WHAT.approve, GONE, reply, id);
      case 'self':
        return this.refuse(
          r,
          userId,
          WHAT.approve,
          '⛔ You cannot approve your own request; another approver must. Nothing changed.',
          reply,
        );
      case 'already':
        return reply('You have already approved this request; it needs another approver.');
      case 'expired':
        await this.d.engine.settle(id);
        return this.refuse(
          r,
          userId,
          WHAT.approve,
          '⌛ This request has expired and can no longer be approved. Ask the requester to request it again.',
          reply,
        );
      case 'not_pending':
        return this.refuseAsNow(
          id,
          userId,
          WHAT.approve,
          'That request is no longer waiting for approval.',
          reply,
        );
      default:
        break;
    }
    // The approval is recorded in Redis: from here on nothing may tell the approver "nothing changed".
    const fresh = (await this.p.get(id))!;
    await this.d.audit.record('approval', fresh, {
      actor: userId,
      decision: `approval ${out.count} of ${out.needed}`,
    });
    if (out.status === 'approved') {
      await this.d.audit.record('approved', fresh, {
        actor: userId,
        decision: `approved by ${fresh.approvers.length}`,
      });
      await this.p.run.enqueue(fresh).catch((err) =>
        // The approval stands; the sweep queues the run while the approval is still valid.
        this.d.logger.warn({ err, id }, 'run not queued yet; the sweep retries'),
      );
    }
    await this.d.engine.withLock(id, async (cur) => {
      if (cur.kind !== 'privileged') return;
      // "✅ <@U> approved (k of n)" once per approver, in the order they approved.
      for (const [i, u] of cur.approvers.entries()) {
        await this.p.thread.note(cur, `approval-${u}`, `✅ <@${u}> approved (${i + 1} of ${cur.needed}).`);
      }
      await this.p.thread.refresh(cur);
    });
  }

  /** Checks before the deny modal opens (fast refusal); the submission checks again. */
  async mayDeny(
    id: string,
    userId: string,
  ): Promise<{ ok: true; what: string } | { ok: false; text: string }> {
    const r = await this.p.get(id);
    if (!r) return { ok: false, text: GONE };
    const refusal = await this.deciderRefusal(r, userId, 'deny');
    if (refusal) return { ok: false, text: refusal };
    return { ok: true, what: `${describeSpec(r.spec)} on ${r.target.namespace}/${r.target.pod}` };
  }

  /** A Deny click that did not open the form: answered and audited. */
  async refuseDeny(id: string, userId: string, text: string, reply: Reply): Promise<void> {
    await this.refuse(await this.p.get(id), userId, WHAT.deny, text, reply, id);
  }

  /** A denial with its reason (from the deny modal). */
  deny(id: string, userId: string, reason: string, reply: Reply): Promise<void> {
    return this.d.engine.track(this.denyNow(id, userId, reason, reply));
  }

  private async denyNow(id: string, userId: string, reason: string, reply: Reply): Promise<void> {
    const pre = await this.mayDeny(id, userId);
    if (!pre.ok) return this.refuseDeny(id, userId, pre.text, reply);
    const out = await this.d.store.decide(id, 'denied', userId, oneLine(reason, 1000), this.d.now());
    if (out.status !== 'ok') return this.refuseAsNow(id, userId, WHAT.deny, GONE, reply);
    await this.ended(id, 'denied', { actor: userId, reason, decision: 'denied' });
  }

  /** The requester withdraws a request that is still waiting. */
  cancel(id: string, userId: string, reply: Reply): Promise<void> {
    return this.d.engine.track(this.cancelNow(id, userId, reply));
  }

  private async cancelNow(id: string, userId: string, reply: Reply): Promise<void> {
    const out = await this.d.store.decide(
      id,
      'cancelled',
      userId,
      'cancelled by the requester',
      this.d.now(),
    );
    if (out.status === 'missing') return this.refuse(undefined, userId, WHAT.cancel, GONE, reply, id);
    if (out.status === 'not_requester') {
      const text = '⛔ Only the requester can cancel this request. Nothing changed.';
      return this.refuse(await this.p.get(id), userId, WHAT.cancel, text, reply, id);
    }
    if (out.status !== 'ok') {
      return this.refuseAsNow(id, userId, WHAT.cancel, 'That request is no longer waiting.', reply);
    }
    await this.ended(id, 'cancelled', { actor: userId, decision: 'cancelled' });
  }

  async channelOf(id: string): Promise<string | undefined> {
    return (await this.p.get(id))?.channel;
  }
}

/** The approver refusal reworded for a denial: "Only holders of role approver may approve or deny …". */
export function denyWording(reason: string): string {
  return reason.replace(/\bapprove\b(?! or deny)/, 'approve or deny');
}
