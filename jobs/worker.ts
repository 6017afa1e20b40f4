import { type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import {
  asCodedError,
  CodedError,
  DIAGNOSE_JOB,
  DiagnosePayloadSchema,
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
import { diagnose } from './diagnose/diagnose.js';
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

/**
 * The processor: validates the payload read back from Redis, runs diagnose,
 * and fails the job with an encoded UserFacingError. Bad input and refusals
 * are unrecoverable (no retry); unreachable, 5xx and timeouts retry with backoff.
 */
export function makeProcessor(deps: Omit<WorkerDeps, 'redisUrl' | 'concurrency'>) {
  return async (job: Job): Promise<DiagnoseResult | ProbePlanResult | ProbeResult> => {
    const log = deps.logger.child({ jobId: job.id, cluster: deps.cluster, attempt: job.attemptsMade + 1 });
    try {
      if (job.name === PROBE_PLAN_JOB || job.name === PROBE_RUN_JOB) return await probeJob(job, deps);
      if (job.name !== DIAGNOSE_JOB) {
        throw new CodedError('invalid_args', `This worker does not run \`${job.name}\` jobs.`);
      }
      const parsed = DiagnosePayloadSchema.safeParse(job.data);
      if (!parsed.success) {
        throw new CodedError('invalid_args', 'The job payload is not valid; it was refused.', [
          'Run the command again from Slack.',
        ]);
      }
      if (parsed.data.cluster !== deps.cluster) {
        throw new CodedError(
          'unknown_cluster',
          `Job for cluster \`${parsed.data.cluster}\` reached the worker of \`${deps.cluster}\`.`,
        );
      }
      const p = parsed.data;
      log.info({ target: p.target, requester: p.requester.userId }, 'diagnose started');
      const result = await withTimeout(
        diagnose(p.target, {
          reader: deps.reader(),
          cluster: deps.cluster,
          now: deps.now ?? (() => new Date()),
          logTailLines: deps.logTailLines,
          logLimitBytes: deps.logLimitBytes,
          progress: (pr) => job.updateProgress(pr),
        }),
        deps.jobTimeoutMs,
        () =>
          new CodedError(
            'timeout',
            `Diagnose did not finish within ${Math.round(deps.jobTimeoutMs / 1000)} s.`,
            ['The API server may be slow; poddebug retries automatically.'],
          ),
      );
      log.info(
        {
          outcome: result.outcome,
          findings: result.outcome === 'diagnosed' ? result.findings.map((f) => f.id) : undefined,
        },
        'diagnose finished',
      );
      return result;
    } catch (e) {
      const coded = asCodedError(e);
      const attempts = job.opts.attempts ?? 1;
      const allowed = coded.code === 'timeout' ? Math.min(attempts, TIMEOUT_ATTEMPTS) : attempts;
      const lastAttempt = job.attemptsMade + 1 >= allowed;
      log.warn({ code: coded.code, err: coded.cause ?? coded, lastAttempt }, 'diagnose failed');
      if (coded.retryable && !lastAttempt) throw new Error(encodeFailure(coded));
      throw new UnrecoverableError(encodeFailure(coded));
    }
  };
}

async function probeJob(
  job: Job,
  deps: Omit<WorkerDeps, 'redisUrl' | 'concurrency'>,
): Promise<ProbePlanResult | ProbeResult> {
  if (!deps.probes) {
    throw new CodedError(
      'invalid_args',
      `The worker of \`${deps.cluster}\` is not set up for privileged probes.`,
      ['Set PROBE_IMAGE (and the probe namespace and RBAC) on the worker; see README.'],
    );
  }
  const pd: ProbeJobDeps = { ...deps.probes, cluster: deps.cluster, logger: deps.logger, now: deps.now };
  if (job.name === PROBE_PLAN_JOB) {
    return withTimeout(
      runPlanJob(job, pd),
      deps.jobTimeoutMs,
      () =>
        new CodedError(
          'timeout',
          `Resolving the probe target did not finish within ${Math.round(deps.jobTimeoutMs / 1000)} s.`,
        ),
    );
  }
  // The run has its own deadlines (start timeout, activeDeadlineSeconds) and always cleans up.
  return runRunJob(job, pd);
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
