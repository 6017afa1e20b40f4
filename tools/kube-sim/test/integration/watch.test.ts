/**
 * Watch against kube-sim: the raw event stream (initial ADDED, MODIFIED on a status change of an
 * ephemeral container, DELETED, selectors, resume from a resourceVersion, 410 for a too old one),
 * client-node's Watch, and the real kubectl waiting on a condition.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { type KubeSim, startKubeSim } from '../../index.js';

const NS = 'w';
const pod = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: NS, labels },
  spec: { nodeName: 'node-a', containers: [{ name: 'app', image: 'nginx' }] },
  status: {
    phase: 'Running',
    containerStatuses: [
      { name: 'app', ready: true, restartCount: 0, image: 'nginx', imageID: '', state: { running: {} } },
    ],
  },
});

let sim: KubeSim;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kube-sim-watch-'));
  sim = await startKubeSim({ fixtures: dir, containerRuntime: { startDelayMs: 5 } });
  sim.put({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a' } });
  sim.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
});
afterAll(async () => {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

// biome-ignore lint/suspicious/noExplicitAny: watch event objects of several shapes, checked by the assertions
type Event = { type: string; object: any };

/** Reads watch events from a raw stream until `until` says stop (or the timeout). */
async function events(path: string, until: (e: Event[]) => boolean, act?: () => Promise<void>) {
  const ctrl = new AbortController();
  const res = await fetch(`${sim.url}${path}`, { signal: ctrl.signal });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const got: Event[] = [];
  let buf = '';
  const timer = setTimeout(() => ctrl.abort(), 5000);
  const acting = act?.();
  try {
    while (!until(got)) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += Buffer.from(value).toString('utf8');
      let i = buf.indexOf('\n');
      while (i >= 0) {
        got.push(JSON.parse(buf.slice(0, i)));
        buf = buf.slice(i + 1);
        i = buf.indexOf('\n');
      }
    }
  } catch {
    // aborted at the timeout: return what arrived
  } finally {
    clearTimeout(timer);
    ctrl.abort();
    await acting;
  }
  return got;
}

describe('watch', () => {
  it('streams the current pods, then changes and deletions, filtered by the selectors', async () => {
    sim.put(pod('a', { app: 'x' }));
    sim.put(pod('b', { app: 'y' }));
    const got = await events(
      `/api/v1/namespaces/${NS}/pods?watch=true&labelSelector=app%3Dx`,
      (e) => e.some((x) => x.type === 'DELETED'),
      async () => {
        await new Promise((r) => setTimeout(r, 100));
        const patch = await fetch(`${sim.url}/api/v1/namespaces/${NS}/pods/a/ephemeralcontainers`, {
          method: 'PATCH',
          headers: { 'Content-Type': 'application/strategic-merge-patch+json' },
          body: JSON.stringify({
            spec: {
              ephemeralContainers: [{ name: 'd', image: 'busybox', command: [process.execPath, '-e', ''] }],
            },
          }),
        });
        expect(patch.status).toBe(200);
        await new Promise((r) => setTimeout(r, 500));
        await fetch(`${sim.url}/api/v1/namespaces/${NS}/pods/a`, { method: 'DELETE' });
      },
    );
    expect(got[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'a' } } });
    expect(got.every((e) => e.object.metadata.name === 'a')).toBe(true);
    const modified = got.filter((e) => e.type === 'MODIFIED');
    // The patch, then the kubelet's status: running, terminated.
    expect(modified[0]!.object.spec.ephemeralContainers[0].name).toBe('d');
    expect(modified.some((e) => e.object.status.ephemeralContainerStatuses?.[0]?.state?.terminated)).toBe(
      true,
    );
    expect(got[got.length - 1]!.type).toBe('DELETED');
    const rvs = got.map((e) => Number(e.object.metadata.resourceVersion));
    expect([...rvs].sort((x, y) => x - y)).toEqual(rvs);
  });

  it('resumes after a resourceVersion, and answers a too old one with 410 Gone', async () => {
    const list = (await (await fetch(`${sim.url}/api/v1/namespaces/${NS}/pods`)).json()) as {
      metadata: { resourceVersion: string };
    };
    sim.put(pod('c'));
    const got = await events(
      `/api/v1/namespaces/${NS}/pods?watch=1&resourceVersion=${list.metadata.resourceVersion}`,
      (e) => e.length >= 1,
    );
    expect(got).toEqual([
      expect.objectContaining({
        type: 'ADDED',
        object: expect.objectContaining({ metadata: expect.objectContaining({ name: 'c' }) }),
      }),
    ]);
    const old = await events(`/api/v1/namespaces/${NS}/pods?watch=1&resourceVersion=1`, (e) => e.length >= 1);
    expect(old[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
    expect(old[0]!.object.message).toMatch(/^too old resource version: 1 /);
  });

  it('client-node’s Watch sees a debug copy created and deleted', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(sim.kubeconfigPath);
    const seen: string[] = [];
    let done!: () => void;
    const finished = new Promise<void>((r) => {
      done = r;
    });
    const req = await new Watch(kc).watch(
      `/api/v1/namespaces/${NS}/pods`,
      { fieldSelector: 'metadata.name=copy' },
      (type, obj) => {
        seen.push(`${type} ${obj.status?.phase ?? ''}`);
        if (type === 'DELETED') done();
      },
      () => done(),
    );
    await fetch(`${sim.url}/api/v1/namespaces/${NS}/pods`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        ...pod('copy'),
        status: undefined,
        spec: { containers: [{ name: 'app', image: 'busybox', command: ['sleep', '30'] }] },
      }),
    });
    await new Promise((r) => setTimeout(r, 400));
    await fetch(`${sim.url}/api/v1/namespaces/${NS}/pods/copy`, { method: 'DELETE' });
    await finished;
    req.abort();
    expect(seen[0]).toBe('ADDED Pending');
    expect(seen).toContain('MODIFIED Running');
    expect(seen[seen.length - 1]).toMatch(/^DELETED/);
    expect(sim.containerProcesses()).toBe(0);
  });

  const KUBECTL = '/usr/bin/kubectl';
  (existsSync(KUBECTL) ? it : it.skip)(
    'kubectl wait returns when the watched pod becomes Ready',
    async () => {
      const cache = join(dir, 'cache');
      const run = promisify(execFile);
      await fetch(`${sim.url}/api/v1/namespaces/${NS}/pods`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          ...pod('waited'),
          status: undefined,
          spec: { containers: [{ name: 'app', image: 'busybox', command: ['sleep', '30'] }] },
        }),
      });
      const { stdout } = await run(KUBECTL, [
        '--kubeconfig',
        sim.kubeconfigPath,
        '--cache-dir',
        cache,
        'wait',
        '--for=condition=Ready',
        'pod/waited',
        '-n',
        NS,
        '--timeout=10s',
      ]);
      expect(stdout.trim()).toBe('pod/waited condition met');
      await run(KUBECTL, [
        '--kubeconfig',
        sim.kubeconfigPath,
        '--cache-dir',
        cache,
        'delete',
        'pod',
        'waited',
        '-n',
        NS,
        '--wait=true',
      ]);
    },
  );

  (existsSync(KUBECTL) ? it : it.skip)('kubectl get -w prints a row per change (Table events)', async () => {
    const cache = join(dir, 'cache');
    const run = promisify(execFile);
    const watching = run(KUBECTL, [
      '--kubeconfig',
      sim.kubeconfigPath,
      '--cache-dir',
      cache,
      'get',
      'pods',
      '-n',
      NS,
      '-l',
      'run=watched',
      '-w',
      '--request-timeout=3s',
    ]);
    await new Promise((r) => setTimeout(r, 800));
    await fetch(`${sim.url}/api/v1/namespaces/${NS}/pods`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        ...pod('rows', { run: 'watched' }),
        status: undefined,
        spec: { containers: [{ name: 'app', image: 'busybox', command: ['sleep', '30'] }] },
      }),
    });
    await new Promise((r) => setTimeout(r, 500));
    await fetch(`${sim.url}/api/v1/namespaces/${NS}/pods/rows`, { method: 'DELETE' });
    const lines = (await watching).stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect(lines.some((l) => /^rows\s+0\/1\s+Pending\s/.test(l))).toBe(true);
    expect(lines.some((l) => /^rows\s+0\/1\s+ContainerCreating\s/.test(l))).toBe(true);
    expect(lines.some((l) => /^rows\s+1\/1\s+Running\s/.test(l))).toBe(true);
  });
});
