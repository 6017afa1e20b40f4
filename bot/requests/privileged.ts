import { Job } from 'bullmq';
import {
  decodeFailure,
  dueField,
  jobIdOf,
  PRIVILEGED_FINAL_STATES,
  type PrivilegedState,
  ProbePlanResultSchema,
  type ProbeResult,
  ProbeResultSchema,
  type ProbeSpec,
  type ProbeTarget,
  planBinding,
  requestIdFor,
  type UserFacingError,
  withDeadline,
} from '../../jobs/contracts/index.js';
import type { Authorizer } from '../auth.js';
import type { Logger } from '../log.js';
import { type Queues, queueUnavailable } from '../queues.js';
import { artefactLines } from '../render/artefacts.js';
import { verdictLine } from '../render/index.js';
import {
  describeSpec,
  renderApproval,
  renderProbeFailure,
  renderProbeRequest,
  renderProbeResult,
} from '../render/probe.js';
import { oneLine, type RequestAudit } from './audit.js';
import type { RequestEngine, RequestKindHandler } from './engine.js';
import { finalLine, status, view } from './privileged-view.js';
import type { PrivilegedReq, Req, RequestStore } from './store.js';
import { CHANNEL_REFUSALS, type Msg, type RequestThreads, slackErrorCode } from './thread.js';
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

type JobOutcome =
  | { state: 'waiting' }
  | { state: 'active' }
  | { state: 'missing' }
  | { state: 'completed'; value: unknown }
  | { state: 'failed'; error: UserFacingError };

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

/**
 * Privileged requests on the request engine, in their thread: request (planned by the worker: node, image,
 * container ID) → approval message with buttons → approvals (N of M, never the requester) or denial /
 * cancellation / expiry → run → findings and artefacts. Every transition is an atomic step in Redis; every
 * step is posted in the thread and written to the audit trail. Clicks live in privileged-clicks.ts.
 */
export class PrivilegedRequests implements RequestKindHandler {
  constructor(readonly d: PrivilegedDeps) {}

  /** Queues the plan job, then records the request (planning); throws queue_unavailable. */
  async submit(ask: ProbeAsk, reason: string, viewId: string): Promise<{ id: string; duplicate: boolean }> {
    const id = requestIdFor('privileged', [ask.teamId ?? '', ask.cluster, ask.channelId, ask.userId, viewId]);
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

  async get(id: string): Promise<PrivilegedReq | undefined> {
    const r = await this.d.store.get(id);
    return r?.kind === 'privileged' ? r : undefined;
  }

  async settle(req: Req): Promise<void> {
    if (req.kind !== 'privileged') return;
    let r = req;
    // A plan is there but its approval message never made it into the thread (Slack error, bot killed).
    if (r.plan && !r.approvalTs && ['pending', 'approved', 'running'].includes(r.state)) {
      await this.postApproval(r);
      const fresh = await this.get(r.id);
      if (fresh) {
        await this.refresh(fresh);
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

  private async stepPlanning(r: PrivilegedReq): Promise<void> {
    const planJob = jobIdOf(r.id, 'plan');
    const out = await this.jobOutcome(r.cluster, planJob);
    const expiry = this.d.auth.expiry();
    if (out.state === 'waiting' || out.state === 'active') {
      // No worker took the plan within the time an approval could have taken: say so rather than wait forever.
      if (this.d.now() - r.createdAt > expiry.pendingMinutes * 60_000) {
        await this.d.queues.removeIfWaiting(r.cluster, planJob).catch(() => undefined);
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
    const now = this.d.now();
    const moved =
      r.needed === 0
        ? await this.d.store.transition(r.id, ['planning'], 'approved', {
            plan,
            binding,
            approvedAt: now,
            startBy: now + expiry.approvedNotStartedMinutes * 60_000,
          })
        : await this.d.store.transition(r.id, ['planning'], 'pending', {
            plan,
            binding,
            expiresAt: now + expiry.pendingMinutes * 60_000,
          });
    const fresh = await this.get(r.id);
    if (!fresh || !moved) return;
    if (fresh.state === 'approved') {
      await this.d.audit.record('approved', fresh, { decision: 'no approval needed by policy' });
      await this.enqueueRun(fresh);
    }
    await this.postApproval(fresh);
    await this.refresh((await this.get(r.id)) ?? fresh);
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

  private failureMessage(r: PrivilegedReq, error: UserFacingError): Msg {
    return renderProbeFailure(error, {
      cluster: r.cluster,
      requestId: r.id,
      what: describeSpec(r.spec),
      stage: r.plan ? 'run' : 'plan',
    });
  }

  private async postApproval(r: PrivilegedReq): Promise<void> {
    if (r.approvalTs || !r.threadTs) return;
    const msg = renderApproval(view(r), status(r));
    await this.d.threads.postOnce(r, 'approval-message', msg, {
      threadTs: r.threadTs,
      fields: (ts) => ({ approvalTs: ts }),
    });
  }

  /** Queues the run of an approved request (idempotent: one job id per request). */
  async enqueueRun(r: PrivilegedReq): Promise<void> {
    if (!r.plan || !r.binding || r.approvedAt === undefined || r.startBy === undefined) return;
    await this.d.queues.addProbeRun(jobIdOf(r.id, 'run'), {
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
  private async started(r: PrivilegedReq): Promise<void> {
    if (await this.d.store.transition(r.id, ['approved'], 'running')) {
      await this.d.audit.record('started', r, {
        jobId: jobIdOf(r.id, 'run'),
        details: { node: r.plan?.node ?? null, containerId: r.plan?.containerId ?? null },
      });
    }
    await this.note(
      r,
      'started',
      `▶️ Running ${describeSpec(r.spec)} from node ${r.plan?.node ?? '?'} (job \`${jobIdOf(r.id, 'run')}\`).`,
    );
  }

  private async stepRun(r: PrivilegedReq): Promise<void> {
    const runJob = jobIdOf(r.id, 'run');
    const out = await this.jobOutcome(r.cluster, runJob);
    const late = r.startBy !== undefined && this.d.now() > r.startBy;
    if (out.state === 'missing' || (out.state === 'waiting' && r.state === 'approved' && late)) {
      // Approved, but the run job was never queued (the bot died between the approval and the enqueue).
      if (out.state === 'missing' && r.state === 'approved' && !late) {
        await this.enqueueRun(r);
        return;
      }
      // Not started in time: the approval is void (the worker would refuse it too).
      await this.d.queues.removeIfWaiting(r.cluster, runJob).catch(() => undefined);
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
      const fresh = await this.get(r.id);
      if (fresh && !fresh.posted.includes('running-shown')) {
        await this.refresh(fresh);
        await this.d.store.mark(r.id, 'running-shown');
      }
      return;
    }
    if (out.state === 'failed') {
      if (r.state === 'approved' && !NEVER_RAN.has(out.error.code)) await this.started(r);
      await this.fail(r, ['approved', 'running'], out.error, runJob);
      return this.finish(r.id);
    }
    if (r.state === 'approved') await this.started(r);
    const parsed = ProbeResultSchema.safeParse(out.value);
    if (!parsed.success) {
      this.d.logger.error(
        { id: r.id, issues: parsed.error.issues },
        'worker returned an invalid probe result',
      );
      const error: UserFacingError = {
        code: 'internal',
        message: 'The worker returned a result this bot cannot read.',
        next: ['Check that bot and worker run the same version.'],
      };
      await this.fail(r, ['approved', 'running'], error, runJob);
      return this.finish(r.id);
    }
    await this.succeed(r, parsed.data);
    return this.finish(r.id);
  }

  private async succeed(r: PrivilegedReq, result: ProbeResult): Promise<void> {
    const runJob = jobIdOf(r.id, 'run');
    const uploads = r.threadTs
      ? await this.d.uploads({
          jobId: runJob,
          channel: r.channel,
          threadTs: r.threadTs,
          artefacts: result.artefacts,
        })
      : [];
    if (uploads.some((u) => u.status === 'failed')) {
      this.d.logger.warn({ id: r.id, uploads }, 'some artefacts were not uploaded');
    }
    const msg = renderProbeResult(result, {
      cluster: r.cluster,
      requestId: r.id,
      requester: r.requester,
      approvers: r.approvers,
      artefactLines: artefactLines(result.artefacts, uploads),
    });
    if (!(await this.post(r, 'result', msg))) return;
    const verdict = verdictLine(result.findings);
    const moved = await this.d.store.transition(r.id, ['running', 'approved'], 'done', {
      verdict,
      [dueField('succeeded')]: this.d.now(),
    });
    if (!moved) return;
    await this.d.audit.record(
      'succeeded',
      r,
      {
        jobId: runJob,
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
      },
      true,
    );
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
