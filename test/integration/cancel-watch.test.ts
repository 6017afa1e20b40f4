/**
 * The parts of job control that live in Redis, against a real Redis: the channel index kept with the record
 * (create.lua, store.close), cancel.lua deciding one winner among concurrent cancels, and the worker's
 * CancelWatch hearing of a cancel by message, by the flag when the message was missed, and before its job
 * started; kind hooks run once per request.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { JobControl, type JobControlDeps } from '../../bot/requests/job-control.js';
import { diagnoseCancelKind } from '../../bot/requests/job-control-kinds.js';
import { type NewRequest, RequestStore } from '../../bot/requests/store.js';
import { CancelWatch } from '../../jobs/cancel-watch.js';
import { KEYS, requestIdFor } from '../../jobs/contracts/index.js';
import { testRedisUrl } from '../support/redis-server.js';

const cluster = `t${randomUUID().slice(0, 8)}`;
const channel = `C${randomUUID().slice(0, 8).toUpperCase()}`;
const log = pino({ level: 'silent' });
let redis: Redis;
let store: RequestStore;
let jc: JobControl;
const ids: string[] = [];

beforeAll(() => {
  redis = new Redis(testRedisUrl());
  store = new RequestStore(redis);
  // Only the Redis parts of JobControl run here (list, mark, signalWorkers); the Slack-facing ones are
  // covered through the whole product in job-control.test.ts.
  jc = new JobControl({
    redis,
    store,
    logger: log,
    now: () => Date.now(),
    clusters: [cluster],
  } as unknown as JobControlDeps);
  jc.register('diagnose', diagnoseCancelKind(jc, { threads: {} as never, logger: log }));
});
afterAll(async () => {
  for (const id of ids) await redis.del(KEYS.request(id), KEYS.cancel(id));
  await redis.del(KEYS.open(cluster), KEYS.channelOpen(cluster, channel));
  redis.disconnect();
});

function diagnose(over: Partial<Extract<NewRequest, { kind: 'diagnose' }>> = {}) {
  const id = requestIdFor('diagnose', cluster, [randomUUID()]);
  ids.push(id);
  return {
    id,
    kind: 'diagnose' as const,
    state: 'queued' as const,
    cluster,
    channel,
    requester: 'U0REQ',
    createdAt: Date.now(),
    target: 'shop/web-1',
    targetRef: { kind: 'pod' as const, name: 'web-1', namespace: 'shop' },
    ...over,
  };
}

describe('the channel index', () => {
  it('a request is listed in its channel from creation until its thread is final; vanished records leave it', async () => {
    const a = diagnose();
    const b = diagnose({ state: 'running', createdAt: Date.now() + 1 });
    await store.create(a);
    await store.create(b);
    let listed = await jc.list(channel);
    expect(listed.rows.map((r) => [r.id, r.state])).toEqual([
      [b.id, 'running'],
      [a.id, 'queued'],
    ]);
    await store.close(cluster, a.id);
    expect(await redis.zscore(KEYS.channelOpen(cluster, channel), a.id)).toBeNull();
    expect(await redis.zscore(KEYS.open(cluster), a.id)).toBeNull();
    // A record that expired (TTL) is pruned from the index on the next listing.
    await redis.del(KEYS.request(b.id));
    listed = await jc.list(channel);
    expect(listed.rows).toEqual([]);
    expect(await redis.zcard(KEYS.channelOpen(cluster, channel))).toBe(0);
  });
});

describe('cancel.lua', () => {
  it('of many concurrent cancels exactly one wins, recording who and from which state', async () => {
    const r = diagnose({ state: 'running' });
    await store.create(r);
    const got = await store.get(r.id);
    const outs = await Promise.all(
      ['U0A', 'U0B', 'U0C', 'U0D'].map((u) => jc.mark(got!, ['queued', 'running'], 'replied', u)),
    );
    const winners = outs.filter((o) => o.previous !== undefined);
    expect(winners).toEqual([{ previous: 'running' }]);
    expect(outs.filter((o) => o.state === 'replied')).toHaveLength(3);
    const after = await store.get(r.id);
    expect(after?.state).toBe('replied');
    expect(after?.cancelledFrom).toBe('running');
    expect(['U0A', 'U0B', 'U0C', 'U0D']).toContain(after?.cancelledBy);
    expect(after?.due.cancelled).toBeGreaterThan(0);
  });
  it('a request that is not open, or not there, is not moved', async () => {
    const r = diagnose({ state: 'done' });
    await store.create(r);
    expect(await jc.mark((await store.get(r.id))!, ['queued', 'running'], 'replied', 'U0A')).toEqual({
      state: 'done',
    });
    const gone = { ...r, id: requestIdFor('diagnose', cluster, [randomUUID()]) };
    expect(await jc.mark(gone as never, ['queued'], 'replied', 'U0A')).toEqual({ state: 'gone' });
  });
});

describe("the worker's CancelWatch", () => {
  let watch: CancelWatch;
  let subscriber: Redis;
  const hooked: string[] = [];

  beforeAll(async () => {
    subscriber = new Redis(testRedisUrl());
    watch = new CancelWatch({ cluster, redis, subscriber, logger: log, pollMs: 200 });
    watch.onCancel('privileged', async (id) => {
      hooked.push(id);
    });
    // Let the subscription settle.
    for (let i = 0; i < 50 && (await redis.pubsub('NUMSUB', KEYS.cancelChannel(cluster)))[1] === 0; i++)
      await new Promise((r) => setTimeout(r, 20));
  });
  afterAll(async () => {
    await watch.close();
  });

  const aborted = (signal: AbortSignal) =>
    new Promise<number>((resolve) => {
      const t0 = Date.now();
      if (signal.aborted) resolve(0);
      signal.addEventListener('abort', () => resolve(Date.now() - t0), { once: true });
    });

  it('a running job hears the cancel message at once', async () => {
    const id = requestIdFor('privileged', cluster, [randomUUID()]);
    ids.push(id);
    const w = watch.watch(id);
    const other = watch.watch(requestIdFor('privileged', cluster, [randomUUID()]));
    const t0 = Date.now();
    await jc.signalWorkers({ id, cluster } as never, 'U0ALICE');
    await aborted(w.signal);
    expect(Date.now() - t0).toBeLessThan(150);
    expect(other.signal.aborted).toBe(false);
    expect(await redis.get(KEYS.cancel(id))).toBe('U0ALICE');
    w.stop();
    other.stop();
    // The privileged kind's hook ran once for it, however often the cancel is heard.
    await jc.signalWorkers({ id, cluster } as never, 'U0ALICE');
    await new Promise((r) => setTimeout(r, 300));
    expect(hooked.filter((h) => h === id)).toEqual([id]);
  });

  it('a missed message is made up by the flag, and a job of a request cancelled before it started stops at once', async () => {
    const id = requestIdFor('privileged', cluster, [randomUUID()]);
    ids.push(id);
    const w = watch.watch(id);
    await redis.set(KEYS.cancel(id), 'U0ALICE'); // no message published
    expect(await aborted(w.signal)).toBeLessThan(1000);
    w.stop();
    const late = watch.watch(id);
    expect(await aborted(late.signal)).toBeLessThan(200);
    late.stop();
  });

  it('jobs of requests nobody cancelled are left alone', async () => {
    const w = watch.watch(requestIdFor('diagnose', cluster, [randomUUID()]));
    await new Promise((r) => setTimeout(r, 500));
    expect(w.signal.aborted).toBe(false);
    w.stop();
  });
});
