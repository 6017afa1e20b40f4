import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { CodedError } from '../../jobs/contracts/index.js';
import { type DiagnoseDeps, diagnose } from '../../jobs/diagnose/diagnose.js';
import { createKubeReader, loadKubeConfig } from '../../jobs/k8s/client.js';
import { type KubeSim, startKubeSim } from '../../tools/kube-sim/index.js';
import { deployRbacMode, rbacDenialLines } from '../support/deploy-rbac.js';
import { listScenarios, loadObjects } from '../support/scenarios.js';

/**
 * The worker's gathering against the API simulator: what it asks the API
 * server for, how, and how it treats refusals of non-essential reads.
 */
const scenarios = listScenarios();
let sim: KubeSim;
let deps: () => DiagnoseDeps;

beforeAll(async () => {
  // RBAC mode with deploy/'s RBAC, acting as the worker's ServiceAccount.
  sim = await startKubeSim({
    ...deployRbacMode(),
    fixtures: ['test/fixtures/scenarios', 'test/fixtures/sample-incident'],
    rebaseTime: '2026-11-20T10:00:00Z',
  });
  const kc = loadKubeConfig(sim.kubeconfigPath);
  deps = () => ({
    reader: createKubeReader(kc, { timeoutMs: 5000 }),
    cluster: 'sim',
    now: () => new Date(),
    logTailLines: 200,
    logLimitBytes: 65_536,
  });
});
afterAll(async () => {
  // deploy/'s RBAC allowed every call made.
  const denied = sim ? rbacDenialLines(sim) : [];
  await sim?.close();
  expect(denied).toEqual([]);
});
afterEach(() => {
  sim.setLatency(0);
});

const scenario = (name: string) => scenarios.find((s) => s.name === name)!;

describe('what diagnose asks the API server', () => {
  it('never lists across the cluster, or a whole namespace, without a selector', async () => {
    sim.resetStats();
    for (const s of scenarios) {
      await diagnose({ kind: 'pod', name: s.expect.pod, namespace: s.namespace }, deps());
      await diagnose({ kind: 'pod', name: s.expect.pod }, deps());
    }
    const lists = sim
      .requests()
      .filter(
        (r) =>
          r.method === 'GET' &&
          !/\{name\}/.test(r.route) &&
          /\/(pods|events|nodes|replicasets|deployments|jobs)$/.test(r.path),
      );
    expect(lists.length).toBeGreaterThan(scenarios.length);
    const unbounded = lists.filter((r) => !r.query.fieldSelector && !r.query.labelSelector);
    expect(unbounded).toEqual([]);
    const clusterWide = lists.filter((r) => !r.path.includes('/namespaces/'));
    expect(clusterWide.every((r) => r.query.fieldSelector)).toBe(true);
  });

  it('runs independent reads concurrently (with 150 ms per request, far less than their sum)', async () => {
    sim.resetStats();
    sim.setLatency(150);
    const r = await diagnose(
      { kind: 'pod', name: scenario('oom-killed').expect.pod, namespace: 'oom-killed' },
      deps(),
    );
    const n = sim.stats().total;
    expect(r.outcome).toBe('diagnosed');
    expect(n).toBeGreaterThanOrEqual(7);
    if (r.outcome === 'diagnosed') {
      expect(r.stats.apiRequests).toBe(n);
      // sequential would take n × 150 ms; the critical path is pod → ReplicaSet → Deployment (+ events)
      expect(r.stats.durationMs).toBeLessThan((n * 150) / 2);
    }
  });

  it('asks for a bounded log tail, and the previous log only for containers that restarted', async () => {
    sim.resetStats();
    await diagnose({ kind: 'pod', name: scenario('oom-killed').expect.pod, namespace: 'oom-killed' }, deps());
    const logs = sim.requests().filter((r) => r.route.endsWith('/log'));
    expect(logs.length).toBeGreaterThan(0);
    for (const l of logs) {
      expect(l.query.tailLines).toBe('200');
      expect(l.query.limitBytes).toBe('65536');
    }
    expect(logs.some((l) => l.query.previous === 'true')).toBe(true);
    sim.resetStats();
    await diagnose({ kind: 'pod', name: scenario('healthy').expect.pod, namespace: 'healthy' }, deps());
    expect(sim.requests().filter((r) => r.route.endsWith('/log') && r.query.previous === 'true')).toEqual([]);
  });
});

describe('finding the pod', () => {
  it('finds a pod by name in any namespace with one field-selected list', async () => {
    sim.resetStats();
    const s = scenario('crash-loop');
    const r = await diagnose({ kind: 'pod', name: s.expect.pod }, deps());
    expect(r.outcome === 'diagnosed' && r.target).toEqual({
      kind: 'Pod',
      namespace: 'crash-loop',
      name: s.expect.pod,
    });
    const lookups = sim.requests().filter((r) => r.path === '/api/v1/pods');
    expect(lookups).toHaveLength(1);
    expect(lookups[0]!.query.fieldSelector).toBe(`metadata.name=${s.expect.pod}`);
  });

  it('lists the candidates when the name is in several namespaces', async () => {
    const s = scenario('healthy');
    const [pod] = loadObjects(s.dir).filter((o) => o.kind === 'Pod' && o.metadata?.name === s.expect.pod);
    sim.put({ ...pod, metadata: { ...pod!.metadata, namespace: 'default', uid: 'copy-uid-1' } });
    try {
      const r = await diagnose({ kind: 'pod', name: s.expect.pod }, deps());
      expect(r.outcome).toBe('ambiguous');
      if (r.outcome === 'ambiguous') {
        expect(r.candidates.map((c) => c.namespace).sort()).toEqual(['default', 'healthy']);
      }
    } finally {
      sim.remove('v1', 'Pod', 'default', s.expect.pod);
    }
  });

  it('diagnoses the worst pod of a Deployment and summarises its siblings', async () => {
    sim.resetStats();
    const r = await diagnose({ kind: 'deploy', name: 'checkout', namespace: 'shop' }, deps());
    expect(r.outcome).toBe('diagnosed');
    if (r.outcome !== 'diagnosed') return;
    expect(r.owner).toEqual({ kind: 'Deployment', name: 'checkout', reason: 'worst of 2 pods' });
    expect(r.findings.map((f) => f.id)).toContain('oom-killed');
    expect(r.siblings).toHaveLength(1);
    expect(r.siblings[0]).toMatchObject({ phase: 'Running', status: 'Running', ready: '1/1' });
    // the pods were listed with the Deployment's own selector, in its namespace
    const list = sim.requests().find((q) => q.path === '/api/v1/namespaces/shop/pods');
    expect(list?.query.labelSelector).toMatch(/name=checkout/);
  });

  it('an owner with a stuck rollout and one quiet pod still reports the rollout', async () => {
    const s = scenarios.find((x) => x.expect.target?.startsWith('deploy/'))!;
    const r = await diagnose(
      { kind: 'deploy', name: s.expect.target!.slice('deploy/'.length), namespace: s.namespace },
      deps(),
    );
    expect(r.outcome === 'diagnosed' && r.owner?.reason).toBe('its only pod');
    expect(r.outcome === 'diagnosed' && r.findings.map((f) => f.id)).toContain('rollout-stuck');
  });

  it('names the containers when -c does not match one', async () => {
    const s = scenario('healthy');
    await expect(
      diagnose({ kind: 'pod', name: s.expect.pod, namespace: s.namespace, container: 'nope' }, deps()),
    ).rejects.toMatchObject({
      code: 'invalid_args',
      message: expect.stringContaining('has no container `nope`'),
    });
  });
});

describe('refusals and absences', () => {
  it('a forbidden node read is a gap in the report, not a failure', async () => {
    const undo = sim.fail({ path: /^\/api\/v1\/nodes\//, status: 403 });
    try {
      const s = scenario('oom-killed');
      const r = await diagnose({ kind: 'pod', name: s.expect.pod, namespace: s.namespace }, deps());
      expect(r.outcome).toBe('diagnosed');
      if (r.outcome === 'diagnosed') {
        expect(r.gaps.some((g) => /^node .*: forbidden/.test(g))).toBe(true);
        expect(r.findings.map((f) => f.id)).toContain('oom-killed');
      }
    } finally {
      undo();
    }
  });

  it('a cluster without metrics-server is not an error', async () => {
    const s = scenario('healthy');
    const r = await diagnose({ kind: 'pod', name: s.expect.pod, namespace: s.namespace }, deps());
    expect(r.outcome === 'diagnosed' && r.gaps).toEqual([]);
  });

  it('a 404 on the pod is pod_not_found, without retries', async () => {
    const e = await diagnose({ kind: 'pod', name: 'gone-1', namespace: 'healthy' }, deps()).catch(
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(CodedError);
    expect((e as CodedError).code).toBe('pod_not_found');
    expect((e as CodedError).retryable).toBe(false);
  });
});
