import {
  dueField,
  jobIdOf,
  type ProbeResult,
  ProbeResultSchema,
  type UserFacingError,
} from '../../jobs/contracts/index.js';
import { artefactLines } from '../render/artefacts.js';
import { debugVerdict, renderDebugResult } from '../render/debug.js';
import { verdictLine } from '../render/index.js';
import { describeSpec, renderProbeResult } from '../render/probe.js';
import { jobOutcome } from './jobs.js';
import type { PrivilegedDeps } from './privileged.js';
import type { PrivilegedThread } from './privileged-thread.js';
import type { PrivilegedReq } from './store.js';

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
  'debug_refused',
  'not_running',
]);

/** The run of an approved privileged request: queued once, started, its findings and artefacts posted. */
export class PrivilegedRun {
  constructor(
    private readonly d: PrivilegedDeps,
    private readonly thread: PrivilegedThread,
  ) {}

  /**
   * Queues the run of an approved request (idempotent: one job id per request), with the bot's signature
   * over what was approved: the worker runs nothing else. A bot without a signing key fails the request.
   */
  async enqueue(r: PrivilegedReq): Promise<void> {
    if (!r.plan || !r.binding || r.approvedAt === undefined || r.startBy === undefined) return;
    if (!this.d.signer) {
      await this.thread.fail(r, ['approved'], {
        code: 'internal',
        message:
          'This bot has no approval signing key, so no worker would run the approved probe; nothing ran.',
        next: ['Ask the operators to set APPROVAL_SIGNING_KEY_FILE (see docs/configuration.md).'],
      });
      return this.thread.finish(r.id);
    }
    const approvedAt = new Date(r.approvedAt).toISOString();
    const startBy = new Date(r.startBy).toISOString();
    const signed = this.d.signer.sign({
      requestId: r.id,
      plan: r.plan,
      requester: r.requester,
      approvers: r.approvers,
      approvedAt,
      startBy,
    });
    await this.d.queues.addProbeRun(jobIdOf(r.id, 'run'), {
      version: 1,
      action: 'probe-run',
      requestId: r.id,
      cluster: r.cluster,
      plan: r.plan,
      approval: {
        requestId: r.id,
        approvers: r.approvers,
        approvedAt,
        startBy,
        binding: r.binding,
        reason: r.reason,
        signed,
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
    await this.thread.note(
      r,
      'started',
      `▶️ Running ${describeSpec(r.spec)} from node ${r.plan?.node ?? '?'} (job \`${jobIdOf(r.id, 'run')}\`).`,
    );
  }

  async step(r: PrivilegedReq): Promise<void> {
    const runJob = jobIdOf(r.id, 'run');
    const out = await jobOutcome(this.d.queues, r.cluster, runJob);
    const late = r.startBy !== undefined && this.d.now() > r.startBy;
    if (out.state === 'missing' || (out.state === 'waiting' && r.state === 'approved' && late)) {
      // Approved, but the run job was never queued (the bot died between the approval and the enqueue).
      if (out.state === 'missing' && r.state === 'approved' && !late) {
        await this.enqueue(r);
        return;
      }
      // Not started in time: the approval is void (the worker would refuse it too).
      await this.d.queues.removeIfWaiting(r.cluster, runJob).catch(() => undefined);
      await this.thread.fail(r, ['approved', 'running'], {
        code: 'approval_void',
        message: 'The approved probe did not start in time, so the approval is void. Nothing ran.',
        next: ['Request the probe again if it is still needed.'],
      });
      return this.thread.finish(r.id);
    }
    if (out.state === 'waiting') return;
    if (out.state === 'active') {
      await this.started(r);
      const fresh = await this.thread.get(r.id);
      if (fresh && !fresh.posted.includes('running-shown')) {
        await this.thread.refresh(fresh);
        await this.d.store.mark(r.id, 'running-shown');
      }
      return;
    }
    if (out.state === 'failed') {
      if (r.state === 'approved' && !NEVER_RAN.has(out.error.code)) await this.started(r);
      await this.thread.fail(r, ['approved', 'running'], out.error, runJob);
      return this.thread.finish(r.id);
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
      await this.thread.fail(r, ['approved', 'running'], error, runJob);
      return this.thread.finish(r.id);
    }
    await this.succeed(r, parsed.data);
    return this.thread.finish(r.id);
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
    const inPod = result.action === 'debug' || result.action === 'connectivity';
    const msg = (inPod ? renderDebugResult : renderProbeResult)(result, {
      cluster: r.cluster,
      requestId: r.id,
      requester: r.requester,
      approvers: r.approvers,
      artefactLines: artefactLines(result.artefacts, uploads),
    });
    if (!(await this.thread.post(r, 'result', msg))) return;
    const verdict = inPod ? debugVerdict(result) : verdictLine(result.findings);
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
}
