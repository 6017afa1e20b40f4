/**
 * The worker's side of a diagnose request (beside the probe handlers in
 * jobs/probes/jobs.ts; jobs/worker.ts dispatches by job name): validate the
 * payload read back from Redis, check it is for this cluster, run diagnose
 * under the job deadline and report its stages as job progress (only for a job
 * that is still running after a moment: jobs/diagnose/progress.ts).
 */
import type { Job } from 'bullmq';
import { CodedError, DiagnosePayloadSchema, type DiagnoseResult } from '../contracts/index.js';
import type { KubeReader } from '../k8s/client.js';
import type { Logger } from '../log.js';
import { jobPayload, PAYLOAD_REFUSAL } from '../payload.js';
import { withTimeout } from '../timeout.js';
import { diagnose } from './diagnose.js';
import { type ProgressReporterOptions, progressReporter } from './progress.js';

export interface DiagnoseJobDeps {
  cluster: string;
  /** A fresh reader per job, so request counts and timeouts are per job. */
  reader: () => KubeReader;
  /** The job's logger (jobId, cluster, attempt). */
  logger: Logger;
  jobTimeoutMs: number;
  logTailLines: number;
  logLimitBytes: number;
  now?: () => Date;
  /** When stages are reported (default PROGRESS_REPORTING: after 1 s, then at most every 1 s). */
  progress?: ProgressReporterOptions;
}

/** Runs one diagnose job; throws a CodedError (the worker encodes it and decides on retry). */
export async function runDiagnoseJob(job: Job, d: DiagnoseJobDeps): Promise<DiagnoseResult> {
  const p = jobPayload(DiagnosePayloadSchema, job.data, d.cluster, PAYLOAD_REFUSAL);
  d.logger.info({ target: p.target, requester: p.requester.userId }, 'diagnose started');
  // Stages only for a job still running after a moment, never waited for (jobs/diagnose/progress.ts).
  const reporter = progressReporter((pr) => job.updateProgress(pr), d.progress);
  const result = await withTimeout(
    diagnose(p.target, {
      reader: d.reader(),
      cluster: d.cluster,
      now: d.now ?? (() => new Date()),
      logTailLines: d.logTailLines,
      logLimitBytes: d.logLimitBytes,
      progress: (pr) => reporter.progress(pr),
    }),
    d.jobTimeoutMs,
    () =>
      new CodedError('timeout', `Diagnose did not finish within ${Math.round(d.jobTimeoutMs / 1000)} s.`, [
        'The API server may be slow; poddebug retries automatically.',
      ]),
  ).finally(() => reporter.stop());
  d.logger.info(
    {
      outcome: result.outcome,
      findings: result.outcome === 'diagnosed' ? result.findings.map((f) => f.id) : undefined,
    },
    'diagnose finished',
  );
  return result;
}
