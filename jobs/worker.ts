import { type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { type CancelHook, CancelWatch, withCancel } from './cancel-watch.js';
import {
  asCodedError,
  CodedError,
  DIAGNOSE_JOB,
  type DiagnoseResult,
  encodeFailure,
  HEARTBEAT_TTL_MS,
  KEYS,
  PROBE_PLAN_JOB,
  PROBE_RUN_JOB,
  type ProbePlanResult,
  type ProbeResult,
  parseJobId,
  QUEUE_PREFIX,
  queueName,
  READ_JOB,
  type ReadResult,
  type RequestKind,
  TIMEOUT_ATTEMPTS,
} from './contracts/index.js';
import { connectRedis } from './contracts/redis-connect.js';
import { reapDebugCopies } from './debug/reaper.js';
import { runDiagnoseJob } from './diagnose/job.js';
import type { KubeReader } from './k8s/client.js';
import type { Logger } from './log.js';
import type { WorkerMetrics } from './metrics.js';
import { type ProbeJobDeps, runPlanJob, runRunJob } from './probes/jobs.js';
import { reapProbePods } from './probes/reaper.js';
import { runReadJob } from './reads/job.js';
import { withTimeout } from './timeout.js';

export interface WorkerDeps {
  cluster: string;
  redisUrl: string;
  /** redisUrl names a node of a Redis Cluster (REDIS_CLUSTER). */
  redisCluster?: boolean;
  /** A fresh reader per job, so request counts and timeouts are per job. */
  reader: () => KubeReader;
  logger: Logger;
  concurrency: number;
  jobTimeoutMs: number;
  logTailLines: number;
  logLimitBytes: number;
  /** Lock on a running job; a killed worker's job is taken over 0.5 to 1.5 times this long after. Default 30000. */
  lockMs?: number;
  now?: () => Date;
  /** Privileged probes; absent: this worker refuses probe jobs. */
  probes?: Omit<ProbeJobDeps, 'cluster' | 'logger' | 'now'> & {
    /** How often orphaned probe pods are reaped (ms). Default 30000. */
    reapEveryMs?: number;
  };
  /** Prometheus series (jobs/metrics.ts); absent: none recorded. */
  metrics?: WorkerMetrics;
  /** How often the heartbeat KEYS.heartbeat(cluster) is written (ms). Default HEARTBEAT_TTL_MS / 6. */
  heartbeatMs?: number;
  /** What a kind does on this worker when one of its requests is cancelled (jobs/cancel-watch.ts). */
  cancelHooks?: Partial<Record<RequestKind, CancelHook>>;
  /** How often a running job's cancel flag is read besides the pub/sub message (ms). Default 2000. */
  cancelPollMs?: number;
}

type JobResult = DiagnoseResult | ProbePlanResult | ProbeResult | ReadResult;
type ProcessorDeps = Omit<WorkerDeps, 'redisUrl' | 'concurrency' | 'heartbeatMs'> & {
  /** Where reads store long texts for the bot (the worker's own connection). */
  redis?: Redis;
  /** Cancelled requests (`/poddebug cancel`): a handler passes its signal on; absent: never aborted. */
  cancels?: CancelWatch;
};
/** One handler per job name: reads the job, returns its result or throws (a CodedError, ideally). */
type JobHandler = (job: Job, deps: ProcessorDeps, log: Logger) => Promise<JobResult>;

const HANDLERS: Record<string, JobHandler> = {
  [DIAGNOSE_JOB]: (job, deps, log) => runDiagnoseJob(job, { ...deps, logger: log }),
  [READ_JOB]: (job, deps, log) => runReadJob(job, { ...deps, logger: log }),
  [PROBE_PLAN_JOB]: (job, deps) =>
    withTimeout(
      runPlanJob(job, probeDeps(deps)),
      deps.jobTimeoutMs,
      () =>
        new CodedError(
          'timeout',
          `Resolving the probe target did not finish within ${Math.round(deps.jobTimeoutMs / 1000)} s.`,
        ),
    ),
  // The run has its own deadlines (start timeout, activeDeadlineSeconds) and always cleans up; a cancel
  // aborts it (the probe pod is deleted).
  [PROBE_RUN_JOB]: (job, deps) =>
    withCancel(deps.cancels, parseJobId(job.id ?? '')?.requestId, (signal) =>
      runRunJob(job, probeDeps(deps), signal),
    ),
};

/**
 * The processor: dispatches by job name to its handler (diagnose: jobs/diagnose/job.ts; probes:
 * jobs/probes/jobs.ts) and fails the job with an encoded UserFacingError. Bad input and refusals are
 * unrecoverable (no retry); unreachable, 5xx and timeouts retry with backoff.
 */
export function makeProcessor(deps: ProcessorDeps) {
  return async (job: Job): Promise<JobResult> => {
    const log = deps.logger.child({ jobId: job.id, cluster: deps.cluster, attempt: job.attemptsMade + 1 });
    const known = Object.hasOwn(HANDLERS, job.name);
    const timer = deps.metrics?.jobDuration.startTimer({ kind: known ? job.name : 'unknown' });
    const done = (outcome: 'completed' | 'failed' | 'retry') => {
      timer?.({ outcome });
      if (job.name === PROBE_RUN_JOB && outcome !== 'retry') {
        const action = (job.data as { plan?: { spec?: { action?: unknown } } })?.plan?.spec?.action;
        deps.metrics?.probeRuns.inc({ action: typeof action === 'string' ? action : 'unknown', outcome });
      }
    };
    try {
      const handler = known ? HANDLERS[job.name] : undefined;
      if (!handler) throw new CodedError('invalid_args', `This worker does not run \`${job.name}\` jobs.`);
      const result = await handler(job, deps, log);
      done('completed');
      return result;
    } catch (e) {
      const coded = asCodedError(e);
      const attempts = job.opts.attempts ?? 1;
      const allowed = coded.code === 'timeout' ? Math.min(attempts, TIMEOUT_ATTEMPTS) : attempts;
      const lastAttempt = job.attemptsMade + 1 >= allowed;
      log.warn({ job: job.name, code: coded.code, err: coded.cause ?? coded, lastAttempt }, 'job failed');
      const retry = coded.retryable && !lastAttempt;
      done(retry ? 'retry' : 'failed');
      if (retry) throw new Error(encodeFailure(coded));
      throw new UnrecoverableError(encodeFailure(coded));
    }
  };
}

/** The probe handlers' dependencies; refuses when this worker is not set up for privileged probes. */
function probeDeps(deps: ProcessorDeps): ProbeJobDeps {
  if (!deps.probes) {
    throw new CodedError(
      'invalid_args',
      `The worker of \`${deps.cluster}\` is not set up for privileged probes.`,
      ['Set PROBE_IMAGE (and the probe namespace and RBAC) on the worker; see README.'],
    );
  }
  return { ...deps.probes, cluster: deps.cluster, logger: deps.logger, now: deps.now };
}

/** Starts a BullMQ worker on this cluster's queue. */
export function startWorker(deps: WorkerDeps): Worker {
  const target = { url: deps.redisUrl, cluster: deps.redisCluster ?? false };
  const connection = connectRedis(target, { maxRetriesPerRequest: null });
  connection.on('error', (err) => deps.logger.debug({ err: err.message }, 'redis connection error'));
  const subscriber = connectRedis(target, { maxRetriesPerRequest: null });
  subscriber.on('error', (err) => deps.logger.debug({ err: err.message }, 'redis subscriber error'));
  const cancels = new CancelWatch({
    cluster: deps.cluster,
    redis: connection,
    subscriber,
    logger: deps.logger,
    ...(deps.cancelPollMs ? { pollMs: deps.cancelPollMs } : {}),
  });
  for (const [kind, hook] of Object.entries(deps.cancelHooks ?? {}))
    if (hook) cancels.onCancel(kind as RequestKind, hook);
  const worker = new Worker(queueName(deps.cluster), makeProcessor({ ...deps, redis: connection, cancels }), {
    connection,
    prefix: QUEUE_PREFIX,
    concurrency: deps.concurrency,
    // A killed worker's job is picked up again once its lock expires (stalled-job check). The check marks
    // the active jobs on one pass and takes over those whose lock has expired on a later one: run every
    // half lock, it takes a job over 0.5 to 1.5 locks after its worker died (every lock: up to 2 locks).
    lockDuration: deps.lockMs ?? 30_000,
    stalledInterval: Math.floor((deps.lockMs ?? 30_000) / 2),
    maxStalledCount: 1,
  });
  worker.on('error', (err) => deps.logger.error({ err }, 'worker error'));
  // Liveness for the bot: a key with a TTL, refreshed well within it. The bot refuses commands for a cluster
  // whose key has expired ("no worker … has been seen"). Skipped while Redis is down (nothing piles up).
  const beat = async () => {
    if (connection.status !== 'ready' || worker.closing) return;
    try {
      await connection.set(KEYS.heartbeat(deps.cluster), String(Date.now()), 'PX', HEARTBEAT_TTL_MS);
      deps.metrics?.heartbeat.set({ cluster: deps.cluster }, Date.now() / 1000);
    } catch (err) {
      deps.logger.debug({ err: (err as Error).message }, 'heartbeat not written');
    }
  };
  connection.on('ready', () => void beat());
  const heartbeat = setInterval(() => void beat(), deps.heartbeatMs ?? HEARTBEAT_TTL_MS / 6);
  heartbeat.unref();
  let reaper: NodeJS.Timeout | undefined;
  let queue: Queue | undefined;
  if (deps.probes) {
    const probes = deps.probes;
    queue = new Queue(queueName(deps.cluster), { connection, prefix: QUEUE_PREFIX });
    queue.on('error', (err) => deps.logger.warn({ err: err.message }, 'queue error'));
    const q = queue;
    const reap = async () => {
      try {
        const report = await reapProbePods(probes.pods, {
          namespace: probes.pods.namespace,
          isJobActive: async (jobId) => {
            const state = await q.getJobState(jobId);
            return (
              state === 'active' || state === 'waiting' || state === 'delayed' || state === 'prioritized'
            );
          },
        });
        for (const r of report.deleted) deps.logger.warn({ reaped: r }, 'orphaned probe pod deleted');
      } catch (err) {
        deps.logger.warn({ err }, 'probe reaper run failed');
      }
      if (probes.debugPods) {
        // Debug copies: deleted when their --keep is over, or at once when their worker died mid-run.
        const copies = await reapDebugCopies(probes.debugPods, {
          jobState: async (jobId) => {
            const state = await q.getJobState(jobId);
            if (state === 'completed') return 'completed';
            return state === 'failed' || state === 'unknown' ? 'gone' : 'active';
          },
        }).catch((err: unknown) => {
          deps.logger.warn({ err }, 'debug copy reaper run failed');
          return undefined;
        });
        for (const r of copies?.deleted ?? []) deps.logger.info({ reaped: r }, 'debug copy deleted');
      }
    };
    void reap();
    reaper = setInterval(() => void reap(), probes.reapEveryMs ?? 30_000);
    reaper.unref();
  }
  worker.on('closed', () => {
    clearInterval(heartbeat);
    clearInterval(reaper);
    void cancels.close();
    void queue?.close();
    connection.disconnect();
  });
  return worker;
}
