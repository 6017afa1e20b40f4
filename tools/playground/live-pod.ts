/**
 * Node probes in the playground: the simulator's node runs this repository's real probe program locally (as
 * test/integration/probe-e2e.test.ts does) against a fake container, a real process in its own namespaces and
 * cgroup (test/support/fake-container.ts), which a pod in the simulator points at by its container ID.
 */
import { join } from 'node:path';
import type { KubeSim, NodeExecutorOptions } from '../kube-sim/index.js';

export const LIVE_NODE = 'shop-node-live';

/** The simulator's node runs the real probe program (TypeScript, through tsx). */
export function realProbeExecutor(root = process.cwd()): NodeExecutorOptions {
  return {
    rewriteArgv: (argv) => [
      process.execPath,
      '--import',
      'tsx',
      join(root, 'jobs/probes/program/main.ts'),
      ...argv.slice(2),
    ],
    startDelayMs: 10,
  };
}

/** A running pod with one container `app` on LIVE_NODE whose container ID is the fake container's. */
export function putLivePod(
  sim: KubeSim,
  o: { namespace: string; name: string; containerId: string; uid: string },
): void {
  sim.put({ apiVersion: 'v1', kind: 'Node', metadata: { name: LIVE_NODE } });
  sim.put({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: o.name, namespace: o.namespace, uid: o.uid, labels: { app: 'checkout-live' } },
    spec: {
      nodeName: LIVE_NODE,
      containers: [{ name: 'app', image: 'registry.example/shop/checkout:1.4.2' }],
    },
    status: {
      phase: 'Running',
      containerStatuses: [
        {
          name: 'app',
          ready: true,
          restartCount: 0,
          image: 'registry.example/shop/checkout:1.4.2',
          imageID: '',
          containerID: o.containerId,
          state: { running: { startedAt: '2026-11-20T09:00:00Z' } },
        },
      ],
    },
  });
}
