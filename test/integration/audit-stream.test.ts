import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { auditMain } from '../../bot/audit/cli.js';
import {
  type AuditEvent,
  type AuditEventType,
  AuditLog,
  AuditStream,
  auditEvent,
  entryHash,
  formatHead,
  GENESIS,
  parseAuditKeys,
} from '../../bot/audit/index.js';
import { testRedisUrl } from '../support/redis-server.js';

/**
 * The audit stream against real Redis: appends from several bot replicas at
 * once, tampering done with raw Redis commands as someone with write access
 * would, `poddebug audit verify` and `export` as an operator runs them.
 */
const REDIS_URL = testRedisUrl();
let redis: Redis;
const clients: Redis[] = [];
let key: string;

beforeAll(() => {
  redis = new Redis(REDIS_URL);
});
afterEach(async () => {
  await redis.del(key, `${key}:head`);
  await Promise.all(clients.splice(0).map((c) => c.quit()));
});
afterAll(async () => {
  await redis.quit();
});
function newKey(): string {
  key = `{poddebug:audit:test-${randomUUID()}}`;
  return key;
}
function client(): Redis {
  const c = new Redis(REDIS_URL);
  clients.push(c);
  return c;
}

function event(i: number, type: AuditEventType = 'requested'): AuditEvent {
  return auditEvent({
    type,
    requestId: `req-${i}`,
    cluster: 'prod',
    action: 'diagnose',
    target: { namespace: 'shop', name: `checkout-${i}` },
    actor: 'U0ALICE',
    requester: 'U0ALICE',
    channel: 'C0INCIDENT',
    details: { i },
  });
}

async function fill(s: AuditStream, n: number) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await s.append(event(i)));
  return out;
}

type Raw = [string, string[]];
/**
 * Redis refuses XADD with an id at or below the stream's last one, so an
 * attacker who edits or inserts in the middle rebuilds the stream: DEL, then
 * XADD every entry back with its explicit id. The tests do the same.
 */
async function rewrite(change: (entries: Raw[]) => Raw[]) {
  const entries = (await redis.xrange(key, '-', '+')) as Raw[];
  const m = redis.multi().del(key);
  for (const [id, fields] of change(entries)) m.xadd(key, id, ...fields);
  await m.exec();
}
const field = (fields: string[], name: string) => fields[fields.indexOf(name) + 1]!;
async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await auditMain(['node', 'poddebug', 'audit', ...args], {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    connectTimeoutMs: 1000,
  });
  return { code, stdout, stderr };
}

describe('AuditStream', () => {
  it('appends in order, reads back what it appended, and verifies', async () => {
    const s = new AuditStream(redis, { key: newKey() });
    const appended = await fill(s, 5);
    expect(appended.map((a) => a.seq)).toEqual([1, 2, 3, 4, 5]);
    const read = [];
    for await (const e of s.read()) read.push(e);
    expect(read.map((e) => e.id)).toEqual(appended.map((a) => a.id));
    expect(read.map((e) => e.hash)).toEqual(appended.map((a) => a.hash));
    expect(read.map((e) => JSON.parse(e.event!).requestId)).toEqual([
      'req-0',
      'req-1',
      'req-2',
      'req-3',
      'req-4',
    ]);
    expect(await s.verify()).toEqual({ ok: true, count: 5 });
    expect(await s.head()).toBe(`5:${appended[4]!.hash}`);
  });

  it('keeps one chain when three replicas append 50 events each at the same time', async () => {
    newKey();
    const replicas = [0, 1, 2].map(() => new AuditStream(client(), { key }));
    const results = await Promise.all(
      replicas.flatMap((s, r) => Array.from({ length: 50 }, (_, i) => s.append(event(r * 100 + i)))),
    );
    expect(new Set(results.map((r) => r.id)).size).toBe(150);
    expect(results.map((r) => r.seq).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 150 }, (_, i) => i + 1),
    );
    expect(await new AuditStream(redis, { key }).verify()).toEqual({ ok: true, count: 150 });
  });

  it('reads from a point in time, and a given number of entries', async () => {
    const s = new AuditStream(redis, { key: newKey() });
    await fill(s, 3);
    await new Promise((r) => setTimeout(r, 30));
    const since = new Date();
    await new Promise((r) => setTimeout(r, 5));
    await s.append(event(10));
    await s.append(event(11));
    const later = [];
    for await (const e of s.read({ since })) later.push(JSON.parse(e.event!).requestId);
    expect(later).toEqual(['req-10', 'req-11']);
    const firstTwo = [];
    for await (const e of s.read({ count: 2 })) firstTwo.push(e.seq);
    expect(firstTwo).toEqual(['1', '2']);
  });

  it('refuses an event that does not fit the schema, and appends nothing', async () => {
    const s = new AuditStream(redis, { key: newKey() });
    await expect(s.append({ ...event(1), actor: 'not a user' })).rejects.toThrow(
      /invalid audit event: actor/,
    );
    expect(await redis.exists(key)).toBe(0);
  });
});

describe('tampering with raw Redis commands', () => {
  it('names an entry inserted between two neighbours', async () => {
    const s = new AuditStream(redis, { key: newKey() });
    await fill(s, 6);
    // Entries appended in the same millisecond may leave no free id between them: the rebuilt
    // stream numbers its entries afresh (1-0, 2-0, …), which changes nothing the chain covers.
    const id = '4-0';
    await rewrite((es) => {
      const copy = es[2]![1].slice();
      copy[copy.indexOf('event') + 1] = field(copy, 'event').replace('req-2', 'req-forged');
      const list: Raw[] = [...es.slice(0, 3), ['', copy], ...es.slice(3)];
      return list.map(([, f], i) => [`${i + 1}-0`, f] as Raw);
    });
    const r = await s.verify();
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ id, kind: 'inserted', index: 3 });
    expect(r.problems[0]!.message).toContain(`entry ${id} (#4)`);
  });

  it('names the place of an entry removed with XDEL', async () => {
    const s = new AuditStream(redis, { key: newKey() });
    const a = await fill(s, 6);
    expect(await redis.xdel(key, a[3]!.id)).toBe(1);
    const r = await s.verify();
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([
      {
        id: a[4]!.id,
        index: 3,
        kind: 'deleted',
        message: `before entry ${a[4]!.id} (#4): 1 entry is missing (sequence number 4): deleted`,
      },
    ]);
  });

  it('names an entry edited in place (XDEL + XADD with the same id and other content)', async () => {
    const s = new AuditStream(redis, { key: newKey() });
    const a = await fill(s, 6);
    await rewrite((es) =>
      es.map(([id, f]) => {
        if (id !== a[1]!.id) return [id, f];
        const g = f.slice();
        g[g.indexOf('event') + 1] = field(f, 'event').replace('"U0ALICE"', '"U0MALLORY"');
        return [id, g];
      }),
    );
    const r = await s.verify();
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([
      {
        id: a[1]!.id,
        index: 1,
        kind: 'edited',
        message: `entry ${a[1]!.id} (#2): its content does not match its hash: the entry was edited`,
      },
    ]);
  });

  it('notices the last entries deleted', async () => {
    const s = new AuditStream(redis, { key: newKey() });
    const a = await fill(s, 6);
    await redis.xdel(key, a[4]!.id, a[5]!.id);
    const r = await s.verify();
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ kind: 'deleted-at-end', id: a[3]!.id });
    expect(r.problems[0]!.message).toMatch(/the last 2 entries were deleted/);
  });

  it('stops appending to a stream whose head was overwritten with garbage, saying so', async () => {
    const s = new AuditStream(redis, { key: newKey() });
    await fill(s, 1);
    await redis.set(`${key}:head`, 'garbage');
    await expect(s.append(event(2))).rejects.toThrow(
      /head .*:head holds "garbage", not seq:hash; run `poddebug audit verify`/,
    );
  });
});

describe('AuditLog', () => {
  function memoryLogger() {
    const lines: Record<string, unknown>[] = [];
    const dest = new Writable({
      write(chunk, _enc, cb) {
        for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
        cb();
      },
    });
    return { logger: pino({ level: 'info' }, dest), lines };
  }
  const flush = () => new Promise((r) => setImmediate(r));

  it('writes one audit line with the stream id and hash, and appends to the stream', async () => {
    const { logger, lines } = memoryLogger();
    const log = new AuditLog(new AuditStream(redis, { key: newKey() }), logger);
    const e = event(1, 'approved');
    const r = await log.record(e);
    await flush();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      msg: 'audit approved',
      audit: e,
      auditId: r.id,
      hash: r.hash,
      level: 30,
    });
    const stored = [];
    for await (const x of new AuditStream(redis, { key }).read()) stored.push(x);
    expect(stored.map((x) => x.id)).toEqual([r.id]);
  });

  it('still writes the audit line when Redis is down, logs the failure and rethrows', async () => {
    const { logger, lines } = memoryLogger();
    const down = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    down.on('error', () => {});
    const log = new AuditLog(new AuditStream(down, { key: newKey() }), logger);
    const e = event(1, 'denied');
    await expect(log.record(e)).rejects.toThrow();
    await flush();
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [30, 'audit denied'],
      [50, 'audit stream append failed: the event is only in this log'],
    ]);
    expect(lines[0]!.audit).toEqual(e);
    down.disconnect();
  });
});

describe('poddebug audit (CLI)', () => {
  it('verify: says the stream is intact, with its size', async () => {
    await fill(new AuditStream(redis, { key: newKey() }), 4);
    const r = await cli(['verify', '--unkeyed', '--key', key, '--redis', REDIS_URL]);
    expect(r).toEqual({ code: 0, stdout: `audit stream ${key}: 4 entries, intact\n`, stderr: '' });
  });

  it('verify: lists the problems and exits 1', async () => {
    const a = await fill(new AuditStream(redis, { key: newKey() }), 5);
    await redis.xdel(key, a[2]!.id);
    const r = await cli(['verify', '--unkeyed', '--key', key]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      `audit stream ${key}: 4 entries, 1 problem:\n  deleted: before entry ${a[3]!.id} (#3): 1 entry is missing (sequence number 3): deleted\n`,
    );
  });

  it('export: prints one JSON object per entry, {id, seq, prev, hash, ...event}', async () => {
    const a = await fill(new AuditStream(redis, { key: newKey() }), 3);
    const r = await cli(['export', '--key', key, '--since', '1h']);
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toEqual({
      id: a[0]!.id,
      seq: 1,
      prev: '0'.repeat(64),
      hash: a[0]!.hash,
      ...event(0),
      at: lines[0].at,
    });
    expect(lines.map((l) => l.requestId)).toEqual(['req-0', 'req-1', 'req-2']);
    expect(lines[2].prev).toBe(a[1]!.hash);
  });

  it('export --since a time after the last entry prints nothing', async () => {
    await fill(new AuditStream(redis, { key: newKey() }), 2);
    const r = await cli(['export', '--key', key, '--since', new Date(Date.now() + 60_000).toISOString()]);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  const usage: [string[], RegExp][] = [
    [
      ['export', '--since', 'yesterday'],
      /--since .*expects an ISO time such as 2026-11-27T00:00:00Z, or a duration such as 30m, 24h, 7d/,
    ],
    [
      ['verify', '--redis', 'localhost:6379'],
      /--redis .*expects a Redis URL such as redis:\/\/127\.0\.0\.1:6379/,
    ],
    [['verify', '--key', 'two words'], /--key .*expects a Redis key without spaces/],
    [['verify', '--frobnicate'], /unknown option '--frobnicate'/],
    [['rewrite'], /unknown command 'rewrite'/],
  ];
  it.each(usage)('usage error %j: a short message and exit 2', async (args, message) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('says when Redis cannot be reached, without showing its password, and exits 1', async () => {
    const r = await cli(['verify', '--unkeyed', '--redis', 'redis://:hunter2@127.0.0.1:1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^poddebug: cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1: /);
    expect(r.stderr).toMatch(/ECONNREFUSED/);
    expect(r.stderr).toMatch(/--redis URL or REDIS_URL/);
    expect(r.stderr).not.toContain('hunter2');
  });

  const haveDist = existsSync('dist/bot/audit/cli.js');
  (haveDist ? it : it.skip)(
    `poddebug audit verify runs from bin/poddebug.js${haveDist ? '' : ' (skipped: dist/bot/audit/cli.js missing; npm test builds it)'}`,
    async () => {
      await fill(new AuditStream(redis, { key: newKey() }), 2);
      const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const p = spawn(process.execPath, ['bin/poddebug.js', 'audit', 'verify', '--unkeyed', '--key', key], {
          env: { ...process.env, REDIS_URL },
        });
        let stdout = '';
        let stderr = '';
        p.stdout.on('data', (d) => (stdout += d));
        p.stderr.on('data', (d) => (stderr += d));
        p.on('close', (code) => resolve({ code, stdout, stderr }));
      });
      expect(r).toEqual({ code: 0, stdout: `audit stream ${key}: 2 entries, intact\n`, stderr: '' });
    },
  );
});

describe('keyed audit stream (HMAC, key id, checkpoints)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'poddebug-audit-keys-'));
  const keyFile = join(dir, 'audit-keys');
  writeFileSync(keyFile, `k1:${randomBytes(32).toString('base64')}\n`);
  const keys = parseAuditKeys(`k1:${randomBytes(32).toString('base64')}`);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const fileKeys = () => parseAuditKeys(readText(keyFile));

  /** A keyed stream as the bot writes it: a checkpoint, `n` events, a checkpoint, `n` more events. */
  async function keyedFill(s: AuditStream, n: number, pauseMs = 0) {
    await s.checkpoint();
    await fill(s, n);
    if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
    const second = await s.checkpoint();
    const rest = [];
    for (let i = n; i < 2 * n; i++) rest.push(await s.append(event(i)));
    return { second, rest };
  }

  it('verify needs the key and says so clearly without one (exit 2, nothing read)', async () => {
    await keyedFill(new AuditStream(redis, { key: newKey(), keys }), 2);
    const r = await cli(['verify', '--key', key]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /audit verify needs the audit HMAC key\(s\): give --key-file FILE or set AUDIT_HMAC_KEYS_FILE/,
    );
    const bad = await cli(['verify', '--key', key, '--key-file', join(dir, 'missing')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--key-file: cannot read .*missing \(ENOENT\)/);
  });

  it('an intact keyed stream verifies with the key file; each entry stores its key id', async () => {
    await keyedFill(new AuditStream(redis, { key: newKey(), keys: fileKeys() }), 3);
    const r = await cli(['verify', '--key', key, '--key-file', keyFile]);
    expect(r).toEqual({ code: 0, stdout: `audit stream ${key}: 8 entries, intact\n`, stderr: '' });
    const raw = (await redis.xrange(key, '-', '+')) as Raw[];
    expect(raw.every(([, f]) => field(f, 'kid') === 'k1')).toBe(true);
    // The wrong key finds every entry edited.
    const other = join(dir, 'other');
    writeFileSync(other, `k1:${randomBytes(32).toString('base64')}\n`);
    const w = await cli(['verify', '--key', key, '--key-file', other]);
    expect(w.code).toBe(1);
    expect(w.stdout).toMatch(/edited/);
  });

  it('finds an entry edited in place, one inserted and one deleted', async () => {
    const s = new AuditStream(redis, { key: newKey(), keys });
    await keyedFill(s, 3);
    await rewrite((es) =>
      es.map(
        ([id, f]) => [id, id === es[2]![0] ? f.map((x) => x.replace('U0ALICE', 'U0MALLORY')) : f] as Raw,
      ),
    );
    expect(await s.verify()).toMatchObject({ ok: false, problems: [{ kind: 'edited', index: 2 }] });

    const s2 = new AuditStream(redis, { key: newKey(), keys });
    await keyedFill(s2, 3);
    await rewrite((es) => es.filter((_, i) => i !== 4));
    expect(await s2.verify()).toMatchObject({ ok: false, problems: [{ kind: 'deleted', index: 4 }] });

    const s3 = new AuditStream(redis, { key: newKey(), keys });
    await keyedFill(s3, 3);
    await rewrite((es) => {
      const copy = es[3]![1].map((x) => x.replace('req-2', 'req-forged'));
      const list: Raw[] = [...es.slice(0, 4), ['', copy], ...es.slice(4)];
      return list.map(([, f], i) => [`${i + 1}-0`, f] as Raw);
    });
    const r = await s3.verify();
    expect(r).toMatchObject({ ok: false, problems: [{ kind: 'inserted', index: 4 }] });
  });

  it('finds a truncated tail: the newest entries and checkpoint deleted, the head reset to what is left', async () => {
    const s = new AuditStream(redis, { key: newKey(), keys });
    const { second } = await keyedFill(s, 3, 400);
    // Intact, and the newest checkpoint is recent.
    expect(await s.verify({ maxCheckpointAgeMs: 300 })).toEqual({ ok: true, count: 8 });
    // Delete the second checkpoint and everything after it, and reset the head: a consistent, shorter chain.
    const entries = (await redis.xrange(key, '-', '+')) as Raw[];
    const cut = entries.findIndex(([id]) => id === second.id);
    for (const [id] of entries.slice(cut)) await redis.xdel(key, id);
    const last = entries[cut - 1]!;
    await redis.set(`${key}:head`, formatHead({ seq: cut, hash: field(last[1], 'hash') }));
    const r = await s.verify({ maxCheckpointAgeMs: 300 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => p.kind)).toEqual(['checkpoint']);
    expect(r.problems[0]!.message).toMatch(
      /the newest checkpoint, .* is \d+ s old, more than the 0 s allowed: the newest entries were deleted and the head reset/,
    );
  });

  it('finds a chain rewritten whole without the key (bare sha256, head reset): unkeyed it looks intact', async () => {
    const s = new AuditStream(redis, { key: newKey(), keys });
    await keyedFill(s, 3);
    let prev = GENESIS;
    let seq = 0;
    await rewrite((es) =>
      es.map(([id, f]) => {
        const ev = field(f, 'event').replace('U0ALICE', 'U0MALLORY');
        seq += 1;
        const hash = entryHash(prev, seq, ev);
        const out: Raw = [id, ['seq', String(seq), 'prev', prev, 'hash', hash, 'event', ev]];
        prev = hash;
        return out;
      }),
    );
    await redis.set(`${key}:head`, formatHead({ seq, hash: prev }));
    expect(await new AuditStream(redis, { key }).verify()).toEqual({ ok: true, count: 8 });
    const r = await s.verify();
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.filter((p) => p.kind === 'unkeyed')).toHaveLength(8);
    expect(r.problems.at(-1)!.kind).toBe('checkpoint');
  });

  it('writes each checkpoint into the audit log too', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { name: 'poddebug-audit' },
      new Writable({
        write(chunk, _enc, cb) {
          for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
          cb();
        },
      }),
    );
    const stream = new AuditStream(redis, { key: newKey(), keys });
    await new AuditLog(stream, logger).checkpoint();
    const [id, f] = ((await redis.xrange(key, '-', '+')) as Raw[])[0]!;
    expect(lines).toEqual([
      expect.objectContaining({
        msg: 'audit checkpoint',
        auditId: id,
        checkpoint: expect.objectContaining({ seq: 1, hash: field(f, 'hash'), kid: 'k1' }),
      }),
    ]);
  });
});

function readText(p: string): string {
  return readFileSync(p, 'utf8');
}
