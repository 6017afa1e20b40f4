import { createHash } from 'node:crypto';
import type { WebClient } from '@slack/web-api';
import { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  decodeFailure,
  ProbePlanResultSchema,
  type ProbeResult,
  ProbeResultSchema,
  type ProbeSpec,
  type ProbeTarget,
  planBinding,
  planJobId,
  runJobId,
  type UserFacingError,
} from '../../jobs/contracts/index.js';
import { type ArtefactUpload, uploadArtefacts } from '../artefacts.js';
import type { Authorizer } from '../auth.js';
import type { Logger } from '../log.js';
import { type Queues, queueUnavailable, withDeadline } from '../queues.js';
import { artefactLines } from '../render/artefacts.js';
import { verdictLine } from '../render/index.js';
import {
  describeSpec,
  type ProbeStatus,
  type ProbeView,
  renderApproval,
  renderProbeFailure,
  renderProbeRequest,
  renderProbeResult,
} from '../render/probe.js';
import { CHANNEL_REFUSALS } from '../results.js';
import { oneLine, type RequestAudit } from './audit.js';
import { FINAL_STATES, type ProbeRequest, type ProbeRequestStore, type ProbeState } from './store.js';

export interface ProbeFlowDeps {
  store: ProbeRequestStore;
  queues: Queues;
  client: WebClient;
  redis: Redis;
  auth: Authorizer;
  audit: RequestAudit;
  logger: Logger;
  enqueueTimeoutMs: number;
  now?: () => number;
  /** A request whose thread message is missing this long is announced by the sweep (ms). */
  announceGraceMs?: number;
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

type Reply = (text: string) => Promise<void>;

type JobOutcome =
  | { state: 'waiting' }
  | { state: 'active' }
  | { state: 'missing' }
  | { state: 'completed'; value: unknown }
  | { state: 'failed'; error: UserFacingError };

/** The request id for one submission of the reason modal (a redelivered submission maps to the same id). */
export function requestIdFor(parts: {
  teamId?: string;
  cluster: string;
  channelId: string;
  userId: string;
  viewId: string;
}): string {
  const h = createHash('sha256')
    .update([parts.teamId ?? '', parts.cluster, parts.channelId, parts.userId, parts.viewId].join('\n'))
    .digest('hex');
  return `prb-${h.slice(0, 24)}`;
}

/**
 * The life of a privileged request, in its thread: request (planned by the
 * worker: node, image, container ID) → approval message with buttons →
 * approvals (N of M, never the requester) or denial / cancellation / expiry
 * → run → findings and artefacts. Every transition is an atomic step in
 * Redis; every step is posted in the thread and written to the audit trail.
 * `settle(id)` is idempotent and brings a request's thread up to date with
 * its state and its jobs: queue events, the sweep and the handlers call it.
 */
export class ProbeFlow {
  /** Operations under way: stop() lets them finish, so no lock outlives a clean shutdown. */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly d: ProbeFlowDeps) {}

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p)).catch(() => undefined);
    return p;
  }

  /** Waits for the operations under way (settles, clicks) to finish and release their locks. */
  async stop(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private now(): number {
    return (this.d.now ?? Date.now)();
  }

  /** Records the request and queues its plan job; resolves to the request id. Throws queue_unavailable. */
  async submit(ask: ProbeAsk, reason: string, viewId: string): Promise<{ id: string; duplicate: boolean }> {
    const id = requestIdFor({
      teamId: ask.teamId,
      cluster: ask.cluster,
      channelId: ask.channelId,
      userId: ask.userId,
      viewId,
    });
    let created: boolean;
    try {
      created = await withDeadline(
        this.d.store.create(
          {
            id,
            cluster: ask.cluster,
            channel: ask.channelId,
            teamId: ask.teamId,
            requester: ask.userId,
            target: ask.target,
            spec: ask.spec,
            reason: oneLine(reason, 1000),
            needed: ask.needed,
          },
          this.now(),
        ),
        this.d.enqueueTimeoutMs,
      );
    } catch (e) {
      throw queueUnavailable(e);
    }
    let announced = false;
    if (!created) {
      // A redelivered submission. If the request never got past planning (its first attempt may have timed
      // out after the record landed), queue the plan again: the job id makes that a no-op when it exists.
      const existing = await this.d.store.get(id).catch(() => undefined);
      if (existing?.state !== 'planning') return { id, duplicate: true };
      announced = Boolean(existing.threadTs);
    }
    try {
      await this.d.queues.addProbePlan(planJobId(id), {
        version: 1,
        action: 'probe-plan',
        requestId: id,
        cluster: ask.cluster,
        target: ask.target,
        spec: ask.spec,
        requester: {
          userId: ask.userId,
          channelId: ask.channelId,
          ...(ask.teamId ? { teamId: ask.teamId } : {}),
        },
        requestedAt: new Date(this.now()).toISOString(),
      });
    } catch (e) {
      if (created) await this.d.store.drop(id, ask.cluster).catch(() => undefined);
      throw e;
    }
    return { id, duplicate: !created && announced };
  }

  /** Posts the thread root for a new request and records it in the audit trail. */
  announce(id: string): Promise<void> {
    return this.track(this.announceNow(id));
  }

  private async announceNow(id: string): Promise<void> {
    const token = await this.d.store.lock(id);
    if (!token) return;
    try {
      const r = await this.d.store.get(id);
      if (!r || r.threadTs) return;
      const msg = renderProbeRequest(view(r), { phase: 'planning' });
      let ts: string | undefined;
      try {
        ts = (
          await this.d.client.chat.postMessage({ channel: r.channel, text: msg.text, blocks: msg.blocks })
        ).ts;
      } catch (err) {
        const code = (err as { data?: { error?: string } }).data?.error;
        if (code && CHANNEL_REFUSALS.has(code)) {
          // The bot may not post there at all: nothing can be approved, so nothing runs.
          await this.d.queues.removeIfWaiting(r.cluster, planJobId(id)).catch(() => undefined);
          if (
            await this.d.store.transition(id, ['planning', 'pending'], 'failed', [
              'failure',
              `cannot post: ${code}`,
            ])
          ) {
            await this.d.audit.record('failed', r, {
              decision: `the bot cannot post in the channel (${code})`,
            });
          }
          await this.d.store.close(r.cluster, id);
        }
        throw err;
      }
      if (!ts) return;
      await this.d.store.setMessages(id, { threadTs: ts });
      r.threadTs = ts;
      await this.d.audit.record(
        'requested',
        { ...r, permalink: await this.permalink(r) },
        { actor: r.requester, reason: r.reason, details: { approvalsNeeded: r.needed } },
      );
    } finally {
      await this.d.store.unlock(id, token).catch(() => undefined);
    }
    await this.settle(id);
  }

  private async permalink(r: ProbeRequest): Promise<string | undefined> {
    if (!r.threadTs) return undefined;
    try {
      const p = await this.d.client.chat.getPermalink({ channel: r.channel, message_ts: r.threadTs });
      return p.permalink && /^https:\/\//.test(p.permalink) ? p.permalink : undefined;
    } catch {
      return undefined;
    }
  }

  /** Brings the request's thread up to date with its state and jobs. Idempotent; safe from any replica. */
  settle(id: string): Promise<void> {
    return this.track(this.settleNow(id));
  }

  private async settleNow(id: string): Promise<void> {
    const first = await this.d.store.get(id);
    if (!first) return;
    if (!first.threadTs) {
      if (this.now() - first.createdAt > (this.d.announceGraceMs ?? 30_000)) {
        await this.announce(id).catch((err) => this.d.logger.warn({ err, id }, 'late announce failed'));
      }
      return;
    }
    await this.locked(id, (r) => this.step(r));
  }

  /** Runs `fn` on a fresh read of the request under its lock (waiting up to ~3 s for another holder). */
  private async locked(id: string, fn: (r: ProbeRequest) => Promise<void>): Promise<void> {
    let token: string | undefined;
    for (let i = 0; i < 30 && !token; i++) {
      token = await this.d.store.lock(id);
      if (!token) await new Promise((res) => setTimeout(res, 100));
    }
    if (!token) return;
    try {
      const r = await this.d.store.get(id);
      if (r) await fn(r);
    } catch (err) {
      this.d.logger.warn({ err, id }, 'could not settle the request yet; the sweep retries');
    } finally {
      await this.d.store.unlock(id, token).catch(() => undefined);
    }
  }

  private async jobOutcome(cluster: string, jobId: string): Promise<JobOutcome> {
    const q = this.d.queues.queue(cluster);
    const state = await q.getJobState(jobId);
    if (state === 'unknown') return { state: 'missing' };
    if (state === 'active') return { state: 'active' };
    if (state !== 'completed' && state !== 'failed') return { state: 'waiting' };
    const job = await Job.fromId(q, jobId);
    if (!job) return { state: 'missing' };
    if (state === 'failed') return { state: 'failed', error: decodeFailure(job.failedReason) };
    return { state: 'completed', value: job.returnvalue };
  }

  private async step(r: ProbeRequest): Promise<void> {
    // A plan is there but its approval message never made it into the thread (Slack error, bot killed).
    if (
      r.plan &&
      !r.approvalTs &&
      (r.state === 'pending' || r.state === 'approved' || r.state === 'running')
    ) {
      await this.postApproval(r);
      const fresh = await this.d.store.get(r.id);
      if (fresh) {
        await this.refresh(fresh);
        r = fresh;
      }
    }
    switch (r.state) {
      case 'planning':
        return this.stepPlanning(r);
      case 'pending':
        if (r.expiresAt !== undefined && this.now() > r.expiresAt) {
          if (await this.d.store.transition(r.id, ['pending'], 'expired')) {
            await this.d.audit.record('expired', r, { decision: 'expired' });
          }
          return this.finish(r.id);
        }
        return;
      case 'approved':
      case 'running':
        return this.stepRun(r);
      default:
        return this.finish(r.id);
    }
  }

  private async stepPlanning(r: ProbeRequest): Promise<void> {
    const out = await this.jobOutcome(r.cluster, planJobId(r.id));
    if (out.state === 'waiting' || out.state === 'active') {
      // No worker took the plan within the time an approval could have taken: say so rather than wait forever.
      if (this.now() - r.createdAt > this.d.auth.expiry().pendingMinutes * 60_000) {
        await this.d.queues.removeIfWaiting(r.cluster, planJobId(r.id)).catch(() => undefined);
        await this.fail(r, ['planning'], {
          code: 'timeout',
          message: `No worker of cluster ${r.cluster} resolved the target in time; nothing ran.`,
          next: ["Check that the cluster's worker is running, then request the probe again."],
        });
        return this.finish(r.id);
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
      await this.fail(r, ['planning'], error);
      return this.finish(r.id);
    }
    const parsed = ProbePlanResultSchema.safeParse(out.value);
    if (!parsed.success || planBinding(parsed.data.plan) !== parsed.data.binding) {
      await this.fail(r, ['planning'], {
        code: 'internal',
        message: 'The worker returned a plan this bot cannot read; nothing ran.',
        next: ['Check that bot and worker run the same version.'],
      });
      return this.finish(r.id);
    }
    const { plan, binding } = parsed.data;
    const expiry = this.d.auth.expiry();
    const next = await this.d.store.planned(r.id, plan, binding, {
      now: this.now(),
      pendingMs: expiry.pendingMinutes * 60_000,
      startWithinMs: expiry.approvedNotStartedMinutes * 60_000,
    });
    const fresh = await this.d.store.get(r.id);
    if (!fresh || !next) return;
    if (next === 'approved') {
      await this.d.audit.record('approved', fresh, { decision: 'no approval needed by policy' });
      await this.enqueueRun(fresh);
    }
    await this.postApproval(fresh);
    await this.refresh((await this.d.store.get(r.id)) ?? fresh);
  }

  /** Moves the request to failed (once), records it, and posts the failure in the thread (once). */
  private async fail(
    r: ProbeRequest,
    from: ProbeState[],
    error: UserFacingError,
    jobId?: string,
  ): Promise<void> {
    const to = error.code === 'approval_void' ? 'voided' : 'failed';
    if (
      await this.d.store.transition(r.id, from, to, ['failure', error.message, 'failureCode', error.code])
    ) {
      await this.d.audit.record(to, r, {
        ...(jobId ? { jobId } : {}),
        decision: to === 'voided' ? 'approval void' : 'failed',
        details: { code: error.code, message: error.message },
      });
    }
    await this.post(
      r,
      'failure',
      renderProbeFailure(error, {
        cluster: r.cluster,
        requestId: r.id,
        what: describeSpec(r.spec),
        stage: r.plan ? 'run' : 'plan',
      }),
    );
  }

  private async postApproval(r: ProbeRequest): Promise<void> {
    if (r.approvalTs || !(await this.d.store.claimPost(r.id, 'approval-message', this.now()))) return;
    try {
      const msg = renderApproval(view(r), status(r));
      const res = await this.d.client.chat.postMessage({
        channel: r.channel,
        thread_ts: r.threadTs,
        text: msg.text,
        blocks: msg.blocks,
        unfurl_links: false,
      });
      if (res.ts) await this.d.store.setMessages(r.id, { approvalTs: res.ts });
      await this.d.store.markPosted(r.id, 'approval-message');
    } catch (err) {
      await this.d.store.releasePost(r.id, 'approval-message').catch(() => undefined);
      throw err;
    }
  }

  /** Queues the run of an approved request (idempotent: one job id per request). */
  async enqueueRun(r: ProbeRequest): Promise<void> {
    if (!r.plan || !r.binding || r.approvedAt === undefined || r.startBy === undefined) return;
    await this.d.queues.addProbeRun(runJobId(r.id), {
      version: 1,
      action: 'probe-run',
      requestId: r.id,
      cluster: r.cluster,
      plan: r.plan,
      approval: {
        requestId: r.id,
        approvers: r.approvers,
        approvedAt: new Date(r.approvedAt).toISOString(),
        startBy: new Date(r.startBy).toISOString(),
        binding: r.binding,
        reason: r.reason,
      },
      requester: { userId: r.requester, channelId: r.channel, ...(r.teamId ? { teamId: r.teamId } : {}) },
      threadTs: r.threadTs,
      requestedAt: new Date(r.createdAt).toISOString(),
    });
  }

  /** The run started: recorded and said once. */
  private async started(r: ProbeRequest): Promise<void> {
    if (await this.d.store.transition(r.id, ['approved'], 'running')) {
      await this.d.audit.record('started', r, {
        jobId: runJobId(r.id),
        details: { node: r.plan?.node ?? null, containerId: r.plan?.containerId ?? null },
      });
    }
    await this.note(
      r,
      'started',
      `▶️ Running ${describeSpec(r.spec)} from node ${r.plan?.node ?? '?'} (job \`${runJobId(r.id)}\`).`,
    );
  }

  private async stepRun(r: ProbeRequest): Promise<void> {
    const out = await this.jobOutcome(r.cluster, runJobId(r.id));
    const late = r.startBy !== undefined && this.now() > r.startBy;
    if (out.state === 'missing' || (out.state === 'waiting' && r.state === 'approved' && late)) {
      // Approved, but the run job was never queued (the bot died between the approval and the enqueue).
      if (out.state === 'missing' && r.state === 'approved' && !late) {
        await this.enqueueRun(r);
        return;
      }
      // Not started in time: the approval is void (the worker would refuse it too).
      await this.d.queues.removeIfWaiting(r.cluster, runJobId(r.id)).catch(() => undefined);
      await this.fail(r, ['approved', 'running'], {
        code: 'approval_void',
        message: 'The approved probe did not start in time, so the approval is void. Nothing ran.',
        next: ['Request the probe again if it is still needed.'],
      });
      return this.finish(r.id);
    }
    if (out.state === 'waiting') return;
    if (out.state === 'active') {
      await this.started(r);
      const fresh = await this.d.store.get(r.id);
      if (fresh && !fresh.posted.includes('running-shown')) {
        await this.refresh(fresh);
        await this.d.store.markPosted(r.id, 'running-shown');
      }
      return;
    }
    if (out.state === 'failed') {
      if (r.state === 'approved' && !NEVER_RAN.has(out.error.code)) await this.started(r);
      await this.fail(r, ['approved', 'running'], out.error, runJobId(r.id));
      return this.finish(r.id);
    }
    if (r.state === 'approved') await this.started(r);
    const parsed = ProbeResultSchema.safeParse(out.value);
    if (!parsed.success) {
      this.d.logger.error(
        { id: r.id, issues: parsed.error.issues },
        'worker returned an invalid probe result',
      );
      await this.fail(
        r,
        ['approved', 'running'],
        {
          code: 'internal',
          message: 'The worker returned a result this bot cannot read.',
          next: ['Check that bot and worker run the same version.'],
        },
        runJobId(r.id),
      );
      return this.finish(r.id);
    }
    const result = parsed.data;
    const uploads = r.threadTs
      ? await uploadArtefacts(this.d.client, this.d.redis, {
          jobId: runJobId(r.id),
          channel: r.channel,
          threadTs: r.threadTs,
          artefacts: result.artefacts,
        })
      : [];
    if (uploads.some((u) => u.status === 'failed')) {
      this.d.logger.warn({ id: r.id, uploads }, 'some artefacts were not uploaded');
    }
    await this.postResult(r, result, uploads);
    const verdict = verdictLine(result.findings);
    if (await this.d.store.transition(r.id, ['running', 'approved'], 'done', ['verdict', verdict])) {
      await this.d.audit.record('succeeded', r, {
        jobId: runJobId(r.id),
        decision: verdict.slice(0, 250),
        details: {
          pid: result.pid ?? null,
          containerId: result.containerId,
          exitCode: result.exitCode,
          argv: result.argv.join(' ').slice(0, 2000),
          findings: result.findings
            .map((f) => f.id)
            .join(',')
            .slice(0, 2000),
          artefacts: result.artefacts
            .map((a) => `${a.name} sha256:${a.sha256}`)
            .join(' ')
            .slice(0, 2000),
        },
      });
    }
    return this.finish(r.id);
  }

  private async postResult(r: ProbeRequest, result: ProbeResult, uploads: ArtefactUpload[]): Promise<void> {
    const lines = artefactLines(result.artefacts, uploads);
    await this.post(
      r,
      'result',
      renderProbeResult(result, {
        cluster: r.cluster,
        requestId: r.id,
        requester: r.requester,
        approvers: r.approvers,
        artefactLines: lines,
      }),
    );
  }

  /**
   * Posts a message into the thread once (keyed by `what`): claimed atomically first, so two replicas (or a
   * settle that outlived its lock) never post it twice; given back when the post fails, so it is retried.
   */
  private async post(
    r: ProbeRequest,
    what: string,
    msg: { text: string; blocks?: unknown[] },
  ): Promise<void> {
    if (!r.threadTs) return;
    if (!(await this.d.store.claimPost(r.id, what, this.now()))) return;
    try {
      await this.d.client.chat.postMessage({
        channel: r.channel,
        thread_ts: r.threadTs,
        text: msg.text,
        ...(msg.blocks ? { blocks: msg.blocks as never } : {}),
        unfurl_links: false,
        unfurl_media: false,
      });
    } catch (err) {
      await this.d.store.releasePost(r.id, what).catch(() => undefined);
      throw err;
    }
    await this.d.store.markPosted(r.id, what);
  }

  /** A one-line note in the thread, once per key (the sequence readers follow: approvals, start, expiry, …). */
  private note(r: ProbeRequest, key: string, text: string): Promise<void> {
    return this.post(r, `note-${key}`, { text });
  }

  /** Makes the thread root and the approval message show the current state (replacing buttons once decided). */
  async refresh(r: ProbeRequest): Promise<void> {
    const v = view(r);
    const s = status(r);
    if (r.threadTs) {
      const m = renderProbeRequest(v, s);
      await this.d.client.chat.update({ channel: r.channel, ts: r.threadTs, text: m.text, blocks: m.blocks });
    }
    if (r.approvalTs) {
      const m = renderApproval(v, s);
      await this.d.client.chat.update({
        channel: r.channel,
        ts: r.approvalTs,
        text: m.text,
        blocks: m.blocks,
      });
    }
  }

  /** Final state reached: say why in the thread (once), show it on both messages and stop sweeping the request. */
  private async finish(id: string): Promise<void> {
    const r = await this.d.store.get(id);
    if (!r || !FINAL_STATES.includes(r.state)) return;
    const line = finalLine(r);
    if (line) await this.note(r, 'final', line);
    if (r.state === 'failed' && !r.posted.includes('failure') && r.failure) {
      await this.post(
        r,
        'failure',
        renderProbeFailure(
          { code: (r.failureCode as UserFacingError['code']) ?? 'internal', message: r.failure, next: [] },
          { cluster: r.cluster, requestId: r.id, what: describeSpec(r.spec), stage: r.plan ? 'run' : 'plan' },
        ),
      );
    }
    if (!r.posted.includes('final-shown')) {
      try {
        await this.refresh(r);
      } catch (err) {
        // A message someone deleted (or a channel gone) can never show the final state: stop trying.
        const code = (err as { data?: { error?: string } }).data?.error;
        if (!(code === 'message_not_found' || (code && CHANNEL_REFUSALS.has(code)))) throw err;
        this.d.logger.warn({ id, code }, 'final state not shown: the message or channel is gone');
      }
      await this.d.store.markPosted(id, 'final-shown');
    }
    await this.d.store.close(r.cluster, id);
  }

  // --- clicks ---

  /** An Approve click. Re-authorizes the clicker against the policy and the stored request. */
  approve(id: string, userId: string, reply: Reply): Promise<void> {
    return this.track(this.approveNow(id, userId, reply));
  }

  private async approveNow(id: string, userId: string, reply: Reply): Promise<void> {
    const r = await this.d.store.get(id);
    if (!r) return reply('That request no longer exists (it may have expired long ago). Nothing changed.');
    if (r.state !== 'pending') return reply(stateRefusal(r));
    const may = await this.d.auth.mayApprove(userId, {
      requester: r.requester,
      cluster: r.cluster,
      namespace: r.target.namespace,
      action: r.spec.action,
      channelId: r.channel,
    });
    if (!may.allow) return reply(`⛔ ${may.reason} Nothing changed.`);
    const out = await this.d.store.approve(
      id,
      userId,
      this.now(),
      this.d.auth.expiry().approvedNotStartedMinutes * 60_000,
    );
    switch (out.status) {
      case 'missing':
        return reply('That request no longer exists. Nothing changed.');
      case 'self':
        return reply('⛔ You cannot approve your own request; another approver must. Nothing changed.');
      case 'already':
        return reply('You have already approved this request; it needs another approver.');
      case 'expired':
        await this.settle(id);
        return reply(
          '⌛ This request has expired and can no longer be approved. Ask the requester to request it again.',
        );
      case 'not_pending': {
        const fresh = await this.d.store.get(id);
        return reply(fresh ? stateRefusal(fresh) : 'That request is no longer waiting for approval.');
      }
      default:
        break;
    }
    // The approval is recorded in Redis: from here on nothing may tell the approver "nothing changed".
    const fresh = (await this.d.store.get(id))!;
    await this.d.audit.record('approval', fresh, {
      actor: userId,
      decision: `approval ${out.count} of ${out.needed}`,
    });
    if (out.status === 'approved') {
      await this.d.audit.record('approved', fresh, {
        actor: userId,
        decision: `approved by ${fresh.approvers.length}`,
      });
      await this.enqueueRun(fresh).catch((err) =>
        // The approval stands; the sweep queues the run while the approval is still valid.
        this.d.logger.warn({ err, id }, 'run not queued yet; the sweep retries'),
      );
    }
    await this.locked(id, async (cur) => {
      await this.approvalNotes(cur);
      await this.refresh(cur);
    });
  }

  /** "✅ <@U> approved (k of n)" once per approver, in the order they approved. */
  private async approvalNotes(r: ProbeRequest): Promise<void> {
    for (const [i, u] of r.approvers.entries()) {
      await this.note(r, `approval-${u}`, `✅ <@${u}> approved (${i + 1} of ${r.needed}).`);
    }
  }

  /** Checks before the deny modal opens (fast refusal); the submission checks again. */
  async mayDeny(
    id: string,
    userId: string,
  ): Promise<{ ok: true; what: string } | { ok: false; text: string }> {
    const r = await this.d.store.get(id);
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
    if (!may.allow)
      return { ok: false, text: `⛔ ${may.reason.replace('approve', 'approve or deny')} Nothing changed.` };
    return { ok: true, what: `${describeSpec(r.spec)} on ${r.target.namespace}/${r.target.pod}` };
  }

  async channelOf(id: string): Promise<string | undefined> {
    return (await this.d.store.get(id))?.channel;
  }

  /** A denial with its reason (from the deny modal). */
  deny(id: string, userId: string, reason: string, reply: Reply): Promise<void> {
    return this.track(this.denyNow(id, userId, reason, reply));
  }

  private async denyNow(id: string, userId: string, reason: string, reply: Reply): Promise<void> {
    const pre = await this.mayDeny(id, userId);
    if (!pre.ok) return reply(pre.text);
    const out = await this.d.store.decide(id, 'denied', userId, oneLine(reason, 1000), this.now());
    if (out.status !== 'ok') {
      const r = await this.d.store.get(id);
      return reply(r ? stateRefusal(r) : 'That request no longer exists. Nothing changed.');
    }
    const r = (await this.d.store.get(id))!;
    await this.d.audit.record('denied', r, { actor: userId, reason, decision: 'denied' });
    await this.d.queues.removeIfWaiting(r.cluster, planJobId(id)).catch(() => undefined);
    await this.locked(id, () => this.finish(id));
  }

  /** The requester withdraws a request that is still waiting. */
  cancel(id: string, userId: string, reply: Reply): Promise<void> {
    return this.track(this.cancelNow(id, userId, reply));
  }

  private async cancelNow(id: string, userId: string, reply: Reply): Promise<void> {
    const out = await this.d.store.decide(id, 'cancelled', userId, 'cancelled by the requester', this.now());
    if (out.status === 'not_requester')
      return reply('⛔ Only the requester can cancel this request. Nothing changed.');
    if (out.status === 'missing') return reply('That request no longer exists. Nothing changed.');
    if (out.status !== 'ok') {
      const r = await this.d.store.get(id);
      return reply(r ? stateRefusal(r) : 'That request is no longer waiting.');
    }
    const r = (await this.d.store.get(id))!;
    await this.d.audit.record('cancelled', r, { actor: userId, decision: 'cancelled' });
    await this.d.queues.removeIfWaiting(r.cluster, planJobId(id)).catch(() => undefined);
    await this.locked(id, () => this.finish(id));
  }

  /** Settles every open request of these clusters (expiry, missed queue events, bot restarts). */
  async sweep(clusters: readonly string[]): Promise<void> {
    for (const c of clusters) {
      for (const id of await this.d.store.open(c)) {
        const r = await this.d.store.get(id);
        if (!r) {
          await this.d.store.close(c, id);
          continue;
        }
        await this.settle(id);
      }
    }
  }
}

/** Failure codes of run jobs for which the probe never ran: no "started" is recorded for those. */
const NEVER_RAN: ReadonlySet<string> = new Set([
  'approval_void',
  'approval_mismatch',
  'container_changed',
  'probe_busy',
  'probe_forbidden',
  'probe_start_timeout',
  'invalid_args',
  'unknown_cluster',
]);

/** The thread line that says how a request ended, when no other message does. */
function finalLine(r: ProbeRequest): string | undefined {
  switch (r.state) {
    case 'expired':
      return `⌛ The request expired at ${new Date(r.expiresAt ?? r.createdAt).toISOString()}: nobody approved it in time. Nothing ran.`;
    case 'denied':
      return `⛔ <@${r.decidedBy}> denied the request: ${r.decisionReason ?? ''}`;
    case 'cancelled':
      return `🚫 <@${r.decidedBy ?? r.requester}> cancelled the request. Nothing ran.`;
    default:
      return undefined;
  }
}

function stateRefusal(r: ProbeRequest): string {
  switch (r.state) {
    case 'planning':
      return 'This request is still being prepared; the approval message appears in the thread in a moment.';
    case 'approved':
    case 'running':
      return 'This request is already approved. Nothing changed.';
    case 'done':
    case 'failed':
      return 'This request has already run. Nothing changed.';
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

export function view(r: ProbeRequest): ProbeView {
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
    expiresAt: r.expiresAt,
    startBy: r.startBy,
  };
}

export function status(r: ProbeRequest): ProbeStatus {
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
