/**
 * The policies the integration tests repeat, built from the grants they use (a requester who may run
 * privileged actions, a viewer, an approver), written as the YAML file the bot reads. A suite that tests
 * something particular about policy (groups, overrides, probe or debug scope) keeps its own YAML.
 */
import { stringify } from 'yaml';

export interface Grant {
  users?: string[];
  groups?: string[];
  roles: string[];
  clusters: string[];
  namespaces: string[];
}

const list = (u: string | string[]) => (Array.isArray(u) ? u : [u]);

/** May read and run privileged actions (viewer, privileged) in `namespaces` (default shop), any cluster. */
export const requester = (users: string | string[], namespaces = ['shop']): Grant => ({
  users: list(users),
  roles: ['viewer', 'privileged'],
  clusters: ['*'],
  namespaces,
});

/** May read (viewer) in `namespaces` (default all), any cluster. */
export const viewer = (users: string | string[], namespaces = ['*']): Grant => ({
  users: list(users),
  roles: ['viewer'],
  clusters: ['*'],
  namespaces,
});

/** May approve in `namespaces` (default all), any cluster. */
export const approver = (users: string | string[], namespaces = ['*']): Grant => ({
  users: list(users),
  roles: ['approver'],
  clusters: ['*'],
  namespaces,
});

type Limit = { max: number; windowSeconds: number };
export interface RateLimits {
  commands?: { perUser: Limit; perChannel: Limit };
  privileged?: { perUser: Limit; perChannel: Limit };
}

const wide = { perUser: { max: 1000, windowSeconds: 60 }, perChannel: { max: 1000, windowSeconds: 60 } };
/** Limits no test reaches: 1000 commands and 1000 privileged requests a minute, per user and per channel. */
export const GENEROUS: RateLimits = { commands: wide, privileged: wide };
/** Only the privileged limits raised (the commands keep the default limits). */
export const GENEROUS_PRIVILEGED: RateLimits = { privileged: wide };

export interface PolicyOptions {
  /** Default: the channel the privileged flow uses (C0INCIDENT, test/support/probe-flow.ts). */
  channels?: { ids?: string[]; names?: string[] };
  contact?: string;
  grants: Grant[];
  /** How many approvals a privileged request needs (omitted: the policy's default). */
  approvals?: number;
  rateLimits?: RateLimits;
}

/** The policy file's YAML. */
export function policyYaml(o: PolicyOptions): string {
  return stringify(
    {
      version: 1,
      ...(o.contact ? { contact: o.contact } : {}),
      channels: o.channels ?? { ids: ['C0INCIDENT'] },
      grants: o.grants,
      ...(o.approvals !== undefined ? { approvals: { count: o.approvals } } : {}),
      ...(o.rateLimits ? { rateLimits: o.rateLimits } : {}),
    },
    { aliasDuplicateObjects: false },
  );
}

/** The privileged flow's policy: `req` may request in shop, `appr` may approve anywhere, in C0INCIDENT. */
export function probePolicy(
  req: string,
  appr: string | string[],
  o: Omit<PolicyOptions, 'grants'> = {},
): string {
  return policyYaml({ ...o, grants: [requester(req), approver(appr)] });
}
