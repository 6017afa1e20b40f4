/**
 * Prints, per diagnose target, the dependent read steps, API requests, bytes
 * read and time that diagnose takes against the simulator with LATENCY_MS
 * (default 20) added to every request: a bare pod and a Deployment's pod of
 * the scenario fixtures (metrics.k8s.io served), then generated owners
 * (tools/kube-sim/scale-fixtures.ts, no metrics-server) of 3, 1,000 and 5,000
 * pods, with the peak RSS growth during each (the simulator shares the process: an upper bound; run with
 * `node --expose-gc` for a clean start). `--json` prints JSON. A script that prints figures, not a test.
 *
 *     node --expose-gc --import tsx scripts/read-steps.ts [--json]
 */
import type { TargetRef } from '../jobs/contracts/index.js';
import { diagnose } from '../jobs/diagnose/diagnose.js';
import { createKubeReader, loadKubeConfig } from '../jobs/k8s/client.js';
import { dependentSteps, type KubeSim, startKubeSim } from '../tools/kube-sim/index.js';
import { loadScaleFixture, scaleFixture } from '../tools/kube-sim/scale-fixtures.js';

const LATENCY_MS = Number(process.env.LATENCY_MS ?? 20);
const KINDS = { Deployment: 'deploy', StatefulSet: 'sts', DaemonSet: 'ds', Job: 'job' } as const;

async function measure(sim: KubeSim, label: string, target: TargetRef) {
  const kc = loadKubeConfig(sim.kubeconfigPath);
  sim.resetStats();
  sim.setLatency(LATENCY_MS);
  (globalThis as { gc?: () => void }).gc?.();
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  }, 5);
  const started = performance.now();
  const r = await diagnose(target, {
    reader: createKubeReader(kc, { timeoutMs: 30_000 }),
    cluster: 'sim',
    now: () => new Date(),
    logTailLines: 200,
    logLimitBytes: 65_536,
  });
  const ms = Math.round(performance.now() - started);
  clearInterval(sampler);
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  const spans = sim.requestSpans();
  return {
    label,
    steps: dependentSteps(spans),
    requests: spans.length,
    kib: Math.round(spans.reduce((n, s) => n + s.bytes, 0) / 1024),
    ms,
    /** Peak RSS growth during the diagnose; the simulator runs in this process too, so an upper bound. */
    rssGrowthMiB: Math.round((rssPeak - rssBefore) / 1048576),
    diagnosed: r.outcome === 'diagnosed' ? r.target.name : r.outcome,
    findings: r.outcome === 'diagnosed' ? r.findings.map((f) => f.id).join(',') : '',
  };
}

async function main(): Promise<void> {
  const rows: Awaited<ReturnType<typeof measure>>[] = [];
  const scen = await startKubeSim({
    fixtures: 'test/fixtures/scenarios',
    rebaseTime: '2026-11-20T10:00:00Z',
  });
  // Warm up (module loading, JIT): the first diagnose of a process issues its reads more slowly.
  await measure(scen, 'warm-up', { kind: 'pod', name: 'api-7d9f8b6c5-x2kqp', namespace: 'oom-killed' });
  rows.push(
    await measure(scen, 'bare pod (app-error; metrics served)', {
      kind: 'pod',
      name: 'ledger-reconcile-manual',
      namespace: 'app-error',
    }),
  );
  rows.push(
    await measure(scen, "Deployment's pod (oom-killed; metrics served)", {
      kind: 'pod',
      name: 'api-7d9f8b6c5-x2kqp',
      namespace: 'oom-killed',
    }),
  );
  rows.push(
    await measure(scen, 'pod by name in all namespaces (oom-killed)', {
      kind: 'pod',
      name: 'api-7d9f8b6c5-x2kqp',
    }),
  );
  rows.push(
    await measure(scen, 'deploy/reviews (rollout-stuck)', {
      kind: 'deploy',
      name: 'reviews',
      namespace: 'rollout-stuck',
    }),
  );
  await scen.close();

  const gen = await startKubeSim({ fixtures: [] });
  const failing = new Map<string, string>();
  for (const kind of Object.keys(KINDS) as (keyof typeof KINDS)[]) {
    const fx = scaleFixture({ namespace: `small-${KINDS[kind]}`, kind, name: 'web', pods: 3, failingAt: 1 });
    loadScaleFixture(gen, fx);
    failing.set(kind, fx.failingPod!);
  }
  for (const pods of [1000, 5000])
    loadScaleFixture(
      gen,
      scaleFixture({ namespace: `big-${pods}`, kind: 'Deployment', name: 'web', pods, failingAt: pods - 1 }),
    );
  const pod = failing.get('Deployment')!;
  rows.push(
    await measure(gen, "Deployment's pod, first (no metrics-server)", {
      kind: 'pod',
      name: pod,
      namespace: 'small-deploy',
    }),
  );
  rows.push(
    await measure(gen, "Deployment's pod, again (absence remembered)", {
      kind: 'pod',
      name: pod,
      namespace: 'small-deploy',
    }),
  );
  for (const kind of Object.keys(KINDS) as (keyof typeof KINDS)[])
    rows.push(
      await measure(gen, `${KINDS[kind]}/web (3 pods)`, {
        kind: KINDS[kind],
        name: 'web',
        namespace: `small-${KINDS[kind]}`,
      }),
    );
  for (const pods of [1000, 5000])
    rows.push(
      await measure(gen, `deploy/web (${pods} pods, failing last)`, {
        kind: 'deploy',
        name: 'web',
        namespace: `big-${pods}`,
      }),
    );
  await gen.close();

  if (process.argv.includes('--json'))
    process.stdout.write(`${JSON.stringify({ latencyMs: LATENCY_MS, rows }, null, 2)}\n`);
  else {
    process.stdout.write(`+${LATENCY_MS} ms per request\n`);
    for (const r of rows)
      process.stdout.write(
        `${r.label.padEnd(48)} steps=${r.steps} requests=${String(r.requests).padStart(2)} KiB=${String(r.kib).padStart(6)} ms=${String(r.ms).padStart(5)} rss+MiB=${String(r.rssGrowthMiB).padStart(3)}  ${r.diagnosed}: ${r.findings}\n`,
      );
  }
}

void main();
