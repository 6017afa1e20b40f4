import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { parsePolicy } from '../../bot/policy/parse.js';
import {
  duration,
  type RateLimitKind,
  type RateLimitResult,
  RateLimitStoreError,
  RateLimits,
} from '../../bot/policy/rate-limit.js';
import type { Policy } from '../../bot/policy/schema.js';
import { freePort, testRedisUrl } from '../support/redis-server.js';

const REDIS_URL = testRedisUrl();

type L = { max: number; windowSeconds: number };
const policyWith = (limits: {
  commands?: { perUser?: L; perChannel?: L };
  privileged?: { perUser?: L; perChannel?: L };
}): Policy => {
  const r = parsePolicy(
    JSON.stringify({ version: 1, channels: { ids: ['C0ONCALL'] }, rateLimits: limits }),
    'policy.yaml',
  );
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.policy;
};

const big = { max: 1000, windowSeconds: 3600 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('RateLimits with real Redis', () => {
  let redis: Redis;
  const prefixes: string[] = [];
  const limits = () => {
    const keyPrefix = `poddebug-test:rl:${randomUUID()}`;
    prefixes.push(keyPrefix);
    return new RateLimits(redis, { keyPrefix });
  };

  beforeAll(async () => {
    redis = new Redis(REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    await new Promise<void>((resolve, reject) => {
      redis.once('ready', resolve);
      redis.once('error', reject);
    });
  });
  afterEach(async () => {
    for (const p of prefixes.splice(0)) {
      const keys = await redis.keys(`${p}:*`);
      if (keys.length > 0) await redis.del(...keys);
    }
  });
  afterAll(async () => {
    await redis.quit();
  });

  const run = (
    rl: RateLimits,
    p: Policy,
    userId: string,
    channelId = 'C0ONCALL',
    kind: RateLimitKind = 'commands',
  ) => rl.consume(p, { kind, userId, channelId });
  const runMany = async (n: number, f: () => Promise<RateLimitResult>) => {
    const out: RateLimitResult[] = [];
    for (let i = 0; i < n; i++) out.push(await f());
    return out;
  };

  it('lets a user run max commands in the window, then refuses with how long to wait', async () => {
    const rl = limits();
    const p = policyWith({ commands: { perUser: { max: 3, windowSeconds: 60 }, perChannel: big } });
    const results = await runMany(3, () => run(rl, p, 'U0ALICE'));
    expect(results).toEqual([{ ok: true }, { ok: true }, { ok: true }]);

    const refused = await run(rl, p, 'U0ALICE');
    expect(refused).toMatchObject({ ok: false, scope: 'user' });
    if (refused.ok) throw new Error('unreachable');
    expect(refused.retryAfterSec).toBeGreaterThanOrEqual(59);
    expect(refused.retryAfterSec).toBeLessThanOrEqual(60);
    expect(refused.message).toBe(
      `Rate limit: you ran 3 commands in the last 60 s (limit 3 per 60 s). Try again in ${refused.retryAfterSec} s.`,
    );
    // Someone else in the same channel is not affected.
    expect(await run(rl, p, 'U0BOB')).toEqual({ ok: true });
  });

  it('limits a channel across users, without charging the users for the refusal', async () => {
    const rl = limits();
    const p = policyWith({
      commands: { perUser: { max: 2, windowSeconds: 60 }, perChannel: { max: 3, windowSeconds: 60 } },
    });
    expect(await run(rl, p, 'U0ALICE')).toEqual({ ok: true });
    expect(await run(rl, p, 'U0BOB')).toEqual({ ok: true });
    expect(await run(rl, p, 'U0CAROL')).toEqual({ ok: true });

    const refused = await run(rl, p, 'U0DAVE');
    expect(refused).toMatchObject({ ok: false, scope: 'channel' });
    expect(!refused.ok && refused.message).toMatch(
      /^Rate limit for this channel: 3 commands were run here in the last 60 s \(limit 3 per 60 s\)\. Try again in \d+ s\.$/,
    );

    // Elsewhere, Dave still has both of his own: the refused request was given back.
    expect(await run(rl, p, 'U0DAVE', 'C0OTHER')).toEqual({ ok: true });
    expect(await run(rl, p, 'U0DAVE', 'C0OTHER')).toEqual({ ok: true });
    expect(await run(rl, p, 'U0DAVE', 'C0OTHER')).toMatchObject({ ok: false, scope: 'user' });
  });

  it("does not charge a channel for requests refused by the user's own limit", async () => {
    const rl = limits();
    const p = policyWith({
      commands: { perUser: { max: 1, windowSeconds: 60 }, perChannel: { max: 3, windowSeconds: 60 } },
    });
    expect(await run(rl, p, 'U0ALICE')).toEqual({ ok: true });
    const spam = await runMany(5, () => run(rl, p, 'U0ALICE'));
    expect(spam.every((r) => !r.ok && r.scope === 'user')).toBe(true);
    expect(await run(rl, p, 'U0BOB')).toEqual({ ok: true });
    expect(await run(rl, p, 'U0CAROL')).toEqual({ ok: true });
    expect(await run(rl, p, 'U0DAVE')).toMatchObject({ ok: false, scope: 'channel' });
  });

  it('counts privileged requests in their own bucket', async () => {
    const rl = limits();
    const p = policyWith({
      commands: { perUser: { max: 2, windowSeconds: 60 }, perChannel: big },
      privileged: { perUser: { max: 1, windowSeconds: 3600 }, perChannel: big },
    });
    expect(await run(rl, p, 'U0ALICE', 'C0ONCALL', 'privileged')).toEqual({ ok: true });
    const priv = await run(rl, p, 'U0ALICE', 'C0ONCALL', 'privileged');
    expect(priv).toMatchObject({ ok: false, scope: 'user' });
    if (priv.ok) throw new Error('unreachable');
    expect(priv.retryAfterSec).toBeGreaterThan(3500);
    expect(priv.message).toMatch(
      /^Rate limit: you made 1 privileged request in the last 1 h \(limit 1 per 1 h\)\. Try again in (59|60) min\.$/,
    );
    // Commands are untouched by the privileged bucket, and the other way round.
    expect(await runMany(2, () => run(rl, p, 'U0ALICE'))).toEqual([{ ok: true }, { ok: true }]);
    expect(await run(rl, p, 'U0ALICE')).toMatchObject({ ok: false, scope: 'user' });
  });

  it('applies new limits when the policy changes', async () => {
    const rl = limits();
    const strict = policyWith({ commands: { perUser: { max: 2, windowSeconds: 60 }, perChannel: big } });
    const looser = policyWith({ commands: { perUser: { max: 4, windowSeconds: 60 }, perChannel: big } });
    await runMany(2, () => run(rl, strict, 'U0ALICE'));
    expect(await run(rl, strict, 'U0ALICE')).toMatchObject({ ok: false, scope: 'user' });

    // The count so far carries over: 2 of 4 are used (the refused request does not count).
    expect(await runMany(2, () => run(rl, looser, 'U0ALICE'))).toEqual([{ ok: true }, { ok: true }]);
    const r = await run(rl, looser, 'U0ALICE');
    expect(r).toMatchObject({ ok: false, scope: 'user' });
    expect(!r.ok && r.message).toContain('(limit 4 per 60 s)');

    // Tightening applies at once.
    const tighter = policyWith({ commands: { perUser: { max: 1, windowSeconds: 60 }, perChannel: big } });
    expect(await run(rl, tighter, 'U0BOB')).toEqual({ ok: true });
    expect(await run(rl, tighter, 'U0BOB')).toMatchObject({ ok: false, scope: 'user' });
    const over = await run(rl, tighter, 'U0ALICE');
    expect(!over.ok && over.message).toMatch(
      /^Rate limit: you ran 4 commands in the last 60 s \(limit 1 per 60 s\)\./,
    );
  });

  it('lets requests through again once the window has passed', async () => {
    const rl = limits();
    const p = policyWith({ commands: { perUser: { max: 2, windowSeconds: 1 }, perChannel: big } });
    await runMany(2, () => run(rl, p, 'U0ALICE'));
    const refused = await run(rl, p, 'U0ALICE');
    expect(refused).toMatchObject({ ok: false, scope: 'user', retryAfterSec: 1 });
    await sleep(1100);
    expect(await runMany(2, () => run(rl, p, 'U0ALICE'))).toEqual([{ ok: true }, { ok: true }]);
    expect(await run(rl, p, 'U0ALICE')).toMatchObject({ ok: false });
  });

  it('keeps its counts under its key prefix', async () => {
    const keyPrefix = `poddebug-test:rl:${randomUUID()}`;
    prefixes.push(keyPrefix);
    const rl = new RateLimits(redis, { keyPrefix });
    await run(rl, policyWith({}), 'U0ALICE');
    expect((await redis.keys(`${keyPrefix}:*`)).sort()).toEqual([
      `${keyPrefix}:commands:channel:60s:C0ONCALL`,
      `${keyPrefix}:commands:user:60s:U0ALICE`,
    ]);
  });
});

describe('duration', () => {
  it.each([
    [1, false, '1 s'],
    [60, false, '60 s'],
    [150, false, '150 s'],
    [300, false, '5 min'],
    [3600, false, '1 h'],
    [86_400, false, '24 h'],
    [12, true, '12 s'],
    [91, true, '2 min'],
    [3600, true, '60 min'],
    [7199, true, '120 min'],
    [7200, true, '2 h'],
    [7201, true, '3 h'],
  ])('%i s (wait: %s) reads %s', (sec, wait, want) => {
    expect(duration(sec, wait)).toBe(want);
  });
});

describe('RateLimits without Redis', () => {
  it('throws RateLimitStoreError, so the caller can say the queue is unavailable', async () => {
    const down = new Redis(`redis://127.0.0.1:${await freePort()}`, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
    });
    down.on('error', () => undefined);
    try {
      const rl = new RateLimits(down, { keyPrefix: `poddebug-test:rl:${randomUUID()}` });
      const err = await rl
        .consume(policyWith({}), { kind: 'commands', userId: 'U0ALICE', channelId: 'C0ONCALL' })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(RateLimitStoreError);
      expect((err as Error).message).toMatch(/^rate limits unavailable: Redis: /);
    } finally {
      down.disconnect();
    }
  });
});
