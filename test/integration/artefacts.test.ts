/**
 * Artefacts from the worker to the thread: storeArtefacts (worker) puts redacted, capped bytes in real Redis;
 * uploadArtefacts (bot) sends them with the real WebClient to the Slack Web API double, exactly once across
 * rate limits, lost responses and restarts.
 */
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { WebClient } from '@slack/web-api';
import { Redis } from 'ioredis';
import { artefactDoneKey, artefactPendingKey, uploadArtefacts } from '../../bot/requests/uploads.js';
import { type ArtefactMeta, artefactKey } from '../../jobs/contracts/probe.js';
import { PCAP_NOTE, storeArtefacts } from '../../jobs/probes/artefact-store.js';
import { type SlackDouble, slackClient, startSlackDouble } from '../../tools/slack-double/index.js';
import { testRedisUrl } from '../support/redis-server.js';

const REDIS_URL = testRedisUrl();
const TOKEN = 'xoxb-test-token';
const CHANNEL = 'C0INCIDENT';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function item(name: string, contentType: string, bytes: Buffer, over: Partial<ArtefactMeta> = {}) {
  return {
    meta: { name, contentType, bytes: bytes.length, sha256: sha256(bytes), truncated: false, ...over },
    bytes,
  };
}

const TRACE = Buffer.from(
  [
    '12:00:00.000100 execve("/app/server", ["/app/server"], ["PATH=/usr/bin", "DB_PASSWORD=hunter2hunter2"]) = 0',
    '12:00:00.000300 connect(5, {sa_family=AF_INET, sin_port=htons(443)}, 16) = 0',
    '12:00:00.000400 write(5, "GET /v1 HTTP/1.1\\r\\nAuthorization: Bearer sup3rs3cr3tt0ken\\r\\n\\r\\n", 58) = 58',
    '',
  ].join('\n'),
);

/** A classic little-endian pcap with `n` packets of `size` bytes each. */
function pcap(n: number, size: number): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262144, 16);
  header.writeUInt32LE(1, 20);
  const packets = Array.from({ length: n }, (_, i) => {
    const rec = Buffer.alloc(16 + size, i % 251);
    rec.writeUInt32LE(1_700_000_000 + i, 0);
    rec.writeUInt32LE(0, 4);
    rec.writeUInt32LE(size, 8);
    rec.writeUInt32LE(size, 12);
    return rec;
  });
  return Buffer.concat([header, ...packets]);
}

const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.alloc(300, 7),
]);

describe('artefacts: worker → Redis → bot → Slack thread', () => {
  let redis: Redis;
  let slack: SlackDouble;
  let client: WebClient;
  let jobId: string;
  let threadTs: string;
  const jobs: string[] = [];

  const newClient = (opts: { rejectRateLimitedCalls?: boolean } = {}) =>
    slackClient(slack, { token: TOKEN, ...opts });
  const filesInThread = () => slack.files().filter((f) => f.channel === CHANNEL && f.thread_ts === threadTs);
  const fileCalls = () => slack.calls().filter((c) => c.method.startsWith('files.'));
  const upload = (c: WebClient, artefacts: ArtefactMeta[]) =>
    uploadArtefacts(c, redis, { jobId, channel: CHANNEL, threadTs, artefacts });

  beforeAll(async () => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    slack = await startSlackDouble();
    client = newClient();
  });
  afterAll(async () => {
    await slack.close();
    await redis.quit();
  });
  beforeEach(async () => {
    slack.reset();
    jobId = `test-${randomUUID()}`;
    jobs.push(jobId);
    const parent = await client.chat.postMessage({ channel: CHANNEL, text: 'strace on checkout-7d9f-x2' });
    threadTs = parent.ts!;
  });
  afterEach(async () => {
    for (const id of jobs.splice(0)) {
      for (const pattern of [`poddebug:artefact:{${id}:*`, `poddebug:artefact-*:{${id}:*`]) {
        const keys = await redis.keys(pattern);
        if (keys.length > 0) await redis.del(...keys);
      }
    }
  });

  it('stores redacted, hashed artefacts with a TTL and uploads them into the thread', async () => {
    const metas = await storeArtefacts(redis, jobId, [
      item('strace-checkout-x2.txt', 'text/plain', TRACE, { title: 'strace -f, 30 s' }),
      item('tcpdump-checkout-x2.pcap', 'application/vnd.tcpdump.pcap', pcap(3, 60)),
      item('mem-checkout-x2.png', 'image/png', PNG),
    ]);
    const [trace, cap, png] = metas;

    expect(trace).toMatchObject({ truncated: false, key: artefactKey(jobId, 'strace-checkout-x2.txt') });
    expect(trace!.note).toBe('2 secrets redacted');
    const storedTrace = (await redis.getBuffer(trace!.key!))!;
    expect(storedTrace.toString()).not.toContain('hunter2hunter2');
    expect(storedTrace.toString()).not.toContain('sup3rs3cr3tt0ken');
    expect(storedTrace.toString().split('\n')).toHaveLength(TRACE.toString().split('\n').length);
    expect(trace!.sha256).toBe(sha256(storedTrace));
    expect(trace!.bytes).toBe(storedTrace.length);
    expect(cap!.note).toBe(PCAP_NOTE);
    expect(cap!.sha256).toBe(sha256(pcap(3, 60)));
    expect(png!.note).toBeUndefined();
    const ttl = await redis.ttl(trace!.key!);
    expect(ttl).toBeGreaterThan(6 * 3600 - 60);
    expect(ttl).toBeLessThanOrEqual(6 * 3600);

    const results = await upload(client, metas);
    expect(results.map((r) => [r.name, r.status])).toEqual([
      ['strace-checkout-x2.txt', 'uploaded'],
      ['tcpdump-checkout-x2.pcap', 'uploaded'],
      ['mem-checkout-x2.png', 'uploaded'],
    ]);
    const files = filesInThread();
    expect(files.map((f) => f.filename)).toEqual(metas.map((m) => m.name));
    for (const [i, f] of files.entries()) {
      expect(f.id).toBe(results[i]!.fileId);
      expect(sha256(f.bytes)).toBe(metas[i]!.sha256);
      expect(f.bytes.length).toBe(metas[i]!.bytes);
    }
    expect(files[0]!.title).toBe('strace -f, 30 s');
    expect(files[1]!.title).toBe('tcpdump-checkout-x2.pcap');
    expect(slack.thread(CHANNEL, threadTs).flatMap((m) => m.files ?? [])).toEqual(files.map((f) => f.id));
    expect(fileCalls().map((c) => c.method)).toEqual(
      Array.from({ length: 3 }, () => [
        'files.getUploadURLExternal',
        'files.upload_url',
        'files.completeUploadExternal',
      ]).flat(),
    );
    // the bytes leave Redis once in the thread; the file ids stay
    for (const m of metas) expect(await redis.exists(m.key!)).toBe(0);
    expect(await redis.get(artefactDoneKey(jobId, metas[0]!.name))).toBe(files[0]!.id);
    expect(await redis.exists(artefactPendingKey(jobId, metas[0]!.name))).toBe(0);

    // a re-run (a restart replaying results) posts nothing
    slack.reset();
    const again = await upload(client, metas);
    expect(again.map((r) => r.status)).toEqual(['already', 'already', 'already']);
    expect(again.map((r) => r.fileId)).toEqual(results.map((r) => r.fileId));
    expect(fileCalls()).toEqual([]);
  });

  it('a 429 on files.completeUploadExternal is waited out by the WebClient: one file', async () => {
    const metas = await storeArtefacts(redis, jobId, [item('strace-a.txt', 'text/plain', TRACE)]);
    slack.rateLimit('files.completeUploadExternal', 1, 1);
    const [r] = await upload(client, metas);
    expect(r!.status).toBe('uploaded');
    expect(slack.calls('files.completeUploadExternal').map((c) => c.status)).toEqual([429, 200]);
    expect(filesInThread()).toHaveLength(1);
  });

  it('a 429 that surfaces fails retryably; the retry completes the same upload: exactly one file', async () => {
    const metas = await storeArtefacts(redis, jobId, [item('strace-b.txt', 'text/plain', TRACE)]);
    const strict = newClient({ rejectRateLimitedCalls: true });
    slack.rateLimit('files.completeUploadExternal', 1, 1);
    const [first] = await upload(strict, metas);
    expect(first).toMatchObject({ status: 'failed', retryable: true });
    expect(first!.error).toContain('rate limited');
    expect(filesInThread()).toEqual([]);
    expect(await redis.exists(metas[0]!.key!)).toBe(1);

    const [second] = await upload(strict, metas);
    expect(second!.status).toBe('uploaded');
    const files = filesInThread();
    expect(files).toHaveLength(1);
    expect(files[0]!.id).toBe(second!.fileId);
    expect(sha256(files[0]!.bytes)).toBe(metas[0]!.sha256);
    // the bytes went up once; only the completion was repeated
    expect(slack.calls('files.getUploadURLExternal')).toHaveLength(1);
    expect(slack.calls('files.completeUploadExternal').map((c) => c.status)).toEqual([429, 200]);

    const [third] = await upload(strict, metas);
    expect(third).toMatchObject({ status: 'already', fileId: second!.fileId });
    expect(slack.thread(CHANNEL, threadTs).filter((m) => m.files?.length)).toHaveLength(1);
  });

  it('completion lost on the way back (the bot died): the re-run sees the file is shared and does not post again', async () => {
    const metas = await storeArtefacts(redis, jobId, [item('strace-c.txt', 'text/plain', TRACE)]);
    const flaky = newClient();
    const real = flaky.files.completeUploadExternal.bind(flaky.files);
    flaky.files.completeUploadExternal = async (args) => {
      await real(args); // Slack shares the file…
      throw new Error('socket hang up'); // …and the answer never arrives
    };
    const [first] = await upload(flaky, metas);
    expect(first).toMatchObject({ status: 'failed', retryable: true });
    expect(filesInThread()).toHaveLength(1);

    const [second] = await upload(newClient(), metas);
    expect(second!.status).toBe('already');
    expect(second!.fileId).toBe(filesInThread()[0]!.id);
    expect(filesInThread()).toHaveLength(1);
    expect(slack.thread(CHANNEL, threadTs).filter((m) => m.files?.length)).toHaveLength(1);
    expect(await redis.exists(metas[0]!.key!)).toBe(0);
  });

  it('completion that never reached Slack: the re-run completes the uploaded bytes once', async () => {
    const metas = await storeArtefacts(redis, jobId, [item('strace-d.txt', 'text/plain', TRACE)]);
    const down = newClient();
    down.files.completeUploadExternal = async () => {
      throw new Error('connect ECONNREFUSED');
    };
    const [first] = await upload(down, metas);
    expect(first).toMatchObject({ status: 'failed', retryable: true });
    expect(filesInThread()).toEqual([]);
    const [second] = await upload(client, metas);
    expect(second!.status).toBe('uploaded');
    expect(filesInThread()).toHaveLength(1);
    expect(slack.calls('files.getUploadURLExternal')).toHaveLength(1);
  });

  it('a bot that died between asking for the upload URL and sending the bytes starts again: one file', async () => {
    const metas = await storeArtefacts(redis, jobId, [item('strace-e.txt', 'text/plain', TRACE)]);
    const orphan = await client.files.getUploadURLExternal({ filename: 'strace-e.txt', length: 10 });
    await redis.set(
      artefactPendingKey(jobId, 'strace-e.txt'),
      JSON.stringify({ fileId: orphan.file_id, stage: 'url' }),
    );
    const [r] = await upload(client, metas);
    expect(r!.status).toBe('uploaded');
    expect(r!.fileId).not.toBe(orphan.file_id);
    expect(filesInThread().map((f) => f.id)).toEqual([r!.fileId]);
  });

  it('an artefact whose key expired is reported expired; nothing is uploaded', async () => {
    const metas = await storeArtefacts(redis, jobId, [item('strace-f.txt', 'text/plain', TRACE)], {
      ttlSec: 1,
    });
    await sleep(1_500);
    expect(await redis.exists(metas[0]!.key!)).toBe(0);
    const [r] = await upload(client, metas);
    expect(r).toMatchObject({ name: 'strace-f.txt', status: 'expired' });
    expect(fileCalls()).toEqual([]);
  });

  it('tampered bytes in Redis fail with a clear error and are never uploaded', async () => {
    const metas = await storeArtefacts(redis, jobId, [item('strace-g.txt', 'text/plain', TRACE)]);
    const stored = (await redis.getBuffer(metas[0]!.key!))!;
    const evil = Buffer.from(stored.toString().replace('connect', 'CONNECT'));
    await redis.set(metas[0]!.key!, evil, 'KEEPTTL');
    const [r] = await upload(client, metas);
    expect(r).toMatchObject({ status: 'failed', retryable: false });
    expect(r!.error).toContain(`expected ${metas[0]!.bytes} bytes, sha256 ${metas[0]!.sha256}`);
    expect(r!.error).toContain(sha256(evil));
    expect(fileCalls()).toEqual([]);
    expect(slack.files()).toEqual([]);
  });

  it('refuses to read a key that is not this job’s artefact', async () => {
    const other = `test-${randomUUID()}`;
    jobs.push(other);
    const [m] = await storeArtefacts(redis, other, [item('strace-h.txt', 'text/plain', TRACE)]);
    const [r] = await upload(client, [m!]);
    expect(r).toMatchObject({ status: 'failed', retryable: false });
    expect(fileCalls()).toEqual([]);
  });

  it('caps an oversized text at a line end and a pcap at a packet boundary, recomputing sha256', async () => {
    const line = '12:00:00.000001 read(3, "0123456789abcdef0123456789abcdef", 32) = 32\n';
    const bigText = Buffer.from(line.repeat(Math.ceil((200 * 1024) / line.length)));
    const bigPcap = pcap(100, 1000);
    const metas = await storeArtefacts(
      redis,
      jobId,
      [
        item('strace-big.txt', 'text/plain', bigText),
        item('tcpdump-big.pcap', 'application/vnd.tcpdump.pcap', bigPcap),
      ],
      { maxBytes: 64 * 1024 },
    );
    const [text, cap] = metas;
    expect(text!.truncated).toBe(true);
    expect(text!.bytes).toBeLessThanOrEqual(64 * 1024);
    expect(text!.note).toBe(`cut at ${(text!.bytes / 1024).toFixed(1)} KiB of 200 KiB`);
    const storedText = (await redis.getBuffer(text!.key!))!;
    expect(storedText.toString().endsWith('\n')).toBe(true);
    expect(sha256(storedText)).toBe(text!.sha256);
    expect(sha256(storedText)).not.toBe(sha256(bigText));

    expect(cap!.truncated).toBe(true);
    expect(cap!.bytes).toBe(24 + 64 * 1016); // 64 whole packets fit in 64 KiB
    expect(cap!.note).toBe(`${PCAP_NOTE}; cut at 63.5 KiB of 99.2 KiB`);

    const results = await upload(client, metas);
    expect(results.map((r) => r.status)).toEqual(['uploaded', 'uploaded']);
    expect(filesInThread().map((f) => sha256(f.bytes))).toEqual([text!.sha256, cap!.sha256]);
  });

  it('does not store bytes that do not match what the probe reported', async () => {
    const good = item('strace-i.txt', 'text/plain', TRACE);
    const metas = await storeArtefacts(redis, jobId, [{ meta: good.meta, bytes: TRACE.subarray(0, 100) }]);
    expect(metas[0]!.key).toBeUndefined();
    expect(metas[0]!.note).toContain(`not stored: received 100 bytes, the probe reported ${TRACE.length}`);
    expect(await redis.exists(artefactKey(jobId, 'strace-i.txt'))).toBe(0);
    const [r] = await upload(client, metas);
    expect(r).toMatchObject({ status: 'failed', error: 'the worker did not store it' });
    expect(fileCalls()).toEqual([]);
  });

  it('two bots uploading the same artefact at once post it once', async () => {
    const metas = await storeArtefacts(redis, jobId, [item('strace-j.txt', 'text/plain', TRACE)]);
    const [a, b] = await Promise.all([upload(client, metas), upload(newClient(), metas)]);
    const statuses = [a[0]!.status, b[0]!.status].sort();
    expect(statuses[0]).toMatch(/^(already|failed)$/);
    expect(statuses[1]).toBe('uploaded');
    expect(filesInThread()).toHaveLength(1);
    const [later] = await upload(client, metas);
    expect(later!.status).toBe('already');
  });
});
