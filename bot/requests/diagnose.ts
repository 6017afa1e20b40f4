import {
  type DiagnosePayload,
  type DiagnoseResult,
  DiagnoseResultSchema,
  dueField,
  formatTarget,
  jobIdOf,
  type ReadPayload,
  type ReadResult,
  ReadResultSchema,
  type ReadSpec,
  requestIdFor,
  type TargetRef,
  type UserFacingError,
} from '../../jobs/contracts/index.js';
import type { Logger } from '../log.js';
import { type Queues, queueUnavailable } from '../queues.js';
import { artefactLines } from '../render/artefacts.js';
import {
  countBySeverity,
  type RenderContext,
  type RenderedMessage,
  renderAmbiguous,
  renderDiagnosis,
  renderFailure,
  renderStatus,
  verdictLine,
} from '../render/index.js';
import { renderReadResult } from '../render/read.js';
import type { RequestAudit } from './audit.js';
import type { RequestEngine, RequestKindHandler } from './engine.js';
import { jobOutcome } from './jobs.js';
import { type DiagnoseReq, type NewRequest, type Req, RequestStore } from './store.js';
import { CHANNEL_REFUSALS, ChannelRefused, type RequestThreads, slackErrorCode } from './thread.js';
import type { UploadArtefacts } from './uploads.js';

export interface DiagnoseAsk {
  cluster: string;
  target: TargetRef;
  userId: string;
  channelId: string;
  teamId?: string;
  /** Unique per Slack interaction: the request id derives from it, so a redelivery makes no second request. */
  triggerId: string;
  /** Post into this thread (a re-run clicked inside a thread) instead of starting one. */
  threadTs?: string;
  /** A read (logs, events, describe) instead of a diagnose: same request, another job. */
  read?: ReadSpec;
}

export interface DiagnoseDeps {
  store: RequestStore;
  queues: Queues;
  threads: RequestThreads;
  audit: RequestAudit;
  engine: RequestEngine;
  logger: Logger;
  now: () => number;
  enqueueTimeoutMs: number;
  /** Uploads a read's long text into the thread (bot/requests/uploads.ts); absent: the file line says not uploaded. */
  uploads?: UploadArtefacts;
  /**
   * Progress is shown on the status message only for a diagnose still running this long after the command
   * (ms; default 2000): one that finishes sooner makes three Slack calls (status message, findings, final
   * state). Tier 3 `chat.update` allows about 50 a minute per workspace.
   */
  progressDelayMs?: number;
  /** After the first, at most one progress update per this many ms, showing the latest stage (default 5000). */
  progressEveryMs?: number;
}

/** A request's progress display in this process: the latest stage heard, what was shown and when, a pending update. */
interface ProgressView {
  stage?: string;
  shown?: { at: number; stage?: string };
  timer?: NodeJS.Timeout;
  retries: number;
}

type Outcome =
  | { kind: 'result'; result: DiagnoseResult }
  | { kind: 'read'; result: ReadResult }
  | { kind: 'failure'; error: UserFacingError };

/** The status line's verb: `Diagnosing`, `Reading logs of`, … */
export function doingOf(r: { read?: ReadSpec }): string | undefined {
  if (!r.read) return undefined;
  return r.read.action === 'describe' ? 'Describing' : `Reading ${r.read.action} of`;
}
type Final = NonNullable<DiagnoseReq['final']>;

/**
 * Diagnose on the request engine: queued → running → replied (findings in the thread) → done (the status
 * message shows the verdict). The status message is the thread's first message.
 */
export class DiagnoseRequests implements RequestKindHandler {
  private readonly views = new Map<string, ProgressView>();
  private stopped = false;

  constructor(private readonly d: DiagnoseDeps) {}

  /**
   * Queues the job and records the request in one MULTI (one round trip): Redis adds the job first, and the
   * record is made only if the job is there, so the sweep never meets a request without its job. Both
   * happen before the handler acks, so an acknowledged request cannot be lost; if Redis does not answer
   * in time, a queue_unavailable error says nothing started (and a late MULTI is taken back). A redelivered
   * request is reported as a duplicate.
   */
  async submit(a: DiagnoseAsk): Promise<{ id: string; duplicate: boolean }> {
    const id = requestIdFor('diagnose', a.cluster, [a.teamId ?? '', a.channelId, a.userId, a.triggerId]);
    const now = this.d.now();
    const requester = { userId: a.userId, channelId: a.channelId, ...(a.teamId ? { teamId: a.teamId } : {}) };
    const requestedAt = new Date(now).toISOString();
    const payload: DiagnosePayload | ReadPayload = a.read
      ? {
          version: 1,
          action: 'read',
          cluster: a.cluster,
          target: a.target,
          spec: a.read,
          requester,
          requestedAt,
        }
      : { version: 1, action: 'diagnose', cluster: a.cluster, target: a.target, requester, requestedAt };
    const record: NewRequest = {
      id,
      kind: 'diagnose',
      state: 'queued',
      cluster: a.cluster,
      channel: a.channelId,
      teamId: a.teamId,
      requester: a.userId,
      createdAt: now,
      target: formatTarget(a.target),
      targetRef: a.target,
      threadTs: a.threadTs,
      read: a.read,
    };
    const [reply] = await this.d.queues.addDiagnoseWith(
      jobIdOf(id, 'diagnose'),
      payload,
      (tx, jobKey) => this.d.store.createAfterJob(tx, record, ['requested'], jobKey),
      async ([late]) => {
        if (RequestStore.created(late) === 'created') await this.d.store.drop(id, a.cluster);
      },
    );
    const created = RequestStore.created(reply);
    if (created === 'no_job') throw queueUnavailable(new Error(`job ${id} was not added`));
    return { id, duplicate: created === 'exists' };
  }

  /**
   * After the ack, queued behind the acks of other commands: the `requested` audit entry (due since the
   * record was made), then the status message, then a first settle. Rejects with ChannelRefused when the
   * bot may not post in the channel.
   */
  accepted(id: string): Promise<void> {
    return this.d.engine.accept(id, (r) => this.d.audit.record('requested', r, { actor: r.requester }, true));
  }

  announced(r: Req): boolean {
    return Boolean(r.statusTs);
  }

  async announce(r: Req): Promise<void> {
    if (r.kind !== 'diagnose') return;
    const msg = renderStatus({
      phase: 'queued',
      target: r.target,
      cluster: r.cluster,
      requestedBy: r.requester,
      doing: doingOf(r),
    });
    try {
      await this.d.threads.postOnce(r, 'status', msg, {
        threadTs: r.threadTs,
        fields: (ts) => ({ statusTs: ts, threadTs: r.threadTs ?? ts }),
      });
    } catch (err) {
      const code = slackErrorCode(err);
      if (code && CHANNEL_REFUSALS.has(code)) {
        await this.d.queues.removeIfWaiting(r.cluster, jobIdOf(r.id, 'diagnose')).catch(() => undefined);
        await this.d.audit.record('failed', r, { decision: `the bot cannot post in the channel (${code})` });
        await this.d.store.drop(r.id, r.cluster);
        throw new ChannelRefused(code);
      }
      throw err;
    }
  }

  async settle(req: Req): Promise<void> {
    if (req.kind !== 'diagnose' || !req.statusTs) return;
    let r = req;
    if (r.state === 'queued' || r.state === 'running') {
      const out = await this.outcome(r);
      if (out === 'pending') return;
      if (out === 'active') {
        await this.running(r);
        return;
      }
      const ctx = { cluster: r.cluster, jobId: r.id, requestedBy: r.requester, requested: r.targetRef };
      const msg =
        out.kind === 'read'
          ? await this.renderRead(r, out.result)
          : render(out, ctx, r.target, r.read?.action);
      const posted = await this.d.threads.postOnce(r, 'result', msg, {
        threadTs: r.threadTs ?? r.statusTs,
      });
      if (!posted) return;
      this.forget(r.id);
      const final = finalOf(out);
      const type = out.kind === 'failure' ? 'failed' : 'succeeded';
      if (
        await this.d.store.transition(r.id, ['queued', 'running'], 'replied', {
          final,
          [dueField(type)]: this.d.now(),
        })
      ) {
        this.d.logger.info({ id: r.id, outcome: out.kind }, 'result posted');
      }
      const fresh = await this.d.store.get(r.id);
      if (fresh?.kind !== 'diagnose') return;
      r = fresh;
      await this.d.audit.record(type, r, { jobId: r.id, decision: auditDecision(out) }, true);
    }
    if (r.state === 'replied' && r.final) {
      this.forget(r.id);
      await this.showFinal(r, r.final);
      await this.d.store.transition(r.id, ['replied'], 'done');
    }
    if (r.state === 'replied' || r.state === 'done') await this.d.store.close(r.cluster, r.id);
  }

  /** The job started or reported a stage: recorded now, shown later if it still runs (see `running`). */
  async progress(r: Req, _step: unknown, stage?: string): Promise<void> {
    if (r.kind !== 'diagnose' || !(r.state === 'queued' || r.state === 'running')) return;
    await this.running(r, stage);
  }

  /** Drops pending progress updates (the engine stops). */
  stop(): void {
    this.stopped = true;
    for (const id of [...this.views.keys()]) this.forget(id);
  }

  /**
   * The job runs: the record says so at once (queued → running, no Slack call), and the status message
   * shows it only if the diagnose is still running `progressDelayMs` after the command. Later stages are
   * coalesced: at most one update per `progressEveryMs`, with the latest stage, and none when the stage
   * shown is still the latest.
   */
  private async running(r: DiagnoseReq, stage?: string): Promise<void> {
    if (r.state === 'queued') await this.d.store.transition(r.id, ['queued'], 'running');
    if (this.stopped) return;
    let v = this.views.get(r.id);
    if (!v) {
      v = { retries: 0 };
      this.views.set(r.id, v);
    }
    if (stage) v.stage = stage;
    if (v.timer || (v.shown && v.shown.stage === v.stage)) return;
    const at = Math.max(
      r.createdAt + (this.d.progressDelayMs ?? 2000),
      v.shown ? v.shown.at + (this.d.progressEveryMs ?? 5000) : 0,
    );
    this.schedule(r.id, v, at - this.d.now());
  }

  private schedule(id: string, v: ProgressView, inMs: number): void {
    v.timer = setTimeout(
      () => {
        v.timer = undefined;
        if (!this.stopped) this.d.engine.track(this.showProgress(id, v)).catch(() => undefined);
      },
      Math.max(0, inMs),
    );
    v.timer.unref();
  }

  /** Shows the latest stage if the request still runs: best effort, one attempt, never over a final state. */
  private async showProgress(id: string, v: ProgressView): Promise<void> {
    const done = await this.d.engine.withLock(
      id,
      async (fresh) => {
        if (fresh.kind !== 'diagnose' || !(fresh.state === 'queued' || fresh.state === 'running')) {
          this.forget(id);
          return true;
        }
        const stage = v.stage;
        v.shown = { at: this.d.now(), stage };
        await this.showRunning(fresh, stage);
        // A stage heard while this update was under way is shown next, no sooner than progressEveryMs.
        if (v.stage !== stage && !v.timer && this.views.get(id) === v) {
          this.schedule(id, v, this.d.progressEveryMs ?? 5000);
        }
        return true;
      },
      // Without waiting: whoever holds the lock is about to show something as new or newer.
      { waitMs: 0 },
    );
    // The lock was busy (a settle, a sweep): try again a little later, a few times.
    if (done === undefined && this.views.get(id) === v && !v.timer && v.retries++ < 3) {
      this.schedule(id, v, 1000);
    }
  }

  private forget(id: string): void {
    const v = this.views.get(id);
    if (v) clearTimeout(v.timer);
    this.views.delete(id);
  }

  private async showRunning(r: DiagnoseReq, stage?: string): Promise<void> {
    if (!r.statusTs) return;
    const msg = renderStatus({
      phase: 'running',
      target: r.target,
      cluster: r.cluster,
      requestedBy: r.requester,
      stage,
      doing: doingOf(r),
    });
    try {
      await this.d.threads.update(r, r.statusTs, msg, true);
    } catch (err) {
      this.d.logger.debug({ err, id: r.id }, 'progress update skipped');
    }
    if (r.state === 'queued') await this.d.store.transition(r.id, ['queued'], 'running');
    // Should the request have become final meanwhile (a lock lost to a slow call), show the final state again.
    const now = await this.d.store.get(r.id);
    if (now?.kind === 'diagnose' && now.final && now.state !== 'queued' && now.state !== 'running') {
      await this.showFinal(now, now.final);
    }
  }

  private async showFinal(r: DiagnoseReq, f: Final): Promise<void> {
    if (!r.statusTs) return;
    const msg = renderStatus({
      phase: f.phase,
      target: f.target ?? r.target,
      cluster: r.cluster,
      requestedBy: r.requester,
      verdict: f.verdict,
      counts: f.counts,
      doing: doingOf(r),
      ...(r.cancelledBy ? { by: r.cancelledBy } : {}),
    });
    try {
      await this.d.threads.update(r, r.statusTs, msg);
    } catch (err) {
      // A message someone deleted (or a channel gone) can never show the final state: stop trying.
      const code = slackErrorCode(err);
      if (!(code === 'message_not_found' || (code && CHANNEL_REFUSALS.has(code)))) throw err;
      this.d.logger.warn({ id: r.id, code }, 'final state not shown: the message or channel is gone');
    }
  }

  /** A read's reply: its file (if any) uploaded into the thread first, exactly once, then the message naming it. */
  private async renderRead(r: DiagnoseReq, result: ReadResult): Promise<RenderedMessage> {
    const threadTs = r.threadTs ?? r.statusTs;
    const uploads =
      result.artefacts.length > 0 && this.d.uploads && threadTs
        ? await this.d.uploads({
            jobId: jobIdOf(r.id, 'diagnose'),
            channel: r.channel,
            threadTs,
            artefacts: result.artefacts,
          })
        : result.artefacts.map((a) => ({
            name: a.name,
            status: 'failed' as const,
            error: 'this bot cannot upload files',
          }));
    if (uploads.some((u) => u.status === 'failed'))
      this.d.logger.warn({ id: r.id, uploads }, 'read file not uploaded');
    return renderReadResult(result, {
      cluster: r.cluster,
      jobId: r.id,
      requestedBy: r.requester,
      artefactLines: artefactLines(result.artefacts, uploads),
    });
  }

  private async outcome(r: DiagnoseReq): Promise<Outcome | 'pending' | 'active'> {
    const out = await jobOutcome(this.d.queues, r.cluster, jobIdOf(r.id, 'diagnose'));
    switch (out.state) {
      case 'active':
        return 'active';
      case 'waiting':
        return 'pending';
      case 'missing':
        return failure(
          'The job vanished from the queue before its result was posted.',
          'Run the command again.',
        );
      case 'failed':
        return { kind: 'failure', error: out.error };
      default:
        break;
    }
    if (r.read) {
      const read = ReadResultSchema.safeParse(out.value);
      if (read.success) return { kind: 'read', result: read.data };
      this.d.logger.error({ id: r.id, issues: read.error.issues }, 'worker returned an invalid read result');
      return failure(
        'The worker returned a result this bot cannot read.',
        'Check that bot and worker run the same version.',
      );
    }
    const parsed = DiagnoseResultSchema.safeParse(out.value);
    if (parsed.success) return { kind: 'result', result: parsed.data };
    this.d.logger.error({ id: r.id, issues: parsed.error.issues }, 'worker returned an invalid result');
    return failure(
      'The worker returned a result this bot cannot read.',
      'Check that bot and worker run the same version.',
    );
  }
}

function failure(message: string, next: string): Outcome {
  return { kind: 'failure', error: { code: 'internal', message, next: [next] } };
}

function render(
  out: Exclude<Outcome, { kind: 'read' }>,
  ctx: RenderContext,
  target: string,
  read?: string,
): RenderedMessage {
  if (out.kind === 'failure')
    return renderFailure(out.error, {
      ...ctx,
      target,
      ...(read ? { what: read === 'describe' ? 'describe' : `read ${read} of` } : {}),
    });
  return out.result.outcome === 'ambiguous'
    ? renderAmbiguous(out.result, ctx)
    : renderDiagnosis(out.result, ctx);
}

function finalOf(out: Outcome): Final {
  if (out.kind === 'failure') return { phase: 'failed', verdict: out.error.message };
  if (out.kind === 'read') return { phase: 'done', verdict: out.result.verdict };
  const r = out.result;
  if (r.outcome === 'ambiguous') {
    return {
      phase: 'done',
      verdict: `\`${r.name}\` matches ${r.candidates.length} pods: pick one (see thread)`,
    };
  }
  return {
    phase: 'done',
    verdict: verdictLine(r.findings),
    counts: countBySeverity(r.findings),
    target: `${r.target.namespace}/${r.target.name}`,
  };
}

function auditDecision(out: Outcome): string {
  if (out.kind === 'failure') return `${out.error.code}: ${out.error.message}`;
  if (out.kind === 'read') return `${out.result.action}: ${out.result.verdict}`;
  return out.result.outcome === 'ambiguous'
    ? `ambiguous: ${out.result.candidates.length} pods`
    : verdictLine(out.result.findings);
}
