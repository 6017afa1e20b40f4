import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { diagnose } from '../../jobs/diagnose/diagnose.js';
import { createKubeReader, loadKubeConfig } from '../../jobs/k8s/client.js';
import { type KubeSim, startKubeSim } from '../../tools/kube-sim/index.js';
import { loadScaleFixture, scaleFixture } from '../../tools/kube-sim/scale-fixtures.js';

/**
 * Owners of 1,000 and 5,000 pods with one pod crash looping after an OOM
 * kill: diagnose deploy/web names that pod wherever it sits in the list
 * (first, middle, last), pages through the whole list, and says how many
 * pods it read. A node of 110 pods with thousands of events: the pod's own
 * events are found among them, and the node's newest event, last in name
 * order behind thousands of others, is read.
 */
let sim: KubeSim;
const NOW = Date.now();

beforeAll(async () => {
  sim = await startKubeSim({ fixtures: [] });
  for (const pods of [1000, 5000]) {
    // All healthy; each test makes one pod fail, then puts it back.
    loadScaleFixture(
      sim,
      scaleFixture({
        namespace: `web-${pods}`,
        kind: 'Deployment',
        name: 'web',
        pods,
        eventsPerPod: 1,
        now: NOW,
      }),
    );
  }
}, 60_000);
afterAll(async () => {
  await sim?.close();
});

const deps = () => ({
  reader: createKubeReader(loadKubeConfig(sim.kubeconfigPath), { timeoutMs: 30_000 }),
  cluster: 'sim',
  now: () => new Date(),
  logTailLines: 200,
  logLimitBytes: 65_536,
});

describe.each([1000, 5000])('deploy/web with %i pods, one crash looping', (pods) => {
  const ns = `web-${pods}`;
  it.each([
    ['first', 0],
    ['in the middle', Math.floor(pods / 2)],
    ['last', pods - 1],
  ])('finds the failing pod when it is %s in the list', async (_where, at) => {
    const healthy = scaleFixture({
      namespace: ns,
      kind: 'Deployment',
      name: 'web',
      pods,
      eventsPerPod: 1,
      now: NOW,
    });
    const failing = scaleFixture({
      namespace: ns,
      kind: 'Deployment',
      name: 'web',
      pods,
      failingAt: at,
      eventsPerPod: 1,
      now: NOW,
    });
    const name = failing.failingPod!;
    const mine = (o: { metadata: { name: string; namespace?: string } }) =>
      o.metadata.name === name || o.metadata.name.startsWith(`${name}.`);
    loadScaleFixture(sim, {
      ...failing,
      objects: failing.objects.filter(mine),
      logs: failing.logs.filter((l) => l.pod === name),
    });
    sim.resetStats();
    try {
      const r = await diagnose({ kind: 'deploy', name: 'web', namespace: ns }, deps());
      expect(r.outcome).toBe('diagnosed');
      if (r.outcome !== 'diagnosed') return;
      expect(r.target.name).toBe(name);
      const ids = r.findings.map((f) => f.id);
      expect(ids).toContain('oom-killed');
      expect(ids).not.toContain('healthy');
      expect(r.findings[0]!.severity).toBe('critical');
      expect(r.owner?.reason).toMatch(
        new RegExp(`^worst of ${pods} pods \\(${pods - 1} Running, 1 CrashLoopBackOff; 7 restarts in all`),
      );
      expect(r.siblings.length).toBeLessThanOrEqual(20);
      expect(r.gaps).toEqual([]);
      // every page was read, each after the one before
      const lists = sim.requests().filter((q) => q.path === `/api/v1/namespaces/${ns}/pods`);
      expect(lists).toHaveLength(Math.ceil(pods / 500));
      expect(lists.slice(1).every((q) => q.query.continue && !q.query.resourceVersion)).toBe(true);
    } finally {
      loadScaleFixture(sim, {
        ...healthy,
        objects: healthy.objects.filter(mine),
        logs: healthy.logs.filter((l) => l.pod === name),
      });
    }
  });
});

describe('a node of 110 pods and thousands of events', () => {
  const ns = 'busy';
  let fx: ReturnType<typeof scaleFixture>;
  beforeAll(() => {
    fx = scaleFixture({
      namespace: ns,
      kind: 'DaemonSet',
      name: 'agent',
      pods: 220,
      failingAt: 150,
      eventsPerPod: 8,
      nodeEvents: 3000,
      now: NOW,
    });
    loadScaleFixture(sim, fx);
  });

  it("reads the pod's own events among thousands, and the node's newest event behind 3,000 others", async () => {
    const onFirstNode = fx.podNames[3]!;
    sim.resetStats();
    const r = await diagnose({ kind: 'pod', name: onFirstNode, namespace: ns }, deps());
    expect(r.outcome).toBe('diagnosed');
    if (r.outcome !== 'diagnosed') return;
    // the SystemOOM sorts last among the node's 3,000 events: only a complete read sees it
    const oom = r.findings.find((f) => f.id === 'node-oom');
    expect(oom?.title).toContain(fx.nodeNames[0]);
    expect(r.gaps).toEqual([]);
    const eventLists = sim.requests().filter((q) => q.path.endsWith('/events'));
    expect(eventLists.every((q) => q.query.fieldSelector?.includes('involvedObject.'))).toBe(true);
  });

  it('diagnoses the failing pod of the DaemonSet with its own BackOff event', async () => {
    const r = await diagnose({ kind: 'ds', name: 'agent', namespace: ns }, deps());
    expect(r.outcome === 'diagnosed' && r.target.name).toBe(fx.failingPod);
    const text = r.outcome === 'diagnosed' ? JSON.stringify(r.findings) : '';
    expect(text).toContain('Back-off restarting failed container');
  });
});
