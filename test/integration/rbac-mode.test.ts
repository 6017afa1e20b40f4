/**
 * deploy/'s RBAC, proven by the simulator's RBAC mode: the worker, as its ServiceAccount, diagnoses every
 * scenario without one refusal; each grant of its ClusterRole is used by some call (nothing granted for
 * nothing); a call the ClusterRole lacks meets the API server's 403 Forbidden Status; the other overlays
 * allow (or, namespaced, refuse) the same observed calls. The calls are observed, never listed by hand.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiException, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { diagnose } from '../../jobs/diagnose/diagnose.js';
import { createKubeReader, loadKubeConfig } from '../../jobs/k8s/client.js';
import {
  type AccessRequest,
  authorize,
  type KubeObject,
  type KubeSim,
  ObjectStore,
  type RbacDecision,
  startKubeSim,
} from '../../tools/kube-sim/index.js';
import { KUBECTL, renderOverlay } from '../support/deploy.js';
import { deployRbacMode, deployRbacObjects, WORKER_SA } from '../support/deploy-rbac.js';
import { listScenarios } from '../support/scenarios.js';

const run = promisify(execFile);
const FIXTURES = ['test/fixtures/scenarios', 'test/fixtures/sample-incident'];
const scenarios = listScenarios();
const itWithKubectl = KUBECTL ? it : it.skip;

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
}

/** No scenario has a DaemonSet's pod: one, so that the owner chain's DaemonSet read is seen too. */
const DS_POD = { namespace: 'agents', name: 'node-agent-x7k2p' };

async function startSim(objects?: KubeObject[]): Promise<KubeSim> {
  const mode = deployRbacMode();
  const sim = await startKubeSim({
    ...mode,
    rbac: { ...mode.rbac, ...(objects ? { objects } : {}) },
    fixtures: FIXTURES,
    rebaseTime: '2026-11-20T10:00:00Z',
  });
  const labels = { app: 'node-agent' };
  sim.put({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: {
      name: 'node-agent',
      namespace: DS_POD.namespace,
      uid: 'a9d3c1f2-0b5e-4c7a-9f11-2d6e8b4c0a17',
      labels,
    },
    spec: {
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'agent', image: 'registry.example/agent:1' }] },
      },
    },
    status: { desiredNumberScheduled: 1, currentNumberScheduled: 1, numberReady: 1, numberAvailable: 1 },
  });
  sim.put({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...DS_POD,
      labels,
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'DaemonSet',
          name: 'node-agent',
          uid: 'a9d3c1f2-0b5e-4c7a-9f11-2d6e8b4c0a17',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: { containers: [{ name: 'agent', image: 'registry.example/agent:1' }] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [
        {
          name: 'agent',
          ready: true,
          restartCount: 0,
          image: 'registry.example/agent:1',
          imageID: '',
          state: { running: { startedAt: '2026-11-20T09:00:00Z' } },
        },
      ],
    },
  });
  return sim;
}

async function diagnoseAll(sim: KubeSim): Promise<void> {
  const kc = loadKubeConfig(sim.kubeconfigPath);
  const deps = {
    reader: createKubeReader(kc, { timeoutMs: 5000 }),
    cluster: 'sim',
    now: () => new Date(),
    logTailLines: 200,
    logLimitBytes: 65_536,
  };
  await diagnose({ kind: 'pod', ...DS_POD }, deps);
  for (const s of scenarios) {
    await diagnose({ kind: 'pod', name: s.expect.pod, namespace: s.namespace }, deps).catch(() => undefined);
    await diagnose({ kind: 'pod', name: s.expect.pod }, deps).catch(() => undefined);
  }
  // `/poddebug events` also reads the events.k8s.io/v1 shape (jobs/reads), which diagnose does not.
  const first = scenarios[0]!;
  await deps.reader.eventsV1For?.(first.namespace, 'Pod', first.expect.pod);
}

/** "verb group resource" of a resource request. */
const triple = (d: { verb: string; group: string; resource: string }) => `${d.verb} ${d.group} ${d.resource}`;

/** The worker's resource requests as RBAC saw them, without duplicates. */
function workerCalls(decisions: RbacDecision[]): RbacDecision[] {
  const seen = new Map<string, RbacDecision>();
  for (const d of decisions) {
    if (d.user !== WORKER_SA || d.resource.startsWith('/')) continue;
    const key = `${triple(d)} ${d.namespace === undefined ? 'cluster' : 'namespaced'}`;
    if (!seen.has(key)) seen.set(key, d);
  }
  return [...seen.values()];
}

function asRequest(d: RbacDecision, namespace?: string): AccessRequest {
  const [resource, subresource] = d.resource.split('/');
  return {
    user: WORKER_SA,
    groups: ['system:serviceaccounts', 'system:serviceaccounts:poddebug', 'system:authenticated'],
    verb: d.verb,
    resource: {
      group: d.group,
      resource: resource!,
      ...(subresource ? { subresource } : {}),
      ...(d.namespace !== undefined ? { namespace: namespace ?? d.namespace } : {}),
    },
  };
}

function storeOf(objs: KubeObject[]): ObjectStore {
  const store = new ObjectStore();
  for (const o of objs) if (o.apiVersion === 'rbac.authorization.k8s.io/v1') store.put(o);
  return store;
}

function grants(role: { rules: Rule[] }): string[] {
  return role.rules
    .flatMap((r) =>
      (r.apiGroups ?? []).flatMap((g) =>
        (r.resources ?? []).flatMap((res) => r.verbs.map((v) => `${v} ${g} ${res}`)),
      ),
    )
    .sort();
}

const clusterRole = (objs: KubeObject[]) =>
  objs.find((o) => o.kind === 'ClusterRole' && o.metadata.name === 'poddebug-worker') as unknown as {
    rules: Rule[];
  };

describe("the worker under deploy/'s RBAC (single-cluster)", () => {
  let sim: KubeSim;
  let calls: RbacDecision[];
  beforeAll(async () => {
    sim = await startSim();
    await diagnoseAll(sim);
    calls = workerCalls(sim.rbacDecisions());
  });
  afterAll(async () => {
    await sim?.close();
  });

  it('diagnoses every scenario without a single refusal', () => {
    expect(calls.length).toBeGreaterThan(5);
    expect(sim.rbacDenials()).toEqual([]);
  });

  it('uses every grant of its ClusterRole: nothing is granted that no call needs', () => {
    const used = [...new Set(calls.map(triple))].sort();
    expect(grants(clusterRole(deployRbacObjects()))).toEqual(used);
  });

  it('a call the ClusterRole lacks gets the API server’s 403 Forbidden Status (client-node)', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(sim.kubeconfigPath);
    const core = kc.makeApiClient(CoreV1Api);
    const err = await core
      .readNamespacedSecret({ name: 'db', namespace: 'crash-loop' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiException);
    const e = err as ApiException<string>;
    expect(e.code).toBe(403);
    expect(JSON.parse(e.body)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `secrets "db" is forbidden: User "${WORKER_SA}" cannot get resource "secrets" in API group "" in the namespace "crash-loop"`,
      reason: 'Forbidden',
      details: { name: 'db', kind: 'secrets' },
      code: 403,
    });
    expect(sim.rbacDenials().map((d) => triple(d))).toContain('get  secrets');
  });

  itWithKubectl('kubectl sees the same refusal, for a subresource too', async () => {
    const r = await run(
      KUBECTL!,
      [
        '--kubeconfig',
        sim.kubeconfigPath,
        'debug',
        '-n',
        'crash-loop',
        scenarios.find((s) => s.name === 'crash-loop')!.expect.pod,
        '--image=busybox',
        '--attach=false',
      ],
      { encoding: 'utf8' },
    ).catch((e: { stderr: string }) => ({ stderr: e.stderr }));
    expect(r.stderr).toContain(
      `is forbidden: User "${WORKER_SA}" cannot patch resource "pods/ephemeralcontainers" in API group "" in the namespace "crash-loop"`,
    );
  });
});

describe('a call missing from the ClusterRole fails in RBAC mode', () => {
  let sim: KubeSim;
  beforeAll(async () => {
    // deploy/'s RBAC with one rule taken out: container logs.
    const objs = deployRbacObjects().map((o) =>
      o.kind === 'ClusterRole' && o.metadata.name === 'poddebug-worker'
        ? { ...o, rules: (o.rules as Rule[]).filter((r) => !(r.resources ?? []).includes('pods/log')) }
        : o,
    );
    sim = await startSim(objs);
  });
  afterAll(async () => {
    await sim?.close();
  });

  it('the worker’s log read is refused with 403 and the report says so', async () => {
    const s = scenarios.find((x) => x.name === 'crash-loop')!;
    const r = await diagnose(
      { kind: 'pod', name: s.expect.pod, namespace: s.namespace },
      {
        reader: createKubeReader(loadKubeConfig(sim.kubeconfigPath), { timeoutMs: 5000 }),
        cluster: 'sim',
        now: () => new Date(),
        logTailLines: 200,
        logLimitBytes: 65_536,
      },
    );
    const denied = sim.rbacDenials();
    expect(denied.length).toBeGreaterThan(0);
    expect(denied.every((d) => d.verb === 'get' && d.resource === 'pods/log')).toBe(true);
    expect(denied[0]!.message).toBe(
      `pods "${s.expect.pod}" is forbidden: User "${WORKER_SA}" cannot get resource "pods/log" in API group "" in the namespace "${s.namespace}"`,
    );
    expect(JSON.stringify(r)).toMatch(/forbidden/i);
  });
});

describe('the other overlays, for the calls the worker was seen making', () => {
  let calls: RbacDecision[];
  beforeAll(async () => {
    const sim = await startSim();
    await diagnoseAll(sim);
    calls = workerCalls(sim.rbacDecisions());
    await sim.close();
  });

  it.each(['single-cluster', 'worker-only', 'dev'])(
    '%s: every call allowed, nothing more granted',
    (overlay) => {
      if (!KUBECTL) return;
      const objs = renderOverlay(overlay);
      const store = storeOf(objs);
      const refused = calls.filter((c) => !authorize(store, asRequest(c)).allowed).map(triple);
      expect(refused).toEqual([]);
      expect(grants(clusterRole(objs))).toEqual([...new Set(calls.map(triple))].sort());
    },
  );

  it('namespaced: listed namespaces work; other namespaces and cluster-wide search are refused', () => {
    if (!KUBECTL) return;
    const store = storeOf(renderOverlay('namespaced'));
    const verdicts = calls.map((c) => ({
      call: `${triple(c)} ${c.namespace === undefined ? 'cluster' : 'namespaced'}`,
      'team-a': authorize(store, asRequest(c, 'team-a')).allowed,
      'team-b': authorize(store, asRequest(c, 'team-b')).allowed,
      elsewhere: authorize(store, asRequest(c, 'kube-system')).allowed,
    }));
    const expected = calls.map((c) => {
      const call = `${triple(c)} ${c.namespace === undefined ? 'cluster' : 'namespaced'}`;
      if (c.namespace !== undefined) return { call, 'team-a': true, 'team-b': true, elsewhere: false };
      // Cluster scope: only `get nodes`; finding a pod in any namespace and node events: 403.
      const ok = c.resource === 'nodes';
      return { call, 'team-a': ok, 'team-b': ok, elsewhere: ok };
    });
    expect(verdicts).toEqual(expected);
  });
});
