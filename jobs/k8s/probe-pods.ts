import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { apiCall, isNotFound, toWire } from './call.js';
import type { KEvent, Pod } from './types.js';

/**
 * What the probe runner, the planner and the reaper do with the API, and
 * nothing else: read the target pod (anywhere), and create / get / read the
 * log of / delete / list by label the probe pods in the one dedicated probe
 * namespace. Every list carries a label selector.
 *
 * RBAC: in the probe namespace `create`, `get`, `list`, `delete` on `pods`,
 * `get` on `pods/log`, `list` on `events`; `get` on `pods` where targets live.
 */
export interface ProbePods {
  /** The dedicated namespace probe pods live in. */
  readonly namespace: string;
  /** The pod a probe targets (any namespace). */
  getTargetPod(namespace: string, name: string): Promise<Pod>;
  /** Creates a probe pod in the probe namespace (its metadata.namespace is overwritten). */
  create(pod: V1Pod): Promise<Pod>;
  /** A probe pod, or undefined when it does not exist (404). */
  get(name: string): Promise<Pod | undefined>;
  /** The probe container's log, cut at limitBytes. */
  readLog(name: string, opts: { container?: string; limitBytes: number }): Promise<string>;
  /** Deletes a probe pod; false when it was already gone (404). */
  delete(name: string, opts?: { gracePeriodSeconds?: number }): Promise<boolean>;
  /** Probe pods matching a label selector (required, non-empty). */
  list(labelSelector: string): Promise<Pod[]>;
  /** Events about one probe pod (why it does not start). */
  events(name: string, uid?: string): Promise<KEvent[]>;
}

/** Dates back to the RFC 3339 strings the server sent (see Wire). */

/** ProbePods over @kubernetes/client-node, with a timeout per request; errors are KubeApiErrors. */
export function createProbePods(kc: KubeConfig, opts: { namespace: string; timeoutMs: number }): ProbePods {
  const core = kc.makeApiClient(CoreV1Api);
  const namespace = opts.namespace;

  const call = <T>(operation: string, fn: () => Promise<T>) => apiCall(operation, opts.timeoutMs, fn);

  return {
    namespace,
    async getTargetPod(ns, name) {
      return toWire(await call('get pods', () => core.readNamespacedPod({ namespace: ns, name })));
    },
    async create(pod) {
      const body: V1Pod = { ...pod, metadata: { ...pod.metadata, namespace } };
      return toWire(await call('create pods', () => core.createNamespacedPod({ namespace, body })));
    },
    async get(name) {
      try {
        return toWire(await call('get pods', () => core.readNamespacedPod({ namespace, name })));
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
    async readLog(name, o) {
      return call('get pods/log', () =>
        core.readNamespacedPodLog({
          namespace,
          name,
          ...(o.container ? { container: o.container } : {}),
          limitBytes: o.limitBytes,
        }),
      );
    },
    async delete(name, o = {}) {
      try {
        await call('delete pods', () =>
          core.deleteNamespacedPod({
            namespace,
            name,
            ...(o.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: o.gracePeriodSeconds } : {}),
          }),
        );
        return true;
      } catch (e) {
        if (isNotFound(e)) return false;
        throw e;
      }
    },
    async list(labelSelector) {
      if (labelSelector.trim() === '') throw new Error('ProbePods.list needs a label selector');
      const l = await call('list pods', () =>
        core.listNamespacedPod({ namespace, labelSelector, limit: 500 }),
      );
      return toWire(l.items);
    },
    async events(name, uid) {
      const fields = [`involvedObject.name=${name}`, `involvedObject.namespace=${namespace}`];
      if (uid) fields.push(`involvedObject.uid=${uid}`);
      const l = await call('list events', () =>
        core.listNamespacedEvent({ namespace, fieldSelector: fields.join(','), limit: 50 }),
      );
      return toWire(l.items);
    },
  };
}
