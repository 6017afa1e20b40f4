import { DeadlineExceeded, withDeadline } from './contracts/deadline.js';

/**
 * Races `p` against a deadline (`withDeadline` of jobs/contracts/deadline.ts); on timeout rejects with what
 * `onTimeout` builds instead of the bare DeadlineExceeded. The cluster side's one timeout helper (API
 * requests, whole jobs).
 */
export async function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  try {
    return await withDeadline(p, ms);
  } catch (e) {
    if (e instanceof DeadlineExceeded) throw onTimeout();
    throw e;
  }
}
