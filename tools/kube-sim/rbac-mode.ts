/**
 * RBAC mode: every request is authorized, as the API server's RBAC authorizer would, against the
 * (Cluster)Role(Binding)s the simulator holds (authz.ts evaluates them), before it is served. A denied
 * request gets the API server's 403 Forbidden Status (k8s.io/apiserver endpoints/handlers/responsewriters
 * `forbiddenMessage`), and is recorded so that tests can assert that nothing was denied.
 *
 * Who asks:
 * - `Authorization: Bearer <token>` names a user through `tokens` (an unknown token: 401 Unauthorized,
 *   as the token authenticator answers);
 * - no Authorization header: the simulator's own identity (`user`, what the kubeconfig stands for);
 * - `Impersonate-User` / `Impersonate-Group`: the requester must be allowed `impersonate` on `users` /
 *   `groups` (core group) for each, as the impersonation filter checks; the request then acts as them.
 * Service accounts (`system:serviceaccount:NS:NAME`) are in the groups `system:serviceaccounts`,
 * `system:serviceaccounts:NS`; every authenticated user is in `system:authenticated`.
 *
 * The bootstrap policy every cluster has (`system:discovery`, `system:basic-user`,
 * `system:public-info-viewer`, bound to system:authenticated) is added when RBAC mode starts, so
 * discovery, /version and self reviews work as they do in a real cluster. Pure apart from the store.
 */
import type { IncomingMessage } from 'node:http';
import { type AccessRequest, authorize } from './authz.js';
import type { ApiPath } from './router.js';
import { failure, forbidden, type StatusBody } from './status.js';
import type { KubeObject, ObjectStore } from './store.js';

const RBAC = 'rbac.authorization.k8s.io/v1';

/** How RBAC mode identifies requesters. */
export interface RbacModeOptions {
  /** Bearer tokens the simulator accepts, and the user each stands for. */
  tokens?: Record<string, string>;
  /** RBAC objects to load at start (besides the fixtures'), e.g. those rendered from deploy/. */
  objects?: KubeObject[];
}

/** One request RBAC decided on (a denial carries the Status message sent). */
export interface RbacDecision {
  allowed: boolean;
  user: string;
  verb: string;
  /** "pods", "pods/log", … or the path of a non-resource request. */
  resource: string;
  group: string;
  namespace?: string;
  name?: string;
  /** The Status message sent (denials only). */
  message?: string;
}

/** One request that RBAC refused. */
export type RbacDenial = RbacDecision & { allowed: false; message: string };

/** The bootstrap ClusterRoles and bindings of plugin/pkg/auth/authorizer/rbac/bootstrappolicy that matter here. */
export function bootstrapRbacObjects(): KubeObject[] {
  const role = (name: string, rules: object[]): KubeObject => ({
    apiVersion: RBAC,
    kind: 'ClusterRole',
    metadata: { name, labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } },
    rules,
  });
  const binding = (name: string, groups: string[]): KubeObject => ({
    apiVersion: RBAC,
    kind: 'ClusterRoleBinding',
    metadata: { name, labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
    subjects: groups.map((g) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: g })),
  });
  return [
    role('system:discovery', [
      {
        verbs: ['get'],
        nonResourceURLs: [
          '/api',
          '/api/*',
          '/apis',
          '/apis/*',
          '/healthz',
          '/livez',
          '/openapi',
          '/openapi/*',
          '/readyz',
          '/version',
          '/version/',
        ],
      },
    ]),
    binding('system:discovery', ['system:authenticated']),
    role('system:basic-user', [
      {
        verbs: ['create'],
        apiGroups: ['authorization.k8s.io'],
        resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
      },
      { verbs: ['create'], apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'] },
    ]),
    binding('system:basic-user', ['system:authenticated']),
    role('system:public-info-viewer', [
      { verbs: ['get'], nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'] },
    ]),
    binding('system:public-info-viewer', ['system:authenticated', 'system:unauthenticated']),
  ];
}

/** The groups the authenticator gives a user. */
export function groupsOf(user: string): string[] {
  const sa = /^system:serviceaccount:([^:]+):[^:]+$/.exec(user);
  return sa
    ? ['system:serviceaccounts', `system:serviceaccounts:${sa[1]}`, 'system:authenticated']
    : ['system:authenticated'];
}

/** The RBAC verb of a request (the request-info resolver's). */
export function requestVerb(method: string, p: ApiPath, query: URLSearchParams): string {
  const named = p.type === 'resource' && p.name !== undefined;
  const watch = query.get('watch') === 'true' || query.get('watch') === '1';
  switch (method) {
    case 'GET':
    case 'HEAD':
      return watch ? 'watch' : named || p.type !== 'resource' ? 'get' : 'list';
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

/** The attributes RBAC sees for one request by `who`. */
export function requestAttributes(
  who: { user: string; groups: string[] },
  method: string,
  p: ApiPath,
  pathname: string,
  query: URLSearchParams,
): AccessRequest {
  const verb = requestVerb(method, p, query);
  if (p.type !== 'resource') return { ...who, verb, path: pathname };
  return {
    ...who,
    verb,
    resource: {
      group: p.group,
      resource: p.plural,
      ...(p.subresource !== undefined ? { subresource: p.subresource } : {}),
      ...(p.namespace !== undefined ? { namespace: p.namespace } : {}),
      ...(p.name !== undefined ? { name: p.name } : {}),
    },
  };
}

/** The Status of a denial, worded as the API server words it. */
export function forbiddenStatus(req: AccessRequest): StatusBody {
  if (!req.resource)
    return failure(
      403,
      `forbidden: User "${req.user}" cannot ${req.verb} path "${req.path}"`,
      'Forbidden',
      {},
    );
  const r = req.resource;
  return forbidden(
    {
      group: r.group,
      resource: r.subresource ? `${r.resource}/${r.subresource}` : r.resource,
      ...(r.name !== undefined ? { name: r.name } : {}),
      ...(r.namespace !== undefined ? { namespace: r.namespace } : {}),
    },
    req.user,
    req.verb,
  );
}

function headerList(v: string | string[] | undefined): string[] {
  const all = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return all
    .flatMap((x) => x.split(','))
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

/** RBAC mode's state: the token table and the decisions so far. */
export class RbacMode {
  readonly decisions: RbacDecision[] = [];
  private readonly tokens: Map<string, string>;

  constructor(
    private readonly store: ObjectStore,
    opts: RbacModeOptions,
  ) {
    this.tokens = new Map(Object.entries(opts.tokens ?? {}));
    for (const o of [...bootstrapRbacObjects(), ...(opts.objects ?? [])]) store.put(o);
  }

  /**
   * The refusal of one request (401 or 403 Status), or undefined when RBAC allows it. `defaultUser`
   * is who a request without credentials acts as.
   */
  check(
    defaultUser: string,
    method: string,
    p: ApiPath,
    url: URL,
    headers: IncomingMessage['headers'],
  ): StatusBody | undefined {
    let user = defaultUser;
    const auth = headers.authorization;
    if (auth !== undefined) {
      const m = /^Bearer\s+(\S+)$/i.exec(auth);
      const named = m ? this.tokens.get(m[1]!) : undefined;
      if (named === undefined) return failure(401, 'Unauthorized', 'Unauthorized');
      user = named;
    }
    let who = { user, groups: groupsOf(user) };
    const asUser = headers['impersonate-user'];
    if (typeof asUser === 'string' && asUser !== '') {
      const asGroups = headerList(headers['impersonate-group']);
      const asks: AccessRequest[] = [
        { ...who, verb: 'impersonate', resource: { group: '', resource: 'users', name: asUser } },
        ...asGroups.map((g) => ({
          ...who,
          verb: 'impersonate',
          resource: { group: '', resource: 'groups', name: g },
        })),
      ];
      for (const a of asks) {
        const refused = this.decide(a);
        if (refused) return refused;
      }
      who = { user: asUser, groups: [...new Set([...asGroups, 'system:authenticated'])] };
    }
    return this.decide(requestAttributes(who, method, p, url.pathname, url.searchParams));
  }

  /** The denials so far. */
  denials(): RbacDenial[] {
    return this.decisions.filter((d): d is RbacDenial => !d.allowed);
  }

  private decide(req: AccessRequest): StatusBody | undefined {
    const allowed = authorize(this.store, req).allowed;
    const s = allowed ? undefined : forbiddenStatus(req);
    const r = req.resource;
    this.decisions.push({
      allowed,
      user: req.user,
      verb: req.verb,
      resource: r ? (r.subresource ? `${r.resource}/${r.subresource}` : r.resource) : (req.path ?? ''),
      group: r?.group ?? '',
      ...(r?.namespace !== undefined ? { namespace: r.namespace } : {}),
      ...(r?.name !== undefined ? { name: r.name } : {}),
      ...(s ? { message: s.message ?? '' } : {}),
    });
    return s;
  }
}
