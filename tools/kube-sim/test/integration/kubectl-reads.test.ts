/**
 * What `poddebug logs|events` relies on in the simulator, checked with the real kubectl: `logs --since`,
 * `--since-time` and `--timestamps` cut and date lines as the kubelet does, and events are listed through
 * both API groups (core/v1 and events.k8s.io/v1) from one store.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type KubeSim, startKubeSim } from '../../index.js';

const KUBECTL = '/usr/bin/kubectl';
const describeKubectl = existsSync(KUBECTL) ? describe : describe.skip;
if (!existsSync(KUBECTL)) console.warn(`skipping kubectl tests: ${KUBECTL} is absent`);

const FIXTURES = join(import.meta.dirname, '..', '..', '..', '..', 'test', 'fixtures', 'sample-incident');
const NS = 'shop';
const POD = 'checkout-7d9f8b6c5-m4zrt';

describeKubectl('kubectl logs and events against kube-sim', () => {
  let sim: KubeSim;
  let cacheDir: string;
  const run = promisify(execFile);
  const kubectl = async (...args: string[]) =>
    (await run(KUBECTL, ['--kubeconfig', sim.kubeconfigPath, '--cache-dir', cacheDir, ...args])).stdout;
  const ago = (sec: number) => new Date(Date.now() - sec * 1000).toISOString();
  const times = [ago(3600), ago(1200), ago(300), ago(30)];

  beforeAll(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'kube-sim-kubectl-cache-'));
    sim = await startKubeSim({ fixtures: FIXTURES, rebaseTime: '2026-11-20T10:00:00Z' });
    sim.setLog(NS, POD, 'checkout', 'l1\nl2\nl3\nl4\n', false, times);
  });
  afterAll(async () => {
    await sim?.close();
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('logs --since=10m --timestamps: the lines of the last ten minutes with their runtime times', async () => {
    expect(await kubectl('logs', POD, '-n', NS, '--since=10m', '--timestamps')).toBe(
      `${times[2]} l3\n${times[3]} l4\n`,
    );
  });

  it('logs --since-time and --tail: tail first, then the time cut', async () => {
    expect(await kubectl('logs', POD, '-n', NS, `--since-time=${ago(1800)}`)).toBe('l2\nl3\nl4\n');
    expect(await kubectl('logs', POD, '-n', NS, '--tail=2', `--since-time=${ago(100)}`)).toBe('l4\n');
  });

  it('get events in both groups lists the same events', async () => {
    const core = (await kubectl('get', 'events', '-n', NS, '-o', 'name')).trim().split('\n');
    const v1 = (await kubectl('get', 'events.events.k8s.io', '-n', NS, '-o', 'name')).trim().split('\n');
    expect(core.length).toBeGreaterThan(5);
    expect(v1.map((n) => n.replace(/^event\.events\.k8s\.io\//, ''))).toEqual(
      core.map((n) => n.replace(/^event\//, '')),
    );
    const one = JSON.parse(await kubectl('get', 'events.events.k8s.io', '-n', NS, '-o', 'json')) as {
      items: { regarding?: { kind?: string }; note?: string; involvedObject?: unknown }[];
    };
    expect(one.items[0]!.regarding?.kind).toBeDefined();
    expect(one.items[0]!.involvedObject).toBeUndefined();
  });
});
