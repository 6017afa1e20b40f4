import {
  dueField,
  jobIdOf,
  ProbePlanResultSchema,
  type ProbeSpec,
  type ProbeTarget,
  planBinding,
  requestIdFor,
  specNeedsApproval,
  type UserFacingError,
  withDeadline,
} from '../../jobs/contracts/index.js';
import type { ApprovalSigner } from '../approval-signer.js';
import type { Authorizer } from '../auth.js';
import type { Logger } from '../log.js';
import { type Queues, queueUnavailable } from '../queues.js';
import { renderProbeRequest } from '../render/probe.js';
import { oneLine, type RequestAudit } from './audit.js';
import type { RequestEngine, RequestKindHandler } from './engine.js';
import { jobOutcome } from './jobs.js';
import { PrivilegedRun } from './privileged-run.js';
import { PrivilegedThread } from './privileged-thread.js';
import { view } from './privileged-view.js';
import type { PrivilegedReq, Req, RequestStore } from './store.js';
import { CHANNEL_REFUSALS, type RequestThreads, slackErrorCode } from './thread.js';
import type { UploadArtefacts } from './uploads.js';

export interface PrivilegedDeps {
  store: RequestStore;
  queues: Queues;
  threads: RequestThreads;
  audit: RequestAudit;
  engine: RequestEngine;
  auth: Authorizer;
  uploads: UploadArtefacts;
  logger: Logger;
  /** Redis's clock (calibrated): expiry and start-by agree across replicas and workers. */
  now: () => number;
  enqueueTimeoutMs: number;
  /** Signs approved runs; absent: approved requests fail saying the bot has no signing key. */
  signer?: ApprovalSigner;
}

/** What the requester asked for, validated by the grammar and the gate. */
export interface ProbeAsk {
  cluster: string;
  target: ProbeTarget;
  spec: ProbeSpec;
  userId: string;
  channelId: string;
  teamId?: string;
  needed: number;
}

/**
 * Privileged requests on the request engine, in their thread: request (planned by the worker: node, image,
 * container ID) → approval message with buttons → approvals (N of M, never the requester) or denial /
 * cancellation / expiry → run → findings and artefacts. Every transition is an atomic step in Redis; every
 * step is posted in the thread and written to the audit trail. Clicks live in privileged-clicks.ts.
 */
export class PrivilegedRequests implements RequestKindHandler {
  readonly thread: PrivilegedThread;
  readonly run: PrivilegedRun;

  constructor(readonly d: PrivilegedDeps) {
    this.thread = new PrivilegedThread(d);
    this.run = new PrivilegedRun(d, this.thread);
  }

  /** Queues the plan job, then records the request (planning); throws queue_unavailable. */
  async submit(ask: ProbeAsk, reason: string, viewId: string): Promise<{ id: string; duplicate: boolean }> {
    const id = requestIdFor('privileged', ask.cluster, [
      ask.teamId ?? '',
      ask.cluster,
      ask.channelId,
      ask.userId,
      viewId,
    ]);
    const now = this.d.now();
    const requester = {
      userId: ask.userId,
      channelId: ask.channelId,
      ...(ask.teamId ? { teamId: ask.teamId } : {}),
    };
    await this.d.queues.addProbePlan(jobIdOf(id, 'plan'), {
      version: 1,
      action: 'probe-plan',
      requestId: id,
      cluster: ask.cluster,
      target: ask.target,
      spec: ask.spec,
      requester,
      requestedAt: new Date(now).toISOString(),
    });
    try {
      const created = await withDeadline(
        this.d.store.create(
          {
            id,
            kind: 'privileged',
            state: 'planning',
            cluster: ask.cluster,
            channel: ask.channelId,
            teamId: ask.teamId,
            requester: ask.userId,
            createdAt: now,
            target: ask.target,
            spec: ask.spec,
            reason: oneLine(reason, 1000),
            needed: ask.needed,
          },
          ['requested'],
        ),
        this.d.enqueueTimeoutMs,
      );
      return { id, duplicate: !created };
    } catch (e) {
      throw queueUnavailable(e);
    }
  }

  announced(r: Req): boolean {
    return Boolean(r.threadTs);
  }

  /** Posts the thread root and records the request in the audit trail (with the thread's permalink). */
  async announce(req: Req): Promise<void> {
    if (req.kind !== 'privileged') return;
    const r = req;
    const msg = renderProbeRequest(view(r), { phase: 'planning' });
    let posted: { ts?: string } | undefined;
    try {
      posted = await this.d.threads.postOnce(r, 'request', msg, { fields: (ts) => ({ threadTs: ts }) });
    } catch (err) {
      const code = slackErrorCode(err);
      if (code && CHANNEL_REFUSALS.has(code)) {
        // The bot may not post there at all: nothing can be approved, so nothing runs.
        await this.d.queues.removeIfWaiting(r.cluster, jobIdOf(r.id, 'plan')).catch(() => undefined);
        const moved = await this.d.store.transition(r.id, ['planning', 'pending'], 'failed', {
          failure: `cannot post: ${code}`,
          [dueField('failed')]: this.d.now(),
        });
        if (moved) {
          // The trail starts with the request even though its thread never did.
          await this.d.audit.record(
            'requested',
            r,
            { actor: r.requester, reason: r.reason, details: { approvalsNeeded: r.needed } },
            true,
          );
          await this.d.audit.record(
            'failed',
            r,
            { decision: `the bot cannot post in the channel (${code})` },
            true,
          );
        }
        await this.d.store.close(r.cluster, r.id);
      }
      throw err;
    }
    if (!posted?.ts) return;
    const fresh = await this.get(r.id);
    if (!fresh) return;
    await this.d.audit.record(
      'requested',
      fresh,
      {
        actor: r.requester,
        reason: r.reason,
        permalink: await this.d.threads.permalink(fresh, posted.ts),
        details: { approvalsNeeded: r.needed },
      },
      true,
    );
  }

  get(id: string): Promise<PrivilegedReq | undefined> {
    return this.thread.get(id);
  }

  async settle(req: Req): Promise<void> {
    if (req.kind !== 'privileged') return;
    let r = req;
    // A plan is there but its approval message never made it into the thread (Slack error, bot killed).
    if (r.plan && !r.approvalTs && ['pending', 'approved', 'running'].includes(r.state)) {
      await this.thread.postApproval(r);
      const fresh = await this.get(r.id);
      if (fresh) {
        await this.thread.refresh(fresh);
        r = fresh;
      }
    }
    switch (r.state) {
      case 'planning':
        return this.stepPlanning(r);
      case 'pending':
        if (r.expiresAt !== undefined && this.d.now() > r.expiresAt) {
          if (
            await this.d.store.transition(r.id, ['pending'], 'expired', {
              [dueField('expired')]: this.d.now(),
            })
          ) {
            await this.d.audit.record('expired', r, { decision: 'expired' }, true);
          }
          return this.thread.finish(r.id);
        }
        return;
      case 'approved':
      case 'running':
        return this.run.step(r);
      default:
        return this.thread.finish(r.id);
    }
  }

  private async stepPlanning(r: PrivilegedReq): Promise<void> {
    const planJob = jobIdOf(r.id, 'plan');
    const out = await jobOutcome(this.d.queues, r.cluster, planJob);
    const expiry = this.d.auth.expiry();
    if (out.state === 'waiting' || out.state === 'active') {
      // No worker took the plan within the time an approval could have taken: say so rather than wait forever.
      if (this.d.now() - r.createdAt > expiry.pendingMinutes * 60_000) {
        await this.d.queues.removeIfWaiting(r.cluster, planJob).catch(() => undefined);
        await this.thread.fail(r, ['planning'], {
          code: 'timeout',
          message: `No worker of cluster ${r.cluster} resolved the target in time; nothing ran.`,
          next: ["Check that the cluster's worker is running, then request the probe again."],
        });
        return this.thread.finish(r.id);
      }
      return;
    }
    if (out.state === 'failed' || out.state === 'missing') {
      const error: UserFacingError =
        out.state === 'failed'
          ? out.error
          : {
              code: 'internal',
              message: 'The plan job vanished from the queue.',
              next: ['Run the command again.'],
            };
      await this.thread.fail(r, ['planning'], error);
      return this.thread.finish(r.id);
    }
    const parsed = ProbePlanResultSchema.safeParse(out.value);
    if (!parsed.success || planBinding(parsed.data.plan) !== parsed.data.binding) {
      await this.thread.fail(r, ['planning'], {
        code: 'internal',
        message: 'The worker returned a plan this bot cannot read; nothing ran.',
        next: ['Check that bot and worker run the same version.'],
      });
      return this.thread.finish(r.id);
    }
    const { plan, binding } = parsed.data;
    // The policy decides on what the worker found: a node-wide probe (host namespaces) or a name resolved to
    // a denied address is refused here, before anyone is asked to approve it.
    const refusal = this.d.auth.planRefusal(plan);
    if (refusal) {
      await this.thread.fail(r, ['planning'], {
        code: 'forbidden',
        message: refusal,
        next: ['Nothing was requested; see the message for what the policy would need.'],
      });
      return this.thread.finish(r.id);
    }
    // A node-wide probe always needs an approval, even where the policy needs none for the action; so do
    // debug containers with elevated profiles (netadmin, sysadmin) and copies of the pod.
    const needed = (plan.hostScope || specNeedsApproval(plan.spec)) && r.needed === 0 ? 1 : r.needed;
    const now = this.d.now();
    const moved =
      needed === 0
        ? await this.d.store.transition(r.id, ['planning'], 'approved', {
            plan,
            binding,
            approvedAt: now,
            startBy: now + expiry.approvedNotStartedMinutes * 60_000,
          })
        : await this.d.store.transition(r.id, ['planning'], 'pending', {
            plan,
            binding,
            ...(needed !== r.needed ? { needed } : {}),
            expiresAt: now + expiry.pendingMinutes * 60_000,
          });
    const fresh = await this.get(r.id);
    if (!fresh || !moved) return;
    if (fresh.state === 'approved') {
      await this.d.audit.record('approved', fresh, { decision: 'no approval needed by policy' });
      await this.run.enqueue(fresh);
    }
    await this.thread.postApproval(fresh);
    await this.thread.refresh((await this.get(r.id)) ?? fresh);
  }
}
