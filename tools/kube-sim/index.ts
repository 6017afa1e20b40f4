/**
 * kube-sim: a Kubernetes API server double on loopback, loaded from fixture
 * files, that the real kubectl and @kubernetes/client-node work against.
 * Tests and benchmarks start it with startKubeSim(); the CLI is main.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerRuntime, type ContainerRuntimeOptions } from './container-runtime.js';
import { FaultList, type FaultRule } from './faults.js';
import { loadFixtures } from './fixtures.js';
import { writeKubeconfig } from './kubeconfig.js';
import { NodeExecutor, type NodeExecutorOptions } from './node-executor.js';
import { type RbacDecision, type RbacDenial, RbacMode, type RbacModeOptions } from './rbac-mode.js';
import { rebaseOffset, rebaseTimestamps } from './rebase.js';
import { RequestLog, type RequestSpan } from './request-log.js';
import { handle, type SimContext } from './server.js';
import { isKubeObject, ObjectStore } from './store.js';
import { WatchHub } from './watch.js';

export type { AccessDecision, AccessRequest } from './authz.js';
// Building blocks for tests that check RBAC objects without a server (deploy component tests).
export { authorize } from './authz.js';
export type { ContainerRuntimeOptions } from './container-runtime.js';
export type { FaultRule } from './faults.js';
export type { NodeExecutorOptions } from './node-executor.js';
export type { RbacDecision, RbacDenial, RbacModeOptions } from './rbac-mode.js';
export { dependentSteps, type RequestSpan } from './request-log.js';
export { type KubeObject, ObjectStore } from './store.js';

/** How to start a simulator. */
export interface KubeSimOptions {
  /** Directories (walked recursively) or files: every *.yaml/*.yml except expect.yaml, plus logs/ trees. */
  fixtures: string | string[];
  /** Port to listen on; 0 = random (default). */
  port?: number;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** ISO instant the fixtures were written against; every timestamp is shifted by (start time − rebaseTime). */
  rebaseTime?: string;
  /** Delay added to every request, in ms (benchmarks). */
  latencyMs?: number;
  /** Where to write the kubeconfig; a temporary file (removed on close) when absent. */
  kubeconfigOut?: string;
  /**
   * Identity named in 403 messages and seen by admission policies as request.userInfo.username (unless a
   * request sends Impersonate-User); default "system:serviceaccount:poddebug:worker".
   */
  user?: string;
  /**
   * A simulated kubelet for probe pods (label poddebug.io/probe=true, spec.nodeName of an existing
   * Node): runs their command locally and reports status and log (node-executor.ts). Off by default.
   */
  nodeExecutor?: NodeExecutorOptions;
  /**
   * Runs containers as local processes (container-runtime.ts): an ephemeral container's command+args
   * (killed after `timeoutMs`) and the containers of pods created through the API (debug copies).
   * Off by default: ephemeral containers then go Running and stay so; created pods stay Pending.
   */
  containerRuntime?: ContainerRuntimeOptions;
  /** Serve pods/ephemeralcontainers (default true); false answers 404 like a cluster without it. */
  ephemeralContainers?: boolean;
  /**
   * RBAC mode (rbac-mode.ts): authorize every request against the RBAC objects held (fixtures,
   * `objects`, `put()`), as `user` unless a bearer token of `tokens` names someone else; a denial is a
   * 403 Forbidden Status and is listed by rbacDenials(). Off by default (everything allowed).
   */
  rbac?: RbacModeOptions;
}

/** A running simulator. */
export interface KubeSim {
  /** http://HOST:PORT */
  url: string;
  /** Kubeconfig pointing at `url` (context "kube-sim", empty user). */
  kubeconfigPath: string;
  /** Requests served so far, in total and per route template ("GET /api/v1/namespaces/{ns}/pods/{name}"). */
  stats(): { total: number; byRoute: Record<string, number> };
  /** Every request served since start or resetStats(), in order, with its query parameters. */
  requests(): { method: string; route: string; path: string; query: Record<string, string>; at: number }[];
  /**
   * Every request ended since start or resetStats(), in arrival order: route, path, query, start and end
   * (performance.now() ms), status and response bytes on the wire (request-log.ts; dependentSteps() of them).
   */
  requestSpans(): RequestSpan[];
  /** Zeroes the request counters. */
  resetStats(): void;
  /** Changes the delay added to every request. */
  setLatency(ms: number): void;
  /**
   * Fails matching requests with a proper Status (403 names user/verb/resource/namespace like RBAC;
   * 404, 409, 422, 429 with Retry-After, 500 InternalError), or 'reset' destroys the socket.
   * `times` defaults to Infinity. Returns a function that removes the rule.
   */
  fail(rule: FaultRule): () => void;
  /** Adds or replaces an object (stored as given, not rebased; uid/resourceVersion/creationTimestamp filled when missing). */
  put(obj: object): void;
  /** Deletes an object (no-op when absent). */
  remove(apiVersion: string, kind: string, namespace: string | undefined, name: string): void;
  /** Sets a container's current (or previous) log. */
  setLog(
    namespace: string,
    pod: string,
    container: string,
    text: string,
    previous?: boolean,
    /** The runtime's time of each line (RFC 3339), for sinceSeconds/sinceTime/timestamps; default: the instance's start. */
    times?: readonly string[],
  ): void;
  /** Number of objects held (fixtures plus synthesised namespaces and run-time changes). */
  objectCount(): number;
  /** Turns the simulated kubelet on (or off, with undefined; running processes are killed). */
  setNodeExecutor(opts: NodeExecutorOptions | undefined): Promise<void>;
  /** Probe processes the simulated kubelet is running now. */
  nodeProcesses(): number;
  /** Turns the container runtime on (or off, with undefined; its running processes are killed). */
  setContainerRuntime(opts: ContainerRuntimeOptions | undefined): Promise<void>;
  /** Container processes (ephemeral containers, created pods) running now. */
  containerProcesses(): number;
  /** Serves pods/ephemeralcontainers (true) or answers 404 like a cluster without the feature (false). */
  setEphemeralContainers(enabled: boolean): void;
  /** In RBAC mode: the requests refused so far (empty otherwise). */
  rbacDenials(): RbacDenial[];
  /** In RBAC mode: every authorization decision so far, allowed or not, in order (empty otherwise). */
  rbacDecisions(): RbacDecision[];
  /** Stops listening, drops open connections, removes a temporary kubeconfig. */
  close(): Promise<void>;
}

/** Loads the fixtures and starts serving. Rejects on unreadable fixtures or a port in use. */
export async function startKubeSim(opts: KubeSimOptions): Promise<KubeSim> {
  const startMs = Date.now();
  const store = new ObjectStore();
  const loaded = await loadFixtures(Array.isArray(opts.fixtures) ? opts.fixtures : [opts.fixtures]);
  const offset = opts.rebaseTime ? rebaseOffset(opts.rebaseTime, startMs) : 0;
  const objects = offset !== 0 ? loaded.objects.map((o) => rebaseTimestamps(o, offset)) : loaded.objects;
  // Namespaces the fixtures use but do not define exist as a real cluster's would, dated by their oldest object.
  const oldest = new Map<string, string>();
  for (const o of objects) {
    const ns = o.metadata.namespace;
    const ts = o.metadata.creationTimestamp;
    if (ns && ts && (!oldest.has(ns) || Date.parse(ts) < Date.parse(oldest.get(ns)!))) oldest.set(ns, ts);
  }
  for (const o of objects) if (o.kind === 'Namespace' && o.apiVersion === 'v1') store.put(o, startMs);
  for (const ns of ['default', 'kube-system', ...oldest.keys()])
    store.ensureNamespace(ns, startMs, oldest.get(ns));
  for (const o of objects) if (!(o.kind === 'Namespace' && o.apiVersion === 'v1')) store.put(o, startMs);
  for (const l of loaded.logs) store.setLog(l.namespace, l.pod, l.container, l.text, l.previous);

  const ctx: SimContext = {
    store,
    faults: new FaultList(),
    user: opts.user ?? 'system:serviceaccount:poddebug:worker',
    latencyMs: opts.latencyMs ?? 0,
    stats: { total: 0, byRoute: {} },
    log: [],
    spans: new RequestLog(),
    serverAddress: '',
    ephemeralContainersOff: opts.ephemeralContainers === false,
    watch: new WatchHub(store),
    ...(opts.rbac ? { rbac: new RbacMode(store, opts.rbac) } : {}),
  };
  let executor: NodeExecutor | undefined;
  let runtime = new ContainerRuntime(store, opts.containerRuntime);
  ctx.podHooks = {
    created: (p) => {
      executor?.podCreated(p);
      if (!executor?.selects(p)) runtime.podCreated(p);
    },
    deleted: (p) => {
      executor?.podDeleted(p);
      runtime.podDeleted(p);
    },
    ephemeralAdded: (p, names) => runtime.ephemeralAdded(p, names),
  };
  const setExecutor = async (o: NodeExecutorOptions | undefined) => {
    await executor?.close();
    executor = o ? new NodeExecutor(store, o) : undefined;
  };
  await setExecutor(opts.nodeExecutor);
  const setRuntime = async (o: ContainerRuntimeOptions | undefined) => {
    await runtime.close();
    runtime = new ContainerRuntime(store, o);
  };
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    void handle(ctx, req, res);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  const url = `http://${hostInUrl}:${port}`;
  ctx.serverAddress = `${hostInUrl}:${port}`;

  let tempDir: string | undefined;
  let kubeconfigPath = opts.kubeconfigOut;
  if (!kubeconfigPath) {
    tempDir = await mkdtemp(join(tmpdir(), 'kube-sim-'));
    kubeconfigPath = join(tempDir, 'kubeconfig');
  }
  await writeKubeconfig(kubeconfigPath, url);

  let closed: Promise<void> | undefined;
  return {
    url,
    kubeconfigPath,
    stats: () => ({ total: ctx.stats.total, byRoute: { ...ctx.stats.byRoute } }),
    requests: () => [...ctx.log],
    requestSpans: () => ctx.spans.spans(),
    resetStats: () => {
      ctx.stats = { total: 0, byRoute: {} };
      ctx.log = [];
      ctx.spans.reset();
    },
    setLatency: (ms) => {
      ctx.latencyMs = ms;
    },
    fail: (rule) => ctx.faults.add(rule),
    put: (obj) => {
      if (!isKubeObject(obj)) throw new Error('kube-sim put(): needs apiVersion, kind and metadata.name');
      store.put(obj);
    },
    remove: (apiVersion, kind, namespace, name) => store.remove(apiVersion, kind, namespace, name),
    setLog: (namespace, pod, container, text, previous = false, times) =>
      store.setLog(namespace, pod, container, text, previous, times),
    objectCount: () => store.count(),
    setNodeExecutor: setExecutor,
    nodeProcesses: () => executor?.running() ?? 0,
    setContainerRuntime: setRuntime,
    containerProcesses: () => runtime.running(),
    setEphemeralContainers: (enabled) => {
      ctx.ephemeralContainersOff = !enabled;
    },
    rbacDenials: () => ctx.rbac?.denials() ?? [],
    rbacDecisions: () => [...(ctx.rbac?.decisions ?? [])],
    close: () => {
      closed ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          for (const s of sockets) s.destroy();
        });
        await executor?.close();
        await runtime.close();
        if (tempDir) await rm(tempDir, { recursive: true, force: true });
      })();
      return closed;
    },
  };
}
