/**
 * The optional Kubernetes-side check: before a request is enqueued, ask the
 * target cluster with a SubjectAccessReview whether the user's own Kubernetes
 * identity may do what the action does, so an organisation can reuse its
 * cluster RBAC. It comes on top of the poddebug policy (both must allow), and
 * it changes nothing on the worker, which keeps its own least-privilege
 * ServiceAccount.
 *
 * Fail closed: an unknown action or cluster, a cluster without credentials,
 * an API that is down, slow or refuses the review (403 for the bot's own
 * identity) all deny, with a message saying what happened.
 */

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  ApiException,
  AuthorizationV1Api,
  KubeConfig,
  type V1SubjectAccessReview,
} from '@kubernetes/client-node';
import { type Action, isAction } from './schema.js';

/** What an action does, as RBAC sees it. `group` '' is the core API group. */
export interface RbacAttributes {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  /**
   * The request names no existing object (a list, or a create of a new one), so the review carries no
   * name and only grants without resourceNames match. Otherwise it carries the pod's name when known.
   */
  unnamed?: true;
}

const probe = (subresource: string): RbacAttributes => ({
  verb: 'create',
  group: 'poddebug.io',
  resource: 'probes',
  subresource,
});

/**
 * Each action → the RBAC request reviewed for it, in the request's namespace and
 * on the pod's name (when known):
 *
 * - read-only actions map to the reads the worker makes: `get pods`, `get pods/log`, `list events`;
 * - `debug` adds an ephemeral container to the pod: `patch pods/ephemeralcontainers`, exactly what
 *   `kubectl debug` needs; `connectivity` runs its DNS and TCP checks from such a container in the
 *   pod's network namespace, so it needs the same. `debug --copy` is the exception: see {@link COPY_RBAC};
 * - the privileged node probes have no Kubernetes counterpart a user could be granted, so they map
 *   to a virtual resource: `create probes/<action>` in API group `poddebug.io`. RBAC accepts rules
 *   on resources no API serves, so an organisation grants them with an ordinary Role
 *   (`apiGroups: [poddebug.io], resources: [probes/strace], verbs: [create]`), per namespace and,
 *   with resourceNames, per pod.
 */
export const ACTION_RBAC = {
  diagnose: { verb: 'get', group: '', resource: 'pods' },
  logs: { verb: 'get', group: '', resource: 'pods', subresource: 'log' },
  events: { verb: 'list', group: '', resource: 'events', unnamed: true },
  describe: { verb: 'get', group: '', resource: 'pods' },
  debug: { verb: 'patch', group: '', resource: 'pods', subresource: 'ephemeralcontainers' },
  connectivity: { verb: 'patch', group: '', resource: 'pods', subresource: 'ephemeralcontainers' },
  strace: probe('strace'),
  tcpdump: probe('tcpdump'),
  mem: probe('mem'),
  ps: probe('ps'),
  fds: probe('fds'),
  netcheck: probe('netcheck'),
} as const satisfies Record<Action, RbacAttributes>;

/**
 * `debug --copy` leaves the pod alone and creates a new one, a copy of it, in its namespace: what
 * `kubectl debug POD --copy-to=NAME` needs, `get pods` on the pod (it reads the pod to copy it) and
 * `create pods` in the namespace (no name: the copy does not exist yet). Not `patch
 * pods/ephemeralcontainers`: the copy's debug container is part of the new pod's spec.
 */
export const COPY_RBAC: readonly RbacAttributes[] = [
  { verb: 'get', group: '', resource: 'pods' },
  { verb: 'create', group: '', resource: 'pods', unnamed: true },
];

/** One request to review. */
export interface AccessCheck {
  cluster: string;
  /** The Kubernetes user name (IdentityMapper.toKube). */
  user: string;
  groups: string[];
  action: string;
  /** `debug --copy`: a copy of the pod is created instead of an ephemeral container added (COPY_RBAC). */
  copy?: boolean;
  /** Absent: the request spans all namespaces (a pod searched without -n), so the check is cluster-wide. */
  namespace?: string;
  /** The pod's name; absent when not known yet (an owner such as deploy/NAME): then only grants without resourceNames match. */
  name?: string;
}

export type AccessResult =
  | { allowed: true }
  /** `denied`: Kubernetes answered no. `unavailable`: the check could not be made (still a denial). */
  | { allowed: false; reason: string; cause: 'denied' | 'unavailable' };

/**
 * Every RBAC request an action needs, each of which must be allowed (pure). Undefined for an unknown
 * action. `copy` counts for `debug` only (the grammar offers `--copy` nowhere else).
 */
export function requiredAccess(
  check: Pick<AccessCheck, 'action' | 'copy'>,
): readonly RbacAttributes[] | undefined {
  if (!isAction(check.action)) return undefined;
  if (check.action === 'debug' && check.copy === true) return COPY_RBAC;
  return [ACTION_RBAC[check.action]];
}

type ResourceAttributes = NonNullable<V1SubjectAccessReview['spec']['resourceAttributes']>;

/** The SAR's resourceAttributes for one RBAC request of a check (pure). */
export function attributesFor(
  a: RbacAttributes,
  check: Pick<AccessCheck, 'namespace' | 'name'>,
): ResourceAttributes {
  return {
    verb: a.verb,
    group: a.group,
    resource: a.resource,
    ...(a.subresource ? { subresource: a.subresource } : {}),
    ...(check.namespace ? { namespace: check.namespace } : {}),
    ...(check.name && !a.unnamed ? { name: check.name } : {}),
  };
}

/** The SARs' resourceAttributes for a check, one per required RBAC request (pure). Undefined for an unknown action. */
export function resourceAttributes(
  check: Pick<AccessCheck, 'action' | 'copy' | 'namespace' | 'name'>,
): ResourceAttributes[] | undefined {
  return requiredAccess(check)?.map((a) => attributesFor(a, check));
}

/** "create probes/strace (poddebug.io)", "get pods/log". */
export function describeAttributes(a: RbacAttributes): string {
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  return `${a.verb} ${res}${a.group ? ` (${a.group})` : ''}`;
}

function where(check: Pick<AccessCheck, 'namespace' | 'cluster'>): string {
  const ns = check.namespace ? `in namespace ${check.namespace}` : 'in all namespaces';
  return `${ns} (cluster ${check.cluster})`;
}

/** Why an action needs more than one grant, said after a denial; '' when it needs one. */
function needsNote(check: Pick<AccessCheck, 'action' | 'copy'>): string {
  const all = requiredAccess(check) ?? [];
  if (all.length < 2) return '';
  const list = all.map(describeAttributes).join(' and ');
  const why =
    check.action === 'debug' && check.copy
      ? ' creates a new pod, a copy of the target (as `kubectl debug --copy-to` does), so it'
      : '';
  return ` \`${actionLabel(check)}\`${why} needs ${list}.`;
}

/**
 * The message for a review Kubernetes answered "no" (pure). `denied`: the RBAC request refused (default:
 * the action's first, or only, one).
 */
export function deniedMessage(check: AccessCheck, sarReason?: string, denied?: RbacAttributes): string {
  const a = denied ?? requiredAccess(check)?.[0];
  const what = a ? describeAttributes(a) : check.action;
  const said = sarReason?.trim() ?? '';
  const because = said ? ` Kubernetes says: ${said}${/[.!?]$/.test(said) ? '' : '.'}` : '';
  const scopeHint = check.namespace ? '' : ' Pass -n NAMESPACE to be checked in one namespace only.';
  return (
    `Kubernetes RBAC does not allow ${check.user} to ${what} ${where(check)}.${because}${needsNote(check)}${scopeHint}` +
    ' Ask your cluster admin for a Role and RoleBinding that grant it.'
  );
}

const unavailable = (reason: string): AccessResult => ({ allowed: false, reason, cause: 'unavailable' });

export interface AccessReviewerOptions {
  /** Credentials for a cluster's API (the bot's own identity there); undefined when there are none. */
  kubeConfigFor(cluster: string): KubeConfig | undefined;
  /** How long one review may take; default 2000 ms. */
  timeoutMs?: number;
}

/** Asks a cluster, with a SubjectAccessReview, whether a user may do what an action does. */
export class AccessReviewer {
  private readonly timeoutMs: number;
  private readonly apis = new Map<string, AuthorizationV1Api>();

  constructor(private readonly opts: AccessReviewerOptions) {
    this.timeoutMs = opts.timeoutMs ?? 2000;
  }

  private api(cluster: string): AuthorizationV1Api | undefined {
    let api = this.apis.get(cluster);
    if (!api) {
      const kc = this.opts.kubeConfigFor(cluster);
      if (!kc) return undefined;
      api = kc.makeApiClient(AuthorizationV1Api);
      this.apis.set(cluster, api);
    }
    return api;
  }

  /**
   * Allowed only when the cluster answers `allowed: true` (and not `denied`) to every RBAC request the
   * action needs (requiredAccess; the reviews run concurrently); anything else denies, reporting the
   * first refused request in the order requiredAccess lists them.
   */
  async check(check: AccessCheck): Promise<AccessResult> {
    const required = requiredAccess(check);
    if (!required) {
      return {
        allowed: false,
        reason: `${check.action} is not an action poddebug can check against Kubernetes RBAC, so it was not run.`,
        cause: 'denied',
      };
    }
    if (!check.user && check.groups.length === 0) {
      return unavailable('poddebug has no Kubernetes identity for you, so it cannot check your permissions.');
    }
    const cannot = `so poddebug cannot check your Kubernetes permissions there and did not run ${actionLabel(check)}.`;
    let api: AuthorizationV1Api | undefined;
    try {
      api = this.api(check.cluster);
    } catch (e) {
      return unavailable(
        `The credentials poddebug has for cluster ${check.cluster} could not be loaded (${errorText(e)}), ${cannot}`,
      );
    }
    if (!api) {
      return unavailable(
        `poddebug has no credentials for cluster ${check.cluster} to review access with, ${cannot} Ask an admin to add them.`,
      );
    }
    const reviewer = api;
    return firstRefusal(await Promise.all(required.map((a) => this.review(reviewer, check, a, cannot))));
  }

  /** One SubjectAccessReview: one RBAC request of the check. */
  private async review(
    api: AuthorizationV1Api,
    check: AccessCheck,
    a: RbacAttributes,
    cannot: string,
  ): Promise<AccessResult> {
    const body: V1SubjectAccessReview = {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { user: check.user, groups: check.groups, resourceAttributes: attributesFor(a, check) },
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.timeoutMs);
    });
    let answer: V1SubjectAccessReview | 'timeout';
    try {
      answer = await Promise.race([api.createSubjectAccessReview({ body }), timeout]);
    } catch (e) {
      return unavailable(failureMessage(e, check.cluster, cannot));
    } finally {
      clearTimeout(timer);
    }
    if (answer === 'timeout') {
      return unavailable(
        `The Kubernetes API of cluster ${check.cluster} did not answer the access review within ${this.timeoutMs} ms, ${cannot} Try again in a minute.`,
      );
    }
    const status = answer.status;
    if (status?.allowed === true && status.denied !== true) return { allowed: true };
    return { allowed: false, reason: deniedMessage(check, status?.reason, a), cause: 'denied' };
  }
}

/**
 * The answer to a check from the answers to its reviews, in requiredAccess's order (pure): allowed when
 * every one allows (and there is at least one), else the first that did not.
 */
export function firstRefusal(results: readonly AccessResult[]): AccessResult {
  if (results.length === 0) {
    return unavailable('poddebug had nothing to review, so it did not run the request.');
  }
  return results.find((r) => !r.allowed) ?? { allowed: true };
}

/** "debug --copy", or the action. */
function actionLabel(check: Pick<AccessCheck, 'action' | 'copy'>): string {
  return check.action === 'debug' && check.copy ? 'debug --copy' : check.action;
}

function errorText(e: unknown): string {
  if (e instanceof Error) return e.message.split('\n')[0]!.slice(0, 200);
  return String(e).slice(0, 200);
}

function statusMessage(body: unknown): string | undefined {
  let b: unknown = body;
  if (typeof body === 'string') {
    try {
      b = JSON.parse(body);
    } catch {
      return body.slice(0, 200) || undefined;
    }
  }
  const m = (b as { message?: unknown } | null)?.message;
  return typeof m === 'string' ? m.slice(0, 300) : undefined;
}

function failureMessage(e: unknown, cluster: string, cannot: string): string {
  if (e instanceof ApiException) {
    const said = statusMessage(e.body);
    const detail = said ? `: ${said}` : '';
    if (e.code === 403)
      return `poddebug's own identity in cluster ${cluster} may not create SubjectAccessReviews (403${detail}), ${cannot} An admin must grant it (deploy/components/subject-access-review).`;
    if (e.code === 401)
      return `The Kubernetes API of cluster ${cluster} rejected poddebug's credentials (401), ${cannot} An admin must renew them.`;
    return `The Kubernetes API of cluster ${cluster} failed the access review (HTTP ${e.code}${detail}), ${cannot} Try again in a minute.`;
  }
  return `The Kubernetes API of cluster ${cluster} could not be reached (${errorText(e)}), ${cannot} Try again in a minute.`;
}

const CLUSTER_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Where the bot finds credentials for reviews: `<dir>/<cluster>.kubeconfig`
 * (loaded on first use, then kept), and the in-cluster ServiceAccount for the
 * cluster named `inCluster` (the one the bot runs in). A cluster with neither
 * gets undefined, so its reviews deny. Cluster names must be DNS-1123 labels,
 * which also keeps them from naming a path outside `dir`.
 */
export function kubeConfigSource(opts: {
  dir?: string;
  inCluster?: string;
}): (cluster: string) => KubeConfig | undefined {
  return (cluster) => {
    if (!CLUSTER_NAME.test(cluster)) return undefined;
    if (opts.dir) {
      const file = join(opts.dir, `${cluster}.kubeconfig`);
      if (existsSync(file)) {
        const kc = new KubeConfig();
        kc.loadFromFile(file);
        return kc;
      }
    }
    if (opts.inCluster === cluster) {
      const kc = new KubeConfig();
      kc.loadFromCluster();
      return kc;
    }
    return undefined;
  };
}

/** The bot's access-review settings, from the environment. */
export interface AccessReviewSettings {
  /** The identity config file (ACCESS_REVIEW_CONFIG); the check is on when it is set. */
  configPath: string;
  /** Directory of `<cluster>.kubeconfig` files (ACCESS_REVIEW_KUBECONFIG_DIR). */
  kubeconfigDir?: string;
  /** Cluster reviewed with the pod's own ServiceAccount (ACCESS_REVIEW_IN_CLUSTER). */
  inCluster?: string;
  /** ACCESS_REVIEW_TIMEOUT_MS, default 2000. */
  timeoutMs: number;
}

export type AccessReviewSettingsResult =
  | { ok: true; settings: AccessReviewSettings | undefined }
  | { ok: false; errors: string[] };

/**
 * Reads the access-review variables (pure: pass process.env and the bot's CLUSTERS).
 * `settings` is undefined when ACCESS_REVIEW_CONFIG is unset (the check is off).
 * ACCESS_REVIEW_IN_CLUSTER defaults, inside a pod (KUBERNETES_SERVICE_HOST set), to
 * the first of CLUSTERS; `none` turns in-cluster credentials off.
 */
export function accessReviewSettings(
  env: Record<string, string | undefined>,
  clusters: readonly string[],
): AccessReviewSettingsResult {
  const configPath = env.ACCESS_REVIEW_CONFIG?.trim();
  const errors: string[] = [];
  const others = ['ACCESS_REVIEW_KUBECONFIG_DIR', 'ACCESS_REVIEW_IN_CLUSTER', 'ACCESS_REVIEW_TIMEOUT_MS'];
  if (!configPath) {
    const stray = others.filter((k) => env[k]?.trim());
    if (stray.length === 0) return { ok: true, settings: undefined };
    return {
      ok: false,
      errors: [
        `ACCESS_REVIEW_CONFIG: required when ${stray.join(', ')} is set (the path of the identity config, e.g. /etc/poddebug/identity/identity.yaml)`,
      ],
    };
  }
  const timeoutText = env.ACCESS_REVIEW_TIMEOUT_MS?.trim();
  const timeoutMs = timeoutText ? Number(timeoutText) : 2000;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 30_000)
    errors.push(
      `ACCESS_REVIEW_TIMEOUT_MS: a whole number of milliseconds from 100 to 30000, not "${timeoutText}"`,
    );
  const inClusterText = env.ACCESS_REVIEW_IN_CLUSTER?.trim();
  let inCluster: string | undefined;
  if (inClusterText === 'none') inCluster = undefined;
  else if (inClusterText) {
    if (clusters.includes(inClusterText)) inCluster = inClusterText;
    else
      errors.push(
        `ACCESS_REVIEW_IN_CLUSTER: "${inClusterText}" is not in CLUSTERS (${clusters.join(', ')}); name one of them, or none`,
      );
  } else if (env.KUBERNETES_SERVICE_HOST) inCluster = clusters[0];
  if (errors.length > 0) return { ok: false, errors };
  const kubeconfigDir = env.ACCESS_REVIEW_KUBECONFIG_DIR?.trim();
  return {
    ok: true,
    settings: {
      configPath,
      ...(kubeconfigDir ? { kubeconfigDir } : {}),
      ...(inCluster ? { inCluster } : {}),
      timeoutMs,
    },
  };
}
