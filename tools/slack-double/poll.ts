/**
 * The polling behind SlackDouble.waitFor, apart from the double so it can be tested without a server.
 *
 * A predicate may be synchronous or return a promise. Each poll awaits the predicate's value, so an async
 * predicate is done when its RESOLVED value is truthy: a pending Promise is an object, truthy, and testing it
 * instead of its value would return at once and wait for nothing.
 *
 * A predicate that throws or rejects is polled again until the deadline (a log file not written yet, a
 * half-written line, a Redis reply that is not there yet are what a condition under test looks like before it
 * holds). If the deadline passes without a truthy value, the error names the last failure and carries it as
 * `cause`, so a predicate that fails every time is reported, never swallowed. A call still pending at the
 * deadline does not hold the wait past it.
 */

/** What a predicate returns while its condition does not hold. */
export type NotYet = undefined | null | false;

/** A condition to poll: its first truthy value (awaited if it returns a promise) ends the wait. */
export type Predicate<T> = () => T | NotYet | PromiseLike<T | NotYet>;

/** What a failed wait knows, for its error message. */
export interface PollFailure {
  timeoutMs: number;
  /** How many times the predicate was called. */
  polls: number;
  /** The last throw or rejection, and the poll it came from (1-based); absent if none failed. */
  lastError?: { error: unknown; poll: number };
  /** The last call's promise had not settled at the deadline. */
  pending: boolean;
}

const PENDING: unique symbol = Symbol('pending');

/** The predicate's value, or PENDING if it is a promise that does not settle by the deadline. */
async function valueBy<V>(v: V | PromiseLike<V>, deadline: number): Promise<V | typeof PENDING> {
  if (!isThenable(v)) return v;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof PENDING>((resolve) => {
    timer = setTimeout(() => resolve(PENDING), Math.max(0, deadline - Date.now()));
  });
  try {
    // race() also handles a later rejection of an abandoned call: it is never an unhandled rejection.
    return await Promise.race([Promise.resolve(v), late]);
  } finally {
    clearTimeout(timer);
  }
}

function isThenable<V>(v: V | PromiseLike<V>): v is PromiseLike<V> {
  return (
    (typeof v === 'object' || typeof v === 'function') &&
    v !== null &&
    typeof (v as { then?: unknown }).then === 'function'
  );
}

/**
 * Calls `predicate` every `intervalMs` until it gives a truthy value (awaited), and resolves with that value.
 * After `timeoutMs` it rejects with `describe(failure)` as the message and the last error as `cause`.
 */
export async function pollUntil<T>(
  predicate: Predicate<T>,
  timeoutMs: number,
  describe: (failure: PollFailure) => string,
  intervalMs = 10,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let polls = 0;
  let lastError: PollFailure['lastError'];
  let pending = false;
  for (;;) {
    polls++;
    try {
      const v = await valueBy(predicate(), deadline);
      if (v === PENDING) pending = true;
      else if (v) return v;
    } catch (error) {
      lastError = { error, poll: polls };
    }
    const left = deadline - Date.now();
    if (pending || left <= 0) break;
    await new Promise((r) => setTimeout(r, Math.min(intervalMs, left)));
  }
  const failure: PollFailure = { timeoutMs, polls, pending, ...(lastError ? { lastError } : {}) };
  throw new Error(describe(failure), lastError ? { cause: lastError.error } : undefined);
}
