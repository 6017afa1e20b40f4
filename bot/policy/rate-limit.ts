import type { Redis } from 'ioredis';
import { luaScript } from '../../jobs/contracts/lua.js';
import { KEYS } from '../../jobs/contracts/requests.js';
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

/** Several buckets at once and, in the same step, whether a key (a worker's heartbeat) exists. */
export interface RateLimitGateRequest {
  /** In order: a refusal by a later bucket leaves the earlier ones counted. */
  kinds: readonly RateLimitKind[];
  userId: string;
  channelId: string;
  /** Also check that this key exists (read after the counts, in the same script). */
  heartbeatKey?: string;
}

export type RateLimitGateResult = { ok: true; alive: boolean } | Extract<RateLimitResult, { ok: false }>;

/** Redis could not be reached: the caller answers "queue unavailable" rather than guessing. */
export class RateLimitStoreError extends Error {
  override readonly name = 'RateLimitStoreError';
}

interface Limit {
  max: number;
  windowSeconds: number;
}

const SCRIPT = 'poddebug_rate_limits';

/**
 * The policy's rate limits (`rateLimits.{commands,privileged}.{perUser,perChannel}`), counted in Redis, so
 * every bot replica shares the counts. One script (rate-limit.lua) counts every bucket of a request and reads
 * the worker heartbeat in one round trip; its keys and counting are rate-limiter-flexible's fixed windows,
 * which this class used before (a counter created with the window as expiry, then incremented).
 *
 * - Windows are fixed: a window opens with the first request counted and lasts `windowSeconds`; within it
 *   `max` requests pass. (Up to 2 × max can pass across a window boundary.)
 * - Only requests let through are counted. The user's limit is checked first: a request refused for the
 *   user is not counted against the channel, and one refused for the channel is given back to the user.
 *   So one person retrying once limited cannot use up the channel's budget, and a busy channel does not
 *   use up its users' own budgets.
 * - `commands` and `privileged` are separate buckets: a privileged request counts in both, commands first
 *   (one refused for its privileged limit stays counted as a command).
 * - When the policy's limits change, counts carry over when only `max` changes; a changed `windowSeconds`
 *   starts new counts (the window is part of the key).
 * - Redis unreachable → {@link RateLimitStoreError} (the ioredis client should not queue commands while
 *   disconnected: `enableOfflineQueue: false`, as the bot's is).
 */
export class RateLimits {
  private readonly keyPrefix: string;

  constructor(
    private readonly redis: Redis,
    /** keyPrefix: default KEYS.rateLimitPrefix, on the heartbeats' slot (GATE_TAG), as the one script needs. */
    opts: { keyPrefix?: string } = {},
  ) {
    this.keyPrefix = opts.keyPrefix ?? KEYS.rateLimitPrefix;
    if (!(SCRIPT in redis)) {
      // No numberOfKeys: the first argument of each call says how many keys follow.
      redis.defineCommand(SCRIPT, {
        lua: luaScript(new URL('./rate-limit.lua', import.meta.url)),
      });
    }
  }

  async consume(policy: Policy, r: RateLimitRequest): Promise<RateLimitResult> {
    const res = await this.gate(policy, { kinds: [r.kind], userId: r.userId, channelId: r.channelId });
    return res.ok ? { ok: true } : res;
  }

  /** Counts the request in each of `kinds` (and reads `heartbeatKey`) in one round trip. */
  async gate(policy: Policy, r: RateLimitGateRequest): Promise<RateLimitGateResult> {
    const keys: string[] = [];
    const args: number[] = [r.heartbeatKey ? 1 : 0];
    for (const kind of r.kinds) {
      const { perUser, perChannel } = policy.rateLimits[kind];
      keys.push(
        this.key(kind, 'user', perUser, r.userId),
        this.key(kind, 'channel', perChannel, r.channelId),
      );
      args.push(perUser.max, perUser.windowSeconds, perChannel.max, perChannel.windowSeconds);
    }
    if (r.heartbeatKey) keys.push(r.heartbeatKey);
    let out: [0, number] | [1, number, RateLimitScope, number, number];
    try {
      if (this.redis.status !== 'ready') throw new Error(`connection is ${this.redis.status}`);
      const run = (this.redis as unknown as Record<string, (...a: (string | number)[]) => Promise<unknown>>)[
        SCRIPT
      ]!;
      out = (await run.call(this.redis, keys.length, ...keys, ...args)) as typeof out;
    } catch (err) {
      throw storeError(err);
    }
    if (out[0] === 0) return { ok: true, alive: out[1] === 1 };
    const [, bucket, scope, count, msLeft] = out;
    const kind = r.kinds[bucket - 1]!;
    const limits = policy.rateLimits[kind];
    return refusal(kind, scope, scope === 'user' ? limits.perUser : limits.perChannel, count, msLeft);
  }

  private key(kind: RateLimitKind, scope: RateLimitScope, limit: Limit, id: string): string {
    return `${this.keyPrefix}:${kind}:${scope}:${limit.windowSeconds}s:${id}`;
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
  consumedPoints: number,
  msBeforeNext: number,
): Extract<RateLimitResult, { ok: false }> {
  const retryAfterSec = Math.max(1, Math.ceil(msBeforeNext / 1000));
  const window = duration(limit.windowSeconds);
  // consumedPoints includes this refused request; after a tightened limit the count may exceed max.
  const count = Math.max(limit.max, consumedPoints - 1);
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
