/**
 * kube-sim against real clients: @kubernetes/client-node 2 and the real
 * kubectl, plus fault injection and request statistics.
 */

import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiException, AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { type KubeSim, startKubeSim } from '../../index.js';

const FIXTURES = join(import.meta.dirname, '..', 'unit', 'fixtures');
const METRICS_FIXTURES = join(import.meta.dirname, '..', 'unit', 'fixtures-metrics');
const REFERENCE_NOW = '2026-11-20T10:00:00Z';
const NS = 'sim-test';
const POD = 'web-7d9f8b6c5d-x2k4p';
const POD_UID = '5d7f2a10-0000-4000-8000-000000000003';

function clients(sim: KubeSim) {
  const kc = new KubeConfig();
  kc.loadFromFile(sim.kubeconfigPath);
  return {
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
  };
}

/** Runs a promise expected to fail with ApiException; returns its code and parsed Status body. */
async function apiError(p: Promise<unknown>): Promise<{ code: number; status: Record<string, unknown> }> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof ApiException)) throw err;
    const body = err.body as unknown;
    return { code: err.code, status: JSON.parse(typeof body === 'string' ? body : String(body)) };
  }
  throw new Error('expected an ApiException');
}

describe('kube-sim with @kubernetes/client-node', () => {
  let sim: KubeSim;
  let api: ReturnType<typeof clients>;
  let startedAt: number;

  beforeAll(async () => {
    startedAt = Date.now();
    sim = await startKubeSim({ fixtures: FIXTURES, rebaseTime: REFERENCE_NOW });
    api = clients(sim);
  });
  afterAll(async () => {
    await sim.close();
  });

  it('reads a pod, with timestamps rebased onto the start time', async () => {
    const pod = await api.core.readNamespacedPod({ name: POD, namespace: NS });
    expect(pod.metadata?.uid).toBe(POD_UID);
    expect(pod.status?.containerStatuses?.map((c) => [c.name, c.restartCount])).toEqual([
      ['app', 3],
      ['sidecar', 0],
    ]);
    const created = pod.metadata?.creationTimestamp;
    expect(created).toBeInstanceOf(Date);
    const ageMs = startedAt - (created as Date).getTime();
    expect(Math.abs(ageMs - 2 * 3_600_000)).toBeLessThan(5_000);
  });

  it('lists pods across namespaces by metadata.name, returning a PodList', async () => {
    const list = await api.core.listPodForAllNamespaces({ fieldSelector: 'metadata.name=batch-runner' });
    expect(list.kind).toBe('PodList');
    expect(list.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(list.items.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`)).toEqual([
      'sim-other/batch-runner',
    ]);
  });

  it('lists by label selector and by node', async () => {
    const byLabel = await api.core.listPodForAllNamespaces({ labelSelector: 'app in (web,api),!canary' });
    expect(byLabel.items.map((p) => p.metadata?.name)).toEqual([POD]);
    const onNode = await api.core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=sim-node-1' });
    expect(onNode.items).toHaveLength(2);
  });

  it('filters events on involvedObject name, namespace and uid as kubectl describe does', async () => {
    const events = await api.core.listNamespacedEvent({
      namespace: NS,
      fieldSelector: `involvedObject.name=${POD},involvedObject.namespace=${NS},involvedObject.uid=${POD_UID}`,
    });
    expect(events.items.map((e) => e.reason).sort()).toEqual(['BackOff', 'Pulled', 'Scheduled']);
    const nodeEvents = await api.core.listEventForAllNamespaces({
      fieldSelector: 'involvedObject.kind=Node,involvedObject.name=sim-node-1',
    });
    expect(nodeEvents.items.map((e) => e.reason)).toEqual(['SystemOOM']);
  });

  it('rejects an unsupported field selector with 400 BadRequest', async () => {
    const { code, status } = await apiError(
      api.core.listPodForAllNamespaces({ fieldSelector: 'spec.image=x' }),
    );
    expect(code).toBe(400);
    expect(status).toMatchObject({
      kind: 'Status',
      reason: 'BadRequest',
      message: 'field label not supported: spec.image',
    });
  });

  it('reads the previous log with tailLines', async () => {
    const text = await api.core.readNamespacedPodLog({
      name: POD,
      namespace: NS,
      container: 'app',
      previous: true,
      tailLines: 2,
    });
    expect(text).toBe('2026-11-20T09:54:50Z cache size 240Mi\n2026-11-20T09:54:59Z cache size 255Mi\n');
  });

  it('reads a running container log with limitBytes', async () => {
    const text = await api.core.readNamespacedPodLog({
      name: POD,
      namespace: NS,
      container: 'sidecar',
      limitBytes: 11,
    });
    expect(text).toBe('proxy ready');
  });

  it('answers log requests the kubelet refuses with the real messages', async () => {
    const noContainer = await apiError(api.core.readNamespacedPodLog({ name: POD, namespace: NS }));
    expect(noContainer.code).toBe(400);
    expect(noContainer.status.message).toBe(
      `a container name must be specified for pod ${POD}, choose one of: [app sidecar]`,
    );
    const noPrevious = await apiError(
      api.core.readNamespacedPodLog({ name: POD, namespace: NS, container: 'sidecar', previous: true }),
    );
    expect(noPrevious.status.message).toBe(
      `previous terminated container "sidecar" in pod "${POD}" not found`,
    );
    const waiting = await apiError(
      api.core.readNamespacedPodLog({ name: 'batch-runner', namespace: 'sim-other' }),
    );
    expect(waiting.status.message).toBe(
      'container "runner" in pod "batch-runner" is waiting to start: trying and failing to pull image',
    );
  });

  it('surfaces a missing pod as ApiException 404 with a NotFound Status', async () => {
    const { code, status } = await apiError(api.core.readNamespacedPod({ name: 'nope', namespace: NS }));
    expect(code).toBe(404);
    expect(status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', kind: 'pods' },
      code: 404,
    });
  });

  it('surfaces an injected 403 naming the user, verb, resource and namespace', async () => {
    const undo = sim.fail({ method: 'GET', path: /\/pods\/[^/]+$/, status: 403 });
    try {
      const { code, status } = await apiError(api.core.readNamespacedPod({ name: POD, namespace: NS }));
      expect(code).toBe(403);
      expect(status.reason).toBe('Forbidden');
      expect(status.message).toBe(
        `pods "${POD}" is forbidden: User "system:serviceaccount:poddebug:worker" cannot get resource "pods" in API group "" in the namespace "${NS}"`,
      );
    } finally {
      undo();
    }
    await expect(api.core.readNamespacedPod({ name: POD, namespace: NS })).resolves.toBeDefined();
  });

  it('reads owners and the node', async () => {
    const rs = await api.apps.readNamespacedReplicaSet({ name: 'web-7d9f8b6c5d', namespace: NS });
    expect(rs.metadata?.ownerReferences?.[0]?.name).toBe('web');
    const deploy = await api.apps.readNamespacedDeployment({ name: 'web', namespace: NS });
    expect(deploy.spec?.template.spec?.containers[0]?.resources?.limits?.memory).toBe('256Mi');
    const node = await api.core.readNode({ name: 'sim-node-1' });
    expect(node.status?.nodeInfo?.kubeletVersion).toBe('v1.32.4');
    const missing = await apiError(api.apps.readNamespacedStatefulSet({ name: 'db', namespace: NS }));
    expect(missing.status.message).toBe('statefulsets.apps "db" not found');
  });

  it('creates, refuses a duplicate, and deletes a pod', async () => {
    const body = {
      metadata: { name: 'probe-1', labels: { 'app.kubernetes.io/name': 'poddebug-probe' } },
      spec: { nodeName: 'sim-node-1', containers: [{ name: 'probe', image: 'busybox' }] },
    };
    const created = await api.core.createNamespacedPod({ namespace: NS, body });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(created.status?.phase).toBe('Pending');
    const dup = await apiError(api.core.createNamespacedPod({ namespace: NS, body }));
    expect(dup.code).toBe(409);
    expect(dup.status).toMatchObject({ reason: 'AlreadyExists', message: 'pods "probe-1" already exists' });
    const deleted = await api.core.deleteNamespacedPod({ name: 'probe-1', namespace: NS });
    expect(deleted.metadata?.uid).toBe(created.metadata?.uid);
    expect((await apiError(api.core.readNamespacedPod({ name: 'probe-1', namespace: NS }))).code).toBe(404);
    expect((await apiError(api.core.deleteNamespacedPod({ name: 'probe-1', namespace: NS }))).code).toBe(404);
  });

  it('fills a generated name and rejects a pod with neither name nor generateName', async () => {
    const spec = { containers: [{ name: 'probe', image: 'busybox' }] };
    const gen = await api.core.createNamespacedPod({
      namespace: NS,
      body: { metadata: { generateName: 'probe-' }, spec },
    });
    expect(gen.metadata?.name).toMatch(/^probe-[a-z0-9]{5}$/);
    const bad = await apiError(api.core.createNamespacedPod({ namespace: NS, body: { metadata: {}, spec } }));
    expect(bad.code).toBe(422);
    expect(bad.status).toMatchObject({
      reason: 'Invalid',
      message: 'Pod "" is invalid: metadata.name: Required value: name or generateName is required',
    });
  });

  it('refuses a create in a namespace that does not exist', async () => {
    const body = { metadata: { name: 'x' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
    const { code, status } = await apiError(api.core.createNamespacedPod({ namespace: 'nowhere', body }));
    expect(code).toBe(404);
    expect(status.message).toBe('namespaces "nowhere" not found');
  });

  it('applies a JSON merge patch and bumps resourceVersion', async () => {
    const before = await api.core.readNode({ name: 'sim-node-1' });
    const res = await fetch(`${sim.url}/api/v1/nodes/sim-node-1`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: JSON.stringify({ spec: { unschedulable: true } }),
    });
    expect(res.status).toBe(200);
    const after = await api.core.readNode({ name: 'sim-node-1' });
    expect(after.spec?.unschedulable).toBe(true);
    expect(after.spec?.podCIDR).toBe(before.spec?.podCIDR);
    expect(Number(after.metadata?.resourceVersion)).toBeGreaterThan(Number(before.metadata?.resourceVersion));
  });

  it('does not serve metrics.k8s.io when the fixtures hold no PodMetrics', async () => {
    const groups = (await (await fetch(`${sim.url}/apis`)).json()) as { groups: { name: string }[] };
    expect(groups.groups.map((g) => g.name).sort()).toEqual(['apps', 'batch', 'events.k8s.io']);
    const res = await fetch(`${sim.url}/apis/metrics.k8s.io/v1beta1/namespaces/${NS}/pods/${POD}`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({
      reason: 'NotFound',
      message: 'the server could not find the requested resource',
    });
  });

  it('applies put(), remove() and setLog() at run time', async () => {
    const pod = await api.core.readNamespacedPod({ name: 'batch-runner', namespace: 'sim-other' });
    sim.put({
      ...JSON.parse(JSON.stringify(pod)),
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { ...JSON.parse(JSON.stringify(pod.metadata)), labels: { app: 'batch', tier: 'frontend' } },
    });
    const moved = await api.core.listNamespacedPod({
      namespace: 'sim-other',
      labelSelector: 'tier=frontend',
    });
    expect(moved.items).toHaveLength(1);
    sim.setLog(NS, POD, 'sidecar', 'replaced\n');
    expect(await api.core.readNamespacedPodLog({ name: POD, namespace: NS, container: 'sidecar' })).toBe(
      'replaced\n',
    );
    sim.remove('v1', 'Pod', 'sim-other', 'batch-runner');
    expect(
      (await apiError(api.core.readNamespacedPod({ name: 'batch-runner', namespace: 'sim-other' }))).code,
    ).toBe(404);
  });
});

describe('kube-sim serving metrics.k8s.io', () => {
  let sim: KubeSim;
  beforeAll(async () => {
    sim = await startKubeSim({ fixtures: [FIXTURES, METRICS_FIXTURES] });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('lists the group in discovery and serves PodMetrics', async () => {
    const groups = (await (await fetch(`${sim.url}/apis`)).json()) as { groups: { name: string }[] };
    expect(groups.groups.map((g) => g.name)).toContain('metrics.k8s.io');
    const res = (await (await fetch(`${sim.url}/apis/metrics.k8s.io/v1beta1`)).json()) as {
      resources: { name: string; kind: string }[];
    };
    expect(res.resources).toContainEqual(expect.objectContaining({ name: 'pods', kind: 'PodMetrics' }));
    const { custom } = clients(sim);
    const m = (await custom.getNamespacedCustomObject({
      group: 'metrics.k8s.io',
      version: 'v1beta1',
      namespace: NS,
      plural: 'pods',
      name: POD,
    })) as { containers: { name: string; usage: { memory: string } }[] };
    expect(m.containers.find((c) => c.name === 'app')?.usage.memory).toBe('250Mi');
  });
});

describe('kube-sim fault injection and stats', () => {
  let sim: KubeSim;
  let api: ReturnType<typeof clients>;
  beforeAll(async () => {
    sim = await startKubeSim({ fixtures: FIXTURES, user: 'alice@example.com' });
    api = clients(sim);
  });
  afterAll(async () => {
    await sim.close();
  });

  it('counts requests per route template', async () => {
    sim.resetStats();
    await api.core.readNamespacedPod({ name: POD, namespace: NS });
    await api.core.readNamespacedPod({ name: 'batch-runner', namespace: 'sim-other' });
    await api.core.readNamespacedPodLog({ name: POD, namespace: NS, container: 'app' });
    await api.core.listPodForAllNamespaces({});
    expect(sim.stats()).toEqual({
      total: 4,
      byRoute: {
        'GET /api/v1/namespaces/{ns}/pods/{name}': 2,
        'GET /api/v1/namespaces/{ns}/pods/{name}/log': 1,
        'GET /api/v1/pods': 1,
      },
    });
  });

  it('adds latency to every request', async () => {
    sim.setLatency(250);
    try {
      const t0 = performance.now();
      await api.core.readNode({ name: 'sim-node-1' });
      expect(performance.now() - t0).toBeGreaterThanOrEqual(240);
    } finally {
      sim.setLatency(0);
    }
    const t1 = performance.now();
    await api.core.readNode({ name: 'sim-node-1' });
    expect(performance.now() - t1).toBeLessThan(240);
  });

  it('fails a limited number of times with 500 InternalError, then recovers', async () => {
    sim.fail({
      path: /\/nodes\/sim-node-1$/,
      status: 500,
      times: 1,
      message: 'etcdserver: request timed out',
    });
    const first = await apiError(api.core.readNode({ name: 'sim-node-1' }));
    expect(first.code).toBe(500);
    expect(first.status).toMatchObject({
      reason: 'InternalError',
      message: 'etcdserver: request timed out',
      code: 500,
    });
    await expect(api.core.readNode({ name: 'sim-node-1' })).resolves.toBeDefined();
  });

  it('names the configured user and the list verb at cluster scope in a 403', async () => {
    const undo = sim.fail({ path: /^\/api\/v1\/pods$/, status: 403 });
    const { status } = await apiError(api.core.listPodForAllNamespaces({}));
    undo();
    expect(status.message).toBe(
      'pods is forbidden: User "alice@example.com" cannot list resource "pods" in API group "" at the cluster scope',
    );
  });

  it('names pods/log in a 403 on logs', async () => {
    const undo = sim.fail({ path: /\/log$/, status: 403 });
    const { status } = await apiError(
      api.core.readNamespacedPodLog({ name: POD, namespace: NS, container: 'app' }),
    );
    undo();
    expect(status.message).toBe(
      `pods "${POD}" is forbidden: User "alice@example.com" cannot get resource "pods/log" in API group "" in the namespace "${NS}"`,
    );
  });

  it('resets the connection', async () => {
    const undo = sim.fail({ path: /\/nodes\//, status: 'reset', times: 1 });
    // client-node 2 (undici): TypeError('fetch failed') with the socket error as its cause.
    const err = await api.core.readNode({ name: 'sim-node-1' }).then(
      () => undefined,
      (e: unknown) => e as Error & { cause?: { code?: string; message?: string } },
    );
    expect(err?.message).toBe('fetch failed');
    expect(`${err?.cause?.code} ${err?.cause?.message}`).toMatch(
      /UND_ERR_SOCKET|ECONNRESET|other side closed/,
    );
    undo();
    await expect(api.core.readNode({ name: 'sim-node-1' })).resolves.toBeDefined();
  });

  it('answers 429 with Retry-After', async () => {
    sim.fail({ path: /\/events/, status: 429, times: 1 });
    const res = await fetch(`${sim.url}/api/v1/namespaces/${NS}/events`);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toMatchObject({ reason: 'TooManyRequests', details: { retryAfterSeconds: 1 } });
  });

  it('matches the query string too, and only the given method', async () => {
    sim.fail({ method: 'GET', path: /previous=true/, status: 500, times: 1 });
    await expect(
      api.core.readNamespacedPodLog({ name: POD, namespace: NS, container: 'app' }),
    ).resolves.toContain('starting');
    const err = await apiError(
      api.core.readNamespacedPodLog({ name: POD, namespace: NS, container: 'app', previous: true }),
    );
    expect(err.code).toBe(500);
  });
});

const KUBECTL = '/usr/bin/kubectl';
const describeKubectl = existsSync(KUBECTL) ? describe : describe.skip;
if (!existsSync(KUBECTL)) console.warn(`skipping kubectl tests: ${KUBECTL} is absent`);

describeKubectl('kube-sim with the real kubectl', () => {
  let sim: KubeSim;
  let cacheDir: string;
  const run = promisify(execFile);
  const kubectl = async (...args: string[]) =>
    (await run(KUBECTL, ['--kubeconfig', sim.kubeconfigPath, '--cache-dir', cacheDir, ...args])).stdout;

  beforeAll(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'kube-sim-kubectl-cache-'));
    sim = await startKubeSim({ fixtures: FIXTURES, rebaseTime: REFERENCE_NOW });
  });
  afterAll(async () => {
    await sim.close();
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('get pods -A prints READY, STATUS, RESTARTS and AGE', async () => {
    const lines = (await kubectl('get', 'pods', '-A')).trim().split('\n');
    expect(lines[0]).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect(lines[1]).toMatch(/^sim-other\s+batch-runner\s+0\/1\s+ImagePullBackOff\s+0\s+30m$/);
    expect(lines[2]).toMatch(
      /^sim-test\s+web-7d9f8b6c5d-x2k4p\s+1\/2\s+CrashLoopBackOff\s+3 \(5m\d*s? ago\)\s+120m$/,
    );
  });

  it('describe pod shows the pod and only its own events', async () => {
    const out = await kubectl('describe', 'pod', POD, '-n', NS);
    expect(out).toMatch(/^Name:\s+web-7d9f8b6c5d-x2k4p$/m);
    expect(out).toMatch(/Last State:\s+Terminated\n\s+Reason:\s+OOMKilled/);
    expect(out).toMatch(
      /Warning\s+BackOff\s+\S+ \(x12 over 110m\)\s+kubelet\s+Back-off restarting failed container app/,
    );
    expect(out).toMatch(/Normal\s+Scheduled/);
    expect(out).not.toContain('stale event');
  });

  it('logs -c --previous --tail=2 prints the last two lines of the previous instance', async () => {
    const out = await kubectl('logs', POD, '-n', NS, '-c', 'app', '--previous', '--tail=2');
    expect(out).toBe('2026-11-20T09:54:50Z cache size 240Mi\n2026-11-20T09:54:59Z cache size 255Mi\n');
  });

  it('prints the server error for a missing pod', async () => {
    await expect(kubectl('get', 'pod', 'nope', '-n', NS)).rejects.toMatchObject({
      stderr: expect.stringContaining('Error from server (NotFound): pods "nope" not found'),
    });
  });
});

describe('kube-sim CLI', () => {
  it('prints its address, serves, and exits cleanly on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kube-sim-cli-'));
    const kubeconfig = join(dir, 'kubeconfig');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(import.meta.dirname, '..', '..', 'main.ts'),
        '--fixtures',
        FIXTURES,
        '--port',
        '0',
        '--kubeconfig-out',
        kubeconfig,
        '--rebase-time',
        REFERENCE_NOW,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], cwd: join(import.meta.dirname, '..', '..', '..', '..') },
    );
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(out.split('\n')[0]!);
        });
        child.once('exit', (code) => reject(new Error(`kube-sim exited early with ${code}`)));
        setTimeout(() => reject(new Error(`no start-up line within 20 s: ${out}`)), 20_000).unref();
      });
      const m = /^kube-sim listening on (http:\/\/127\.0\.0\.1:\d+) \((\d+) objects\)$/.exec(line);
      expect(m).not.toBeNull();
      // 11 fixture objects plus the namespaces default, kube-system, sim-test, sim-other.
      expect(Number(m![2])).toBe(15);
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfig);
      const pod = await kc.makeApiClient(CoreV1Api).readNamespacedPod({ name: POD, namespace: NS });
      expect(pod.metadata?.uid).toBe(POD_UID);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
