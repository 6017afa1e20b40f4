/**
 * Job control: `/poddebug jobs` (this channel's open requests) and `/poddebug cancel ID`, on the one request
 * engine. Listing reads the channel's index of each cluster (KEYS.channelOpen, kept with the record by
 * create.lua and store.close), never a scan of Redis. Cancelling is one atomic step in Redis (lua/cancel.lua) taken under
 * the request's lock, then whatever the request's kind must undo: a queued job is taken back, a running one
 * is told to stop through Redis (a flag and a message on the cluster's cancel channel, which the workers
 * watch: jobs/cancel-watch.ts). Each kind plugs in a {@link CancelKind}; see job-control-kinds.ts.
 */
import type { Redis } from 'ioredis';
import {
  type JobStep,
  jobIdOf,
  KEYS,
  luaScript,
  parseRequestId,
  type RequestKind,
} from '../../jobs/contracts/index.js';
import type { Authorizer } from '../auth.js';
import type { Logger } from '../log.js';
import type { Queues } from '../queues.js';
import { type JobRow, jobTargetText } from '../render/jobs.js';
import { code, mention } from '../render/mrkdwn.js';
import type { RequestAudit } from './audit.js';
import type { RequestEngine } from './engine.js';
import type { Req, RequestStore } from './store.js';

/** How a cancel went for the kind. `finished`: it was final already (nothing changed). */
export type CancelOutcome =
  | { status: 'cancelled'; from: string; said: string }
  | { status: 'finished'; state: string };

/** One kind of request as job control sees it. */
export interface CancelKind {
  /** The row `/poddebug jobs` shows; undefined when the request is final (not listed, not cancellable). */
  row(r: Req): JobRow | undefined;
  /** What an approver must be in scope for to cancel someone else's request. */
  scope(r: Req): { action: string; namespace: string };
  /**
   * Cancels, under the request's lock: moves the record (JobControl.mark), takes back what is queued, tells
   * workers to stop what runs (JobControl.signalWorkers), and brings the thread up to date. `said`: one line
   * for the canceller, e.g. "it was running: the probe is being stopped and its pod deleted".
   */
  cancel(r: Req, by: string): Promise<CancelOutcome>;
}

export interface JobControlDeps {
  redis: Redis;
  store: RequestStore;
  engine: RequestEngine;
  audit: RequestAudit;
  auth: Authorizer;
  logger: Logger;
  /** Where a cancelled request's job is taken back from (takeBack). */
  queues: Pick<Queues, 'removeIfWaiting'>;
  now: () => number;
  /** The clusters the bot serves: `/poddebug jobs` lists the channel's requests for each. */
  clusters: readonly string[];
}

/** Who asks, from where. */
export interface Asker {
  userId: string;
  channelId: string;
  channelName: string;
}

/** At most this many of a channel's newest open requests are read for a listing. */
const LIST_READ = 100;

export class JobControl {
  private readonly kinds = new Map<RequestKind, CancelKind>();

  constructor(private readonly d: JobControlDeps) {
    d.redis.defineCommand('poddebug_cancel', {
      numberOfKeys: 1,
      lua: luaScript(new URL('./lua/cancel.lua', import.meta.url)),
    });
  }

  /** The bot's clock (Redis's, calibrated), for kinds and listings. */
  now(): number {
    return this.d.now();
  }

  /** Plugs a kind in (a kind added later registers here too: see docs/job-control.md). */
  register(kind: RequestKind, k: CancelKind): void {
    this.kinds.set(kind, k);
  }

  /** The channel's queued and running requests, newest first; ids whose record is gone leave the index. */
  async list(channelId: string): Promise<{ rows: JobRow[]; more: number }> {
    // One index per cluster (each on its cluster's slot), read concurrently, merged newest first.
    const perCluster = await Promise.all(
      this.d.clusters.map(async (cluster) => {
        const key = KEYS.channelOpen(cluster, channelId);
        const [flat, total] = await Promise.all([
          this.d.redis.zrevrange(key, 0, LIST_READ - 1, 'WITHSCORES'),
          this.d.redis.zcard(key),
        ]);
        const entries: { id: string; at: number; key: string }[] = [];
        for (let i = 0; i + 1 < flat.length; i += 2)
          entries.push({ id: flat[i]!, at: Number(flat[i + 1]), key });
        return { entries, total };
      }),
    );
    const newest = perCluster
      .flatMap((c) => c.entries)
      .sort((a, b) => b.at - a.at)
      .slice(0, LIST_READ);
    const total = perCluster.reduce((n, c) => n + c.total, 0);
    const records = await Promise.all(newest.map((e) => this.d.store.get(e.id)));
    const rows: JobRow[] = [];
    const gone: { id: string; key: string }[] = [];
    records.forEach((r, i) => {
      if (!r) gone.push(newest[i]!);
      else {
        const row = this.kinds.get(r.kind)?.row(r);
        if (row) rows.push(row);
      }
    });
    await Promise.all(gone.map((g) => this.d.redis.zrem(g.key, g.id).catch(() => undefined)));
    return { rows, more: Math.max(0, total - newest.length) };
  }

  /**
   * `/poddebug cancel ID` by `who`: the requester, or an approver in the request's scope (the policy's
   * approver check), from an allowed channel. Refusals change nothing and are audited. Resolves to the
   * answer for the canceller.
   */
  async cancel(id: string, who: Asker): Promise<string> {
    const channelRefusal = this.d.auth.channelRefusal(who.channelId, who.channelName);
    if (channelRefusal) {
      await this.refuse(undefined, id, who, channelRefusal);
      return channelRefusal;
    }
    const r = await this.d.store.get(id);
    const kind = r ? this.kinds.get(r.kind) : undefined;
    if (!r || !kind) {
      const text = `There is no request ${code(id)} (it may have ended more than 30 days ago, or the id is mistyped). \`/poddebug jobs\` lists this channel's queued and running requests.`;
      await this.refuse(undefined, id, who, text);
      return text;
    }
    const row = kind.row(r);
    if (!row) {
      const text = `Request ${code(id)} has already ended (${r.state}): there is nothing to cancel.`;
      await this.refuse(r, id, who, text);
      return text;
    }
    if (r.requester !== who.userId) {
      const scope = kind.scope(r);
      const may = await this.d.auth.mayApprove(who.userId, {
        requester: r.requester,
        cluster: r.cluster,
        namespace: scope.namespace,
        action: scope.action,
        channelId: r.channel,
      });
      if (!may.allow) {
        const text = `⛔ Only the requester (${mention(r.requester)}) or an approver for ${scope.action} in cluster ${r.cluster}, namespace ${scope.namespace || '(any)'} may cancel ${code(id)}. Nothing changed.`;
        await this.refuse(r, id, who, text);
        return text;
      }
    }
    const out = await this.d.engine.withLock(id, (fresh) => kind.cancel(fresh, who.userId));
    if (!out) {
      return `Request ${code(id)} is busy (its thread is being updated) or gone; nothing changed. Try again in a few seconds.`;
    }
    if (out.status === 'finished') {
      return `Request ${code(id)} ended (${out.state}) before the cancel reached it: nothing changed.`;
    }
    const fresh = await this.d.store.get(id);
    if (fresh) {
      await this.d.audit.record(
        'cancelled',
        fresh,
        { actor: who.userId, decision: `cancelled (was ${out.from})`, details: { cancelledFrom: out.from } },
        true,
      );
    }
    this.d.logger.info({ id, by: who.userId, from: out.from }, 'request cancelled');
    // The thread catches up (final state, result of a job that finished meanwhile ignored).
    void this.d.engine.settle(id);
    return `🚫 Cancelled ${code(id)} (${jobTargetText(row)}): ${out.said}`;
  }

  /**
   * Moves a request to `to` from one of `from` (atomically), recording who cancelled it and from which state,
   * with its `cancelled` audit entry due; `patch`: more fields. `previous` is undefined when it had moved on.
   */
  async mark(
    r: Req,
    from: readonly string[],
    to: string,
    by: string,
    patch: Record<string, string> = {},
  ): Promise<{ previous?: string; state?: string }> {
    const run = (this.d.redis as unknown as Record<string, (...a: (string | number)[]) => Promise<unknown>>)
      .poddebug_cancel!;
    const pairs = Object.entries(patch).flat();
    const [status, state] = (await run.call(
      this.d.redis,
      KEYS.request(r.id),
      from.join(','),
      to,
      by,
      this.d.now(),
      ...pairs,
    )) as [string, string?];
    return status === 'ok' ? { previous: state } : { state: state ?? 'gone' };
  }

  /**
   * After mark: takes the request's job (`step`) off the queue unless a worker has it, and says whether a
   * worker had started it. The record may still say `from` (queued, approved) when a worker has just started
   * the job, since the bot records `running` only when it hears of it: the queue says which. Then the record
   * says so (`cancelledFrom: running`, with `patch`: what the kind shows differently for a started job), so
   * the thread and the audit say it had started. Telling the workers to stop is the kind's (signalWorkers).
   */
  async takeBack(r: Req, step: JobStep, from: string, patch: Record<string, string> = {}): Promise<boolean> {
    const job = await this.d.queues
      .removeIfWaiting(r.cluster, jobIdOf(r.id, step))
      .catch(() => 'absent' as const);
    if (from === 'running') return true;
    if (job !== 'active') return false;
    await this.d.redis.hset(KEYS.request(r.id), { cancelledFrom: 'running', ...patch });
    return true;
  }

  /** Tells the cluster's workers that the request is cancelled: a flag they poll and a message they hear. */
  async signalWorkers(r: Req, by: string): Promise<void> {
    await this.d.redis
      .multi()
      .set(KEYS.cancel(r.id), by, 'EX', 24 * 3600)
      .publish(KEYS.cancelChannel(r.cluster), r.id)
      .exec();
  }

  /** A refused cancel: audited against the request, or as a command of its own when there is none. */
  private async refuse(r: Req | undefined, id: string, who: Asker, text: string): Promise<void> {
    if (r) {
      await this.d.audit.record('refused', r, {
        actor: who.userId,
        decision: 'cancel refused',
        reason: text,
      });
      return;
    }
    const safe = parseRequestId(id) ? id : 'invalid';
    await this.d.audit.event({
      type: 'refused',
      requestId: `cancel-${safe}`,
      cluster: 'unknown',
      action: 'cancel',
      target: { name: safe },
      actor: who.userId,
      requester: who.userId,
      channel: who.channelId,
      decision: 'cancel refused',
      reason: text,
    });
  }
}
