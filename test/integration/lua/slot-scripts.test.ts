import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { luaScript } from '../../../jobs/contracts/lua.js';

/**
 * The probe-slot scripts as files, run against real Redis the way slots.ts
 * runs them (EVAL, 2 keys): every branch of acquire and release.
 */
const ACQUIRE = luaScript(new URL('../../../jobs/probes/slot-acquire.lua', import.meta.url));
const RELEASE = luaScript(new URL('../../../jobs/probes/slot-release.lua', import.meta.url));
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  await redis.quit();
});

/** Fresh keys for one case. */
const keys = () => {
  const p = `test-${randomUUID()}:`;
  return { container: `${p}container`, node: `${p}node` };
};
const holderOf = (jobId: string) => JSON.stringify({ jobId, action: 'strace', requester: 'U1', until: 'x' });

function acquire(
  k: ReturnType<typeof keys>,
  jobId: string,
  o: { now?: number; ttl?: number; max?: number } = {},
) {
  return redis.eval(
    ACQUIRE,
    2,
    k.container,
    k.node,
    o.now ?? Date.now(),
    o.ttl ?? 60_000,
    jobId,
    holderOf(jobId),
    o.max ?? 2,
  ) as Promise<[number, string?]>;
}
const release = (k: ReturnType<typeof keys>, jobId: string) =>
  redis.eval(RELEASE, 2, k.container, k.node, jobId);

describe('slot-acquire.lua', () => {
  it('takes a free container and a node slot, both leases expiring with the ttl', async () => {
    const k = keys();
    const now = Date.now();
    expect(await acquire(k, 'job-a', { now, ttl: 60_000 })).toEqual([0]);
    expect(await redis.get(k.container)).toBe(holderOf('job-a'));
    const pttl = await redis.pttl(k.container);
    expect(pttl).toBeGreaterThan(55_000);
    expect(pttl).toBeLessThanOrEqual(60_000);
    expect(Number(await redis.zscore(k.node, 'job-a'))).toBe(now + 60_000);
    // The node set lives 1 s past its last lease, then goes by itself.
    const nodeTtl = await redis.pttl(k.node);
    expect(nodeTtl).toBeGreaterThan(55_000);
    expect(nodeTtl).toBeLessThanOrEqual(61_000);
  });

  it('answers busy with the holder when another job holds the container, and changes nothing', async () => {
    const k = keys();
    await acquire(k, 'job-a');
    expect(await acquire(k, 'job-b')).toEqual([1, holderOf('job-a')]);
    expect(await redis.get(k.container)).toBe(holderOf('job-a'));
    expect(await redis.zrange(k.node, '0', '-1')).toEqual(['job-a']);
  });

  it('treats a holder it cannot read as busy (never overwrites it)', async () => {
    const k = keys();
    await redis.set(k.container, 'not json', 'PX', 60_000);
    expect(await acquire(k, 'job-a')).toEqual([1, 'not json']);
    expect(await redis.get(k.container)).toBe('not json');
    expect(await redis.exists(k.node)).toBe(0);
  });

  it('answers node full with the count once maxPerNode other jobs hold slots, and takes nothing', async () => {
    const a = keys();
    const node = a.node;
    await acquire(a, 'job-a', { max: 2 });
    await acquire({ container: `${a.container}-2`, node }, 'job-b', { max: 2 });
    const c = { container: `${a.container}-3`, node };
    expect(await acquire(c, 'job-c', { max: 2 })).toEqual([2, '2']);
    expect(await redis.exists(c.container)).toBe(0);
    expect((await redis.zrange(node, '0', '-1')).sort()).toEqual(['job-a', 'job-b']);
  });

  it('lets the same job take its own slots back (a retried attempt), even on a full node', async () => {
    const k = keys();
    await acquire(k, 'job-a', { max: 1 });
    expect(await acquire(k, 'job-a', { max: 1 })).toEqual([0]);
    expect(await redis.zcard(k.node)).toBe(1);
  });

  it('drops expired node leases before counting', async () => {
    const k = keys();
    const now = Date.now();
    await redis.zadd(k.node, now - 1, 'dead-worker-job');
    expect(await acquire(k, 'job-a', { now, max: 1 })).toEqual([0]);
    expect(await redis.zrange(k.node, '0', '-1')).toEqual(['job-a']);
  });

  it('keeps the node set alive until its latest lease ends', async () => {
    const a = keys();
    await acquire(a, 'job-long', { ttl: 120_000 });
    await acquire({ container: `${a.container}-2`, node: a.node }, 'job-short', { ttl: 10_000 });
    expect(await redis.pttl(a.node)).toBeGreaterThan(110_000);
  });
});

describe('slot-release.lua', () => {
  it("gives back the job's container and node slot", async () => {
    const k = keys();
    await acquire(k, 'job-a');
    expect(await release(k, 'job-a')).toBe(0);
    expect(await redis.exists(k.container, k.node)).toBe(0);
  });

  it("never frees a container another job holds, but drops the caller's own node lease", async () => {
    const k = keys();
    await acquire(k, 'job-a');
    await redis.zadd(k.node, Date.now() + 60_000, 'job-b');
    expect(await release(k, 'job-b')).toBe(0);
    expect(await redis.get(k.container)).toBe(holderOf('job-a'));
    expect(await redis.zrange(k.node, '0', '-1')).toEqual(['job-a']);
  });

  it('leaves a holder it cannot read in place', async () => {
    const k = keys();
    await redis.set(k.container, 'not json', 'PX', 60_000);
    await release(k, 'job-a');
    expect(await redis.get(k.container)).toBe('not json');
  });

  it('is idempotent', async () => {
    const k = keys();
    await acquire(k, 'job-a');
    await release(k, 'job-a');
    expect(await release(k, 'job-a')).toBe(0);
    expect(await redis.exists(k.container, k.node)).toBe(0);
  });
});
