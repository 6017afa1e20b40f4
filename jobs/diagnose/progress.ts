import type { Progress } from '../contracts/index.js';

export interface ProgressReporterOptions {
  /** Nothing is reported before the job has run this long (ms): a quick job reports no stage at all. */
  delayMs: number;
  /** After that, at most one report per this many ms: the latest stage, when it changed. */
  everyMs: number;
}

/** Defaults: the bot shows progress only for work still running 2 s after the command (bot/requests/diagnose.ts). */
export const PROGRESS_REPORTING: ProgressReporterOptions = { delayMs: 1000, everyMs: 1000 };

/**
 * Job progress without waiting on it and without reports nobody will see: stages are kept as they come and
 * reported (BullMQ job progress: one Redis write and one queue event each) only once the job has run
 * `delayMs`, then at most every `everyMs`, the latest stage only. A report that fails is dropped (progress is
 * best effort); diagnose never waits for one. Call `stop()` when the job ends: nothing is reported after.
 */
export function progressReporter(
  report: (p: Progress) => Promise<unknown>,
  o: ProgressReporterOptions = PROGRESS_REPORTING,
  now: () => number = Date.now,
): { progress(p: Progress): void; stop(): void } {
  const started = now();
  let latest: Progress | undefined;
  let sent: Progress | undefined;
  let sentAt = Number.NEGATIVE_INFINITY;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const flush = () => {
    timer = undefined;
    if (stopped || !latest || latest === sent) return;
    sent = latest;
    sentAt = now();
    report(latest).catch(() => undefined);
  };
  return {
    progress(p) {
      if (stopped) return;
      latest = p;
      if (timer) return;
      const at = Math.max(started + o.delayMs, sentAt + o.everyMs);
      const wait = at - now();
      if (wait <= 0) flush();
      else {
        timer = setTimeout(flush, wait);
        timer.unref();
      }
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
