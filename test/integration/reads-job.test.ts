/**
 * The worker's read job on its own, against the API simulator and a real Redis: the --grep time budget cuts
 * a search off and says how far it got (a worker is never held past it), and a long text becomes an
 * artefact in Redis whose bytes match the size and sha256 the result gives.
 */
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { artefactKey, type ReadPayload, type ReadResult } from '../../jobs/contracts/index.js';
import { createKubeReader, loadKubeConfig } from '../../jobs/k8s/client.js';
import { createLogger } from '../../jobs/log.js';
import { runReadJob } from '../../jobs/reads/job.js';
import { type KubeSim, startKubeSim } from '../../tools/kube-sim/index.js';
import { testRedisUrl } from '../support/redis-server.js';

const NS = 'shop';
const POD = 'checkout-7d9f8b6c5-m4zrt';
let sim: KubeSim;
let redis: Redis;

beforeAll(async () => {
  sim = await startKubeSim({ fixtures: 'test/fixtures/sample-incident', rebaseTime: '2026-11-20T10:00:00Z' });
  redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
});
afterAll(async () => {
  redis?.disconnect();
  await sim?.close();
});

function job(spec: ReadPayload['spec']): Job {
  const data: ReadPayload = {
    version: 1,
    action: 'read',
    cluster: 'sim',
    target: { kind: 'pod', name: POD, namespace: NS },
    spec,
    requester: { userId: 'U0ONCALL1', channelId: 'C0READS01' },
    requestedAt: new Date().toISOString(),
  };
  return { id: `diag-sim-${randomUUID().replace(/-/g, '').slice(0, 24)}`, data } as unknown as Job;
}

function deps(grepBudgetMs?: number) {
  const kc = loadKubeConfig(sim.kubeconfigPath);
  return {
    cluster: 'sim',
    reader: () => createKubeReader(kc, { timeoutMs: 10_000 }),
    logger: createLogger('silent'),
    jobTimeoutMs: 30_000,
    redis,
    ...(grepBudgetMs !== undefined ? { grepBudgetMs } : {}),
  };
}

describe('the read job', () => {
  it('cuts --grep off at its budget and says how many lines it looked at', async () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => `${'a'.repeat(100)} ${i}`);
    sim.setLog(NS, POD, 'checkout', `${lines.join('\n')}\n`);
    const started = Date.now();
    const r: ReadResult = await runReadJob(
      job({ action: 'logs', allContainers: false, previous: false, timestamps: false, grep: '(a+)+ 9' }),
      deps(1),
    );
    expect(Date.now() - started).toBeLessThan(5000);
    const note = r.notes.find((n) => n.startsWith('--grep stopped after 1 ms'));
    expect(note).toMatch(/looked at \d+ of 10000 lines; the rest were not searched/);
    const looked = Number(/looked at (\d+)/.exec(note!)![1]);
    expect(looked).toBeLessThan(10_000);
    expect(r.verdict).toMatch(/of 10000 lines match/);
  });

  it('with its default budget the same search finishes, linear time', async () => {
    const r = await runReadJob(
      job({ action: 'logs', allContainers: false, previous: false, timestamps: false, grep: '(a+)+ 9999$' }),
      deps(),
    );
    expect(r.notes.some((n) => n.startsWith('--grep stopped'))).toBe(false);
    expect(r.inline).toBe(`${'a'.repeat(100)} 9999\n`);
  });

  it('stores a long text as an artefact whose bytes match its size and sha256', async () => {
    const j = job({ action: 'logs', allContainers: false, previous: false, timestamps: false });
    const r = await runReadJob(j, deps());
    expect(r.inline).toBeUndefined();
    const meta = r.artefacts[0]!;
    expect(meta.key).toBe(artefactKey(j.id!, meta.name));
    const bytes = await redis.getBuffer(meta.key!);
    expect(bytes?.length).toBe(meta.bytes);
    expect(createHash('sha256').update(bytes!).digest('hex')).toBe(meta.sha256);
    expect(await redis.ttl(meta.key!)).toBeGreaterThan(3600);
    await redis.del(meta.key!);
  });

  it('says when a container read stopped at its byte limit', async () => {
    const lines = Array.from({ length: 12_000 }, (_, i) => `${'b'.repeat(200)} ${i}`);
    sim.setLog(NS, POD, 'checkout', `${lines.join('\n')}\n`);
    const r = await runReadJob(
      job({ action: 'logs', allContainers: false, previous: false, timestamps: false, tailLines: 10_000 }),
      deps(),
    );
    expect(r.notes).toContain(
      `${POD}/checkout: the read stopped at 2 MiB (narrow it with --since or --tail)`,
    );
    expect(r.verdict).toMatch(/^\d+ lines$/);
    await redis.del(r.artefacts[0]!.key!);
  });
});
