import { jobIdOf } from '../../jobs/contracts/index.js';
import { describeSpec } from '../render/probe.js';
import { oneLine } from './audit.js';
import type { PrivilegedRequests } from './privileged.js';
import { stateRefusal } from './privileged-view.js';
import type { PrivilegedReq } from './store.js';

type Reply = (text: string) => Promise<void>;

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
      requestId: `click-${(clicked ?? '').slice(0, 40) || 'none'}`,
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

  /** A click whose button value is not a request id (forged or edited): answered and audited. */
  refuseInvalid(
    value: string,
    userId: string,
    kind: 'approve' | 'deny' | 'cancel',
    reply: Reply,
  ): Promise<void> {
    const what = kind === 'approve' ? 'approval' : kind === 'deny' ? 'denial' : 'cancellation';
    return this.refuse(
      undefined,
      userId,
      what,
      'That button is not valid. Nothing changed.',
      reply,
      `invalid:${value.replace(/[^A-Za-z0-9_-]/g, '_')}`,
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
      return this.refuse(undefined, userId, 'approval', text, reply, id);
    }
    if (r.state !== 'pending') return this.refuse(r, userId, 'approval', stateRefusal(r), reply);
    const may = await this.d.auth.mayApprove(userId, {
      requester: r.requester,
      cluster: r.cluster,
      namespace: r.target.namespace,
      action: r.spec.action,
      channelId: r.channel,
    });
    if (!may.allow) return this.refuse(r, userId, 'approval', `⛔ ${may.reason} Nothing changed.`, reply);
    const expiry = this.d.auth.expiry();
    const out = await this.d.store.approve(
      id,
      userId,
      this.d.now(),
      expiry.approvedNotStartedMinutes * 60_000,
    );
    switch (out.status) {
      case 'missing':
        return this.refuse(
          undefined,
          userId,
          'approval',
          'That request no longer exists. Nothing changed.',
          reply,
          id,
        );
      case 'self':
        return this.refuse(
          r,
          userId,
          'approval',
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
          'approval',
          '⌛ This request has expired and can no longer be approved. Ask the requester to request it again.',
          reply,
        );
      case 'not_pending': {
        const fresh = await this.p.get(id);
        const text = fresh ? stateRefusal(fresh) : 'That request is no longer waiting for approval.';
        return this.refuse(fresh, userId, 'approval', text, reply, id);
      }
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
    if (!r) return { ok: false, text: 'That request no longer exists. Nothing changed.' };
    if (r.state !== 'pending' && r.state !== 'planning') return { ok: false, text: stateRefusal(r) };
    if (r.requester === userId) {
      return { ok: false, text: 'This is your own request: use *Cancel request* to withdraw it.' };
    }
    const may = await this.d.auth.mayApprove(userId, {
      requester: r.requester,
      cluster: r.cluster,
      namespace: r.target.namespace,
      action: r.spec.action,
      channelId: r.channel,
    });
    if (!may.allow) return { ok: false, text: `⛔ ${denyWording(may.reason)} Nothing changed.` };
    return { ok: true, what: `${describeSpec(r.spec)} on ${r.target.namespace}/${r.target.pod}` };
  }

  /** A Deny click that did not open the form: answered and audited. */
  async refuseDeny(id: string, userId: string, text: string, reply: Reply): Promise<void> {
    await this.refuse(await this.p.get(id), userId, 'denial', text, reply, id);
  }

  /** A denial with its reason (from the deny modal). */
  deny(id: string, userId: string, reason: string, reply: Reply): Promise<void> {
    return this.d.engine.track(this.denyNow(id, userId, reason, reply));
  }

  private async denyNow(id: string, userId: string, reason: string, reply: Reply): Promise<void> {
    const pre = await this.mayDeny(id, userId);
    if (!pre.ok) return this.refuseDeny(id, userId, pre.text, reply);
    const out = await this.d.store.decide(id, 'denied', userId, oneLine(reason, 1000), this.d.now());
    if (out.status !== 'ok') {
      const r = await this.p.get(id);
      return this.refuse(
        r,
        userId,
        'denial',
        r ? stateRefusal(r) : 'That request no longer exists. Nothing changed.',
        reply,
        id,
      );
    }
    const r = (await this.p.get(id))!;
    await this.d.audit.record('denied', r, { actor: userId, reason, decision: 'denied' }, true);
    await this.d.queues.removeIfWaiting(r.cluster, jobIdOf(id, 'plan')).catch(() => undefined);
    await this.d.engine.withLock(id, () => this.p.thread.finish(id));
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
    if (out.status === 'missing') {
      return this.refuse(
        undefined,
        userId,
        'cancellation',
        'That request no longer exists. Nothing changed.',
        reply,
        id,
      );
    }
    if (out.status !== 'ok') {
      const r = await this.p.get(id);
      const text =
        out.status === 'not_requester'
          ? '⛔ Only the requester can cancel this request. Nothing changed.'
          : r
            ? stateRefusal(r)
            : 'That request is no longer waiting.';
      return this.refuse(r, userId, 'cancellation', text, reply, id);
    }
    const r = (await this.p.get(id))!;
    await this.d.audit.record('cancelled', r, { actor: userId, decision: 'cancelled' }, true);
    await this.d.queues.removeIfWaiting(r.cluster, jobIdOf(id, 'plan')).catch(() => undefined);
    await this.d.engine.withLock(id, () => this.p.thread.finish(id));
  }

  async channelOf(id: string): Promise<string | undefined> {
    return (await this.p.get(id))?.channel;
  }
}

/** The approver refusal reworded for a denial: "Only holders of role approver may approve or deny …". */
export function denyWording(reason: string): string {
  return reason.replace(/\bapprove\b(?! or deny)/, 'approve or deny');
}
