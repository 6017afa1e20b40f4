/**
 * The HTTP request handler: counts, delays, applies fault rules, then serves
 * discovery, objects, lists, pods/log, create/update/patch/delete from the store.
 *
 * Longer than 400 lines on purpose: the request handler of one API server; its routes share counting,
 * faults and the store.
 */
import { randomInt } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { admissionPolicyDenial, type PolicyWorld, VAP_API_VERSION } from './admission-policy.js';
import { accessReviewReply } from './authz.js';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, versionInfo } from './discovery.js';
import { ephemeralContainersReply } from './ephemeral-containers.js';
import { ephemeralOnCreate } from './ephemeral-validation.js';
import { eventToCore, eventToV1, isEventsResource } from './event-convert.js';
import type { FaultList, FaultRule } from './faults.js';
import { decideLog } from './log-access.js';
import { sliceLog } from './log-text.js';
import { pageOf } from './paging.js';
import { bodyAsJson } from './pod-protobuf.js';
import { podSecurityDenial } from './pod-security.js';
import type { RbacMode } from './rbac-mode.js';
import type { RequestLog } from './request-log.js';
import { joinApiVersion, type ResourceInfo } from './resources.js';
import { type ApiPath, parseApiPath, routeTemplate } from './router.js';
import {
  checkFieldsSupported,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  SelectorError,
} from './selectors.js';
import {
  alreadyExists,
  badRequest,
  conflict,
  failure,
  forbidden,
  internalError,
  invalid,
  methodNotAllowed,
  notFound,
  reasonFor,
  type StatusBody,
  type Target,
  tooManyRequests,
  unknownPath,
} from './status.js';
import { isKubeObject, type KubeObject, nowTimestamp, type ObjectStore } from './store.js';
import { type IncludeObject, podTable, wantsTable } from './table.js';
import type { WatchHub } from './watch.js';

/** Mutable state the handler shares with the KubeSim facade. */
export interface SimContext {
  store: ObjectStore;
  faults: FaultList;
  user: string;
  latencyMs: number;
  stats: { total: number; byRoute: Record<string, number> };
  /** Every request served, in order: method, route template, path and query (tests check selectors). */
  log: { method: string; route: string; path: string; query: Record<string, string>; at: number }[];
  /** Start, end, status and bytes of every request (request-log.ts). */
  spans: RequestLog;
  /** host:port, for /api's serverAddressByClientCIDRs. */
  serverAddress: string;
  /** Told about pods created and deleted through the API (the simulated kubelet, node-executor.ts). */
  podHooks?: {
    created(pod: KubeObject): void;
    deleted(pod: KubeObject): void;
    /** Ephemeral containers added through pods/ephemeralcontainers (container-runtime.ts). */
    ephemeralAdded?(pod: KubeObject, names: string[]): void;
  };
  /** Serves watch requests from the store's changes (watch.ts). */
  watch?: WatchHub;
  /** Plays a cluster without ephemeral containers: pods/ephemeralcontainers answers 404 (ephemeral-containers.ts). */
  ephemeralContainersOff?: boolean;
  /** RBAC mode (rbac-mode.ts): every request authorized against the stored RBAC objects. */
  rbac?: RbacMode;
}

type Reply = { code: number; body: unknown; headers?: Record<string, string> };
type ResourcePath = Extract<ApiPath, { type: 'resource' }>;

const json = (code: number, body: unknown, headers?: Record<string, string>): Reply => ({
  code,
  body,
  ...(headers ? { headers } : {}),
});
const status = (s: StatusBody, headers?: Record<string, string>): Reply => json(s.code, s, headers);

function send(res: ServerResponse, reply: Reply): void {
  const isText = Buffer.isBuffer(reply.body);
  const payload = isText ? (reply.body as Buffer) : Buffer.from(JSON.stringify(reply.body));
  res.writeHead(reply.code, {
    'Content-Type': isText ? 'text/plain' : 'application/json',
    'Content-Length': String(payload.length),
    'Cache-Control': 'no-cache, private',
    ...reply.headers,
  });
  res.end(payload);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  // kubectl posts Pods as protobuf (pod-protobuf.ts turns them into JSON).
  return bodyAsJson(req.headers['content-type'], Buffer.concat(chunks));
}

/** The RBAC verb a request needs. */
function verbOf(method: string, p: ApiPath, query: URLSearchParams): string {
  const named = p.type === 'resource' && p.name !== undefined;
  switch (method) {
    case 'GET':
      return named ? 'get' : query.get('watch') === 'true' ? 'watch' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

function targetOf(p: ApiPath): Target {
  if (p.type !== 'resource') return { group: '', resource: '' };
  return {
    group: p.group,
    resource: p.subresource ? `${p.plural}/${p.subresource}` : p.plural,
    ...(p.name !== undefined ? { name: p.name } : {}),
    ...(p.namespace !== undefined ? { namespace: p.namespace } : {}),
  };
}

/** The reply an injected fault produces (undefined for 'reset'). */
function faultReply(
  ctx: SimContext,
  rule: FaultRule,
  method: string,
  p: ApiPath,
  query: URLSearchParams,
): Reply {
  const t = targetOf(p);
  const code = rule.status as number;
  let s: StatusBody;
  let headers: Record<string, string> | undefined;
  switch (code) {
    case 403:
      s = forbidden(t, ctx.user, verbOf(method, p, query));
      break;
    case 404:
      s = t.name ? notFound(t) : unknownPath();
      break;
    case 409:
      s =
        method === 'POST'
          ? alreadyExists(t)
          : conflict(
              t,
              'the object has been modified; please apply your changes to the latest version and try again',
            );
      break;
    case 422: {
      const kind =
        p.type === 'resource' ? (ctx.store.lookup(p.group, p.version, p.plural)?.kind ?? p.plural) : '';
      s = invalid(kind, t.name ?? '', [
        { field: 'metadata.name', reason: 'FieldValueInvalid', message: rule.message ?? 'Invalid value' },
      ]);
      break;
    }
    case 429:
      s = tooManyRequests(1);
      headers = { 'Retry-After': '1' };
      break;
    case 500:
      s = internalError(rule.message ?? 'injected failure');
      break;
    default:
      s = failure(code, rule.message ?? reasonFor(code));
  }
  if (rule.message) s = { ...s, message: rule.message };
  return status(s, headers);
}

/** Serves one request. Never throws: unexpected errors become a 500 Status. */
export async function handle(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  const url = new URL(req.url ?? '/', 'http://kube-sim');
  let p: ApiPath;
  try {
    p = parseApiPath(url.pathname);
  } catch {
    p = { type: 'unknown' };
  }
  const route = routeTemplate(method, p, url.pathname);
  ctx.stats.total += 1;
  ctx.stats.byRoute[route] = (ctx.stats.byRoute[route] ?? 0) + 1;
  ctx.log.push({
    method,
    route,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    at: Date.now(),
  });
  const ended = ctx.spans.begin(method, route, url.pathname, Object.fromEntries(url.searchParams));
  const sentBefore = req.socket.bytesWritten;
  res.once('close', () => ended(res.statusCode, req.socket.bytesWritten - sentBefore));
  if (ctx.latencyMs > 0) await new Promise((r) => setTimeout(r, ctx.latencyMs));

  const rule = ctx.faults.take(method, url.pathname, `${url.pathname}${url.search}`);
  if (rule?.status === 'reset') {
    req.socket.destroy();
    return;
  }
  if (rule) {
    send(res, faultReply(ctx, rule, method, p, url.searchParams));
    return;
  }
  const refused = ctx.rbac?.check(ctx.user, method, p, url, req.headers);
  if (refused) return send(res, status(refused));
  // SubjectAccessReview / SelfSubjectAccessReview (JSON or protobuf) against stored RBAC objects: authz.ts.
  const review = await accessReviewReply(ctx, method, p, req);
  if (review) return send(res, review);
  const watching = url.searchParams.get('watch');
  if (
    method === 'GET' &&
    (watching === 'true' || watching === '1') &&
    p.type === 'resource' &&
    !p.name &&
    ctx.watch
  ) {
    const r = ctx.store.lookup(p.group, p.version, p.plural);
    if (!r || (!r.namespaced && p.namespace !== undefined)) return send(res, status(unknownPath()));
    const refused = ctx.watch.serve(ctx.store, r, p.namespace, url.searchParams, req, res);
    if (refused) send(res, status(refused));
    return;
  }
  try {
    const body = method === 'POST' || method === 'PUT' || method === 'PATCH' ? await readBody(req) : '';
    send(res, route_(ctx, method, p, url.searchParams, req.headers, body));
  } catch (err) {
    send(res, status(internalError(err instanceof Error ? err.message : String(err))));
  }
}

function route_(
  ctx: SimContext,
  method: string,
  p: ApiPath,
  query: URLSearchParams,
  headers: IncomingMessage['headers'],
  body: string,
): Reply {
  const { store } = ctx;
  if (p.type !== 'resource' && method !== 'GET') return status(methodNotAllowed());
  switch (p.type) {
    case 'version':
      return json(200, versionInfo());
    case 'health':
      return { code: 200, body: Buffer.from('ok') };
    case 'api':
      return json(200, apiVersions(ctx.serverAddress));
    case 'apis':
      return json(200, apiGroupList(store.groups()));
    case 'group': {
      const g = store.groups().find((x) => x.name === p.group);
      return g ? json(200, apiGroup(g)) : status(unknownPath());
    }
    case 'resources': {
      const rs = store.resourcesOf(p.group, p.version);
      const hidden = ctx.ephemeralContainersOff ? ['pods/ephemeralcontainers'] : [];
      return rs.length > 0
        ? json(200, apiResourceList(p.group, p.version, rs, hidden))
        : status(unknownPath());
    }
    case 'resource':
      return resource(ctx, method, p, query, headers, body);
    default:
      return status(unknownPath());
  }
}

function resource(
  ctx: SimContext,
  method: string,
  p: ResourcePath,
  query: URLSearchParams,
  headers: IncomingMessage['headers'],
  body: string,
): Reply {
  const r = ctx.store.lookup(p.group, p.version, p.plural);
  if (!r) return status(unknownPath());
  // A namespace in the URL of a cluster-scoped resource, or a named namespaced object without one: no such path.
  if (!r.namespaced && p.namespace !== undefined) return status(unknownPath());
  if (r.namespaced && p.namespace === undefined && p.name !== undefined) return status(unknownPath());
  const t = targetOf(p);
  if (p.subresource !== undefined) {
    if (r.group === '' && r.plural === 'pods' && p.subresource === 'log') {
      return method === 'GET' ? podLog(ctx, r, p, query) : status(methodNotAllowed());
    }
    if (r.group === '' && r.plural === 'pods' && p.subresource === 'ephemeralcontainers' && p.namespace) {
      const type = (headers['content-type'] ?? '').split(';')[0]!.trim();
      return ephemeralContainersReply(ctx, method, p.namespace, p.name!, type, body, query);
    }
    if (p.subresource === 'status' && method === 'GET') return getOne(ctx, r, p, headers, t);
    return status(unknownPath());
  }
  if (p.name === undefined) {
    if (method === 'GET') return list(ctx, r, p, query, headers);
    if (method === 'POST' && r.verbs.includes('create')) return create(ctx, r, p, query, body, headers);
    return status(methodNotAllowed());
  }
  switch (method) {
    case 'GET':
      return getOne(ctx, r, p, headers, t);
    case 'DELETE': {
      if (!r.verbs.includes('delete')) return status(methodNotAllowed());
      const gone = ctx.store.delete(r, p.namespace, p.name);
      if (gone && r.group === '' && r.plural === 'pods') ctx.podHooks?.deleted(gone);
      return gone ? json(200, gone) : status(notFound(t));
    }
    case 'PUT':
      return r.verbs.includes('update') ? update(ctx, r, p, body, t) : status(methodNotAllowed());
    case 'PATCH':
      return r.verbs.includes('patch') ? patch(ctx, r, p, body, headers, t) : status(methodNotAllowed());
    default:
      return status(methodNotAllowed());
  }
}

function getOne(
  ctx: SimContext,
  r: ResourceInfo,
  p: ResourcePath,
  headers: IncomingMessage['headers'],
  t: Target,
): Reply {
  const o = ctx.store.get(r, p.namespace, p.name!);
  if (!o) return status(notFound({ ...t, resource: r.plural }));
  if (r.group === '' && r.plural === 'pods' && wantsTable(headers.accept)) {
    return json(200, podTable([o], Date.now(), 'Metadata', { resourceVersion: o.metadata.resourceVersion }));
  }
  return json(200, o);
}

function stripTypeMeta(o: KubeObject): Record<string, unknown> {
  const { apiVersion: _a, kind: _k, ...rest } = o;
  return rest;
}

function list(
  ctx: SimContext,
  r: ResourceInfo,
  p: ResourcePath,
  query: URLSearchParams,
  headers: IncomingMessage['headers'],
): Reply {
  if (query.get('watch') === 'true' || query.get('watch') === '1') {
    return status(failure(405, 'kube-sim does not serve watch requests', 'MethodNotAllowed'));
  }
  let items = ctx.store.list(r, p.namespace);
  if (isEventsResource(r)) {
    // The same events through the other group, converted (a real server stores each event once).
    const other = ctx.store.lookup(r.group === '' ? 'events.k8s.io' : '', 'v1', 'events');
    if (other)
      items = [...items, ...ctx.store.list(other, p.namespace).map(r.group === '' ? eventToCore : eventToV1)];
  }
  try {
    const fields = parseFieldSelector(query.get('fieldSelector') ?? '');
    checkFieldsSupported(r.plural, r.group, fields);
    const labels = parseLabelSelector(query.get('labelSelector') ?? '');
    items = items.filter((o) => matchesFields(o, fields) && matchesLabels(o.metadata.labels, labels));
  } catch (err) {
    if (err instanceof SelectorError) return status(badRequest(err.message));
    throw err;
  }
  // limit, continue, resourceVersion(Match) as the API server treats them (paging.ts).
  const page = pageOf(items, query, ctx.store.currentResourceVersion(), {
    allNamespaces: p.namespace === undefined,
    selected: Boolean(query.get('fieldSelector') || query.get('labelSelector')),
  });
  if ('error' in page) return status(page.error);
  items = page.items;
  const meta = page.meta;
  if (r.group === '' && r.plural === 'pods' && wantsTable(headers.accept)) {
    const inc = query.get('includeObject');
    const include: IncludeObject = inc === 'None' || inc === 'Object' ? inc : 'Metadata';
    return json(200, podTable(items, Date.now(), include, meta));
  }
  return json(200, {
    kind: r.listKind,
    apiVersion: joinApiVersion(r.group, r.version),
    metadata: meta,
    items: items.map(stripTypeMeta),
  });
}

function intParam(query: URLSearchParams, name: string): number | undefined | 'bad' {
  const v = query.get(name);
  if (v === null || v === '') return undefined;
  return /^-?\d+$/.test(v) ? Number(v) : 'bad';
}

function podLog(ctx: SimContext, r: ResourceInfo, p: ResourcePath, query: URLSearchParams): Reply {
  const name = p.name!;
  const pod = ctx.store.get(r, p.namespace, name);
  if (!pod)
    return status(
      notFound({ group: '', resource: 'pods', name, ...(p.namespace ? { namespace: p.namespace } : {}) }),
    );
  const tail = intParam(query, 'tailLines');
  const limitBytes = intParam(query, 'limitBytes');
  const sinceSeconds = intParam(query, 'sinceSeconds');
  if (tail === 'bad' || limitBytes === 'bad' || sinceSeconds === 'bad')
    return status(badRequest('tailLines, limitBytes and sinceSeconds must be integers'));
  const sinceTimeText = query.get('sinceTime');
  const sinceTime = sinceTimeText ? Date.parse(sinceTimeText) : undefined;
  if (
    sinceTimeText &&
    (Number.isNaN(sinceTime) ||
      !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(sinceTimeText))
  )
    return status(badRequest(`parsing time "${sinceTimeText}" as "2006-01-02T15:04:05Z07:00": cannot parse`));
  const causes: { field: string; reason: string; message: string }[] = [];
  if (tail !== undefined && tail < 0)
    causes.push({
      field: 'tailLines',
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${tail}: must be greater than or equal to 0`,
    });
  if (limitBytes !== undefined && limitBytes < 1)
    causes.push({
      field: 'limitBytes',
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${limitBytes}: must be greater than 0`,
    });
  if (sinceSeconds !== undefined && sinceSeconds < 1)
    causes.push({
      field: 'sinceSeconds',
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${sinceSeconds}: must be greater than 0`,
    });
  if (sinceSeconds !== undefined && sinceTime !== undefined)
    causes.push({
      field: '',
      reason: 'FieldValueForbidden',
      message: 'Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified',
    });
  if (causes.length > 0) return status(invalid('PodLogOptions', name, causes));

  const explicitPrevious = query.get('previous') === 'true' || query.get('previous') === '1';
  const container = query.get('container') ?? undefined;
  const d = decideLog(pod, container === '' ? undefined : container, explicitPrevious);
  if (d.kind === 'error') return status(badRequest(d.message));
  if (d.kind === 'empty') return { code: 200, body: Buffer.alloc(0) };
  const ns = pod.metadata.namespace ?? '';
  const prev = ctx.store.getLog(ns, name, d.container, true);
  const cur = ctx.store.getLog(ns, name, d.container, false);
  // A current-log request that lands on the last terminated instance (CrashLoopBackOff) reads that
  // instance's log; fixtures may have written it as either file.
  const readsPrev = explicitPrevious || (d.instance === 'previous' && prev !== undefined);
  const text = readsPrev ? prev : cur;
  const times = ctx.store.getLogTimes(ns, name, d.container, readsPrev);
  const timestamps = query.get('timestamps') === 'true' || query.get('timestamps') === '1';
  const sinceMs = sinceSeconds !== undefined ? Date.now() - sinceSeconds * 1000 : sinceTime;
  return {
    code: 200,
    body: sliceLog(text ?? '', {
      ...(tail !== undefined ? { tailLines: tail } : {}),
      ...(limitBytes !== undefined ? { limitBytes } : {}),
      ...(sinceMs !== undefined ? { sinceMs } : {}),
      ...(timestamps ? { timestamps } : {}),
      ...(times ? { times } : {}),
      defaultTime: instanceStart(pod, d.container, readsPrev || d.instance === 'previous'),
    }),
  };
}

/** When the container instance a log belongs to started (the time of log lines that carry none). */
function instanceStart(pod: KubeObject, container: string, previous: boolean): string {
  const st = (pod.status ?? {}) as Record<string, unknown>;
  const all = ['containerStatuses', 'initContainerStatuses', 'ephemeralContainerStatuses'].flatMap(
    (k) =>
      (st[k] as
        | {
            name?: string;
            state?: Record<string, { startedAt?: string }>;
            lastState?: Record<string, { startedAt?: string }>;
          }[]
        | undefined) ?? [],
  );
  const cs = all.find((c) => c.name === container);
  const state = previous ? cs?.lastState : cs?.state;
  const started = state?.running?.startedAt ?? state?.terminated?.startedAt;
  return started ?? (pod.metadata.creationTimestamp as string | undefined) ?? new Date().toISOString();
}

const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

type Parsed = { ok: true; value: Record<string, unknown> } | { ok: false; error: StatusBody };

function parseObjectBody(body: string): Parsed {
  try {
    const v: unknown = JSON.parse(body);
    if (v !== null && typeof v === 'object' && !Array.isArray(v))
      return { ok: true, value: v as Record<string, unknown> };
  } catch {
    // fall through
  }
  return { ok: false, error: badRequest('the object provided is unrecognized: expected a JSON object') };
}

function typeCheck(r: ResourceInfo, o: Record<string, unknown>): StatusBody | undefined {
  const av = joinApiVersion(r.group, r.version);
  if (o.kind !== undefined && o.kind !== r.kind)
    return badRequest(
      `${String(o.kind)} in version "${r.version}" cannot be handled as a ${r.kind}: the kind does not match`,
    );
  if (o.apiVersion !== undefined && o.apiVersion !== av)
    return badRequest(
      `the API version in the data (${String(o.apiVersion)}) does not match the expected API version (${av})`,
    );
  return undefined;
}

function applyPodDefaults(o: KubeObject): void {
  const spec = (o.spec ?? {}) as Record<string, unknown>;
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  o.spec = spec;
  o.status ??= { phase: 'Pending', qosClass: 'BestEffort' };
}

function create(
  ctx: SimContext,
  r: ResourceInfo,
  p: ResourcePath,
  query: URLSearchParams,
  body: string,
  headers: IncomingMessage['headers'],
): Reply {
  const parsed = parseObjectBody(body);
  if (!parsed.ok) return status(parsed.error);
  const o = parsed.value;
  const bad = typeCheck(r, o);
  if (bad) return status(bad);
  const md = (o.metadata ?? {}) as Record<string, unknown>;
  if (r.namespaced && md.namespace !== undefined && md.namespace !== p.namespace)
    return status(
      badRequest('the namespace of the provided object does not match the namespace sent on the request'),
    );
  let name = typeof md.name === 'string' ? md.name : '';
  if (name === '' && typeof md.generateName === 'string' && md.generateName !== '') {
    name = md.generateName;
    for (let i = 0; i < 5; i++) name += GENERATE_ALPHABET[randomInt(GENERATE_ALPHABET.length)];
  }
  const causes: { field: string; reason: string; message: string }[] = [];
  if (name === '')
    causes.push({
      field: 'metadata.name',
      reason: 'FieldValueRequired',
      message: 'Required value: name or generateName is required',
    });
  if (r.group === '' && r.plural === 'pods') {
    const containers = (o.spec as { containers?: unknown } | undefined)?.containers;
    if (!Array.isArray(containers) || containers.length === 0)
      causes.push({ field: 'spec.containers', reason: 'FieldValueRequired', message: 'Required value' });
    const onCreate = ephemeralOnCreate(o.spec);
    if (onCreate) causes.push(onCreate);
  }
  if (causes.length > 0) return status(invalid(r.kind, name, causes));
  const t: Target = {
    group: r.group,
    resource: r.plural,
    name,
    ...(p.namespace ? { namespace: p.namespace } : {}),
  };
  if (r.namespaced && !ctx.store.get(ctx.store.lookup('', 'v1', 'namespaces')!, undefined, p.namespace!))
    return status(notFound({ group: '', resource: 'namespaces', name: p.namespace! }));
  if (ctx.store.get(r, p.namespace, name)) return status(alreadyExists(t));
  const { uid: _u, resourceVersion: _rv, creationTimestamp: _c, ...keep } = md;
  const obj: KubeObject = {
    ...o,
    apiVersion: joinApiVersion(r.group, r.version),
    kind: r.kind,
    metadata: {
      ...keep,
      name,
      ...(r.namespaced ? { namespace: p.namespace! } : {}),
      creationTimestamp: nowTimestamp(),
    },
  };
  if (r.group === '' && r.plural === 'pods') {
    // Pod Security Admission (enforce) of the namespace's level, as the real admission plugin answers.
    const nsObj = ctx.store.get(ctx.store.lookup('', 'v1', 'namespaces')!, undefined, p.namespace!);
    const denied = podSecurityDenial(obj, nsObj?.metadata.labels);
    if (denied) return status(denied);
    applyPodDefaults(obj);
  }
  // ValidatingAdmissionPolicies (after Pod Security, as in the API server's plugin order).
  const vap = admissionPolicyDenial(
    {
      operation: 'CREATE',
      group: r.group,
      version: r.version,
      resource: r.plural,
      ...(r.namespaced ? { namespace: p.namespace! } : {}),
      name,
      object: obj,
      userInfo: requestUser(ctx, headers),
    },
    policyWorld(ctx.store, r.namespaced ? p.namespace : undefined),
  );
  if (vap) return status(vap);
  if (query.get('dryRun') === 'All') return json(201, { ...obj, metadata: { ...obj.metadata, uid: '' } });
  const stored = ctx.store.put(obj);
  if (r.group === '' && r.plural === 'pods') ctx.podHooks?.created(stored);
  return json(201, stored);
}

/** The user admission sees: Impersonate-User (and -Group) when sent, else the simulator's own. */
function requestUser(
  ctx: SimContext,
  headers: IncomingMessage['headers'],
): { username: string; groups: string[] } {
  const as = headers['impersonate-user'];
  const user = typeof as === 'string' && as !== '' ? as : ctx.user;
  const g = headers['impersonate-group'];
  const groups = (Array.isArray(g) ? g : typeof g === 'string' ? g.split(',') : []).map((x) => x.trim());
  return { username: user, groups: groups.filter((x) => x !== '') };
}

/** The stored policies, bindings, the namespace and the parameter lookup, for admission-policy.ts. */
function policyWorld(store: ObjectStore, namespace: string | undefined): PolicyWorld {
  const all = (kind: string) => {
    const r = store.resourceForKind(VAP_API_VERSION, kind);
    return r ? store.list(r) : [];
  };
  const nsRes = store.lookup('', 'v1', 'namespaces')!;
  return {
    policies: all('ValidatingAdmissionPolicy'),
    bindings: all('ValidatingAdmissionPolicyBinding'),
    ...(namespace !== undefined ? { namespace: store.get(nsRes, undefined, namespace) } : {}),
    param: (apiVersion, kind, ns, name) => {
      const r = store.resourceForKind(apiVersion, kind);
      return r ? store.get(r, ns, name) : undefined;
    },
  };
}

function update(ctx: SimContext, r: ResourceInfo, p: ResourcePath, body: string, t: Target): Reply {
  const existing = ctx.store.get(r, p.namespace, p.name!);
  if (!existing) return status(notFound(t));
  const parsed = parseObjectBody(body);
  if (!parsed.ok) return status(parsed.error);
  const o = parsed.value;
  const bad = typeCheck(r, o);
  if (bad) return status(bad);
  const md = (o.metadata ?? {}) as Record<string, unknown>;
  if (md.name !== undefined && md.name !== p.name)
    return status(
      badRequest(
        `the name of the object (${String(md.name)}) does not match the name on the URL (${p.name})`,
      ),
    );
  if (md.resourceVersion !== undefined && md.resourceVersion !== existing.metadata.resourceVersion)
    return status(
      conflict(
        t,
        'the object has been modified; please apply your changes to the latest version and try again',
      ),
    );
  return json(200, store(ctx, r, existing, { ...o, metadata: { ...md } }));
}

function store(
  ctx: SimContext,
  r: ResourceInfo,
  existing: KubeObject,
  next: Record<string, unknown>,
): KubeObject {
  const md = next.metadata as Record<string, unknown>;
  const obj = {
    ...next,
    apiVersion: existing.apiVersion,
    kind: existing.kind,
    metadata: {
      ...md,
      name: existing.metadata.name,
      ...(r.namespaced ? { namespace: existing.metadata.namespace } : {}),
      uid: existing.metadata.uid,
      creationTimestamp: existing.metadata.creationTimestamp,
    },
  };
  if (!isKubeObject(obj)) throw new Error('update produced an invalid object');
  return ctx.store.put(obj);
}

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patchDoc: unknown): unknown {
  if (patchDoc === null || typeof patchDoc !== 'object' || Array.isArray(patchDoc)) return patchDoc;
  const out: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(patchDoc)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function patch(
  ctx: SimContext,
  r: ResourceInfo,
  p: ResourcePath,
  body: string,
  headers: IncomingMessage['headers'],
  t: Target,
): Reply {
  const type = (headers['content-type'] ?? '').split(';')[0]!.trim();
  if (type !== 'application/merge-patch+json' && type !== 'application/strategic-merge-patch+json')
    return status(
      failure(
        415,
        `the body of the request was in an unknown format - accepted media types include: application/merge-patch+json, application/strategic-merge-patch+json`,
        'UnsupportedMediaType',
      ),
    );
  const existing = ctx.store.get(r, p.namespace, p.name!);
  if (!existing) return status(notFound(t));
  const parsed = parseObjectBody(body);
  if (!parsed.ok) return status(parsed.error);
  const merged = mergePatch(existing, parsed.value) as Record<string, unknown>;
  return json(200, store(ctx, r, existing, { ...merged, metadata: { ...(merged.metadata as object) } }));
}
