import { Job } from 'bullmq';
import { decodeFailure, type UserFacingError } from '../../jobs/contracts/index.js';
import type { Queues } from '../queues.js';

/** Where a request's job stands, read from BullMQ. */
export type JobOutcome =
  | { state: 'waiting' }
  | { state: 'active' }
  | { state: 'missing' }
  | { state: 'completed'; value: unknown }
  | { state: 'failed'; error: UserFacingError };

/**
 * Reads a job's state, then the job: read the other way round, a job that completes in between would look
 * completed without its return value.
 */
export function jobOutcome(queues: Queues, cluster: string, jobId: string): Promise<JobOutcome> {
  return queues.bounded(readOutcome(queues, cluster, jobId));
}

async function readOutcome(queues: Queues, cluster: string, jobId: string): Promise<JobOutcome> {
  const q = queues.queue(cluster);
  const state = await q.getJobState(jobId);
  if (state === 'unknown') return { state: 'missing' };
  if (state === 'active') return { state: 'active' };
  if (state !== 'completed' && state !== 'failed') return { state: 'waiting' };
  const job = await Job.fromId(q, jobId);
  if (!job) return { state: 'missing' };
  if (state === 'failed') return { state: 'failed', error: decodeFailure(job.failedReason) };
  return { state: 'completed', value: job.returnvalue };
}
