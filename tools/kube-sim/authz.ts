/**
 * SubjectAccessReview and SelfSubjectAccessReview against the RBAC objects the
 * simulator holds (rbac.authorization.k8s.io/v1 Role, RoleBinding, ClusterRole,
 * ClusterRoleBinding, put by fixtures or `sim.put()`), evaluated the way the
 * API server's RBAC authorizer does (plugin/pkg/auth/authorizer/rbac):
 *
 * - ClusterRoleBindings first, then RoleBindings of the request's namespace;
 *   a RoleBinding may refer to a Role of its namespace or to a ClusterRole;
 * - subjects User (by name), Group (any of the groups), ServiceAccount
 *   (`system:serviceaccount:<ns>:<name>`; the binding's namespace when the subject names none);
 * - rules: verbs, apiGroups, resources (`*`, `pods/log`, `*​/log`), resourceNames
 *   (empty: any; else the request's name must be listed), nonResourceURLs
 *   (exact or `prefix*`) for non-resource requests;
 * - allowed: `RBAC: allowed by RoleBinding "b/ns" of Role "r" to User "alice"`; no match: not allowed,
 *   no reason. Aggregated ClusterRoles (aggregationRule) are not expanded.
 *
 * Give Roles and RoleBindings a metadata.namespace when putting them: the store
 * infers whether a kind it does not know is namespaced from the first object put.
 *
 * SelfSubjectAccessReview takes the user from Impersonate-User / Impersonate-Group
 * (what `kubectl --as/--as-group` sends), else the simulator's own identity.
 * Pure apart from reading the store.
 */
import type { IncomingMessage } from 'node:http';
import type { ApiPath } from './router.js';
import { badRequest, internalError, invalid, methodNotAllowed, type StatusBody } from './status.js';
import type { KubeObject, ObjectStore } from './store.js';

const RBAC = 'rbac.authorization.k8s.io/v1';
const AUTHZ = 'authorization.k8s.io';

export interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

interface Subject {
  kind?: string;
  name?: string;
  namespace?: string;
}

interface RoleRef {
  kind?: string;
  name?: string;
}

/** What is asked: the SubjectAccessReview spec's attributes, flattened. */
export interface AccessRequest {
  user: string;
  groups: string[];
  verb: string;
  /** Resource request: group ('' for core), resource, optional subresource/namespace/name. */
  resource?: { group: string; resource: string; subresource?: string; namespace?: string; name?: string };
  /** Non-resource request: the URL path ("/healthz"). */
  path?: string;
}

export type AccessDecision = { allowed: true; reason: string } | { allowed: false };

/** Whether one rule allows a resource request (RBAC's RuleAllows). */
export function ruleAllows(rule: PolicyRule, req: AccessRequest): boolean {
  const has = (list: string[] | undefined, v: string) => (list ?? []).some((x) => x === '*' || x === v);
  if (!has(rule.verbs, req.verb)) return false;
  if (req.resource) {
    const r = req.resource;
    if (!has(rule.apiGroups, r.group)) return false;
    const combined = r.subresource ? `${r.resource}/${r.subresource}` : r.resource;
    const resourceOk = (rule.resources ?? []).some(
      (x) => x === '*' || x === combined || (r.subresource !== undefined && x === `*/${r.subresource}`),
    );
    if (!resourceOk) return false;
    const names = rule.resourceNames ?? [];
    return names.length === 0 || (r.name !== undefined && r.name !== '' && names.includes(r.name));
  }
  const path = req.path ?? '';
  return (rule.nonResourceURLs ?? []).some(
    (u) => u === '*' || u === path || (u.endsWith('*') && path.startsWith(u.slice(0, -1))),
  );
}

function appliesTo(s: Subject, req: AccessRequest, bindingNamespace: string): boolean {
  switch (s.kind) {
    case 'User':
      return s.name === req.user;
    case 'Group':
      return s.name !== undefined && req.groups.includes(s.name);
    case 'ServiceAccount': {
      const ns = s.namespace || bindingNamespace;
      return ns !== '' && req.user === `system:serviceaccount:${ns}:${s.name}`;
    }
    default:
      return false;
  }
}

function describeSubject(s: Subject, bindingNamespace: string): string {
  if (s.kind === 'ServiceAccount') return `ServiceAccount "${s.name}/${s.namespace || bindingNamespace}"`;
  return `${s.kind} "${s.name}"`;
}

function listKind(store: ObjectStore, kind: string, namespace?: string): KubeObject[] {
  const r = store.resourceForKind(RBAC, kind);
  return r ? store.list(r, namespace) : [];
}

function rulesOf(store: ObjectStore, ref: RoleRef, bindingNamespace: string | undefined): PolicyRule[] {
  if (ref.kind !== 'ClusterRole' && ref.kind !== 'Role') return [];
  if (ref.kind === 'Role' && bindingNamespace === undefined) return [];
  const r = store.resourceForKind(RBAC, ref.kind);
  const role =
    r && ref.name ? store.get(r, ref.kind === 'Role' ? bindingNamespace : undefined, ref.name) : undefined;
  const rules = role?.rules;
  return Array.isArray(rules) ? (rules as PolicyRule[]) : [];
}

/** Evaluates one request against the stored RBAC objects. */
export function authorize(store: ObjectStore, req: AccessRequest): AccessDecision {
  const bindings: { b: KubeObject; ns: string | undefined }[] = listKind(store, 'ClusterRoleBinding').map(
    (b) => ({ b, ns: undefined }),
  );
  const namespace = req.resource?.namespace;
  if (namespace) {
    for (const b of listKind(store, 'RoleBinding', namespace)) bindings.push({ b, ns: namespace });
  }
  for (const { b, ns } of bindings) {
    const subjects = (Array.isArray(b.subjects) ? b.subjects : []) as Subject[];
    const subject = subjects.find((s) => appliesTo(s, req, ns ?? ''));
    if (!subject) continue;
    const ref = (b.roleRef ?? {}) as RoleRef;
    if (!rulesOf(store, ref, ns).some((rule) => ruleAllows(rule, req))) continue;
    const bindingName =
      ns === undefined ? `ClusterRoleBinding "${b.metadata.name}"` : `RoleBinding "${b.metadata.name}/${ns}"`;
    return {
      allowed: true,
      reason: `RBAC: allowed by ${bindingName} of ${ref.kind} "${ref.name}" to ${describeSubject(subject, ns ?? '')}`,
    };
  }
  return { allowed: false };
}

type Reply = { code: number; body: unknown };

const reply = (s: StatusBody): Reply => ({ code: s.code, body: s });

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Splits Impersonate-Group, which Node joins with ", " when sent more than once. */
function headerList(v: string | string[] | undefined): string[] {
  const all = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return all
    .flatMap((x) => x.split(','))
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

/** The requesting identity of a self review: the impersonated user, else the simulator's own. */
function selfIdentity(
  headers: IncomingMessage['headers'],
  simUser: string,
): { user: string; groups: string[] } {
  const asUser = headers['impersonate-user'];
  if (typeof asUser === 'string' && asUser !== '') {
    const groups = headerList(headers['impersonate-group']);
    return { user: asUser, groups: [...new Set([...groups, 'system:authenticated'])] };
  }
  const sa = /^system:serviceaccount:([^:]+):/.exec(simUser);
  return {
    user: simUser,
    groups: sa
      ? ['system:serviceaccounts', `system:serviceaccounts:${sa[1]}`, 'system:authenticated']
      : ['system:authenticated'],
  };
}

// ---------------------------------------------------------------------------
// Protobuf: kubectl (client-go) posts built-in types as application/vnd.kubernetes.protobuf.
// Just enough of the wire format to read a (Self)SubjectAccessReview: the "k8s\0" magic, the
// runtime.Unknown envelope (typeMeta = 1 {apiVersion = 1, kind = 2}, raw = 2), then the review.

type Field = { no: number; bytes?: Buffer; num?: number };

function protoFields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      if (i >= buf.length) throw new Error('truncated varint');
      const b = buf[i++]!;
      v += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return v;
      mul *= 128;
    }
  };
  while (i < buf.length) {
    const key = varint();
    const no = Math.floor(key / 8);
    switch (key & 7) {
      case 0:
        out.push({ no, num: varint() });
        break;
      case 2: {
        const len = varint();
        if (i + len > buf.length) throw new Error('truncated field');
        out.push({ no, bytes: buf.subarray(i, i + len) });
        i += len;
        break;
      }
      case 1:
        i += 8;
        break;
      case 5:
        i += 4;
        break;
      default:
        throw new Error(`unsupported wire type ${key & 7}`);
    }
  }
  return out;
}

const field = (fs: Field[], no: number) => fs.find((f) => f.no === no)?.bytes;
const text = (fs: Field[], no: number) => field(fs, no)?.toString('utf8') ?? '';
const texts = (fs: Field[], no: number) =>
  fs.filter((f) => f.no === no && f.bytes).map((f) => f.bytes!.toString('utf8'));

function compact(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== '' && v !== undefined));
}

/** Decodes a protobuf (Self)SubjectAccessReview into its JSON shape. */
export function decodeReviewProtobuf(buf: Buffer): Record<string, unknown> {
  if (buf.length < 4 || buf.subarray(0, 4).toString('latin1') !== 'k8s\0')
    throw new Error('missing the k8s protobuf magic');
  const envelope = protoFields(buf.subarray(4));
  const typeMeta = protoFields(field(envelope, 1) ?? Buffer.alloc(0));
  const review = protoFields(field(envelope, 2) ?? Buffer.alloc(0));
  const spec = protoFields(field(review, 2) ?? Buffer.alloc(0));
  const ra = field(spec, 1);
  const nra = field(spec, 2);
  const attrs = (b: Buffer) => {
    const f = protoFields(b);
    return compact({
      namespace: text(f, 1),
      verb: text(f, 2),
      group: text(f, 3),
      version: text(f, 4),
      resource: text(f, 5),
      subresource: text(f, 6),
      name: text(f, 7),
    });
  };
  return compact({
    apiVersion: text(typeMeta, 1),
    kind: text(typeMeta, 2),
    spec: compact({
      resourceAttributes: ra ? attrs(ra) : undefined,
      nonResourceAttributes: nra
        ? compact({ path: text(protoFields(nra), 1), verb: text(protoFields(nra), 2) })
        : undefined,
      user: text(spec, 3),
      groups: texts(spec, 4).length > 0 ? texts(spec, 4) : undefined,
    }),
  });
}

function reviewKind(p: ApiPath): 'SubjectAccessReview' | 'SelfSubjectAccessReview' | undefined {
  if (p.type !== 'resource' || p.group !== AUTHZ || p.version !== 'v1') return undefined;
  if (p.namespace !== undefined || p.name !== undefined || p.subresource !== undefined) return undefined;
  if (p.plural === 'subjectaccessreviews') return 'SubjectAccessReview';
  if (p.plural === 'selfsubjectaccessreviews') return 'SelfSubjectAccessReview';
  return undefined;
}

/**
 * The server's hook: for POST /apis/authorization.k8s.io/v1/{subjectaccessreviews,selfsubjectaccessreviews},
 * reads the body and answers; undefined for any other path (the caller serves it, body unread). Never throws.
 */
export async function accessReviewReply(
  ctx: { store: ObjectStore; user: string },
  method: string,
  p: ApiPath,
  req: IncomingMessage,
): Promise<Reply | undefined> {
  if (!reviewKind(p)) return undefined;
  try {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return accessReviewRoute(ctx, method, p, req.headers, Buffer.concat(chunks));
  } catch (e) {
    return reply(internalError(e instanceof Error ? e.message : String(e)));
  }
}

/**
 * Answers a review request whose body was read (JSON, or protobuf by Content-Type);
 * undefined for any other path.
 */
export function accessReviewRoute(
  ctx: { store: ObjectStore; user: string },
  method: string,
  p: ApiPath,
  headers: IncomingMessage['headers'],
  body: string | Buffer,
): Reply | undefined {
  const kind = reviewKind(p);
  if (!kind) return undefined;
  if (method !== 'POST') return reply(methodNotAllowed());

  let doc: Record<string, unknown>;
  const protobuf = (headers['content-type'] ?? '').startsWith('application/vnd.kubernetes.protobuf');
  try {
    if (protobuf) {
      doc = decodeReviewProtobuf(Buffer.isBuffer(body) ? body : Buffer.from(body, 'latin1'));
    } else {
      const v: unknown = JSON.parse(Buffer.isBuffer(body) ? body.toString('utf8') : body);
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
      doc = v as Record<string, unknown>;
    }
  } catch (e) {
    return reply(
      badRequest(
        protobuf
          ? `the protobuf body could not be decoded: ${e instanceof Error ? e.message : String(e)}`
          : 'the object provided is unrecognized: expected a JSON object',
      ),
    );
  }
  if (doc.kind !== undefined && doc.kind !== kind)
    return reply(
      badRequest(
        `${String(doc.kind)} in version "v1" cannot be handled as a ${kind}: the kind does not match`,
      ),
    );
  const spec = (doc.spec ?? {}) as Record<string, unknown>;
  const ra = spec.resourceAttributes as Record<string, unknown> | undefined;
  const nra = spec.nonResourceAttributes as Record<string, unknown> | undefined;
  const causes: { field: string; reason: string; message: string }[] = [];
  if ((ra === undefined) === (nra === undefined))
    causes.push({
      field: 'spec.resourceAttributes',
      reason: 'FieldValueInvalid',
      message:
        'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
    });

  let who: { user: string; groups: string[] };
  if (kind === 'SubjectAccessReview') {
    const user = str(spec.user) ?? '';
    const groups = Array.isArray(spec.groups)
      ? spec.groups.filter((g): g is string => typeof g === 'string')
      : [];
    if (user === '' && groups.length === 0)
      causes.push({
        field: 'spec.user',
        reason: 'FieldValueInvalid',
        message: 'Invalid value: "": at least one of user or group must be specified',
      });
    who = { user, groups };
  } else {
    who = selfIdentity(headers, ctx.user);
  }
  if (causes.length > 0) return reply(invalid(kind, '', causes));

  const req: AccessRequest = ra
    ? {
        ...who,
        verb: str(ra.verb) ?? '',
        resource: {
          group: str(ra.group) ?? '',
          resource: str(ra.resource) ?? '',
          ...(str(ra.subresource) ? { subresource: str(ra.subresource)! } : {}),
          ...(str(ra.namespace) ? { namespace: str(ra.namespace)! } : {}),
          ...(str(ra.name) ? { name: str(ra.name)! } : {}),
        },
      }
    : { ...who, verb: str(nra!.verb) ?? '', path: str(nra!.path) ?? '' };
  const decision = authorize(ctx.store, req);
  return {
    code: 201,
    body: {
      kind,
      apiVersion: `${AUTHZ}/v1`,
      metadata: { creationTimestamp: null },
      spec,
      status: decision.allowed ? { allowed: true, reason: decision.reason } : { allowed: false },
    },
  };
}
