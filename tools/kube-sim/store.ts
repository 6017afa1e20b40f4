/**
 * The simulator's in-memory cluster state: objects by resource, container
 * logs, the resource catalogue in force, and a resourceVersion counter.
 * No I/O.
 */
import { randomUUID } from 'node:crypto';
import {
  BUILTIN_RESOURCES,
  inferResource,
  joinApiVersion,
  METRICS_RESOURCES,
  type ResourceInfo,
} from './resources.js';

/** Any API object as stored: apiVersion, kind, metadata with at least a name. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

/** Narrows an unknown value to a KubeObject (apiVersion, kind and metadata.name strings). */
export function isKubeObject(v: unknown): v is KubeObject {
  if (v === null || typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  const md = o.metadata as Record<string, unknown> | undefined;
  return (
    typeof o.apiVersion === 'string' &&
    typeof o.kind === 'string' &&
    md !== null &&
    typeof md === 'object' &&
    typeof md.name === 'string' &&
    md.name !== ''
  );
}

const resKey = (r: { group: string; version: string; plural: string }) =>
  `${r.group}/${r.version}/${r.plural}`;
const objKey = (ns: string | undefined, name: string) => `${ns ?? ''}/${name}`;
const logKey = (ns: string, pod: string, container: string, previous: boolean) =>
  `${ns}/${pod}/${container}/${previous ? 'previous' : 'current'}`;

/** Current time in the API's timestamp format (seconds precision, UTC). */
export function nowTimestamp(ms = Date.now()): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** Told about each change: the event type of a watch, the resource, the object as stored (or deleted). */
export type StoreListener = (
  type: 'ADDED' | 'MODIFIED' | 'DELETED',
  r: ResourceInfo,
  obj: KubeObject,
) => void;

/** In-memory objects and logs, keyed the way the API addresses them. */
export class ObjectStore {
  private readonly resources = new Map<string, ResourceInfo>();
  private readonly kinds = new Map<string, ResourceInfo>();
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly logs = new Map<string, string>();
  private readonly logTimes = new Map<string, readonly string[]>();
  /** list()'s sorted view per resource, dropped when one of its objects changes. */
  private readonly sorted = new Map<string, KubeObject[]>();
  private readonly listeners = new Set<StoreListener>();
  private rv = 1000;

  /** Calls `fn` after every stored change (watch.ts); returns a function that stops it. */
  onChange(fn: StoreListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(type: 'ADDED' | 'MODIFIED' | 'DELETED', r: ResourceInfo, obj: KubeObject): void {
    for (const fn of this.listeners) fn(type, r, obj);
  }

  constructor() {
    for (const r of [...BUILTIN_RESOURCES, ...METRICS_RESOURCES]) this.register(r);
  }

  private register(r: ResourceInfo): void {
    this.resources.set(resKey(r), r);
    this.kinds.set(`${joinApiVersion(r.group, r.version)}/${r.kind}`, r);
  }

  /** Next resourceVersion (monotonic, as a string). */
  nextResourceVersion(): string {
    this.rv += 1;
    return String(this.rv);
  }

  /** The latest resourceVersion handed out. */
  currentResourceVersion(): string {
    return String(this.rv);
  }

  /** The resource for apiVersion+kind; unknown kinds are inferred and registered when `namespaced` is given. */
  resourceForKind(apiVersion: string, kind: string, namespaced?: boolean): ResourceInfo | undefined {
    const known = this.kinds.get(`${apiVersion}/${kind}`);
    if (known || namespaced === undefined) return known;
    const r = inferResource(apiVersion, kind, namespaced);
    this.register(r);
    return r;
  }

  /** True when the group has objects or is always present (core, apps, batch, inferred groups). */
  private groupServed(group: string): boolean {
    if (group !== 'metrics.k8s.io') return true;
    for (const r of METRICS_RESOURCES) if ((this.objects.get(resKey(r))?.size ?? 0) > 0) return true;
    return false;
  }

  /** The served resource at group/version/plural, if any. */
  lookup(group: string, version: string, plural: string): ResourceInfo | undefined {
    const r = this.resources.get(resKey({ group, version, plural }));
    return r && this.groupServed(group) ? r : undefined;
  }

  /** Served resources of one group/version (empty when the group is not served). */
  resourcesOf(group: string, version: string): ResourceInfo[] {
    if (!this.groupServed(group)) return [];
    return [...this.resources.values()].filter((r) => r.group === group && r.version === version);
  }

  /** Served non-core groups with their versions, in a stable order. */
  groups(): { name: string; versions: string[] }[] {
    const m = new Map<string, Set<string>>();
    for (const r of this.resources.values()) {
      if (r.group === '' || !this.groupServed(r.group)) continue;
      if (!m.has(r.group)) m.set(r.group, new Set());
      m.get(r.group)!.add(r.version);
    }
    return [...m.entries()].map(([name, v]) => ({ name, versions: [...v] }));
  }

  /**
   * Adds or replaces an object, filling uid, resourceVersion and
   * creationTimestamp when missing and creating its Namespace if absent.
   * Returns the stored object.
   */
  put(input: KubeObject, nowMs = Date.now()): KubeObject {
    const obj = structuredClone(input);
    const r = this.resourceForKind(obj.apiVersion, obj.kind, obj.metadata.namespace !== undefined)!;
    if (r.namespaced && !obj.metadata.namespace) obj.metadata.namespace = 'default';
    if (!r.namespaced) delete obj.metadata.namespace;
    const ns = obj.metadata.namespace;
    if (ns !== undefined) this.ensureNamespace(ns, nowMs);
    obj.metadata.uid ??= randomUUID();
    obj.metadata.creationTimestamp ??= nowTimestamp(nowMs);
    obj.metadata.resourceVersion = this.nextResourceVersion();
    const k = resKey(r);
    if (!this.objects.has(k)) this.objects.set(k, new Map());
    const existed = this.objects.get(k)!.has(objKey(ns, obj.metadata.name));
    this.objects.get(k)!.set(objKey(ns, obj.metadata.name), obj);
    this.sorted.delete(k);
    this.emit(existed ? 'MODIFIED' : 'ADDED', r, obj);
    return obj;
  }

  /** Creates a Namespace object when none of that name exists. */
  ensureNamespace(name: string, nowMs = Date.now(), createdAt?: string): void {
    if (this.get(this.resourceForKind('v1', 'Namespace')!, undefined, name)) return;
    this.put(
      {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name,
          creationTimestamp: createdAt ?? nowTimestamp(nowMs),
          labels: { 'kubernetes.io/metadata.name': name },
        },
        spec: { finalizers: ['kubernetes'] },
        status: { phase: 'Active' },
      },
      nowMs,
    );
  }

  /** One object, or undefined. */
  get(r: ResourceInfo, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.objects.get(resKey(r))?.get(objKey(r.namespaced ? namespace : undefined, name));
  }

  /** Objects of a resource, in one namespace or all, sorted by namespace then name (etcd key order). */
  list(r: ResourceInfo, namespace?: string): KubeObject[] {
    const k = resKey(r);
    let all = this.sorted.get(k);
    if (!all) {
      // Sorted once per change, not per request: generated fixtures hold tens of thousands of events.
      all = [...(this.objects.get(k)?.entries() ?? [])]
        .sort((a, b) => (a[0] < b[0] ? -1 : 1))
        .map((e) => e[1]);
      this.sorted.set(k, all);
    }
    return namespace === undefined ? [...all] : all.filter((o) => o.metadata.namespace === namespace);
  }

  /** Deletes one object; returns it, or undefined when absent. */
  delete(r: ResourceInfo, namespace: string | undefined, name: string): KubeObject | undefined {
    const m = this.objects.get(resKey(r));
    const k = objKey(r.namespaced ? namespace : undefined, name);
    const o = m?.get(k);
    if (!o) return undefined;
    m!.delete(k);
    this.sorted.delete(resKey(r));
    // The deletion has its own resourceVersion, as the DELETED event of a watch shows.
    const gone = { ...o, metadata: { ...o.metadata, resourceVersion: this.nextResourceVersion() } };
    this.emit('DELETED', r, gone);
    return gone;
  }

  /** Deletes by apiVersion/kind (no-op when unknown or absent). */
  remove(apiVersion: string, kind: string, namespace: string | undefined, name: string): void {
    const r = this.resourceForKind(apiVersion, kind);
    if (r) this.delete(r, namespace, name);
  }

  /** Total number of stored objects. */
  count(): number {
    let n = 0;
    for (const m of this.objects.values()) n += m.size;
    return n;
  }

  /**
   * Sets a container's log text (current or previous instance), with the runtime's time of each line when
   * given (RFC 3339, in order); lines without one are dated at the instance's start.
   */
  setLog(
    namespace: string,
    pod: string,
    container: string,
    text: string,
    previous = false,
    times?: readonly string[],
  ): void {
    const key = logKey(namespace, pod, container, previous);
    this.logs.set(key, text);
    if (times) this.logTimes.set(key, times);
    else this.logTimes.delete(key);
  }

  /** The runtime's line times of a log set with them. */
  getLogTimes(
    namespace: string,
    pod: string,
    container: string,
    previous: boolean,
  ): readonly string[] | undefined {
    return this.logTimes.get(logKey(namespace, pod, container, previous));
  }

  /** A container's log text, or undefined when none was given. */
  getLog(namespace: string, pod: string, container: string, previous: boolean): string | undefined {
    return this.logs.get(logKey(namespace, pod, container, previous));
  }
}
