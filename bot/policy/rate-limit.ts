import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Policy } from './schema.js';

export type RateLimitKind = 'commands' | 'privileged';
export type RateLimitScope = 'user' | 'channel';

export interface RateLimitRequest {
  kind: RateLimitKind;
  userId: string;
  channelId: string;
}

export type RateLimitResult =
  | { ok: true }
  | { ok: false; scope: RateLimitScope; retryAfterSec: number; message: string };

/** Redis could not be reached: the caller answers "queue unavailable" rather than guessing. */
export class RateLimitStoreError extends Error {
  override readonly name = 'RateLimitStoreError';
}

interface Limit {
  max: number;
  windowSeconds: number;
}

/**
 * The policy's rate limits (`rateLimits.{commands,privileged}.{perUser,perChannel}`), counted in Redis with
 * rate-limiter-flexible, so every bot replica shares the counts.
 *
 * - Windows are fixed: a window opens with the first request counted and lasts `windowSeconds`; within it
 *   `max` requests pass. (Up to 2 × max can pass across a window boundary.)
 * - Only requests let through are counted. The user's limit is checked first: a request refused for the
 *   user is not counted against the channel, and one refused for the channel is given back to the user.
 *   So one person retrying once limited cannot use up the channel's budget, and a busy channel does not
 *   use up its users' own budgets.
 * - `commands` and `privileged` are separate buckets: call `consume` with `commands` for every command and
 *   again with `privileged` for a privileged request.
 * - When the policy's limits change the limiters are rebuilt. Counts carry over when only `max` changes;
 *   a changed `windowSeconds` starts new counts.
 * - Redis unreachable → {@link RateLimitStoreError} (the ioredis client should not queue commands while
 *   disconnected: `enableOfflineQueue: false`, as the bot's is).
 */
export class RateLimits {
  private readonly keyPrefix: string;
  private readonly limiters = new Map<string, { spec: string; limiter: RateLimiterRedis }>();

  constructor(
    private readonly redis: Redis,
    opts: { keyPrefix?: string } = {},
  ) {
    this.keyPrefix = opts.keyPrefix ?? 'poddebug:rl';
  }

  async consume(policy: Policy, r: RateLimitRequest): Promise<RateLimitResult> {
    const limits = policy.rateLimits[r.kind];
    const user = this.limiter(r.kind, 'user', limits.perUser);
    const userRefusal = await take(user, r.userId);
    if (userRefusal) return refusal(r.kind, 'user', limits.perUser, userRefusal);

    const channel = this.limiter(r.kind, 'channel', limits.perChannel);
    const channelRefusal = await take(channel, r.channelId);
    if (channelRefusal) {
      await giveBack(user, r.userId);
      return refusal(r.kind, 'channel', limits.perChannel, channelRefusal);
    }
    return { ok: true };
  }

  private limiter(kind: RateLimitKind, scope: RateLimitScope, limit: Limit): RateLimiterRedis {
    const slot = `${kind}:${scope}`;
    const spec = `${limit.max}/${limit.windowSeconds}`;
    const have = this.limiters.get(slot);
    if (have?.spec === spec) return have.limiter;
    const limiter = new RateLimiterRedis({
      storeClient: this.redis,
      keyPrefix: `${this.keyPrefix}:${kind}:${scope}:${limit.windowSeconds}s`,
      points: limit.max,
      duration: limit.windowSeconds,
      rejectIfRedisNotReady: true,
    });
    this.limiters.set(slot, { spec, limiter });
    return limiter;
  }
}

/**
 * Counts one request; resolves the refusal when over the limit, undefined when allowed. A refused request is
 * given back at once, so the counts are of requests let through (and a loosened limit applies to those).
 */
async function take(limiter: RateLimiterRedis, key: string): Promise<RateLimiterRes | undefined> {
  try {
    await limiter.consume(key, 1);
    return undefined;
  } catch (err) {
    if (!(err instanceof RateLimiterRes)) throw storeError(err);
    await giveBack(limiter, key);
    return err;
  }
}

async function giveBack(limiter: RateLimiterRedis, key: string): Promise<void> {
  try {
    await limiter.reward(key, 1);
  } catch (err) {
    throw storeError(err);
  }
}

function storeError(err: unknown): RateLimitStoreError {
  const reason =
    typeof (err as { message?: unknown })?.message === 'string' ? (err as Error).message : String(err);
  return new RateLimitStoreError(`rate limits unavailable: Redis: ${reason}`, { cause: err });
}

function refusal(
  kind: RateLimitKind,
  scope: RateLimitScope,
  limit: Limit,
  res: RateLimiterRes,
): Extract<RateLimitResult, { ok: false }> {
  const retryAfterSec = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  const window = duration(limit.windowSeconds);
  // consumedPoints includes this refused request; after a tightened limit the count may exceed max.
  const count = Math.max(limit.max, res.consumedPoints - 1);
  const what = plural(count, kind === 'commands' ? 'command' : 'privileged request');
  const done =
    scope === 'user'
      ? `Rate limit: you ${kind === 'commands' ? 'ran' : 'made'} ${what} in the last ${window}`
      : `Rate limit for this channel: ${what} ${count === 1 ? 'was' : 'were'} ${kind === 'commands' ? 'run' : 'made'} here in the last ${window}`;
  return {
    ok: false,
    scope,
    retryAfterSec,
    message: `${done} (limit ${limit.max} per ${window}). Try again in ${duration(retryAfterSec, true)}.`,
  };
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/**
 * A window: 45 → "45 s", 60 → "60 s", 300 → "5 min", 3600 → "1 h", 150 → "150 s".
 * A wait (`roundUp`): up to 90 s in seconds, then whole minutes up to 2 h, then whole hours, rounded up.
 */
export function duration(sec: number, roundUp = false): string {
  if (sec <= 90) return `${sec} s`;
  if (roundUp) return sec < 7200 ? `${Math.ceil(sec / 60)} min` : `${Math.ceil(sec / 3600)} h`;
  if (sec % 3600 === 0) return `${sec / 3600} h`;
  if (sec % 60 === 0) return `${sec / 60} min`;
  return `${sec} s`;
}
