/**
 * The request engine's Lua scripts (bot/requests/lua/*.lua, bot/audit/append.lua) against real Redis, through
 * the store that loads them: creation once, claims and marks, tokens on locks, transitions, approvals and
 * decisions, and audit entries written exactly once however many replicas try.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { AuditLog, AuditStream } from '../../bot/audit/index.js';
import { RequestAudit } from '../../bot/requests/audit.js';
import { Drafts } from '../../bot/requests/drafts.js';
import { RequestEngine } from '../../bot/requests/engine.js';
import { type NewRequest, RequestStore } from '../../bot/requests/store.js';
import { KEYS, requestIdFor } from '../../jobs/contracts/index.js';
import { testRedisUrl } from '../support/redis-server.js';

const REDIS_URL = testRedisUrl();

let redis: Redis;
let store: RequestStore;
const cluster = `t${randomUUID().slice(0, 8)}`;
const created: string[] = [];

beforeAll(() => {
  redis = new Redis(REDIS_URL);
  store = new RequestStore(redis);
});
afterAll(async () => {
  for (const id of created) await redis.del(KEYS.request(id), KEYS.approvers(id), KEYS.lock(id));
  await redis.del(KEYS.open(cluster), `{poddebug:audit:${cluster}}`, `{poddebug:audit:${cluster}}:head`);
  redis.disconnect();
});

function privileged(
  over: Partial<Extract<NewRequest, { kind: 'privileged' }>> = {},
): Extract<NewRequest, { kind: 'privileged' }> {
  const id = requestIdFor('privileged', cluster, [randomUUID()]);
  created.push(id);
  return {
    id,
    kind: 'privileged',
    state: 'pending',
    cluster,
    channel: 'C1',
    requester: 'U0REQ',
    createdAt: Date.now(),
    target: { namespace: 'shop', pod: 'web-1' },
    spec: { action: 'ps' },
    reason: 'incident 42',
    needed: 2,
    expiresAt: Date.now() + 60_000,
    ...over,
  };
}

describe('create.lua', () => {
  it('creates once and lists the request as open; a redelivery changes nothing', async () => {
    const r = privileged();
    expect(await store.create(r)).toBe(true);
    expect(await store.create({ ...r, reason: 'another reason' })).toBe(false);
    expect((await store.get(r.id))?.kind === 'privileged' && (await store.get(r.id))).toMatchObject({
      reason: 'incident 42',
    });
    expect(await store.open(cluster)).toContain(r.id);
    expect(await redis.ttl(KEYS.request(r.id))).toBeGreaterThan(0);
  });
});

describe('claim.lua and mark.lua', () => {
  it('a message is claimed once, posted once, and a stale claim is taken over with a warning to look first', async () => {
    const r = privileged();
    await store.create(r);
    const t = Date.now();
    expect(await store.claim(r.id, 'result', t, 1000)).toBe(1);
    expect(await store.claim(r.id, 'result', t + 10, 1000)).toBe(0);
    expect(await store.claim(r.id, 'result', t + 2000, 1000)).toBe(2);
    await store.mark(r.id, 'result', { approvalTs: '123.456' });
    expect(await store.claim(r.id, 'result', t + 5000, 1000)).toBe(3);
    const got = await store.get(r.id);
    expect(got?.posted).toEqual(['result']);
    expect(got?.kind === 'privileged' && got.approvalTs).toBe('123.456');
    await store.release(r.id, 'other');
    expect(await store.claim(r.id, 'other', t, 1000)).toBe(1);
    await store.release(r.id, 'other');
    expect(await store.claim(r.id, 'other', t, 1000)).toBe(1);
  });
  it('nothing is claimed for a request that does not exist', async () => {
    expect(await store.claim(requestIdFor('privileged', cluster, ['nope']), 'x', Date.now(), 1000)).toBe(0);
  });
});

describe('locks: unlock.lua and renew.lua', () => {
  it('only the holder renews or releases; another replica waits', async () => {
    const id = requestIdFor('diagnose', cluster, [randomUUID()]);
    created.push(id);
    const token = await store.lock(id, 500);
    expect(token).toBeDefined();
    expect(await store.lock(id, 500)).toBeUndefined();
    expect(await store.renew(id, 'not-mine', 10_000)).toBe(false);
    await store.unlock(id, 'not-mine');
    expect(await store.lock(id, 500)).toBeUndefined();
    expect(await store.renew(id, token!, 10_000)).toBe(true);
    expect(await redis.pttl(KEYS.lock(id))).toBeGreaterThan(5000);
    await store.unlock(id, token!);
    expect(await store.lock(id, 500)).toBeDefined();
  });
  it('the engine renews a lock while its work outlives the lock time, and releases it after', async () => {
    const id = requestIdFor('diagnose', cluster, [randomUUID()]);
    created.push(id);
    await store.create({
      id,
      kind: 'diagnose',
      state: 'queued',
      cluster,
      channel: 'C1',
      requester: 'U0REQ',
      createdAt: Date.now(),
      target: 'shop/web-1',
    });
    const engine = new RequestEngine({
      store,
      queues: { clusters: [] } as never,
      audit: undefined as never,
      logger: pino({ level: 'silent' }),
      eventsConnection: undefined as never,
      now: Date.now,
      lockMs: 300,
    });
    let stolen: string | undefined = 'not tried';
    await engine.withLock(id, async () => {
      await new Promise((r) => setTimeout(r, 1000));
      stolen = await store.lock(id, 300);
    });
    expect(stolen).toBeUndefined();
    expect(await store.lock(id, 300)).toBeDefined();
  });
});

describe('transition.lua, approve.lua and decide.lua', () => {
  it('moves only from the states it is given', async () => {
    const r = privileged({ state: 'planning' });
    await store.create(r);
    expect(await store.transition(r.id, ['pending'], 'approved')).toBe(false);
    expect(await store.transition(r.id, ['planning'], 'pending', { binding: 'a'.repeat(64) })).toBe(true);
    const got = await store.get(r.id);
    expect(got?.kind === 'privileged' && [got.state, got.binding]).toEqual(['pending', 'a'.repeat(64)]);
  });
  it('approvals: never the requester, once per approver, approved at N', async () => {
    const r = privileged();
    await store.create(r);
    const now = Date.now();
    expect(await store.approve(r.id, 'U0REQ', now, 5000)).toEqual({ status: 'self' });
    expect(await store.approve(r.id, 'U0A', now, 5000)).toEqual({ status: 'recorded', count: 1, needed: 2 });
    expect(await store.approve(r.id, 'U0A', now, 5000)).toEqual({ status: 'already' });
    expect(await store.approve(r.id, 'U0B', now, 5000)).toEqual({ status: 'approved', count: 2, needed: 2 });
    expect(await store.approve(r.id, 'U0C', now, 5000)).toEqual({ status: 'not_pending', state: 'approved' });
    const got = await store.get(r.id);
    expect(got?.kind === 'privileged' && [got.approvers, got.startBy]).toEqual([['U0A', 'U0B'], now + 5000]);
  });
  it('an expired request takes no approval and no denial', async () => {
    const r = privileged({ expiresAt: Date.now() - 1 });
    await store.create(r);
    expect(await store.approve(r.id, 'U0A', Date.now(), 5000)).toEqual({ status: 'expired' });
    expect(await store.decide(r.id, 'denied', 'U0A', 'no', Date.now())).toEqual({ status: 'expired' });
  });
  it('only the requester cancels; a decision makes its audit entry due', async () => {
    const r = privileged();
    await store.create(r);
    expect(await store.decide(r.id, 'cancelled', 'U0A', 'x', Date.now())).toEqual({
      status: 'not_requester',
    });
    expect(await store.decide(r.id, 'cancelled', 'U0REQ', 'x', Date.now())).toEqual({ status: 'ok' });
    expect(await store.decide(r.id, 'denied', 'U0A', 'x', Date.now())).toEqual({
      status: 'not_pending',
      state: 'cancelled',
    });
    expect(Object.keys((await store.get(r.id))!.due)).toEqual(['cancelled']);
  });
});

describe('append.lua: due audit entries', () => {
  it('are written exactly once however many replicas try, and not again by the normal path', async () => {
    const key = `{poddebug:audit:${cluster}}`;
    const log = pino({ level: 'silent' });
    const replicas = [1, 2, 3].map(() => new Redis(REDIS_URL));
    const audits = replicas.map((c) => new RequestAudit(new AuditLog(new AuditStream(c, { key }), log), log));
    const r = privileged({ createdAt: Date.now() - 10_000 });
    await store.create(r, ['requested']);
    const rec = (await store.get(r.id))!;
    expect(Object.keys(rec.due)).toEqual(['requested']);
    await Promise.all(audits.map((a) => a.flushDue(rec, Date.now(), 1000)));
    await audits[0]!.record('requested', rec, {}, true);
    const entries = await redis.xrange(key, '-', '+');
    const mine = entries.filter(([, f]) => JSON.parse(f[f.indexOf('event') + 1]!).requestId === r.id);
    expect(mine).toHaveLength(1);
    expect((await store.get(r.id))!.due).toEqual({});
    expect(await new AuditStream(redis, { key }).verify()).toMatchObject({ ok: true });
    for (const c of replicas) c.disconnect();
  });
  it('are left to the normal path while they are fresh', async () => {
    const log = pino({ level: 'silent' });
    const audit = new RequestAudit(
      new AuditLog(new AuditStream(redis, { key: `{poddebug:audit:${cluster}}` }), log),
      log,
    );
    const r = privileged();
    await store.create(r, ['requested']);
    await audit.flushDue((await store.get(r.id))!, Date.now(), 60_000);
    expect(Object.keys((await store.get(r.id))!.due)).toEqual(['requested']);
  });
});

describe('draft-bind.lua and draft-consume.lua: one reason form, one request', () => {
  const draft = {
    cluster,
    target: { namespace: 'shop', pod: 'web-1' },
    spec: { action: 'ps' as const },
    userId: 'U0REQ',
    channelId: 'C1',
    channelName: 'inc-1',
  };
  const drafts = () => new Drafts(redis);
  const cleanup: string[] = [];
  afterAll(async () => {
    for (const id of cleanup) await redis.del(`poddebug:draft:${id}`);
  });

  it('the bound view consumes the draft once however many replicas race; its redelivery gets it again', async () => {
    const d = drafts();
    const id = await d.save(draft);
    cleanup.push(id);
    expect(await redis.ttl(`poddebug:draft:${id}`)).toBeGreaterThan(14 * 60);
    expect(await d.bind(id, 'V0OPENED')).toBe(true);
    expect(await d.bind(id, 'V0OPENED')).toBe(true);
    expect(await d.bind(id, 'V0OTHER')).toBe(false);
    // Five replicas with their own connections race the same submission and a forged view.
    const replicas = Array.from({ length: 5 }, () => new Redis(REDIS_URL));
    try {
      const out = await Promise.all(
        replicas.flatMap((r) => [
          new Drafts(r).consume(id, 'V0OPENED', 'U0REQ'),
          new Drafts(r).consume(id, 'V0OTHER', 'U0REQ'),
        ]),
      );
      const statuses = out.map((o) => o.status);
      expect(statuses.filter((s) => s === 'ok')).toHaveLength(1);
      expect(statuses.filter((s) => s === 'again')).toHaveLength(4);
      // The forged view is refused whichever came first: before (another view) or after the consumption.
      const forged = statuses.filter((_s, i) => i % 2 === 1);
      expect(forged.every((s) => s === 'other_view' || s === 'used')).toBe(true);
      expect(out.find((o) => o.status === 'ok')?.draft).toEqual(draft);
    } finally {
      for (const r of replicas) r.disconnect();
    }
    expect((await d.consume(id, 'V0OTHER', 'U0REQ')).status).toBe('used');
    expect((await d.consume(id, 'V0OPENED', 'U0SOMEONE')).status).toBe('not_yours');
  });

  it('unbound (views.open not answered yet): the first submission binds and consumes; later views are refused', async () => {
    const d = drafts();
    const id = await d.save(draft);
    cleanup.push(id);
    expect((await d.consume(id, 'V0FIRST', 'U0SOMEONE')).status).toBe('not_yours');
    expect((await d.consume(id, 'V0FIRST', 'U0REQ')).status).toBe('ok');
    expect((await d.consume(id, 'V0SECOND', 'U0REQ')).status).toBe('used');
    expect(await d.bind(id, 'V0LATE')).toBe(false);
  });

  it('unknown, expired and malformed ids are unknown; binding never creates a draft', async () => {
    const d = drafts();
    expect((await d.consume('0'.repeat(24), 'V0ANY', 'U0REQ')).status).toBe('unknown');
    expect((await d.consume('../../etc', 'V0ANY', 'U0REQ')).status).toBe('unknown');
    expect((await d.consume('a'.repeat(24), 'not a view', 'U0REQ')).status).toBe('unknown');
    expect(await d.bind('1'.repeat(24), 'V0ANY')).toBe(false);
    expect(await redis.exists(`poddebug:draft:${'1'.repeat(24)}`)).toBe(0);
  });
});
