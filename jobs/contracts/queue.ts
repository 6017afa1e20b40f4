/**
 * The Redis Cluster hash tag of everything about one Kubernetes cluster's requests: its BullMQ queue
 * (queueName), its requests' records, approvers, locks and flags, and its open-request indexes. A request's
 * job and record are written in one MULTI and its record and indexes in one script, so they must share a
 * slot; each Kubernetes cluster's requests may sit on a slot of their own.
 */
export function clusterTag(cluster: string): string {
  return `{poddebug-${cluster}}`;
}

/**
 * BullMQ queue for one cluster. One queue per cluster; workers of that cluster consume it. The name is a
 * Redis Cluster hash tag (`{…}`), so that all of a queue's keys (`poddebug:{poddebug-prod}:wait`, …), which
 * BullMQ's scripts use together, share one slot, while each cluster's queue may sit on a slot of its own.
 * It is the cluster's tag ({@link clusterTag}): its requests' records and indexes share that slot, so the
 * bot adds a job and writes its record in one MULTI.
 */
export function queueName(cluster: string): string {
  return clusterTag(cluster);
}

/** BullMQ key prefix shared by bot and workers. */
export const QUEUE_PREFIX = 'poddebug';

/** BullMQ job name for diagnose. */
export const DIAGNOSE_JOB = 'diagnose';

/**
 * How jobs that only read (diagnose, a probe's plan) retry a transient failure (API server unreachable,
 * 5xx, timeout): six attempts, the waits doubling from 1 s, so the retries come 1, 3, 7, 15 and 31 s
 * after the first failure. An API server that is down or answers 5xx for up to ~30 s (a restart, a
 * failover) makes the answer slower, not a failure; one that stays down fails the job after ~31 s.
 */
export const TRANSIENT_RETRIES = {
  attempts: 6,
  backoff: { type: 'exponential', delay: 1000 },
} as const;

/**
 * A timeout already waited the whole job time limit (JOB_TIMEOUT_MS), so timeouts get at most this many
 * attempts of the six: the longest a user waits for "failed" stays about three job time limits.
 */
export const TIMEOUT_ATTEMPTS = 3;

/**
 * Options every diagnose job is added with. Retries cover transient failures
 * only ({@link TRANSIENT_RETRIES}): the worker throws UnrecoverableError for bad input
 * and 403, which skips the remaining attempts. Finished jobs are kept long enough for the
 * bot to post their results after a restart.
 */
export const DIAGNOSE_JOB_OPTIONS = {
  ...TRANSIENT_RETRIES,
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
