import {
  CoreV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1EphemeralContainer,
  type V1Pod,
} from '@kubernetes/client-node';
import { apiCall, isNotFound, toWire } from './call.js';
import type { Pod } from './types.js';

/**
 * What debug containers and debug copies do with the API, and nothing else: read the target pod, add an
 * ephemeral container through the `pods/ephemeralcontainers` subresource (a strategic-merge patch, as kubectl
 * sends), read a container's log, and create, read, delete and list (by label, never without) the copies.
 *
 * RBAC (deploy/components/debug-containers): `patch` on `pods/ephemeralcontainers` and `create`, `delete` on
 * `pods` in the namespaces where debugging is allowed; `get`, `list` on `pods` and `get` on `pods/log` come
 * with the base role.
 */
export interface DebugPods {
  getPod(namespace: string, name: string): Promise<Pod>;
  /** The pod, or undefined when it does not exist (404). */
  findPod(namespace: string, name: string): Promise<Pod | undefined>;
  /** Adds one ephemeral container to the pod (strategic merge on `spec.ephemeralContainers`, keyed by name). */
  addEphemeralContainer(namespace: string, pod: string, container: V1EphemeralContainer): Promise<Pod>;
  readLog(namespace: string, pod: string, container: string, limitBytes: number): Promise<string>;
  createPod(namespace: string, pod: V1Pod): Promise<Pod>;
  /** false when it was already gone (404). */
  deletePod(namespace: string, name: string): Promise<boolean>;
  /** Pods in every namespace matching a label selector (required, non-empty). */
  listAll(labelSelector: string): Promise<Pod[]>;
}

/** DebugPods over @kubernetes/client-node's CoreV1Api, with a timeout per request; errors are KubeApiErrors. */
export function createDebugPods(kc: KubeConfig, opts: { timeoutMs: number }): DebugPods {
  const core = kc.makeApiClient(CoreV1Api);
  const call = <T>(operation: string, fn: () => Promise<T>) => apiCall(operation, opts.timeoutMs, fn);
  return {
    async getPod(namespace, name) {
      return toWire(await call('get pods', () => core.readNamespacedPod({ namespace, name })));
    },
    async findPod(namespace, name) {
      try {
        return toWire(await call('get pods', () => core.readNamespacedPod({ namespace, name })));
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
    async addEphemeralContainer(namespace, name, container) {
      const body = { spec: { ephemeralContainers: [container] } };
      return toWire(
        await call('patch pods/ephemeralcontainers', () =>
          core.patchNamespacedPodEphemeralcontainers(
            { namespace, name, body },
            setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
          ),
        ),
      );
    },
    async readLog(namespace, name, container, limitBytes) {
      return call('get pods/log', () =>
        core.readNamespacedPodLog({ namespace, name, container, limitBytes }),
      );
    },
    async createPod(namespace, pod) {
      const body: V1Pod = { ...pod, metadata: { ...pod.metadata, namespace } };
      return toWire(await call('create pods', () => core.createNamespacedPod({ namespace, body })));
    },
    async deletePod(namespace, name) {
      try {
        await call('delete pods', () => core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 0 }));
        return true;
      } catch (e) {
        if (isNotFound(e)) return false;
        throw e;
      }
    },
    async listAll(labelSelector) {
      if (labelSelector.trim() === '') throw new Error('DebugPods.listAll needs a label selector');
      const l = await call('list pods', () => core.listPodForAllNamespaces({ labelSelector, limit: 500 }));
      return toWire(l.items);
    },
  };
}
