import { QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  type JobStep,
  parseJobId,
  parseRequestId,
  QUEUE_PREFIX,
  queueName,
  type RequestKind,
  withDeadline,
} from '../../jobs/contracts/index.js';
import type { Logger } from '../log.js';
import type { Queues } from '../queues.js';
import type { RequestAudit } from './audit.js';
import type { Req, RequestStore } from './store.js';

/** How long stop() waits for a QueueEvents to close (it waits for Redis) before leaving it to the caller. */
const CLOSE_WAIT_MS = 2000;

/**
 * One kind of request (diagnose, privileged, …) on the engine: a state machine and its presenter. The
 * engine calls these under the request's lock, on a fresh read of its record.
 */
export interface RequestKindHandler {
  /** Whether the thread's first message (status or request message) exists. */
  announced(r: Req): boolean;
  /** Posts the thread's first message. Throws ChannelRefused when the bot may not post there. */
  announce(r: Req): Promise<void>;
  /** Brings the thread up to date with the request's state and jobs. Idempotent. */
  settle(r: Req): Promise<void>;
  /** A job of the request started or reported progress: best effort (not under the lock). */
  progress?(r: Req, step: JobStep, stage?: string): Promise<void>;
  /** The engine stops: drop timers (e.g. pending progress updates). */
  stop?(): void;
}

export interface EngineDeps {
  store: RequestStore;
  queues: Queues;
  audit: RequestAudit;
  logger: Logger;
  /** Connection factory for QueueEvents (each needs its own blocking connection). */
  eventsConnection: () => Redis;
  now: () => number;
  /** How often open requests are swept (ms). Default 15000. */
  sweepMs?: number;
  /** A request whose first message is missing this long is announced by the sweep (ms). Default 30000. */
  announceGraceMs?: number;
  /** How long a request lock lives without renewal (ms). Default 30000; renewed every third of it. */
  lockMs?: number;
  /**
   * How many requests' after-ack work (first message, due audit entry, first settle) runs at once. Default 4:
   * during a burst of commands the acks go first, and the status messages follow.
   */
  afterAckConcurrency?: number;
}

/**
 * The one request engine. Every path that moves a request's thread goes through `settle(id)`, which is
 * idempotent and runs under the request's lock in Redis (renewed while Slack calls wait out rate limits, so
 * no call outlives the lock that guards it): queue events call it (routed by the job id the contracts parse),
 * the handlers call it once the first message exists, and a sweep calls it for every open request (on
 * start-up too). So each message is posted exactly once across bot restarts, Redis restarts and replicas.
 * `stop()` lets what is under way finish and release its locks.
 */
export class RequestEngine {
  private readonly events: QueueEvents[] = [];
  private readonly kinds = new Map<RequestKind, RequestKindHandler>();
  private sweepTimer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;
  private stopping = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly afterAck = new AfterAck(() => this.d.afterAckConcurrency ?? 4);

  constructor(private readonly d: EngineDeps) {}

  register(kind: RequestKind, handler: RequestKindHandler): void {
    this.kinds.set(kind, handler);
  }

  get lockMs(): number {
    return this.d.lockMs ?? 30_000;
  }

  async start(): Promise<void> {
    for (const cluster of this.d.queues.clusters) {
      const ev = new QueueEvents(queueName(cluster), {
        connection: this.d.eventsConnection(),
        prefix: QUEUE_PREFIX,
      });
      ev.on('completed', ({ jobId }) => this.onJob(jobId, 'settle'));
      ev.on('failed', ({ jobId }) => this.onJob(jobId, 'settle'));
      ev.on('active', ({ jobId }) => this.onJob(jobId, 'progress'));
      ev.on('progress', ({ jobId, data }) => {
        const stage = (data as { stage?: unknown } | undefined)?.stage;
        this.onJob(jobId, 'progress', typeof stage === 'string' ? stage : undefined);
      });
      ev.on('error', (err) => this.d.logger.warn({ err, cluster }, 'queue events error'));
      this.events.push(ev);
    }
    await this.sweep();
    this.sweepTimer = setInterval(() => void this.sweep(), this.d.sweepMs ?? 15_000);
    this.sweepTimer.unref();
  }

  /** Stops taking work, lets what is under way finish (and release its locks), then closes the event streams. */
  async stop(): Promise<void> {
    this.stopping = true;
    // Work not started yet is left to the sweep (after the announce grace): every such request is recorded.
    const dropped = this.afterAck.clear();
    for (const k of this.kinds.values()) k.stop?.();
    if (dropped > 0) this.d.logger.info({ dropped }, 'after-ack work left to the sweep');
    clearInterval(this.sweepTimer);
    await this.sweeping;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    // QueueEvents.close() waits for its connection, which with Redis down never comes: bounded, then its
    // own (blocking) connection is closed by force, so a stop neither hangs on Redis nor leaves a client
    // reconnecting behind it.
    await Promise.all(
      this.events.map(async (e) => {
        try {
          await withDeadline(e.close(), CLOSE_WAIT_MS);
        } catch {
          await withDeadline(e.backend.close(true), CLOSE_WAIT_MS).catch(() => undefined);
        }
      }),
    );
  }

  /** Tracks an operation so that stop() waits for it. */
  track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p)).catch(() => undefined);
    return p;
  }

  /** The typed job-event hub: a queue event goes to the kind its job id names. */
  private onJob(jobId: string, what: 'settle' | 'progress', stage?: string): void {
    if (this.stopping) return;
    const job = parseJobId(jobId);
    if (!job) return;
    const op =
      what === 'settle'
        ? this.settle(job.requestId)
        : this.track(this.progressNow(job.requestId, job.kind, job.step, stage));
    op.catch((err) => this.d.logger.warn({ err, jobId }, 'request event not handled; the sweep retries'));
  }

  private async progressNow(id: string, kind: RequestKind, step: JobStep, stage?: string): Promise<void> {
    const handler = this.kinds.get(kind);
    if (!handler?.progress) return;
    const r = await this.d.store.get(id);
    if (r && handler.announced(r)) await handler.progress(r, step, stage);
  }

  /** Settles every open request (results that finished while nobody listened, expiry, crashed posters). */
  sweep(): Promise<void> {
    this.sweeping ??= this.track(
      (async () => {
        try {
          for (const cluster of this.d.queues.clusters) {
            for (const id of await this.d.store.open(cluster)) {
              if (this.stopping) return;
              const r = await this.d.store.get(id);
              if (!r) await this.d.store.close(cluster, id);
              // A locked request is being worked on by another replica (or this one): not worth waiting for.
              else await this.settleNow(id, r, 0);
            }
          }
        } catch (err) {
          this.d.logger.warn({ err }, 'sweep failed; will retry');
        } finally {
          this.sweeping = undefined;
        }
      })(),
    );
    return this.sweeping;
  }

  /** Brings a request's thread up to date. Idempotent; safe from any replica, any number of times. */
  settle(id: string): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return this.track(this.settleNow(id));
  }

  private async settleNow(id: string, first?: Req, waitMs?: number): Promise<void> {
    const r = first ?? (await this.d.store.get(id));
    if (!r || !this.d.queues.clusters.includes(r.cluster)) return;
    const handler = this.kinds.get(r.kind);
    if (!handler) return;
    if (!handler.announced(r)) {
      // The handler posts the first message right after the ack. Only when it died in between (or Slack
      // failed) does the sweep post it, once the grace period has passed.
      if (this.d.now() - r.createdAt > (this.d.announceGraceMs ?? 30_000)) {
        await this.announceNow(id).catch((err) => this.d.logger.warn({ err, id }, 'late announce failed'));
      }
      return;
    }
    await this.withLock(
      id,
      async (fresh) => {
        await this.d.audit.flushDue(fresh, this.d.now(), this.lockMs);
        await handler.settle(fresh);
      },
      { waitMs },
    );
  }

  /** Posts a request's first message (once), then settles it: its job may be done already. */
  announce(id: string): Promise<void> {
    return this.track(this.announceNow(id).then(() => this.settleNow(id)));
  }

  /**
   * What follows the ack of a new request, queued behind the acks (a few requests at a time, see
   * `afterAckConcurrency`): under one lock, `first` (e.g. the `requested` audit entry), the first message,
   * then a settle (its job may be done already). Rejects with ChannelRefused (or a Slack error) when the
   * first message could not be posted; resolves without doing anything once the engine stops (the sweep
   * then announces the request, after the grace period).
   */
  accept(id: string, first?: (r: Req) => Promise<void>): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return this.afterAck.run(() => this.track(this.acceptNow(id, first))).then(() => undefined);
  }

  private async acceptNow(id: string, first?: (r: Req) => Promise<void>): Promise<void> {
    await this.withLock(
      id,
      async (r) => {
        const handler = this.kinds.get(r.kind);
        if (!handler) return;
        await first?.(r);
        if (!handler.announced(r)) await handler.announce(r);
        const fresh = await this.d.store.get(id);
        if (!fresh || !handler.announced(fresh)) return;
        try {
          await this.d.audit.flushDue(fresh, this.d.now(), this.lockMs);
          await handler.settle(fresh);
        } catch (err) {
          this.d.logger.warn({ err, id }, 'could not settle the request yet; the sweep retries');
        }
      },
      { waitMs: 0, rethrow: true },
    );
  }

  private async announceNow(id: string): Promise<void> {
    await this.withLock(
      id,
      async (r) => {
        const handler = this.kinds.get(r.kind);
        if (handler && !handler.announced(r)) await handler.announce(r);
      },
      { waitMs: 0, rethrow: true },
    );
  }

  /**
   * Runs `fn` on a fresh read of the request under its lock, renewing the lock while `fn` runs. Waits up
   * to `waitMs` (default 3 s) for another holder; resolves to undefined when it could not take the lock or
   * the request is gone. Errors are logged (the sweep retries) unless `rethrow`.
   */
  async withLock<T>(
    id: string,
    fn: (r: Req) => Promise<T>,
    o: { waitMs?: number; rethrow?: boolean } = {},
  ): Promise<T | undefined> {
    const { store, logger } = this.d;
    const waitMs = o.waitMs ?? 3000;
    // The lock and a fresh read of the record in one round trip.
    let got = await store.lockAndGet(id, this.lockMs);
    for (let waited = 0; !got && waited < waitMs && !this.stopping; waited += 100) {
      await new Promise((res) => setTimeout(res, 100));
      got = await store.lockAndGet(id, this.lockMs);
    }
    if (!got) return undefined;
    const held = got.token;
    const { read } = got;
    const renew = setInterval(() => {
      store
        .renew(id, held, this.lockMs)
        .then((ok) => ok || logger.warn({ id }, 'lost a request lock while working on it'))
        .catch(() => undefined);
    }, this.lockMs / 3);
    try {
      const r = read();
      return r ? await fn(r) : undefined;
    } catch (err) {
      if (o.rethrow) throw err;
      logger.warn({ err, id }, 'could not settle the request yet; the sweep retries');
      return undefined;
    } finally {
      clearInterval(renew);
      await store.unlock(id, held).catch(() => undefined);
    }
  }

  /** The kind of a request id, for listeners that get ids from buttons. */
  static kindOf(id: string): RequestKind | undefined {
    return parseRequestId(id)?.kind;
  }
}

/**
 * A FIFO of after-ack work with a concurrency limit that yields to a burst: while new work keeps arriving
 * (commands still being acked) nothing starts, until the arrivals pause for `quietMs` or the oldest task
 * has waited `maxWaitMs` (then one at a time). So the acks of a burst go first and its status messages
 * follow, and nothing waits long.
 */
class AfterAck {
  private readonly waiting: { start: () => void; drop: () => void; at: number }[] = [];
  private running = 0;
  private lastArrival = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly limit: () => number,
    private readonly quietMs = 20,
    private readonly maxWaitMs = 1000,
  ) {}

  /** Runs `fn` once a place is free; resolves to undefined if it is dropped before it starts. */
  run<T>(fn: () => Promise<T>): Promise<T | undefined> {
    return new Promise<T | undefined>((resolve, reject) => {
      const start = () => {
        this.running++;
        fn()
          .then(resolve, reject)
          .finally(() => {
            this.running--;
            this.next();
          });
      };
      this.lastArrival = performance.now();
      this.waiting.push({ start, drop: () => resolve(undefined), at: this.lastArrival });
      this.wake(this.quietMs);
    });
  }

  private wake(inMs: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.next();
    }, inMs);
  }

  private next(): void {
    if (this.waiting.length === 0) return;
    const now = performance.now();
    const quietIn = this.lastArrival + this.quietMs - now;
    if (quietIn <= 0) {
      while (this.running < this.limit() && this.waiting.length > 0) this.waiting.shift()!.start();
      return;
    }
    const overdueIn = this.waiting[0]!.at + this.maxWaitMs - now;
    if (overdueIn <= 0 && this.running === 0) this.waiting.shift()!.start();
    if (this.waiting.length > 0)
      this.wake(Math.max(1, Math.min(quietIn, overdueIn > 0 ? overdueIn : quietIn)));
  }

  /** Drops the work not started (its callers' requests are left to the sweep); how many were dropped. */
  clear(): number {
    clearTimeout(this.timer);
    this.timer = undefined;
    const dropped = this.waiting.splice(0);
    for (const w of dropped) w.drop();
    return dropped.length;
  }
}
