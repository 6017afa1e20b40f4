/**
 * JobControl.takeBack against a real Redis, with a queue double that answers as BullMQ would: whether a
 * cancelled request's job had started is the queue's to say when the record does not know yet, for every
 * kind (here a diagnose, whose record says `queued` until the bot hears of the run).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { JobControl, type JobControlDeps } from '../../bot/requests/job-control.js';
import { RequestStore } from '../../bot/requests/store.js';
import { jobIdOf, KEYS, requestIdFor } from '../../jobs/contracts/index.js';
import { testRedisUrl } from '../support/redis-server.js';

const cluster = `t${randomUUID().slice(0, 8)}`;
const channel = `C${randomUUID().slice(0, 8).toUpperCase()}`;
let redis: Redis;
let store: RequestStore;
const ids: string[] = [];

/** The queue's answer for the next job asked about, and the jobs asked about. */
let queueSays: () => Promise<'active' | 'removed' | 'absent'>;
const asked: string[] = [];

function control(): JobControl {
  return new JobControl({
    redis,
    store,
    logger: pino({ level: 'silent' }),
    now: () => Date.now(),
    clusters: [cluster],
    queues: {
      removeIfWaiting: (c: string, jobId: string) => {
        asked.push(`${c}/${jobId}`);
        return queueSays();
      },
    },
  } as unknown as JobControlDeps);
}

async function queuedDiagnose() {
  const id = requestIdFor('diagnose', cluster, [randomUUID()]);
  ids.push(id);
  await store.create({
    id,
    kind: 'diagnose',
    state: 'queued',
    cluster,
    channel,
    requester: 'U0REQ',
    createdAt: Date.now(),
    target: 'shop/web-1',
    targetRef: { kind: 'pod', name: 'web-1', namespace: 'shop' },
  });
  return (await store.get(id))!;
}

beforeAll(() => {
  redis = new Redis(testRedisUrl());
  store = new RequestStore(redis);
});
afterAll(async () => {
  for (const id of ids) await redis.del(KEYS.request(id));
  await redis.del(KEYS.open(cluster), KEYS.channelOpen(cluster, channel));
  redis.disconnect();
});

describe('JobControl.takeBack', () => {
  it('a job still waiting is removed: it had not started, and the record is left as the cancel wrote it', async () => {
    const jc = control();
    const r = await queuedDiagnose();
    queueSays = async () => 'removed';
    await jc.mark(r, ['queued'], 'replied', 'U0A', { final: 'nothing ran' });
    expect(await jc.takeBack(r, 'diagnose', 'queued', { final: 'it was running' })).toBe(false);
    expect(asked).toContain(`${cluster}/${jobIdOf(r.id, 'diagnose')}`);
    expect(await redis.hmget(KEYS.request(r.id), 'cancelledFrom', 'final')).toEqual([
      'queued',
      'nothing ran',
    ]);
  });

  it('a job a worker has taken while the record still said queued: it had started, and the record says so', async () => {
    const jc = control();
    const r = await queuedDiagnose();
    queueSays = async () => 'active';
    await jc.mark(r, ['queued'], 'replied', 'U0A', { final: 'nothing ran' });
    expect(await jc.takeBack(r, 'diagnose', 'queued', { final: 'it was running' })).toBe(true);
    expect(await redis.hmget(KEYS.request(r.id), 'cancelledFrom', 'final')).toEqual([
      'running',
      'it was running',
    ]);
  });

  it('a record that said running had started, whatever the queue says; the record is not rewritten', async () => {
    const jc = control();
    const r = await queuedDiagnose();
    await redis.hset(KEYS.request(r.id), 'state', 'running');
    queueSays = async () => 'absent';
    await jc.mark(r, ['running'], 'replied', 'U0A', { final: 'it was running (mark)' });
    expect(await jc.takeBack(r, 'diagnose', 'running', { final: 'patched' })).toBe(true);
    expect(await redis.hmget(KEYS.request(r.id), 'cancelledFrom', 'final')).toEqual([
      'running',
      'it was running (mark)',
    ]);
  });

  it('a queue that does not answer counts as nothing started (the cancel still stands)', async () => {
    const jc = control();
    const r = await queuedDiagnose();
    queueSays = () => Promise.reject(new Error('connection reset'));
    await jc.mark(r, ['queued'], 'replied', 'U0A');
    expect(await jc.takeBack(r, 'diagnose', 'queued')).toBe(false);
    expect(await redis.hget(KEYS.request(r.id), 'cancelledFrom')).toBe('queued');
  });
});
