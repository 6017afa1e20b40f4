/**
 * How a worker learns that a request was cancelled (`/poddebug cancel`): the bot sets the request's cancel
 * flag (KEYS.cancel) and publishes its id on the cluster's cancel channel (KEYS.cancelChannel). A job that
 * watches its request gets an AbortSignal that fires on the message, or, should the message be missed (the
 * subscriber was reconnecting), when a poll finds the flag; a job whose request was cancelled before it
 * started is aborted at once. Kinds whose work outlives a job (a debug copy kept for `--keep`) register a
 * hook that runs once per cancelled request on every worker that hears of it (hooks must be idempotent).
 */
import type { Redis } from 'ioredis';
import { KEYS, parseRequestId, type RequestKind } from './contracts/index.js';
import type { Logger } from './log.js';

/** What a kind does on this worker when one of its requests is cancelled (e.g. delete a debug copy). */
export type CancelHook = (requestId: string) => Promise<void>;

export interface CancelWatchDeps {
  cluster: string;
  /** For the flag reads (any command connection). */
  redis: Redis;
  /** A connection of its own, put in subscriber mode. */
  subscriber: Redis;
  logger: Logger;
  /** How often a watched request's flag is read besides the message (ms). Default 2000. */
  pollMs?: number;
}

export interface Watch {
  /** Aborts when the request is cancelled. */
  signal: AbortSignal;
  /** Stops watching (the job ended). */
  stop(): void;
}

export class CancelWatch {
  private readonly watchers = new Map<string, Set<AbortController>>();
  private readonly hooks = new Map<RequestKind, CancelHook>();
  private readonly hooked = new Set<string>();
  private closed = false;

  constructor(private readonly d: CancelWatchDeps) {
    const channel = KEYS.cancelChannel(d.cluster);
    d.subscriber.on('message', (ch: string, id: string) => {
      if (ch === channel) this.cancelled(id);
    });
    d.subscriber.subscribe(channel).catch((err: unknown) => {
      // Without the subscription (a Redis user without the channel), the flag polls still stop watched jobs.
      d.logger.warn({ err: (err as Error).message, channel }, 'cancel channel not subscribed; polling only');
    });
  }

  /** Registers what a kind does when one of its requests is cancelled (one hook per kind). */
  onCancel(kind: RequestKind, hook: CancelHook): void {
    this.hooks.set(kind, hook);
  }

  /** Watches a request while its job runs; aborts at once when it was cancelled already. */
  watch(requestId: string): Watch {
    const ac = new AbortController();
    const set = this.watchers.get(requestId) ?? new Set<AbortController>();
    this.watchers.set(requestId, set);
    set.add(ac);
    const check = () => {
      this.d.redis
        .exists(KEYS.cancel(requestId))
        .then((n) => {
          if (n === 1) this.cancelled(requestId);
        })
        .catch(() => undefined);
    };
    check();
    const timer = setInterval(check, this.d.pollMs ?? 2000);
    timer.unref();
    return {
      signal: ac.signal,
      stop: () => {
        clearInterval(timer);
        set.delete(ac);
        if (set.size === 0 && this.watchers.get(requestId) === set) this.watchers.delete(requestId);
      },
    };
  }

  /** A request was cancelled: abort its watchers here, and run its kind's hook once. */
  private cancelled(id: string): void {
    const parsed = parseRequestId(id);
    if (!parsed || this.closed) return;
    const set = this.watchers.get(id);
    if (set && set.size > 0) {
      this.d.logger.info({ requestId: id, jobs: set.size }, 'request cancelled: stopping its job');
      for (const ac of set) ac.abort(new Error('cancelled'));
    }
    const hook = this.hooks.get(parsed.kind);
    if (hook && !this.hooked.has(id)) {
      this.hooked.add(id);
      if (this.hooked.size > 10_000) this.hooked.clear();
      hook(id).catch((err: unknown) => this.d.logger.warn({ err, requestId: id }, 'cancel hook failed'));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.d.subscriber.disconnect();
  }
}

/** Runs `fn` with a signal that aborts when the job's request is cancelled (no watch: never aborts). */
export async function withCancel<T>(
  watch: CancelWatch | undefined,
  requestId: string | undefined,
  fn: (signal: AbortSignal | undefined) => Promise<T>,
): Promise<T> {
  if (!watch || !requestId) return fn(undefined);
  const w = watch.watch(requestId);
  try {
    return await fn(w.signal);
  } finally {
    w.stop();
  }
}
