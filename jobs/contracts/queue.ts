/** BullMQ queue for one cluster. One queue per cluster; workers of that cluster consume it. */
export function queueName(cluster: string): string {
  return `poddebug-${cluster}`;
}

/** BullMQ key prefix shared by bot and workers. */
export const QUEUE_PREFIX = 'poddebug';

/** BullMQ job name for diagnose. */
export const DIAGNOSE_JOB = 'diagnose';

/**
 * Options every diagnose job is added with. Retries cover transient failures
 * only: the worker throws UnrecoverableError for bad input and 403, which
 * skips the remaining attempts. Finished jobs are kept long enough for the
 * bot to post their results after a restart.
 */
export const DIAGNOSE_JOB_OPTIONS = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 2000 },
  removeOnComplete: { age: 24 * 3600, count: 5000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
} as const;

/**
 * How a failed job's reason travels through Redis: the worker fails the job
 * with the JSON of a UserFacingError, the bot parses it back (anything else,
 * e.g. BullMQ's own "job stalled more than allowable limit", becomes `internal`).
 */
export function encodeFailure(e: { code: string; message: string; next: string[] }): string {
  return JSON.stringify({ code: e.code, message: e.message, next: e.next });
}
