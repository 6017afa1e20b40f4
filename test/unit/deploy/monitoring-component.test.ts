/**
 * deploy/components/monitoring and the production settings of issue 13, rendered with `kubectl kustomize`:
 * ServiceMonitors that select the bot's and the worker's pods on the ports that serve /metrics, alert rules
 * over series the code exports, the worker's probes on its health port, and the dev Redis with an AOF on a
 * volume and noeviction.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import {
  DEPLOY,
  describeWithKubectl,
  KUBECTL_NOTE,
  type kubeObjects,
  ofKind,
  one,
  ROOT,
  renderOverlay,
  renderOverlayWith,
} from '../../support/deploy.js';

type Obj = ReturnType<typeof kubeObjects>[number] & { spec?: Record<string, unknown> };
interface Container {
  name: string;
  command?: string[];
  ports?: { name: string; containerPort: number }[];
  livenessProbe?: { httpGet?: { path: string; port: string } };
  readinessProbe?: { httpGet?: { path: string; port: string } };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface Deployment {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    template: {
      metadata: { labels: Record<string, string> };
      spec: { containers: Container[]; volumes?: { name: string; persistentVolumeClaim?: unknown }[] };
    };
  };
}

const exported = [
  readFileSync(join(ROOT, 'bot/metrics.ts'), 'utf8'),
  readFileSync(join(ROOT, 'jobs/metrics.ts'), 'utf8'),
]
  .join('\n')
  .match(/name: 'poddebug_[a-z_]+'/g)!
  .map((m) => m.slice(7, -1));

describeWithKubectl(`components/monitoring rendered${KUBECTL_NOTE}`, () => {
  const objs = renderOverlayWith('single-cluster', { components: ['monitoring'] }) as Obj[];

  it('ServiceMonitors select the bot and the worker on the ports that serve /metrics', () => {
    for (const [component, port] of [
      ['bot', 'http'],
      ['worker', 'health'],
    ] as const) {
      const sm = one<Obj>(objs, 'ServiceMonitor', `poddebug-${component}`);
      const spec = sm.spec as {
        selector: { matchLabels: Record<string, string> };
        endpoints: { port: string; path: string }[];
      };
      expect(spec.endpoints).toEqual([expect.objectContaining({ port, path: '/metrics' })]);
      const services = ofKind<Obj>(objs, 'Service').filter((s) =>
        Object.entries(spec.selector.matchLabels).every(([k, v]) => s.metadata.labels?.[k] === v),
      );
      const ports = services.flatMap((s) =>
        (s.spec as { ports: { name: string }[] }).ports.map((p) => p.name),
      );
      expect(ports).toContain(port);
      const dep = one<Deployment>(objs, 'Deployment', `poddebug-${component}`);
      const c = dep.spec.template.spec.containers[0]!;
      expect(c.ports?.map((p) => p.name)).toContain(port);
    }
  });

  it('alert rules cover a missing worker, queue age and failures, over series the code exports', () => {
    const rules = one<Obj>(objs, 'PrometheusRule', 'poddebug').spec as {
      groups: { rules: { alert: string; expr: string }[] }[];
    };
    const all = rules.groups.flatMap((g) => g.rules);
    const byName = Object.fromEntries(all.map((r) => [r.alert, r.expr]));
    expect(byName.PoddebugNoWorker).toMatch(/poddebug_worker_alive/);
    expect(byName.PoddebugQueueStuck).toMatch(/poddebug_queue_oldest_waiting_seconds/);
    expect(byName.PoddebugJobsFailing).toMatch(/outcome="failed"/);
    for (const r of all) {
      const series = (r.expr.match(/poddebug_[a-z_]+/g) ?? []).map((s) =>
        s.replace(/_(count|sum|bucket)$/, ''),
      );
      expect(series.length).toBeGreaterThan(0);
      for (const s of series) expect(exported).toContain(s);
    }
  });

  it('the worker has liveness and readiness probes on its health port', () => {
    const c = one<Deployment>(objs, 'Deployment', 'poddebug-worker').spec.template.spec.containers[0]!;
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'health' });
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'health' });
  });
});

describeWithKubectl(`overlays/dev Redis${KUBECTL_NOTE}`, () => {
  it('keeps an AOF on a persistent volume and never evicts', () => {
    const objs = renderOverlay('dev');
    const redis = one<Deployment>(objs, 'Deployment', 'redis');
    const c = redis.spec.template.spec.containers[0]!;
    const cmd = c.command!.join(' ');
    expect(cmd).toMatch(/--appendonly yes/);
    expect(cmd).toMatch(/--maxmemory-policy noeviction/);
    const dir = /--dir (\S+)/.exec(cmd)?.[1];
    const mount = c.volumeMounts?.find((m) => m.mountPath === dir);
    expect(mount).toBeDefined();
    const vol = redis.spec.template.spec.volumes?.find((v) => v.name === mount!.name);
    expect(vol?.persistentVolumeClaim).toEqual({ claimName: 'redis-data' });
    expect(one(objs, 'PersistentVolumeClaim', 'redis-data')).toBeDefined();
  });
});

describe('the monitoring component files', () => {
  it('exist next to the other components', () => {
    expect(readFileSync(join(DEPLOY, 'components/monitoring/kustomization.yaml'), 'utf8')).toMatch(
      /kind: Component/,
    );
  });
});
