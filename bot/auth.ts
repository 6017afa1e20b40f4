import { KEYS } from '../jobs/contracts/index.js';
import type { ProbePlan, ProbeSpec } from '../jobs/contracts/probe.js';
import {
  canApprove,
  channelAllowed,
  debugPlanRefusal,
  decide,
  hostScopeRefusal,
  literalTargetProblems,
  networkRefusal,
  networkRules,
  type Policy,
  type PolicyRequest,
  policyGroupIds,
  RateLimitStoreError,
  type RateLimits,
  resolvedTargetProblems,
  type UserGroups,
  unresolvedGroupsMessage,
  withPolicyImage,
} from './policy/index.js';
import { queueUnavailable } from './queues.js';

/** The optional Kubernetes-side check (SubjectAccessReview), reduced to what the gate needs. */
export interface KubeAccessCheck {
  check(r: {
    userId: string;
    cluster: string;
    action: string;
    /** `debug --copy`: reviewed as creating a pod, not as adding an ephemeral container. */
    copy?: boolean;
    namespace: string;
    name: string;
  }): Promise<{ allowed: true } | { allowed: false; reason: string }>;
}

export interface AuthorizerDeps {
  policy: () => Policy;
  groups: Pick<UserGroups, 'groupsOf'>;
  rateLimits: Pick<RateLimits, 'gate'>;
  kubeAccess?: KubeAccessCheck;
}

export interface AuthRequest {
  userId: string;
  channelId: string;
  channelName: string;
  action: string;
  /**
   * `debug --copy` (isDebugCopy): the request creates a copy of the pod, so the Kubernetes-side check asks
   * for what `kubectl debug --copy-to` needs instead of `patch pods/ephemeralcontainers`.
   */
  copy?: boolean;
  cluster: string;
  /** Absent: the user did not name one (diagnose of a pod found in any namespace). */
  namespace?: string;
  /** Pod or owner name, for the Kubernetes-side check. */
  name: string;
  privileged: boolean;
  /** Count against the rate limits (default true; false when re-checking a request already counted). */
  count?: boolean;
  /**
   * Also say whether a worker of the cluster was seen lately (its heartbeat), read in the same Redis round
   * trip as the rate limits: `workerSeen` in an allowing answer.
   */
  checkWorker?: boolean;
}

export type AuthResult =
  | { allow: true; needsApprovals: number; userGroups: string[]; workerSeen?: boolean }
  | { allow: false; kind: 'policy' | 'channel' | 'rate_limited' | 'kubernetes'; message: string };

/**
 * The gate in front of every queue: the policy (deny by default, channel
 * restriction, grants via users, groups and channels), the optional
 * Kubernetes-side check, then rate limits. Nothing is enqueued unless this says
 * allow. Answers are short mrkdwn for an ephemeral message. Its Redis part (every rate-limit bucket and,
 * when asked, the worker heartbeat) is one script: one round trip.
 */
export class Authorizer {
  constructor(private readonly d: AuthorizerDeps) {}

  async userGroups(userId: string): Promise<{ groups: string[]; unresolved: string[] }> {
    const ids = policyGroupIds(this.d.policy());
    if (ids.length === 0) return { groups: [], unresolved: [] };
    const r = await this.d.groups.groupsOf(userId, ids);
    return { groups: r.groups, unresolved: r.unresolved };
  }

  async authorize(r: AuthRequest): Promise<AuthResult> {
    const policy = this.d.policy();
    const { groups, unresolved } = await this.userGroups(r.userId);
    const req: PolicyRequest = {
      userId: r.userId,
      userGroups: groups,
      channelId: r.channelId,
      channelName: r.channelName,
      action: r.action,
      cluster: r.cluster,
      namespace: r.namespace ?? '',
    };
    const d = decide(policy, req);
    if (!d.allow) {
      const kind = d.reason.includes('not allowed in') ? 'channel' : 'policy';
      const scoped =
        r.namespace === undefined && kind === 'policy'
          ? ' Your grants may cover only some namespaces: name one with `-n NAMESPACE`.'
          : '';
      const groupsNote = unresolved.length > 0 ? ` (${unresolvedGroupsMessage(unresolved)})` : '';
      return {
        allow: false,
        kind,
        message: `⛔ ${d.reason}${scoped}${groupsNote}\n${d.grantHint}`,
      };
    }
    if (this.d.kubeAccess && r.namespace !== undefined) {
      const k = await this.d.kubeAccess.check({
        userId: r.userId,
        cluster: r.cluster,
        action: r.action,
        ...(r.copy ? { copy: true } : {}),
        namespace: r.namespace,
        name: r.name,
      });
      if (!k.allowed) return { allow: false, kind: 'kubernetes', message: `⛔ ${k.reason}` };
    }
    const allowed = { allow: true as const, needsApprovals: d.needsApprovals, userGroups: groups };
    if (r.count === false && !r.checkWorker) return allowed;
    try {
      const kinds =
        r.count === false ? [] : r.privileged ? (['commands', 'privileged'] as const) : ['commands' as const];
      const rl = await this.d.rateLimits.gate(policy, {
        kinds,
        userId: r.userId,
        channelId: r.channelId,
        ...(r.checkWorker ? { heartbeatKey: KEYS.heartbeat(r.cluster) } : {}),
      });
      if (!rl.ok) return { allow: false, kind: 'rate_limited', message: `⏱️ ${rl.message}` };
      return r.checkWorker ? { ...allowed, workerSeen: rl.alive } : allowed;
    } catch (e) {
      if (e instanceof RateLimitStoreError) throw queueUnavailable(e);
      throw e;
    }
  }

  /**
   * Why commands that act on no cluster (`jobs`, `cancel`) may not run in this channel; undefined when the
   * policy allows the channel (the same channel rule as every other command).
   */
  channelRefusal(channelId: string, channelName: string): string | undefined {
    const policy = this.d.policy();
    if (channelAllowed(policy, channelId, channelName)) return undefined;
    const name = channelName ? `#${channelName.replace(/^#/, '')} (${channelId})` : channelId;
    const ask = policy.contact ? ` Ask ${policy.contact}.` : '';
    return `⛔ poddebug commands are not allowed in ${name}. Run it in an allowed channel, or have this channel added to channels in the poddebug policy.${ask}`;
  }

  /** Whether `approverId` may approve or deny a request by `requester` in this scope (never their own). */
  async mayApprove(
    approverId: string,
    request: { requester: string; cluster: string; namespace: string; action: string; channelId: string },
  ): Promise<{ allow: true } | { allow: false; reason: string }> {
    const { groups } = await this.userGroups(approverId);
    return canApprove(
      this.d.policy(),
      { userId: approverId, userGroups: groups },
      {
        userId: request.requester,
        userGroups: [],
        channelId: request.channelId,
        channelName: '',
        action: request.action,
        cluster: request.cluster,
        namespace: request.namespace,
      },
    );
  }

  /**
   * Why a probe's literal network targets (netcheck hosts and ports, tcpdump filter values) are refused in
   * this scope, as an ephemeral answer; undefined when they are allowed.
   */
  probeTargetRefusal(cluster: string, namespace: string, spec: ProbeSpec): string | undefined {
    const policy = this.d.policy();
    const image = withPolicyImage(policy, spec);
    if (!image.ok) return image.reason;
    const problems = literalTargetProblems(networkRules(policy, cluster, namespace), spec);
    return problems.length > 0 ? networkRefusal(policy, problems, cluster, namespace) : undefined;
  }

  /**
   * Why a worker's plan may not be offered for approval under the policy in force: the probe would see a
   * host namespace the policy does not allow here, or a netcheck name resolved to a denied address.
   */
  planRefusal(plan: ProbePlan): string | undefined {
    const policy = this.d.policy();
    const debug = debugPlanRefusal(policy, plan);
    if (debug) return debug;
    const host = hostScopeRefusal(policy, plan);
    if (host) return `⛔ ${host}`;
    const rules = networkRules(policy, plan.cluster, plan.namespace);
    // The literal targets again (the policy may have changed since the command), then what names resolved to.
    const problems = [
      ...literalTargetProblems(rules, plan.spec),
      ...resolvedTargetProblems(rules, plan.resolved),
    ];
    return problems.length > 0 ? networkRefusal(policy, problems, plan.cluster, plan.namespace) : undefined;
  }

  /** The spec as it is requested: `debug --image NAME` becomes the image reference the policy lists. */
  policySpec(spec: ProbeSpec): ProbeSpec {
    return withPolicyImage(this.d.policy(), spec).spec ?? spec;
  }

  /** Expiry settings of the policy in force. */
  expiry(): Policy['expiry'] {
    return this.d.policy().expiry;
  }
}

/** The Kubernetes-side check from its two parts: Slack user → Kubernetes identity → SubjectAccessReview. */
export function kubeAccessCheck(
  mapper: {
    toKube(
      userId: string,
    ): Promise<{ ok: true; user: string; groups: string[] } | { ok: false; reason: string }>;
  },
  reviewer: {
    check(r: {
      cluster: string;
      user: string;
      groups: string[];
      action: string;
      copy?: boolean;
      namespace?: string;
      name?: string;
    }): Promise<{ allowed: true } | { allowed: false; reason: string }>;
  },
): KubeAccessCheck {
  return {
    async check(r) {
      const id = await mapper.toKube(r.userId);
      if (!id.ok) return { allowed: false, reason: id.reason };
      return reviewer.check({
        cluster: r.cluster,
        user: id.user,
        groups: id.groups,
        action: r.action,
        ...(r.copy ? { copy: true } : {}),
        namespace: r.namespace,
        name: r.name,
      });
    },
  };
}
