import { type Grant, isAction, type Policy, roleForAction } from './schema.js';

/** One request as the bot sees it, after the user's groups are resolved. */
export interface PolicyRequest {
  userId: string;
  userGroups: string[];
  channelId: string;
  /** The channel's name without `#` (a leading `#` is ignored). */
  channelName: string;
  action: string;
  cluster: string;
  namespace: string;
}

export type Decision =
  | { allow: true; needsApprovals: number }
  | { allow: false; reason: string; grantHint: string };

export interface Approver {
  userId: string;
  userGroups: string[];
}

export type ApprovalCheck = { allow: true } | { allow: false; reason: string };

/**
 * Deny by default: a request is allowed only in an allowed channel, for a known
 * action, when a grant to the user, one of their groups or the channel gives the
 * action's role in a scope matching both cluster and namespace.
 */
export function decide(policy: Policy, request: PolicyRequest): Decision {
  const { action, cluster, namespace } = request;
  const scope = `cluster ${cluster}, namespace ${namespace || '(any)'}`;
  const ask = policy.contact ? ` Ask ${policy.contact}.` : '';

  if (!channelAllowed(policy, request.channelId, request.channelName)) {
    const name = request.channelName
      ? `#${stripHash(request.channelName)} (${request.channelId})`
      : request.channelId;
    return {
      allow: false,
      reason: `poddebug commands are not allowed in ${name}, so ${action} in ${scope} was not run.`,
      grantHint: `Run it in an allowed channel, or have ${request.channelId} or a matching name pattern added to channels in the poddebug policy.${ask}`,
    };
  }
  if (!isAction(action)) {
    return {
      allow: false,
      reason: `${action} is not an action the poddebug policy knows, so it was not run in ${scope}.`,
      grantHint: 'No role grants it; see /poddebug help for the actions.',
    };
  }
  const role = roleForAction(action);
  const granted = policy.grants.some(
    (g) => g.roles.includes(role) && subjectMatches(g, request) && inScope(g, cluster, namespace),
  );
  if (!granted) {
    return {
      allow: false,
      reason: `You have no grant for ${action} in ${scope}.`,
      grantHint: `Needs role ${role} for ${scope}, granted to your user, one of your user groups or this channel in the poddebug policy.${ask}`,
    };
  }
  return { allow: true, needsApprovals: approvalsNeeded(policy, action, cluster, namespace) };
}

/**
 * Whether `approver` may approve `request`: never the requester; otherwise a
 * grant of `approver` to the user or one of their groups in the request's
 * cluster and namespace. (The schema refuses `approver` granted to a channel.)
 */
export function canApprove(policy: Policy, approver: Approver, request: PolicyRequest): ApprovalCheck {
  const scope = `cluster ${request.cluster}, namespace ${request.namespace}`;
  if (approver.userId === request.userId) {
    return { allow: false, reason: 'You cannot approve your own request; another approver must.' };
  }
  const subject = { userId: approver.userId, userGroups: approver.userGroups, channelId: '' };
  const ok = policy.grants.some(
    (g) =>
      g.roles.includes('approver') &&
      subjectMatches(g, subject) &&
      inScope(g, request.cluster, request.namespace),
  );
  if (!ok) {
    const ask = policy.contact ? ` Ask ${policy.contact}.` : '';
    return {
      allow: false,
      reason: `Only holders of role approver for ${scope} can approve this request.${ask}`,
    };
  }
  return { allow: true };
}

/** 0 when the action needs no approval; else the highest count among the default and matching overrides. */
export function approvalsNeeded(policy: Policy, action: string, cluster: string, namespace: string): number {
  const a = policy.approvals;
  const listed = (a.actions as readonly string[]).includes(action);
  let n = listed ? a.count : 0;
  for (const o of a.overrides) {
    const applies = o.actions ? (o.actions as readonly string[]).includes(action) : listed;
    if (applies && matchesAny(o.clusters, cluster) && matchesAny(o.namespaces, namespace)) {
      n = Math.max(n, o.count);
    }
  }
  return n;
}

export function channelAllowed(policy: Policy, channelId: string, channelName: string): boolean {
  if (policy.channels.ids.includes(channelId)) return true;
  const name = stripHash(channelName);
  return name !== '' && matchesAny(policy.channels.names, name);
}

function subjectMatches(g: Grant, s: { userId: string; userGroups: string[]; channelId: string }): boolean {
  return (
    g.users.includes(s.userId) ||
    s.userGroups.some((id) => g.groups.includes(id)) ||
    (s.channelId !== '' && g.channels.includes(s.channelId))
  );
}

function inScope(g: Grant, cluster: string, namespace: string): boolean {
  return matchesAny(g.clusters, cluster) && matchesAny(g.namespaces, namespace);
}

function stripHash(name: string): string {
  return name.startsWith('#') ? name.slice(1) : name;
}

const globCache = new Map<string, RegExp>();

/** Anchored glob: `*` any run of characters (possibly empty), `?` exactly one; everything else literal. */
export function globToRegExp(glob: string): RegExp {
  let re = globCache.get(glob);
  if (!re) {
    const body = [...glob]
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
      .join('');
    re = new RegExp(`^${body}$`);
    globCache.set(glob, re);
  }
  return re;
}

export function matchGlob(glob: string, value: string): boolean {
  return globToRegExp(glob).test(value);
}

function matchesAny(globs: readonly string[], value: string): boolean {
  return globs.some((g) => matchGlob(g, value));
}
