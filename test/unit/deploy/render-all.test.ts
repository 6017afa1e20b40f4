/**
 * Every overlay and every component renders with `kubectl kustomize`, and what renders runs only images
 * pinned by digest (containers, init containers, PROBE_IMAGE and the probe guard's parameter); the
 * monitoring component adds its ServiceMonitors and rules; the dev Redis keeps an AOF on a volume and
 * never evicts, and the docs say so for a Redis of your own.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from '@jest/globals';
import type { KubeObject } from '../../../tools/kube-sim/index.js';
import {
  DEPLOY,
  describeWithKubectl,
  KUBECTL_NOTE,
  ofKind,
  one,
  ROOT,
  renderOverlay,
  renderOverlayWith,
} from '../../support/deploy.js';

const DIGEST_REF = /^(?:[a-z0-9.-]+(?::\d+)?\/)?[a-z0-9._-]+(?:\/[a-z0-9._-]+)*@sha256:[0-9a-f]{64}$/;

interface Container {
  name: string;
  image: string;
  command?: string[];
  env?: { name: string; value?: string }[];
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[];
}

const WORKLOADS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'];

function podSpecOf(o: KubeObject): PodSpec | undefined {
  const spec = o.spec as
    | { template?: { spec?: PodSpec }; jobTemplate?: { spec?: { template?: { spec?: PodSpec } } } }
    | undefined;
  return spec?.template?.spec ?? spec?.jobTemplate?.spec?.template?.spec;
}

/** Every image reference the rendered objects run or let run, with where it is. */
function imageRefs(objs: KubeObject[]): { where: string; image: string }[] {
  const out: { where: string; image: string }[] = [];
  for (const o of objs.filter((x) => WORKLOADS.includes(x.kind))) {
    const pod = podSpecOf(o);
    for (const c of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) {
      out.push({ where: `${o.kind}/${o.metadata.name} container ${c.name}`, image: c.image });
      const probe = c.env?.find((e) => e.name === 'PROBE_IMAGE')?.value;
      if (probe !== undefined) out.push({ where: `${o.kind}/${o.metadata.name} PROBE_IMAGE`, image: probe });
    }
  }
  for (const cm of objs.filter((x) => x.kind === 'ConfigMap' && x.metadata.name === 'poddebug-probe-guard'))
    out.push({ where: 'ConfigMap/poddebug-probe-guard image', image: (cm.data as { image: string }).image });
  return out;
}

const OVERLAYS = readdirSync(join(DEPLOY, 'overlays')).sort();
const COMPONENTS = readdirSync(join(DEPLOY, 'components')).sort();

/** Each component on an overlay without it (single-cluster includes probes; namespaced-rbac is for worker-only too). */
const BASE_FOR: Record<string, string> = { probes: 'worker-only', 'namespaced-rbac': 'worker-only' };
const RENDERS: [string, () => KubeObject[]][] = [
  ...OVERLAYS.map((o): [string, () => KubeObject[]] => [`overlays/${o}`, () => renderOverlay(o)]),
  ...COMPONENTS.map((c): [string, () => KubeObject[]] => {
    const on = BASE_FOR[c] ?? 'single-cluster';
    return [`components/${c} on ${on}`, () => renderOverlayWith(on, { components: [c] })];
  }),
  ['components/probes on namespaced', () => renderOverlayWith('namespaced', { components: ['probes'] })],
];

describeWithKubectl(
  `every overlay and component renders, with images pinned by digest${KUBECTL_NOTE}`,
  () => {
    it('the overlays and components are the ones this test knows', () => {
      expect(OVERLAYS).toEqual(['dev', 'namespaced', 'single-cluster', 'worker-only']);
      expect(COMPONENTS).toEqual([
        'debug-containers',
        'monitoring',
        'namespaced-rbac',
        'probes',
        'subject-access-review',
      ]);
    });

    it.each(RENDERS)('%s: renders; every image is pinned by digest', (_name, render) => {
      const objs = render();
      expect(objs.length).toBeGreaterThan(5);
      const refs = imageRefs(objs);
      expect(refs.length).toBeGreaterThan(0);
      expect(refs.filter((r) => !DIGEST_REF.test(r.image))).toEqual([]);
    });

    it('the probe image is not the bot’s and worker’s image', () => {
      const refs = imageRefs(renderOverlay('single-cluster'));
      const probe = new Set(refs.filter((r) => !r.where.includes('container')).map((r) => r.image));
      const app = new Set(refs.filter((r) => r.where.includes('container')).map((r) => r.image));
      expect(probe.size).toBe(1);
      expect(app.size).toBe(1);
      expect([...probe][0]).toMatch(/\/poddebug-probe@/);
      expect([...app][0]).toMatch(/\/poddebug@/);
    });

    it('the monitoring component adds ServiceMonitors for bot and worker and alert rules', () => {
      const objs = renderOverlayWith('single-cluster', { components: ['monitoring'] });
      expect(
        ofKind(objs, 'ServiceMonitor')
          .map((o) => o.metadata.name)
          .sort(),
      ).toEqual(['poddebug-bot', 'poddebug-worker']);
      const rules = ofKind<KubeObject>(objs, 'PrometheusRule');
      expect(rules).toHaveLength(1);
      const alerts = (rules[0]!.spec as { groups: { rules: { alert?: string }[] }[] }).groups.flatMap((g) =>
        g.rules.map((r) => r.alert),
      );
      expect(alerts.length).toBeGreaterThanOrEqual(3);
      // Without the component: none of it.
      expect(ofKind(renderOverlay('single-cluster'), 'ServiceMonitor')).toEqual([]);
    });

    it('the dev Redis keeps an AOF on a persistent volume and never evicts', () => {
      const objs = renderOverlay('dev');
      const redis = podSpecOf(one<KubeObject>(objs, 'Deployment', 'redis'))!;
      const argv = redis.containers[0]!.command ?? [];
      const flag = (name: string) => argv[argv.indexOf(name) + 1];
      expect(argv[0]).toBe('redis-server');
      expect(flag('--appendonly')).toBe('yes');
      expect(flag('--maxmemory-policy')).toBe('noeviction');
      const dir = flag('--dir');
      const mount = redis.containers[0]!.volumeMounts?.find((m) => m.mountPath === dir);
      const claim = redis.volumes?.find((v) => v.name === mount?.name)?.persistentVolumeClaim?.claimName;
      expect(claim).toBeDefined();
      expect(ofKind(objs, 'PersistentVolumeClaim', claim)).toHaveLength(1);
    });
  },
);

it('the docs state the persistence and eviction settings BullMQ needs of your Redis', () => {
  const text = ['README.md', 'deploy/README.md', 'docs/configuration.md']
    .map((f) => readFileSync(join(ROOT, f), 'utf8'))
    .join('\n');
  expect(text).toMatch(/maxmemory-policy noeviction/);
  expect(text).toMatch(/appendonly yes|AOF/);
});
