import { type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import {
  asCodedError,
  CodedError,
  DIAGNOSE_JOB,
  type DiagnoseResult,
  encodeFailure,
  PROBE_PLAN_JOB,
  PROBE_RUN_JOB,
  type ProbePlanResult,
  type ProbeResult,
  QUEUE_PREFIX,
  queueName,
  TIMEOUT_ATTEMPTS,
} from './contracts/index.js';
import { runDiagnoseJob } from './diagnose/job.js';
import type { KubeReader } from './k8s/client.js';
import type { Logger } from './log.js';
import { type ProbeJobDeps, runPlanJob, runRunJob } from './probes/jobs.js';
import { reapProbePods } from './probes/reaper.js';
import { withTimeout } from './timeout.js';

export interface WorkerDeps {
  cluster: string;
  redisUrl: string;
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
}

type JobResult = DiagnoseResult | ProbePlanResult | ProbeResult;
type ProcessorDeps = Omit<WorkerDeps, 'redisUrl' | 'concurrency'>;
/** One handler per job name: reads the job, returns its result or throws (a CodedError, ideally). */
type JobHandler = (job: Job, deps: ProcessorDeps, log: Logger) => Promise<JobResult>;

const HANDLERS: Record<string, JobHandler> = {
  [DIAGNOSE_JOB]: (job, deps, log) => runDiagnoseJob(job, { ...deps, logger: log }),
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
  // The run has its own deadlines (start timeout, activeDeadlineSeconds) and always cleans up.
  [PROBE_RUN_JOB]: (job, deps) => runRunJob(job, probeDeps(deps)),
};

/**
 * The processor: dispatches by job name to its handler (diagnose: jobs/diagnose/job.ts; probes:
 * jobs/probes/jobs.ts) and fails the job with an encoded UserFacingError. Bad input and refusals are
 * unrecoverable (no retry); unreachable, 5xx and timeouts retry with backoff.
 */
export function makeProcessor(deps: ProcessorDeps) {
  return async (job: Job): Promise<JobResult> => {
    const log = deps.logger.child({ jobId: job.id, cluster: deps.cluster, attempt: job.attemptsMade + 1 });
    try {
      const handler = Object.hasOwn(HANDLERS, job.name) ? HANDLERS[job.name] : undefined;
      if (!handler) throw new CodedError('invalid_args', `This worker does not run \`${job.name}\` jobs.`);
      return await handler(job, deps, log);
    } catch (e) {
      const coded = asCodedError(e);
      const attempts = job.opts.attempts ?? 1;
      const allowed = coded.code === 'timeout' ? Math.min(attempts, TIMEOUT_ATTEMPTS) : attempts;
      const lastAttempt = job.attemptsMade + 1 >= allowed;
      log.warn({ job: job.name, code: coded.code, err: coded.cause ?? coded, lastAttempt }, 'job failed');
      if (coded.retryable && !lastAttempt) throw new Error(encodeFailure(coded));
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
  const connection = new Redis(deps.redisUrl, { maxRetriesPerRequest: null });
  const worker = new Worker(queueName(deps.cluster), makeProcessor(deps), {
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
  let reaper: NodeJS.Timeout | undefined;
  let queue: Queue | undefined;
  if (deps.probes) {
    const probes = deps.probes;
    queue = new Queue(queueName(deps.cluster), { connection, prefix: QUEUE_PREFIX });
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
    };
    void reap();
    reaper = setInterval(() => void reap(), probes.reapEveryMs ?? 30_000);
    reaper.unref();
  }
  worker.on('closed', () => {
    clearInterval(reaper);
    void queue?.close();
    connection.disconnect();
  });
  return worker;
}
