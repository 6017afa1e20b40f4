import { Job, Queue } from 'bullmq';
import type { ChainableCommander, Redis } from 'ioredis';
import {
  CodedError,
  DIAGNOSE_JOB,
  DIAGNOSE_JOB_OPTIONS,
  type DiagnosePayload,
  DiagnosePayloadSchema,
  KEYS,
  PROBE_PLAN_JOB,
  PROBE_PLAN_JOB_OPTIONS,
  PROBE_RUN_JOB,
  PROBE_RUN_JOB_OPTIONS,
  type ProbePlanPayload,
  ProbePlanPayloadSchema,
  type ProbeRunPayload,
  ProbeRunPayloadSchema,
  QUEUE_PREFIX,
  queueName,
  READ_JOB,
  type ReadPayload,
  ReadPayloadSchema,
  withDeadline,
} from '../jobs/contracts/index.js';

/** How long a read or removal on the queues may take before it is given up (the sweep tries again). */
const READ_TIMEOUT_MS = 5000;

/** The user-facing error for "Redis did not take the request": nothing was started. */
export function queueUnavailable(cause: unknown): CodedError {
  return new CodedError(
    'queue_unavailable',
    'poddebug cannot queue work right now: its Redis is not answering. Nothing was started.',
    ['Try again in a minute. If it persists, tell whoever runs poddebug (Redis is down or unreachable).'],
    { cause },
  );
}

/**
 * The bot's side of the queues: one BullMQ queue per cluster, payloads
 * validated before they go in, and a short deadline so that a Redis outage
 * turns into a clear message inside Slack's 3 s instead of a hung command.
 */
export class Queues {
  private readonly queues = new Map<string, Queue>();

  /**
   * @param connection BullMQ's connection (offline queue on, so the queues initialise whenever Redis comes up)
   * @param probe a fail-fast connection (offline queue off): while it is not ready, nothing is enqueued
   */
  constructor(
    /** BullMQ's connection: scripts that run in a transaction with an add are defined on it. */
    readonly connection: Redis,
    private readonly probe: Redis,
    readonly clusters: readonly string[],
    private readonly timeoutMs: number,
    logger?: { warn(o: object, msg: string): void },
  ) {
    for (const c of clusters) {
      const q = new Queue(queueName(c), { connection, prefix: QUEUE_PREFIX, skipWaitingForReady: true });
      // Without a listener, an error event would be thrown (and printed raw, outside the JSON logs).
      q.on('error', (err) => logger?.warn({ err: err.message, cluster: c }, 'queue error'));
      this.queues.set(c, q);
    }
  }

  /** Each cluster with its queue (metrics). */
  entries(): IterableIterator<[string, Queue]> {
    return this.queues.entries();
  }

  /**
   * Whether a worker of the cluster wrote its heartbeat within HEARTBEAT_TTL_MS (one EXISTS on the fail-fast
   * connection; throws while Redis is down).
   */
  async workerAlive(cluster: string): Promise<boolean> {
    if (this.probe.status !== 'ready') throw new Error(`redis connection is ${this.probe.status}`);
    return (await this.probe.exists(KEYS.heartbeat(cluster))) === 1;
  }

  queue(cluster: string): Queue {
    const q = this.queues.get(cluster);
    if (!q)
      throw new CodedError('unknown_cluster', `No cluster named \`${cluster}\`.`, [
        `Known: ${this.clusters.join(', ')}`,
      ]);
    return q;
  }

  /**
   * Adds a diagnose job, or a read's (idempotent by jobId: a retried Slack request finds the existing job) and, in the
   * same MULTI, what `then` queues after it (the request's record): Redis
   * runs them in this order, in one round trip and one socket write. `then` gets the job's Redis key, so
   * that what it queues can check that the job is there. Resolves to the replies of `then`'s commands.
   * Bounded by the enqueue deadline like every add; a MULTI that lands after it is taken back: `undo`
   * gets its replies, then the job is removed if this add made it.
   */
  async addDiagnoseWith(
    jobId: string,
    payload: DiagnosePayload | ReadPayload,
    then: (tx: ChainableCommander, jobKey: string) => void,
    undo: (replies: unknown[]) => Promise<void>,
  ): Promise<unknown[]> {
    // A read (logs, events, describe) is a diagnose request with another job: same options, another name.
    const [name, data] =
      payload.action === 'read'
        ? [READ_JOB, ReadPayloadSchema.parse(payload)]
        : [DIAGNOSE_JOB, DiagnosePayloadSchema.parse(payload)];
    const q = this.queue(data.cluster);
    try {
      if (this.probe.status !== 'ready') throw new Error(`redis connection is ${this.probe.status}`);
      const startedAt = Date.now();
      const adding = (async () => {
        const client = (await q.backend.client) as unknown as Redis;
        const tx = client.multi();
        const job = new Job(q, name, data, { ...DIAGNOSE_JOB_OPTIONS, jobId }, jobId);
        // Queues the add on the transaction (resolves at once: a transaction answers on exec).
        await job.addJob(tx as never);
        then(tx, q.toKey(jobId));
        const res = await tx.exec();
        if (!res) throw new Error('the transaction was discarded');
        const [addErr] = res[0]!;
        if (addErr) throw addErr;
        return res.slice(1).map(([err, reply]) => {
          if (err) throw err;
          return reply;
        });
      })();
      return await withDeadline(adding, this.timeoutMs).catch((e: unknown) => {
        adding
          .then(async (replies) => {
            await undo(replies);
            const stored = await Job.fromId(q, jobId);
            if (stored && stored.timestamp >= startedAt) await stored.remove();
          })
          .catch(() => undefined);
        throw e;
      });
    } catch (e) {
      throw queueUnavailable(e);
    }
  }

  /** Queues the read-only resolution of a privileged request's target. */
  async addProbePlan(jobId: string, payload: ProbePlanPayload): Promise<void> {
    const data = ProbePlanPayloadSchema.parse(payload);
    await this.add(data.cluster, PROBE_PLAN_JOB, data, { ...PROBE_PLAN_JOB_OPTIONS, jobId });
  }

  /** Queues an approved probe run (once: the job id is the request's). */
  async addProbeRun(jobId: string, payload: ProbeRunPayload): Promise<void> {
    const data = ProbeRunPayloadSchema.parse(payload);
    await this.add(data.cluster, PROBE_RUN_JOB, data, { ...PROBE_RUN_JOB_OPTIONS, jobId });
  }

  private async add(cluster: string, name: string, data: object, opts: object): Promise<void> {
    const q = this.queue(cluster);
    try {
      if (this.probe.status !== 'ready') throw new Error(`redis connection is ${this.probe.status}`);
      const startedAt = Date.now();
      const adding = q.add(name, data, opts);
      await withDeadline(adding, this.timeoutMs).catch((e: unknown) => {
        // The user is told nothing was started: if the add lands after all, take it back. An add of an
        // existing job id returns the existing job: that one (older) belongs to someone else and stays.
        adding
          .then(async (job) => {
            // Read what Redis holds: add() returns a fresh local object even for an existing id.
            const stored = job.id ? await Job.fromId(q, job.id) : undefined;
            if (stored && stored.timestamp >= startedAt) await stored.remove();
          })
          .catch(() => undefined);
        throw e;
      });
    } catch (e) {
      throw queueUnavailable(e);
    }
  }

  /**
   * Removes a job unless a worker has it; whether a worker has it (`active`: then it cannot be removed).
   * Bounded like every read of the queues ({@link bounded}).
   */
  removeIfWaiting(cluster: string, jobId: string): Promise<'active' | 'removed' | 'absent'> {
    return this.bounded(
      (async () => {
        const job = await this.queue(cluster).getJob(jobId);
        if (!job) return 'absent';
        if ((await job.getState()) === 'active') return 'active';
        await job.remove().catch(() => undefined);
        return 'removed';
      })(),
    );
  }

  /**
   * `p` (work on the queues' connection), or a DeadlineExceeded after READ_TIMEOUT_MS. On a Redis Cluster
   * the connection's commands wait in its offline queue for as long as the cluster is down (ioredis's
   * cluster client has no per-command retry limit), so nothing outside the enqueue path may await it
   * unbounded: a settle, a cancel or a shutdown would hang with it.
   */
  bounded<T>(p: Promise<T>): Promise<T> {
    return withDeadline(p, READ_TIMEOUT_MS);
  }

  async ping(): Promise<boolean> {
    try {
      return this.probe.status === 'ready' && (await this.probe.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
