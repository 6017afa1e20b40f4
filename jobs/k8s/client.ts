import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  KubeConfig,
} from '@kubernetes/client-node';
import { apiCall, toWire } from './call.js';
import { KubeApiError } from './errors.js';
import { markMetricsNotServed, metricsNotServed } from './metrics-served.js';
import { pageThrough } from './pages.js';
import type {
  DaemonSet,
  Deployment,
  EventV1,
  Job,
  KEvent,
  Node,
  Pod,
  PodUsage,
  ReplicaSet,
  ResourceQuota,
  StatefulSet,
} from './types.js';

export interface LogOptions {
  previous: boolean;
  tailLines: number;
  limitBytes: number;
  /** Only lines written within the last N seconds (the API server's sinceSeconds). */
  sinceSeconds?: number;
  /** Prefix each line with its RFC 3339 time (the API server's timestamps). */
  timestamps?: boolean;
}

/** One page of a list: its items, and the token for the next page (absent on the last). */
export interface ListPage<T> {
  items: T[];
  continue?: string;
  /** How many items follow (the server says so only for lists without a selector). */
  remainingItemCount?: number;
}

/**
 * Which page to ask for: at most `limit` items, after `continue` (from the
 * previous page). `fromCache` (first page only) sends resourceVersion=0: the
 * server answers from its watch cache, up to a second stale, and may ignore
 * `limit` and answer whole.
 */
export interface PageQuery {
  limit: number;
  continue?: string;
  fromCache?: boolean;
}

/**
 * The reads diagnose needs, and nothing else. The gatherer depends on this
 * interface; `createKubeReader` implements it with @kubernetes/client-node.
 * Every list is namespaced or carries a selector: no unbounded cluster-wide list.
 */
export interface KubeReader {
  getPod(namespace: string, name: string): Promise<Pod>;
  /** Pods with this exact name in any namespace (field selector metadata.name). */
  findPodsByName(name: string): Promise<Pod[]>;
  /** The pods matching a label selector in a namespace, all pages up to 20 (10,000 pods). */
  listPods(namespace: string, labelSelector: string): Promise<Pod[]>;
  /** Events about one object (field selector on involvedObject name, kind and uid), from the watch cache, up to 10 pages. */
  eventsFor(namespace: string, kind: string, name: string, uid?: string): Promise<KEvent[]>;
  /** The same, through events.k8s.io/v1 (field selector on regarding); absent where not wired. */
  eventsV1For?(namespace: string, kind: string, name: string, uid?: string): Promise<EventV1[]>;
  /** Events about a node, wherever they were recorded, from the watch cache, up to 10 pages. */
  nodeEvents(node: string): Promise<KEvent[]>;
  /** One page of the pods matching a label selector in a namespace. */
  listPodsPage(namespace: string, labelSelector: string, page: PageQuery): Promise<ListPage<Pod>>;
  /**
   * One page of the events matching a field selector (on involvedObject), in
   * a namespace, or in all namespaces when `namespace` is undefined.
   */
  listEventsPage(
    namespace: string | undefined,
    fieldSelector: string,
    page: PageQuery,
  ): Promise<ListPage<KEvent>>;
  getNode(name: string): Promise<Node>;
  getReplicaSet(namespace: string, name: string): Promise<ReplicaSet>;
  getDeployment(namespace: string, name: string): Promise<Deployment>;
  getStatefulSet(namespace: string, name: string): Promise<StatefulSet>;
  getDaemonSet(namespace: string, name: string): Promise<DaemonSet>;
  getJob(namespace: string, name: string): Promise<Job>;
  /** One ResourceQuota (read only when a FailedCreate event names it as exceeded). */
  getResourceQuota(namespace: string, name: string): Promise<ResourceQuota>;
  podLog(namespace: string, pod: string, container: string, opts: LogOptions): Promise<string>;
  /** metrics.k8s.io usage; undefined when the API is not served or has no sample yet. */
  podMetrics(namespace: string, name: string): Promise<PodUsage | undefined>;
  /** API requests made so far by this reader. */
  requestCount(): number;
}

function sel(fields: Record<string, string | undefined>): string {
  return Object.entries(fields)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** The list parameters of a page: limit, then continue or (first page, from the cache) resourceVersion=0. */
function pageParams(q: PageQuery): { limit: number; _continue?: string; resourceVersion?: string } {
  if (q.continue) return { limit: q.limit, _continue: q.continue };
  return q.fromCache ? { limit: q.limit, resourceVersion: '0' } : { limit: q.limit };
}

function toPage<T>(list: {
  items: unknown[];
  metadata?: { _continue?: string; remainingItemCount?: number };
}): ListPage<T> {
  const next = list.metadata?._continue;
  const remaining = list.metadata?.remainingItemCount;
  return {
    items: toWire(list.items) as T[],
    ...(next ? { continue: next } : {}),
    ...(remaining !== undefined ? { remainingItemCount: remaining } : {}),
  };
}

/** Loads a kubeconfig: the given path, else in-cluster, else the default (~/.kube/config, $KUBECONFIG). */
export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else if (process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
  else {
    // Without any file, client-node falls back to http://localhost:8080: never a cluster anyone meant.
    const files = (process.env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
    if (files.length === 0) files.push(join(homedir(), '.kube', 'config'));
    if (!files.some((f) => existsSync(f)))
      throw new Error(
        `no cluster configuration: not in a pod (KUBERNETES_SERVICE_HOST unset) and no kubeconfig at ${files.join(', ')}; set KUBECONFIG to the cluster's kubeconfig`,
      );
    kc.loadFromDefault();
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('no cluster in kubeconfig: set KUBECONFIG or run in a cluster');
  if (!cluster.server) throw new Error(`the kubeconfig's cluster ${cluster.name} has no server URL`);
  return kc;
}

interface PodMetricsObject {
  window?: string;
  containers?: { name?: string; usage?: { cpu?: string; memory?: string } }[];
}

/** KubeReader over @kubernetes/client-node, with a timeout per request. */
export function createKubeReader(
  kc: KubeConfig,
  opts: {
    timeoutMs: number;
    /** Called after every request with its HTTP status (0: the server was not reached or did not answer). */
    observe?: (status: number) => void;
  },
): KubeReader {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const batch = kc.makeApiClient(BatchV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const eventsV1 = kc.makeApiClient(EventsV1Api);
  const server = kc.getCurrentCluster()?.server ?? '';
  let requests = 0;

  async function call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    requests++;
    try {
      const r = await apiCall(operation, opts.timeoutMs, fn);
      opts.observe?.(200);
      return r;
    } catch (e) {
      opts.observe?.((e as KubeApiError).status);
      throw e;
    }
  }

  const allEvents = async (namespace: string | undefined, fieldSelector: string) => {
    const events: KEvent[] = [];
    await pageThrough(
      (q) => reader.listEventsPage(namespace, fieldSelector, q),
      (p) => events.push(...p),
      {
        maxPages: 10,
        fromCache: true,
        nameOf: (e) => e.metadata?.name ?? '',
      },
    );
    return events;
  };

  const reader: KubeReader = {
    async getPod(namespace, name) {
      return toWire(await call('get pods', () => core.readNamespacedPod({ namespace, name })));
    },
    async findPodsByName(name) {
      // From the watch cache (resourceVersion=0): a name lookup across namespaces need not be a quorum read.
      const list = await call('list pods', () =>
        core.listPodForAllNamespaces({
          fieldSelector: sel({ 'metadata.name': name }),
          limit: 50,
          resourceVersion: '0',
        }),
      );
      return toWire(list.items).slice(0, 50);
    },
    async listPodsPage(namespace, labelSelector, page) {
      return toPage<Pod>(
        await call('list pods', () =>
          core.listNamespacedPod({ namespace, labelSelector, ...pageParams(page) }),
        ),
      );
    },
    async listPods(namespace, labelSelector) {
      const pods: Pod[] = [];
      await pageThrough(
        (q) => reader.listPodsPage(namespace, labelSelector, q),
        (p) => pods.push(...p),
        {
          maxPages: 20,
          nameOf: (p) => p.metadata?.name ?? '',
        },
      );
      return pods;
    },
    async eventsFor(namespace, kind, name, uid) {
      const fieldSelector = sel({
        'involvedObject.kind': kind,
        'involvedObject.name': name,
        'involvedObject.namespace': namespace,
        'involvedObject.uid': uid,
      });
      return allEvents(namespace, fieldSelector);
    },
    async eventsV1For(namespace, kind, name, uid) {
      const fieldSelector = sel({
        'regarding.kind': kind,
        'regarding.name': name,
        'regarding.namespace': namespace,
        'regarding.uid': uid,
      });
      const list = await call('list events.events.k8s.io', () =>
        eventsV1.listNamespacedEvent({ namespace, fieldSelector, limit: 200 }),
      );
      return toWire(list.items);
    },
    async nodeEvents(node) {
      return allEvents(undefined, sel({ 'involvedObject.kind': 'Node', 'involvedObject.name': node }));
    },
    async listEventsPage(namespace, fieldSelector, page) {
      return toPage<KEvent>(
        await call('list events', () =>
          namespace === undefined
            ? core.listEventForAllNamespaces({ fieldSelector, ...pageParams(page) })
            : core.listNamespacedEvent({ namespace, fieldSelector, ...pageParams(page) }),
        ),
      );
    },
    async getNode(name) {
      return toWire(await call('get nodes', () => core.readNode({ name })));
    },
    async getReplicaSet(namespace, name) {
      return toWire(await call('get replicasets', () => apps.readNamespacedReplicaSet({ namespace, name })));
    },
    async getDeployment(namespace, name) {
      return toWire(await call('get deployments', () => apps.readNamespacedDeployment({ namespace, name })));
    },
    async getStatefulSet(namespace, name) {
      return toWire(
        await call('get statefulsets', () => apps.readNamespacedStatefulSet({ namespace, name })),
      );
    },
    async getDaemonSet(namespace, name) {
      return toWire(await call('get daemonsets', () => apps.readNamespacedDaemonSet({ namespace, name })));
    },
    async getJob(namespace, name) {
      return toWire(await call('get jobs', () => batch.readNamespacedJob({ namespace, name })));
    },
    async getResourceQuota(namespace, name) {
      return toWire(
        await call('get resourcequotas', () => core.readNamespacedResourceQuota({ namespace, name })),
      );
    },
    async podLog(namespace, pod, container, o) {
      return call('get pods/log', () =>
        core.readNamespacedPodLog({
          namespace,
          name: pod,
          container,
          previous: o.previous,
          tailLines: o.tailLines,
          limitBytes: o.limitBytes,
          ...(o.sinceSeconds !== undefined ? { sinceSeconds: o.sinceSeconds } : {}),
          ...(o.timestamps ? { timestamps: true } : {}),
        }),
      );
    },
    async podMetrics(namespace, name) {
      if (metricsNotServed(server)) return undefined;
      try {
        const m = (await call('get pods.metrics.k8s.io', () =>
          custom.getNamespacedCustomObject({
            group: 'metrics.k8s.io',
            version: 'v1beta1',
            namespace,
            plural: 'pods',
            name,
          }),
        )) as PodMetricsObject;
        return {
          window: m.window,
          containers: (m.containers ?? []).map((c) => ({
            name: c.name ?? '',
            cpu: c.usage?.cpu ?? '0',
            memory: c.usage?.memory ?? '0',
          })),
        };
      } catch (e) {
        // No metrics-server, or no sample for this pod yet: absent is not an error.
        if (e instanceof KubeApiError && (e.status === 404 || e.status === 503)) {
          if (e.status === 404) markMetricsNotServed(server, e.message);
          return undefined;
        }
        throw e;
      }
    },
    requestCount: () => requests,
  };
  return reader;
}
