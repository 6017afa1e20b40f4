/**
 * The one polling helper of the integration tests: the Slack double's poll (tools/slack-double/poll.ts), so a
 * condition may be synchronous or async and an async one is awaited (its resolved value decides). A condition
 * that throws or rejects is polled again; a wait that does not hold by the deadline fails, naming what it waited
 * for and the last error (as `cause`).
 */
import { type Predicate, pollUntil } from '../../tools/slack-double/poll.js';

export interface UntilOptions {
  /** What the wait is for, in its error message. */
  what?: string;
  /** Pause between polls (ms); default 50, as the tests' own loops had. */
  everyMs?: number;
}

/** Polls `cond` until it gives a truthy value (awaited) and resolves with it; rejects after `timeoutMs`. */
export function until<T>(cond: Predicate<T>, timeoutMs = 10_000, o: UntilOptions = {}): Promise<T> {
  return pollUntil(
    cond,
    timeoutMs,
    ({ polls, lastError, pending }) =>
      [
        `not within ${timeoutMs} ms: ${o.what ?? 'condition'} (${polls} polls)`,
        ...(lastError ? [`last error (poll ${lastError.poll}): ${String(lastError.error)}`] : []),
        ...(pending ? ['the last check was still pending at the deadline'] : []),
      ].join('\n'),
    o.everyMs ?? 50,
  );
}
