/**
 * The ack path's Redis steps against real Redis: the gate's one script (rate limits and the worker heartbeat,
 * bot/policy/rate-limit.lua) and the one MULTI that adds a diagnose job and records its request
 * (bot/queues.ts, bot/requests/lua/create-after-job.lua): the record is never made without its job.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { parsePolicy } from '../../bot/policy/parse.js';
import { RateLimits } from '../../bot/policy/rate-limit.js';
import type { Policy } from '../../bot/policy/schema.js';
import { Queues } from '../../bot/queues.js';
import { type NewRequest, RequestStore } from '../../bot/requests/store.js';
import { type DiagnosePayload, KEYS, requestIdFor } from '../../jobs/contracts/index.js';
import { removeRequestKeys, testRedisUrl } from '../support/redis-server.js';

const REDIS_URL = testRedisUrl();
const cluster = `t${randomUUID().slice(0, 8)}`;
let redis: Redis;
let queueRedis: Redis;
let queues: Queues;
let store: RequestStore;

beforeAll(async () => {
  redis = new Redis(REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  queueRedis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  await new Promise<void>((r) => redis.once('ready', () => r()));
  queues = new Queues(queueRedis, redis, [cluster], 2000);
  store = new RequestStore(redis);
  RequestStore.prepareTransactions(queueRedis);
});
afterAll(async () => {
  await queues.queue(cluster).obliterate({ force: true });
  await queues.close();
  await removeRequestKeys(redis, cluster);
  redis.disconnect();
  queueRedis.disconnect();
});

function ask(): { record: NewRequest; payload: DiagnosePayload } {
  const id = requestIdFor('diagnose', cluster, [randomUUID()]);
  const target = { kind: 'pod' as const, name: 'web-1', namespace: 'shop' };
  const now = Date.now();
  return {
    record: {
      id,
      kind: 'diagnose',
      state: 'queued',
      cluster,
      channel: 'C0ACK',
      requester: 'U0ACK',
      createdAt: now,
      target: 'shop/web-1',
      targetRef: target,
    },
    payload: {
      version: 1,
      action: 'diagnose',
      cluster,
      target,
      requester: { userId: 'U0ACK', channelId: 'C0ACK' },
      requestedAt: new Date(now).toISOString(),
    },
  };
}

describe('job and record in one MULTI', () => {
  it('adds the job and records the request, its requested audit entry due', async () => {
    const { record, payload } = ask();
    const [reply] = await queues.addDiagnoseWith(
      record.id,
      payload,
      (tx, jobKey) => store.createAfterJob(tx, record, ['requested'], jobKey),
      async () => undefined,
    );
    expect(RequestStore.created(reply)).toBe('created');
    const job = await Job.fromId(queues.queue(cluster), record.id);
    expect(job?.data).toEqual(payload);
    expect(await queues.queue(cluster).getJobState(record.id)).toBe('waiting');
    const r = await store.get(record.id);
    expect(r).toMatchObject({ id: record.id, state: 'queued', due: { requested: record.createdAt } });
    expect(await redis.zscore(KEYS.open(cluster), record.id)).toBe(String(record.createdAt));
  });

  it('a redelivered request finds both and adds neither again', async () => {
    const { record, payload } = ask();
    const submit = () =>
      queues.addDiagnoseWith(
        record.id,
        payload,
        (tx, jobKey) => store.createAfterJob(tx, record, [], jobKey),
        async () => undefined,
      );
    expect(RequestStore.created((await submit())[0])).toBe('created');
    expect(RequestStore.created((await submit())[0])).toBe('exists');
    expect(await queues.queue(cluster).getJobCountByTypes('waiting')).toBeGreaterThanOrEqual(1);
    const jobs = await queues.queue(cluster).getJobs(['waiting']);
    expect(jobs.filter((j) => j.id === record.id)).toHaveLength(1);
  });

  it('without its job (the add failed or never ran) no record is made and nothing is listed as open', async () => {
    const { record } = ask();
    const tx = queueRedis.multi();
    store.createAfterJob(tx, record, ['requested'], queues.queue(cluster).toKey(record.id));
    const [[err, reply]] = (await tx.exec()) as [[Error | null, unknown]];
    expect(err).toBeNull();
    expect(RequestStore.created(reply)).toBe('no_job');
    expect(await redis.exists(KEYS.request(record.id))).toBe(0);
    expect(await redis.zscore(KEYS.open(cluster), record.id)).toBeNull();
  });
});

describe('the gate script', () => {
  const policy = (yaml: object): Policy => {
    const r = parsePolicy(JSON.stringify({ version: 1, channels: { ids: ['C0ACK'] }, ...yaml }), 'p.yaml');
    if (!r.ok) throw new Error(r.errors.join('\n'));
    return r.policy;
  };
  const limits = () => new RateLimits(redis, { keyPrefix: `poddebug-test:rl:${randomUUID()}` });
  const big = { max: 1000, windowSeconds: 60 };

  it('counts the limits and reads the heartbeat in the same step', async () => {
    const rl = limits();
    const p = policy({
      rateLimits: { commands: { perUser: { max: 2, windowSeconds: 60 }, perChannel: big } },
    });
    const hb = KEYS.heartbeat(`${cluster}-hb`);
    const r = { kinds: ['commands'] as const, userId: 'U0A', channelId: 'C0ACK', heartbeatKey: hb };
    expect(await rl.gate(p, r)).toEqual({ ok: true, alive: false });
    await redis.set(hb, 'w', 'PX', 10_000);
    expect(await rl.gate(p, r)).toEqual({ ok: true, alive: true });
    // Over the limit: refused for the limit, whatever the heartbeat says.
    expect(await rl.gate(p, r)).toMatchObject({ ok: false, scope: 'user' });
    await redis.del(hb);
  });

  it('a privileged request refused for its privileged limit stays counted as a command (as before)', async () => {
    const rl = limits();
    const p = policy({
      rateLimits: {
        commands: { perUser: { max: 2, windowSeconds: 60 }, perChannel: big },
        privileged: { perUser: { max: 1, windowSeconds: 3600 }, perChannel: big },
      },
    });
    const both = { kinds: ['commands', 'privileged'] as const, userId: 'U0B', channelId: 'C0ACK' };
    expect(await rl.gate(p, both)).toEqual({ ok: true, alive: true });
    const refused = await rl.gate(p, both);
    expect(refused).toMatchObject({ ok: false, scope: 'user' });
    expect(!refused.ok && refused.message).toMatch(/^Rate limit: you made 1 privileged request/);
    // Two commands counted (the refused privileged request among them): a third is refused.
    expect(await rl.consume(p, { kind: 'commands', userId: 'U0B', channelId: 'C0ACK' })).toMatchObject({
      ok: false,
      scope: 'user',
    });
  });
});
