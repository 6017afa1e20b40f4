import { z } from 'zod';
import { parseNet } from './net.js';

/**
 * The policy file: who may run which action where, in which channels, which
 * actions need approval and how many, rate limits and expiry. Pure data; see
 * `example.yaml` for a complete commented file, `parse.ts` to read one and
 * `decide.ts` to apply it. Every object is strict, so a misspelt key is an
 * error rather than a silently ignored (and so silently denying or allowing) rule.
 */

/** The actions each role grants. Roles are not cumulative: grant `[viewer, operator]` for both. */
export const ROLE_ACTIONS = {
  /** Read-only: what is wrong with the pod, its logs, events and description. */
  viewer: ['diagnose', 'logs', 'events', 'describe'],
  /** Touches the pod: an ephemeral debug container, network checks from the pod (DNS, TCP connect). */
  operator: ['debug', 'connectivity'],
  /** Node probes with host privileges: syscall tracing, packet capture, memory/process/fd/socket inspection. */
  privileged: ['strace', 'tcpdump', 'mem', 'ps', 'fds', 'netcheck'],
  /** Runs nothing; approves other people's requests in scope. */
  approver: [],
} as const satisfies Record<string, readonly string[]>;

export const ROLES = ['viewer', 'operator', 'privileged', 'approver'] as const;
export type Role = (typeof ROLES)[number];

export const ACTIONS = [
  ...ROLE_ACTIONS.viewer,
  ...ROLE_ACTIONS.operator,
  ...ROLE_ACTIONS.privileged,
] as const;
export type Action = (typeof ACTIONS)[number];

export function isAction(s: string): s is Action {
  return (ACTIONS as readonly string[]).includes(s);
}

/** The one role whose grant allows `action`. */
export function roleForAction(action: Action): Role {
  for (const role of ROLES) {
    if ((ROLE_ACTIONS[role] as readonly string[]).includes(action)) return role;
  }
  /* c8 ignore next */
  throw new Error(`no role grants ${action}`);
}

const RoleSchema = z.enum(ROLES, { error: `a role: one of ${ROLES.join(', ')}` });
const ActionSchema = z.enum(ACTIONS, { error: `an action: one of ${ACTIONS.join(', ')}` });

const UserId = z
  .string()
  .regex(/^[UW][A-Z0-9]{2,}$/, 'a Slack user ID such as U0123ABCD (not a name or @handle)');
const GroupId = z
  .string()
  .regex(/^S[A-Z0-9]{2,}$/, 'a Slack user group ID such as S0123ABCD (not a @handle)');
const ChannelId = z
  .string()
  .regex(/^[CGD][A-Z0-9]{2,}$/, 'a Slack channel ID such as C0123ABCD (not a #name)');
/** Slack channel names are lowercase letters, digits, `-`, `_` and `.`; `*` and `?` are wildcards. */
const ChannelNameGlob = z
  .string()
  .regex(
    /^[a-z0-9._*?-]{1,80}$/,
    'a channel name or pattern without # (lowercase letters, digits, - _ . and the wildcards * ?)',
  );
/** A DNS-1123 label or a pattern of one (`*` any run of characters, `?` one character). */
const NameGlob = (what: string) =>
  z
    .string()
    .regex(
      /^[a-z0-9*?-]{1,63}$/,
      `a ${what} name or pattern (lowercase letters, digits, - and the wildcards * ?)`,
    );
const ClusterGlobs = z.array(NameGlob('cluster')).min(1, 'list at least one cluster (use "*" for all)');
const NamespaceGlobs = z.array(NameGlob('namespace')).min(1, 'list at least one namespace (use "*" for all)');

/** Roles for subjects (users, user groups, channels) within clusters × namespaces. */
const GrantSchema = z
  .strictObject({
    /** Free text for people reading the file, e.g. "SRE on-call". */
    description: z.string().optional(),
    /** Slack user IDs. */
    users: z.array(UserId).default([]),
    /** Slack user group IDs; members are resolved by the bot (usergroups.users.list). */
    groups: z.array(GroupId).default([]),
    /** Slack channel IDs: anyone running a command in the channel holds the roles. */
    channels: z.array(ChannelId).default([]),
    roles: z.array(RoleSchema).min(1, 'list at least one role'),
    clusters: ClusterGlobs,
    namespaces: NamespaceGlobs,
  })
  .superRefine((g, ctx) => {
    if (g.users.length + g.groups.length + g.channels.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'a grant needs at least one of users, groups or channels' });
    }
    if (g.channels.length > 0 && g.roles.includes('approver')) {
      ctx.addIssue({
        code: 'custom',
        path: ['roles'],
        message:
          'approver cannot be granted to a channel (everyone in it could approve); grant it to users or groups',
      });
    }
  });

/** Where commands may run at all. Nothing is allowed unless listed. */
const ChannelsSchema = z
  .strictObject({
    ids: z.array(ChannelId).default([]),
    names: z.array(ChannelNameGlob).default([]),
  })
  .refine((c) => c.ids.length + c.names.length > 0, 'list at least one channel ID or name pattern');

const ApprovalOverrideSchema = z.strictObject({
  /** Actions this count applies to (they need approval even when not in `approvals.actions`); default: those in `approvals.actions`. */
  actions: z.array(ActionSchema).min(1).optional(),
  clusters: ClusterGlobs.default(['*']),
  namespaces: NamespaceGlobs.default(['*']),
  count: z.number().int().min(1).max(10),
});

const ApprovalsSchema = z.strictObject({
  /** Actions that need approval. Default: every privileged action. */
  actions: z.array(ActionSchema).default([...ROLE_ACTIONS.privileged]),
  /** Approvals needed by default. */
  count: z.number().int().min(1).max(10).default(1),
  /** Different counts for chosen actions, clusters or namespaces; the highest matching count wins. */
  overrides: z.array(ApprovalOverrideSchema).default([]),
});

const LimitSchema = z.strictObject({
  max: z.number().int().min(1),
  windowSeconds: z.number().int().min(1).max(86_400),
});
const LimitPairSchema = (user: z.input<typeof LimitSchema>, channel: z.input<typeof LimitSchema>) =>
  z
    .strictObject({
      perUser: LimitSchema.prefault(user),
      perChannel: LimitSchema.prefault(channel),
    })
    .prefault({});

const RateLimitsSchema = z.strictObject({
  /** Every command. Default 30 a minute per user, 120 a minute per channel. */
  commands: LimitPairSchema({ max: 30, windowSeconds: 60 }, { max: 120, windowSeconds: 60 }),
  /** Privileged requests. Default 5 an hour per user, 20 an hour per channel. */
  privileged: LimitPairSchema({ max: 5, windowSeconds: 3600 }, { max: 20, windowSeconds: 3600 }),
});

const ExpirySchema = z.strictObject({
  /** A request not approved within this time expires. Default 30. */
  pendingMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(30),
  /** An approved job that has not started within this time is void. Default 5. */
  approvedNotStartedMinutes: z.number().int().min(1).max(60).default(5),
});

/** Lets probes in a scope see host namespaces whole (targets with `hostNetwork` / `hostPID`). */
const HostNamespacesRuleSchema = z.strictObject({
  description: z.string().optional(),
  clusters: ClusterGlobs,
  namespaces: NamespaceGlobs,
  /** `network` (hostNetwork targets: tcpdump, netcheck, fds see the node's network), `pid` (hostPID: ps). */
  allow: z
    .array(z.enum(['network', 'pid'], { error: 'a host namespace: network or pid' }))
    .min(1, 'list at least one of network, pid'),
});

const Cidr = z
  .string()
  .refine(
    (c) => parseNet(c) !== undefined,
    'an IP address or CIDR such as 127.0.0.0/8, 169.254.169.254 or fe80::/10',
  );
const HostNameValue = z
  .string()
  .regex(
    /^(\*\.)?[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?\.?$/,
    'a host name (lowercase), optionally starting with "*." for every name under it',
  );
const Port = z.number().int().min(1, 'a port from 1 to 65535').max(65_535, 'a port from 1 to 65535');

const NetworkDenySchema = z.strictObject({
  cidrs: z.array(Cidr).default([]),
  names: z.array(HostNameValue).default([]),
  ports: z.array(Port).default([]),
});

const NetworkAllowSchema = z
  .strictObject({
    description: z.string().optional(),
    clusters: ClusterGlobs,
    namespaces: NamespaceGlobs,
    /** Denied addresses inside these networks are allowed. */
    cidrs: z.array(Cidr).default([]),
    names: z.array(HostNameValue).default([]),
    ports: z.array(Port).default([]),
  })
  .refine(
    (r) => r.cidrs.length + r.names.length + r.ports.length > 0,
    'an allow rule needs at least one of cidrs, names or ports',
  );

const ProbesSchema = z.strictObject({
  /** Node-wide probes on host-namespace targets: refused unless a rule here allows them in scope. */
  hostNamespaces: z.array(HostNamespacesRuleSchema).default([]),
  /** netcheck targets and tcpdump filter values: the built-in denylist, extra denials, exceptions by scope. */
  networkTargets: z
    .strictObject({
      /** Added to the built-in denylist (link-local, metadata, loopback, control-plane ports). */
      deny: NetworkDenySchema.prefault({}),
      /** Exceptions to the denylist, per cluster and namespace. */
      allow: z.array(NetworkAllowSchema).default([]),
    })
    .prefault({}),
});

/** One image `/poddebug debug` may run: users pick it by `name` (`--image NAME`); `image` is what runs. */
const DebugImageSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/, 'a short name users type, e.g. busybox'),
  image: z
    .string()
    .max(512)
    .regex(
      /^[a-z0-9][a-z0-9._/:-]*(@sha256:[0-9a-f]{64})?$/,
      'an image reference such as registry.example.com/tools/busybox:1.36@sha256:<64 hex>',
    ),
  description: z.string().optional(),
});

/** Debug containers (`/poddebug debug`, `connectivity`): which images, how many per pod. */
const DebugSchema = z
  .strictObject({
    /** Images a debug container may run; the first is the default. None: `debug` is refused. */
    images: z.array(DebugImageSchema).default([]),
    /** Every image must be pinned by digest (`…@sha256:…`). Default true. */
    requireDigest: z.boolean().default(true),
    /**
     * A pod that already carries this many ephemeral containers gets no more (they cannot be removed, only the
     * pod can be replaced). Default 5.
     */
    maxEphemeralContainers: z.number().int().min(1).max(50).default(5),
  })
  .superRefine((d, ctx) => {
    const seen = new Set<string>();
    d.images.forEach((img, i) => {
      if (seen.has(img.name))
        ctx.addIssue({ code: 'custom', path: ['images', i, 'name'], message: `${img.name} is listed twice` });
      seen.add(img.name);
      if (d.requireDigest && !/@sha256:[0-9a-f]{64}$/.test(img.image))
        ctx.addIssue({
          code: 'custom',
          path: ['images', i, 'image'],
          message: `${img.image} is not pinned by digest (…@sha256:<64 hex>); pin it or set requireDigest: false`,
        });
    });
  });

export const PolicySchema = z.strictObject({
  version: z.literal(1, 'must be 1 (the only policy format)'),
  /** Who people should ask for a grant; shown in every denial, e.g. "#sre-platform". */
  contact: z.string().min(1).max(200).optional(),
  channels: ChannelsSchema,
  grants: z.array(GrantSchema).default([]),
  approvals: ApprovalsSchema.prefault({}),
  rateLimits: RateLimitsSchema.prefault({}),
  expiry: ExpirySchema.prefault({}),
  probes: ProbesSchema.prefault({}),
  debug: DebugSchema.prefault({}),
});

export type Policy = z.output<typeof PolicySchema>;
export type PolicyInput = z.input<typeof PolicySchema>;
export type Grant = Policy['grants'][number];
