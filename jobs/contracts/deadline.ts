/**
 * A deadline on a promise, with an error callers recognise by class (never by
 * its message). Both sides use it: the bot for Redis answers inside Slack's 3 s,
 * the worker for API requests and whole jobs (`jobs/timeout.ts`).
 */

/** `p` did not settle within the deadline. The message reads `no answer within N ms`. */
export class DeadlineExceeded extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'DeadlineExceeded';
  }
}

/** Settles as `p` does, or rejects with DeadlineExceeded once `ms` have passed; the timer never outlives the race. */
export function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded(ms)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}
