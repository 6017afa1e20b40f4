import {
  dueField,
  PRIVILEGED_FINAL_STATES,
  type PrivilegedState,
  type UserFacingError,
} from '../../jobs/contracts/index.js';
import type { Logger } from '../log.js';
import { describeSpec, renderApproval, renderProbeFailure, renderProbeRequest } from '../render/probe.js';
import type { RequestAudit } from './audit.js';
import { finalLine, status, view } from './privileged-view.js';
import type { PrivilegedReq, RequestStore } from './store.js';
import { CHANNEL_REFUSALS, type Msg, type RequestThreads, slackErrorCode } from './thread.js';

export interface PrivilegedThreadDeps {
  store: RequestStore;
  threads: RequestThreads;
  audit: RequestAudit;
  logger: Logger;
  now: () => number;
}

/**
 * A privileged request's thread: the request message and the approval message kept in step with the state,
 * notes posted once each, failures and the final state. Callers hold the request's lock.
 */
export class PrivilegedThread {
  constructor(private readonly d: PrivilegedThreadDeps) {}

  async get(id: string): Promise<PrivilegedReq | undefined> {
    const r = await this.d.store.get(id);
    return r?.kind === 'privileged' ? r : undefined;
  }

  /** Moves the request to failed (once), records it, and posts the failure in the thread (once). */
  async fail(
    r: PrivilegedReq,
    from: PrivilegedState[],
    error: UserFacingError,
    jobId?: string,
  ): Promise<void> {
    const to = error.code === 'approval_void' ? 'voided' : 'failed';
    const moved = await this.d.store.transition(r.id, from, to, {
      failure: error.message,
      failureCode: error.code,
      [dueField(to)]: this.d.now(),
    });
    if (moved) {
      await this.d.audit.record(
        to,
        r,
        {
          ...(jobId ? { jobId } : {}),
          decision: to === 'voided' ? 'approval void' : 'failed',
          details: { code: error.code, message: error.message },
        },
        true,
      );
    }
    await this.post(r, 'failure', this.failureMessage(r, error));
  }

  failureMessage(r: PrivilegedReq, error: UserFacingError): Msg {
    return renderProbeFailure(error, {
      cluster: r.cluster,
      requestId: r.id,
      what: describeSpec(r.spec),
      stage: r.plan ? 'run' : 'plan',
    });
  }

  async postApproval(r: PrivilegedReq): Promise<void> {
    if (r.approvalTs || !r.threadTs) return;
    const msg = renderApproval(view(r), status(r));
    await this.d.threads.postOnce(r, 'approval-message', msg, {
      threadTs: r.threadTs,
      fields: (ts) => ({ approvalTs: ts }),
    });
  }

  /** Posts a message into the thread once (keyed by `what`); false while someone else is posting it. */
  async post(r: PrivilegedReq, what: string, msg: Msg): Promise<boolean> {
    if (!r.threadTs) return false;
    return Boolean(await this.d.threads.postOnce(r, what, msg, { threadTs: r.threadTs }));
  }

  /** A one-line note in the thread, once per key (the sequence readers follow: approvals, start, expiry, …). */
  async note(r: PrivilegedReq, key: string, text: string): Promise<void> {
    await this.post(r, `note-${key}`, { text });
  }

  /** Makes the thread root and the approval message show the current state (replacing buttons once decided). */
  async refresh(r: PrivilegedReq): Promise<void> {
    const v = view(r);
    const s = status(r);
    if (r.threadTs) await this.d.threads.update(r, r.threadTs, renderProbeRequest(v, s));
    if (r.approvalTs) await this.d.threads.update(r, r.approvalTs, renderApproval(v, s));
  }

  /** Final state reached: say why in the thread (once), show it on both messages and stop sweeping the request. */
  async finish(id: string): Promise<void> {
    const r = await this.get(id);
    if (!r || !PRIVILEGED_FINAL_STATES.includes(r.state)) return;
    const line = finalLine(r);
    if (line) await this.note(r, 'final', line);
    if (r.state === 'failed' && !r.posted.includes('failure') && r.failure) {
      const code = (r.failureCode as UserFacingError['code'] | undefined) ?? 'internal';
      await this.post(r, 'failure', this.failureMessage(r, { code, message: r.failure, next: [] }));
    }
    if (!r.posted.includes('final-shown')) {
      try {
        await this.refresh(r);
      } catch (err) {
        // A message someone deleted (or a channel gone) can never show the final state: stop trying.
        const code = slackErrorCode(err);
        if (!(code === 'message_not_found' || (code && CHANNEL_REFUSALS.has(code)))) throw err;
        this.d.logger.warn({ id, code }, 'final state not shown: the message or channel is gone');
      }
      await this.d.store.mark(id, 'final-shown');
    }
    await this.d.store.close(r.cluster, id);
  }
}
