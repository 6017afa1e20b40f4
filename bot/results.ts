import type { WebClient } from '@slack/web-api';
import { Job, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  type DiagnoseResult,
  DiagnoseResultSchema,
  decodeFailure,
  ProgressSchema,
  QUEUE_PREFIX,
  queueName,
  type UserFacingError,
} from '../jobs/contracts/index.js';
import type { Logger } from './log.js';
import type { Queues } from './queues.js';
import {
  countBySeverity,
  type RenderContext,
  type RenderedMessage,
  renderAmbiguous,
  renderDiagnosis,
  renderFailure,
  renderStatus,
  verdictLine,
} from './render/index.js';
import type { RequestRecord, RequestStore } from './store.js';

export interface ResultPosterDeps {
  store: RequestStore;
  queues: Queues;
  client: WebClient;
  logger: Logger;
  /** Connection factory for QueueEvents (each needs its own blocking connection). */
  eventsConnection: () => Redis;
  /** How often open requests are swept (ms). Default 15000. */
  sweepMs?: number;
  /** A request without a status message this old is announced by the sweep (ms). Default 30000. */
  announceGraceMs?: number;
  /** Privileged requests: their plan and run jobs share the queues; their events and sweep go there. */
  probes?: { settle(requestId: string): Promise<void>; sweep(clusters: readonly string[]): Promise<void> };
  /** Records the outcome of a diagnose in the audit trail (never throws). */
  audit?: (e: { type: 'succeeded' | 'failed'; rec: RequestRecord; decision: string }) => Promise<void>;
}

/** `plan-<id>` / `run-<id>` → the privileged request id; undefined for diagnose jobs. */
function probeRequestOf(jobId: string): string | undefined {
  const m = /^(?:plan|run)-(prb-[0-9a-f]{24})$/.exec(jobId);
  return m?.[1];
}

/** Slack errors that mean the bot may not post in that channel at all. */
export const CHANNEL_REFUSALS = new Set([
  'not_in_channel',
  'channel_not_found',
  'is_archived',
  'restricted_action',
]);

/** Why a status message could not be posted where the command was typed. */
export class ChannelRefused extends Error {}

type Outcome = { kind: 'result'; result: DiagnoseResult } | { kind: 'failure'; error: UserFacingError };

/**
 * Carries results from Redis into the incident thread. Every path goes
 * through `settle(jobId)`, which is idempotent and guarded by a per-job lock
 * in Redis: queue events call it, the command handler calls it once the
 * status message exists, and a sweep calls it for every open request (on
 * start-up too), so a result is posted exactly once even across bot restarts,
 * Redis restarts and several bot replicas.
 */
export class ResultPoster {
  private readonly events: QueueEvents[] = [];
  private sweepTimer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;
  private stopping = false;
  /** Settles and status updates under way: stop() lets them finish (and release their locks). */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly d: ResultPosterDeps) {}

  async start(): Promise<void> {
    for (const cluster of this.d.queues.clusters) {
      const ev = new QueueEvents(queueName(cluster), {
        connection: this.d.eventsConnection(),
        prefix: QUEUE_PREFIX,
      });
      ev.on('completed', ({ jobId }) => this.track(() => this.route(jobId, () => this.settle(jobId))));
      ev.on('failed', ({ jobId }) => this.track(() => this.route(jobId, () => this.settle(jobId))));
      ev.on('active', ({ jobId }) => this.track(() => this.route(jobId, () => this.running(jobId))));
      ev.on('progress', ({ jobId, data }) => {
        if (probeRequestOf(jobId)) return;
        const p = ProgressSchema.safeParse(data);
        this.track(() => this.running(jobId, p.success ? p.data.stage : undefined));
      });
      ev.on('error', (err) => this.d.logger.warn({ err, cluster }, 'queue events error'));
      this.events.push(ev);
    }
    await this.sweep();
    this.sweepTimer = setInterval(() => this.track(() => this.sweep()), this.d.sweepMs ?? 15_000);
    this.sweepTimer.unref();
  }

  /** Stops taking work, lets what is under way finish, then closes the event streams. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.sweepTimer);
    await this.sweeping;
    await Promise.allSettled([...this.inFlight]);
    await Promise.all(this.events.map((e) => e.close()));
  }

  /** Probe jobs go to the probe flow; everything else is a diagnose job. */
  private route(jobId: string, diagnose: () => Promise<void>): Promise<void> {
    const id = probeRequestOf(jobId);
    if (id) return this.d.probes ? this.d.probes.settle(id) : Promise.resolve();
    return diagnose();
  }

  /** Takes the job's lock, waiting up to ~3 s for a short holder (a status update) to finish. */
  private async lockSoon(jobId: string): Promise<boolean> {
    for (let i = 0; i < 30; i++) {
      if (await this.d.store.lock(jobId)) return true;
      if (this.stopping) return false;
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  }

  private track(op: () => Promise<unknown>): void {
    if (this.stopping) return;
    const p = op().catch((err) => this.d.logger.warn({ err }, 'result poster operation failed'));
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /** Settles every open request (results that finished while nobody listened). */
  sweep(): Promise<void> {
    this.sweeping ??= (async () => {
      try {
        for (const cluster of this.d.queues.clusters) {
          for (const jobId of await this.d.store.open(cluster)) {
            if (this.stopping) return;
            await this.settle(jobId, cluster);
          }
        }
        if (this.d.probes && !this.stopping) await this.d.probes.sweep(this.d.queues.clusters);
      } catch (err) {
        this.d.logger.warn({ err }, 'sweep failed; will retry');
      } finally {
        this.sweeping = undefined;
      }
    })();
    return this.sweeping;
  }

  private async outcome(rec: RequestRecord): Promise<Outcome | 'pending' | 'active'> {
    const queue = this.d.queues.queue(rec.cluster);
    // State first, then the job: read the other way round, a job that completes in between
    // would look completed with the return value it did not have yet.
    const state = await queue.getJobState(rec.jobId);
    if (state === 'active') return 'active';
    if (state !== 'completed' && state !== 'failed' && state !== 'unknown') return 'pending';
    const job = state === 'unknown' ? undefined : await Job.fromId(queue, rec.jobId);
    if (!job) {
      return {
        kind: 'failure',
        error: {
          code: 'internal',
          message: 'The job vanished from the queue before its result was posted.',
          next: ['Run the command again.'],
        },
      };
    }
    if (state === 'failed') return { kind: 'failure', error: decodeFailure(job.failedReason) };
    const parsed = DiagnoseResultSchema.safeParse(job.returnvalue);
    if (parsed.success) return { kind: 'result', result: parsed.data };
    this.d.logger.error(
      { jobId: rec.jobId, issues: parsed.error.issues },
      'worker returned an invalid result',
    );
    return {
      kind: 'failure',
      error: {
        code: 'internal',
        message: 'The worker returned a result this bot cannot read.',
        next: ['Check that bot and worker run the same version.'],
      },
    };
  }

  /**
   * Posts the visible status message ("diagnosing ns/pod for @user") where the
   * request was made, remembers it, then settles (the job may be done already).
   * Throws ChannelRefused when Slack will not let the bot post there.
   */
  announce(jobId: string): Promise<void> {
    const p = this.announceNow(jobId);
    this.inFlight.add(p);
    p.finally(() => this.inFlight.delete(p)).catch(() => undefined);
    return p;
  }

  private async announceNow(jobId: string): Promise<void> {
    // Exclusive with the sweep's late announce and with settle: one status message per request.
    if (!(await this.d.store.lock(jobId))) return;
    try {
      const rec = await this.d.store.get(jobId);
      if (!rec || rec.statusTs) return;
      const msg = renderStatus({
        phase: 'queued',
        target: rec.target,
        cluster: rec.cluster,
        requestedBy: rec.user,
      });
      let ts: string | undefined;
      try {
        const res = await this.d.client.chat.postMessage({
          channel: rec.channel,
          thread_ts: rec.threadTs,
          text: msg.text,
          blocks: msg.blocks,
        });
        ts = res.ts;
      } catch (err) {
        const code = (err as { data?: { error?: string } }).data?.error;
        if (code && CHANNEL_REFUSALS.has(code)) {
          await this.d.queues.removeIfWaiting(rec.cluster, jobId).catch(() => undefined);
          await this.d.store.drop(rec);
          throw new ChannelRefused(code);
        }
        throw err;
      }
      await this.d.store.update(rec, { statusTs: ts, threadTs: rec.threadTs ?? ts });
    } finally {
      await this.d.store.unlock(jobId).catch(() => undefined);
    }
    await this.settle(jobId);
  }

  /** Posts the result of a finished job into its thread, once. Safe to call any number of times. */
  async settle(jobId: string, cluster?: string): Promise<void> {
    const { store, logger } = this.d;
    const rec = await store.get(jobId);
    if (!rec) {
      if (cluster) await store.drop({ jobId, cluster }); // expired record still listed as open
      return;
    }
    if (!this.d.queues.clusters.includes(rec.cluster)) return; // another bot's cluster
    if (rec.phase === 'done') return;
    if (!rec.statusTs) {
      // The handler posts the status message right after ack and then settles. Only when it died
      // in between (older than announceGraceMs) does the sweep post the status message itself.
      if (Date.now() - rec.createdAt > (this.d.announceGraceMs ?? 30_000)) {
        await this.announceNow(jobId).catch((err) => logger.warn({ err, jobId }, 'late announce failed'));
      }
      return;
    }
    const log = logger.child({ jobId, cluster: rec.cluster });
    let out: Awaited<ReturnType<ResultPoster['outcome']>>;
    try {
      out = await this.outcome(rec);
    } catch (err) {
      log.warn({ err }, 'could not read the job yet; the sweep retries');
      return;
    }
    if (out === 'pending' || out === 'active') {
      // Not finished: nothing to post. Progress updates keep the status message current.
      if (out === 'active' && rec.phase === 'queued') await this.running(jobId);
      return;
    }
    // Finished. A status update may hold the lock for a moment: wait for it rather than leave the result to the sweep.
    if (!(await this.lockSoon(jobId))) return;
    try {
      const fresh = await store.get(jobId);
      if (!fresh || fresh.phase === 'done') return;
      rec.phase = fresh.phase;
      const ctx = { cluster: rec.cluster, jobId, requestedBy: rec.user, requested: rec.targetRef };
      if (rec.phase !== 'replied') {
        const msg = this.renderOutcome(out, ctx, rec.target);
        await this.d.client.chat.postMessage({
          channel: rec.channel,
          thread_ts: rec.threadTs ?? rec.statusTs,
          text: msg.text,
          blocks: msg.blocks,
          unfurl_links: false,
          unfurl_media: false,
        });
        await store.update(rec, { phase: 'replied' });
        log.info({ outcome: out.kind }, 'result posted');
        await this.d.audit?.({
          type: out.kind === 'failure' ? 'failed' : 'succeeded',
          rec,
          decision:
            out.kind === 'failure'
              ? `${out.error.code}: ${out.error.message}`
              : out.result.outcome === 'ambiguous'
                ? `ambiguous: ${out.result.candidates.length} pods`
                : verdictLine(out.result.findings),
        });
      }
      await this.finalStatus(rec, out);
      await store.update(rec, { phase: 'done' });
    } catch (err) {
      log.warn({ err }, 'could not settle yet; the sweep retries');
    } finally {
      await store.unlock(jobId).catch(() => undefined);
    }
  }

  private renderOutcome(out: Outcome, ctx: RenderContext, target: string): RenderedMessage {
    if (out.kind === 'failure') return renderFailure(out.error, { ...ctx, target });
    return out.result.outcome === 'ambiguous'
      ? renderAmbiguous(out.result, ctx)
      : renderDiagnosis(out.result, ctx);
  }

  private async finalStatus(rec: RequestRecord, out: Outcome): Promise<void> {
    if (out.kind === 'failure') {
      await this.updateStatus(rec, 'failed', { verdict: out.error.message });
      return;
    }
    const r = out.result;
    if (r.outcome === 'ambiguous') {
      await this.updateStatus(rec, 'done', {
        verdict: `\`${r.name}\` matches ${r.candidates.length} pods: pick one (see thread)`,
      });
      return;
    }
    await this.updateStatus(rec, 'done', {
      verdict: verdictLine(r.findings),
      counts: countBySeverity(r.findings),
      target: `${r.target.namespace}/${r.target.name}`,
    });
  }

  /** Best-effort progress on the status message; never overwrites a final state. */
  private async running(jobId: string, stage?: string): Promise<void> {
    const rec = await this.d.store.get(jobId).catch(() => undefined);
    if (!rec?.statusTs || rec.phase === 'replied' || rec.phase === 'done') return;
    if (!(await this.d.store.lock(jobId, 10_000).catch(() => false))) return;
    try {
      const fresh = await this.d.store.get(jobId);
      if (fresh && (fresh.phase === 'queued' || fresh.phase === 'running'))
        await this.updateStatus(fresh, 'running', { stage });
    } catch (err) {
      this.d.logger.debug({ err, jobId }, 'status update skipped');
    } finally {
      await this.d.store.unlock(jobId).catch(() => undefined);
    }
  }

  private async updateStatus(
    rec: RequestRecord,
    phase: 'running' | 'done' | 'failed',
    extra: {
      stage?: string;
      verdict?: string;
      counts?: { critical: number; warning: number; info: number };
      target?: string;
    } = {},
  ): Promise<void> {
    if (!rec.statusTs) return;
    const msg = renderStatus({
      phase,
      target: extra.target ?? rec.target,
      cluster: rec.cluster,
      requestedBy: rec.user,
      stage: extra.stage,
      verdict: extra.verdict,
      counts: extra.counts,
    });
    await this.d.client.chat.update({
      channel: rec.channel,
      ts: rec.statusTs,
      text: msg.text,
      blocks: msg.blocks,
    });
    if (phase === 'running' && rec.phase === 'queued') await this.d.store.update(rec, { phase: 'running' });
  }
}
