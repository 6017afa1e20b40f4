import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TargetRef } from '../../jobs/contracts/index.js';
import { diagnose } from '../../jobs/diagnose/diagnose.js';
import { gatherPod } from '../../jobs/diagnose/gather.js';
import { createKubeReader, loadKubeConfig } from '../../jobs/k8s/client.js';
import type { Pod } from '../../jobs/k8s/types.js';
import { dependentSteps, type KubeSim, startKubeSim } from '../../tools/kube-sim/index.js';
import { loadScaleFixture, type ScaleFixture, scaleFixture } from '../../tools/kube-sim/scale-fixtures.js';

/**
 * How many dependent read steps and API requests diagnose makes, counted by
 * the simulator from each request's start and end (100 ms per request, so
 * requests sent together overlap): 2 steps for a pod, 3 for an owner, no
 * object read twice, ≤ 8 requests for a Deployment's pod; and the Deployment
 * guessed from the ReplicaSet's name is kept only when the ReplicaSet's owner
 * reference confirms it.
 */
/** Per request: long enough that requests sent together overlap even on a busy machine. */
const LATENCY_MS = 100;
const KINDS = { Deployment: 'deploy', StatefulSet: 'sts', DaemonSet: 'ds', Job: 'job' } as const;
let scen: KubeSim;
let gen: KubeSim;
const fixtures = new Map<string, ScaleFixture>();

beforeAll(async () => {
  scen = await startKubeSim({ fixtures: 'test/fixtures/scenarios', rebaseTime: '2026-11-20T10:00:00Z' });
  // A cluster without metrics-server: generated owners only.
  gen = await startKubeSim({ fixtures: [] });
  for (const kind of Object.keys(KINDS) as (keyof typeof KINDS)[]) {
    const fx = scaleFixture({ namespace: KINDS[kind], kind, name: 'web', pods: 3, failingAt: 1 });
    loadScaleFixture(gen, fx);
    fixtures.set(kind, fx);
  }
  // Warm up (module loading, JIT): the first diagnose of a process issues its reads more slowly.
  await diagnose({ kind: 'pod', name: 'api-7d9f8b6c5-x2kqp', namespace: 'oom-killed' }, deps(scen));
});
afterAll(async () => {
  await scen?.close();
  await gen?.close();
});

const deps = (sim: KubeSim) => ({
  reader: createKubeReader(loadKubeConfig(sim.kubeconfigPath), { timeoutMs: 10_000 }),
  cluster: 'sim',
  now: () => new Date(),
  logTailLines: 200,
  logLimitBytes: 65_536,
});

async function measured(sim: KubeSim, target: TargetRef) {
  sim.resetStats();
  sim.setLatency(LATENCY_MS);
  try {
    const result = await diagnose(target, deps(sim));
    const spans = sim.requestSpans();
    const reads = spans.map((s) => `${s.path}?${new URLSearchParams(s.query)}`);
    return { result, steps: dependentSteps(spans), requests: spans.length, reads };
  } finally {
    sim.setLatency(0);
  }
}

describe('dependent read steps and requests', () => {
  it("a Deployment's pod: 2 steps (the pod, then everything else at once), each object read once", async () => {
    const m = await measured(scen, { kind: 'pod', name: 'api-7d9f8b6c5-x2kqp', namespace: 'oom-killed' });
    expect(m.result.outcome === 'diagnosed' && m.result.findings.map((f) => f.id)).toContain('oom-killed');
    expect(m.steps).toBe(2);
    expect(new Set(m.reads).size).toBe(m.reads.length);
    // pod, its events, node, node events, previous log, metrics (it was OOMKilled), ReplicaSet, its events, Deployment
    expect(m.requests).toBe(9);
    expect(m.reads.some((r) => r.startsWith('/apis/apps/v1/namespaces/oom-killed/deployments/api?'))).toBe(
      true,
    );
  });

  it("a Deployment's pod on a cluster without metrics-server: ≤ 8 requests, the absence remembered", async () => {
    const pod = fixtures.get('Deployment')!.failingPod!;
    const first = await measured(gen, { kind: 'pod', name: pod, namespace: 'deploy' });
    const again = await measured(gen, { kind: 'pod', name: pod, namespace: 'deploy' });
    expect(first.reads.filter((r) => r.includes('metrics.k8s.io')).length).toBeLessThanOrEqual(1);
    expect(again.reads.filter((r) => r.includes('metrics.k8s.io'))).toEqual([]);
    expect(again.steps).toBe(2);
    expect(again.requests).toBeLessThanOrEqual(8);
    expect(again.result.outcome === 'diagnosed' && again.result.findings.map((f) => f.id)).toContain(
      'oom-killed',
    );
  });

  it.each(Object.entries(KINDS))(
    '%s target: 3 steps (owner and its events, pods, the worst pod), nothing read twice',
    async (kind, short) => {
      const m = await measured(gen, { kind: short, name: 'web', namespace: short });
      expect(m.result.outcome === 'diagnosed' && m.result.target.name).toBe(fixtures.get(kind)!.failingPod);
      expect(m.steps).toBe(3);
      expect(new Set(m.reads).size).toBe(m.reads.length);
      const plural = `${kind.toLowerCase()}s`;
      expect(m.reads.filter((r) => r.includes(`/${plural}/web?`))).toHaveLength(1);
      expect(m.requests).toBeLessThanOrEqual(8);
    },
  );

  it('a bare pod: 2 steps', async () => {
    const m = await measured(scen, { kind: 'pod', name: 'ledger-reconcile-manual', namespace: 'app-error' });
    expect(m.steps).toBe(2);
  });
});

describe('the Deployment found from the ReplicaSet name is checked against the ReplicaSet', () => {
  const ns = 'deploy';
  const fx = () => fixtures.get('Deployment')!;
  const rsOf = () => structuredClone(fx().objects.find((o) => o.kind === 'ReplicaSet')!);
  const podOf = () =>
    fx().objects.find((o) => o.kind === 'Pod' && o.metadata.name === fx().failingPod)! as unknown as Pod;
  const gather = (sim: KubeSim) => gatherPod(deps(sim).reader, podOf(), deps(sim));

  it('confirmed: the ReplicaSet names the Deployment (and its uid)', async () => {
    const g = await gather(gen);
    expect(g.owners.deployment?.metadata?.name).toBe('web');
    expect(g.owners.replicaSet?.metadata?.name).toBe('web-5f7c9d8b6');
  });

  it('a ReplicaSet owned by something else gives no Deployment, though one of the guessed name exists', async () => {
    const rs = rsOf();
    const original = structuredClone(rs);
    rs.metadata.ownerReferences = [
      {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Rollout',
        name: 'web',
        uid: 'rollout-uid-1',
        controller: true,
      },
    ];
    gen.put(rs);
    try {
      const g = await gather(gen);
      expect(g.owners.replicaSet?.metadata?.name).toBe('web-5f7c9d8b6');
      expect(g.owners.deployment).toBeUndefined();
    } finally {
      gen.put(original);
    }
  });

  it('a ReplicaSet adopted by a Deployment of another name gets that one', async () => {
    const other = structuredClone(fx().objects.find((o) => o.kind === 'Deployment')!);
    other.metadata = { ...other.metadata, name: 'web-v2', uid: 'web-v2-uid' };
    gen.put(other);
    const rs = rsOf();
    const original = structuredClone(rs);
    rs.metadata.ownerReferences = [
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web-v2', uid: 'web-v2-uid', controller: true },
    ];
    gen.put(rs);
    try {
      const g = await gather(gen);
      expect(g.owners.deployment?.metadata?.name).toBe('web-v2');
      expect(g.gaps).toEqual([]);
    } finally {
      gen.put(original);
      gen.remove('apps/v1', 'Deployment', ns, 'web-v2');
    }
  });

  it('a Deployment of the guessed name that is not the owner (recreated: another uid) is not taken', async () => {
    const rs = rsOf();
    const original = structuredClone(rs);
    rs.metadata.ownerReferences = [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'web',
        uid: 'deleted-deployment-uid',
        controller: true,
      },
    ];
    gen.put(rs);
    try {
      const g = await gather(gen);
      expect(g.owners.deployment).toBeUndefined();
    } finally {
      gen.put(original);
    }
  });
});
