/**
 * Slack user → Kubernetes identity, for the optional access review
 * (access-review.ts). Modes:
 *
 * - `off`: no mapping (the access review is off);
 * - `email`: the user's Slack profile email (users.info, needs the
 *   `users:read.email` scope), lower-cased, is the Kubernetes user name, as
 *   with an OIDC provider that uses the email claim; `emailDomains` limits it
 *   to addresses of the organisation's domains;
 * - `static`: a map from Slack user ID to a user name and groups.
 *
 * Every mapped identity gets the config's `groups` and `system:authenticated`
 * (the group the API server gives every authenticated user, so bindings to it
 * apply as they would to the user's own requests).
 */
import { readFile } from 'node:fs/promises';
import type { WebClient } from '@slack/web-api';
import { parseDocument } from 'yaml';
import { z } from 'zod';

const SlackUserId = z
  .string()
  .regex(/^[UW][A-Z0-9]{2,}$/, 'a Slack user ID such as U0123ABCD (not a name or @handle)');

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const NoControl = /^[^\u0000-\u001f\u007f]*$/;

const KubeUser = z
  .string()
  .min(1, 'a Kubernetes user name, not empty')
  .max(253, 'at most 253 characters')
  .regex(NoControl, 'no control characters');

const KubeGroup = KubeUser.refine((g) => g !== 'system:masters', {
  message: 'system:masters passes every RBAC check; map users to groups your cluster actually binds',
});

const Domain = z
  .string()
  .regex(
    /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/,
    'a lower-case domain such as example.com',
  );

export const IdentityConfigSchema = z
  .strictObject({
    mode: z.enum(['off', 'email', 'static'], { error: 'mode: one of off, email, static' }),
    staticMap: z
      .record(SlackUserId, z.strictObject({ user: KubeUser, groups: z.array(KubeGroup).optional() }))
      .optional(),
    /** Extra groups every mapped user gets (e.g. slack-users). */
    groups: z.array(KubeGroup).optional(),
    /** Email mode: only addresses in these domains map; others are refused. */
    emailDomains: z.array(Domain).min(1).optional(),
  })
  .superRefine((cfg, ctx) => {
    if (cfg.mode === 'static' && Object.keys(cfg.staticMap ?? {}).length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['staticMap'],
        message: 'mode static needs staticMap: { U0123ABCD: { user: alice@example.com } }',
      });
  });

export type IdentityConfig = z.infer<typeof IdentityConfigSchema>;

export type ParseIdentityResult = { ok: true; config: IdentityConfig } | { ok: false; errors: string[] };

/** Parses the text of an identity config file (YAML or JSON). Pure; errors read `file: path: reason`. */
export function parseIdentityConfig(text: string, file: string): ParseIdentityResult {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return { ok: false, errors: doc.errors.map((e) => `${file}: ${e.message.split('\n')[0]}`) };
  }
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  if (value === null || value === undefined) {
    return {
      ok: false,
      errors: [`${file}: the file is empty; it needs at least "mode: email" or "mode: static"`],
    };
  }
  const parsed = IdentityConfigSchema.safeParse(value);
  if (parsed.success) return { ok: true, config: parsed.data };
  return {
    ok: false,
    errors: parsed.error.issues.map((i) => {
      const path = i.path.map(String).join('.');
      const msg =
        i.code === 'unrecognized_keys'
          ? `unknown key(s) ${i.keys.join(', ')}`
          : i.code === 'invalid_key'
            ? (i.issues[0]?.message ?? i.message)
            : i.message;
      return `${file}: ${path || '(top level)'}: ${msg}`;
    }),
  };
}

/** A config file that cannot be used; `message` names the file and each problem. */
export class IdentityConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`Identity config ${file} is not usable:\n  ${problems.join('\n  ')}`);
    this.name = 'IdentityConfigError';
  }
}

/** Reads and validates an identity config file; throws IdentityConfigError. */
export async function loadIdentityConfig(file: string): Promise<IdentityConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a directory, not a file'
            : (code ?? String(e));
    throw new IdentityConfigError(file, [`${file}: cannot read it (${why})`]);
  }
  const r = parseIdentityConfig(text, file);
  if (!r.ok) throw new IdentityConfigError(file, r.errors);
  return r.config;
}

export type KubeIdentity = { ok: true; user: string; groups: string[] } | { ok: false; reason: string };

/** Maps Slack users to Kubernetes identities; email lookups are cached for `ttlMs` (default 10 minutes). */
export class IdentityMapper {
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly cache = new Map<string, { email: string; until: number }>();

  constructor(
    private readonly cfg: IdentityConfig,
    private readonly client: Pick<WebClient, 'users'>,
    opts: { ttlMs?: number; now?: () => number } = {},
  ) {
    this.ttlMs = opts.ttlMs ?? 10 * 60_000;
    this.now = opts.now ?? Date.now;
  }

  private identity(user: string, groups: string[] = []): KubeIdentity {
    return {
      ok: true,
      user,
      groups: [...new Set([...groups, ...(this.cfg.groups ?? []), 'system:authenticated'])],
    };
  }

  async toKube(slackUserId: string): Promise<KubeIdentity> {
    switch (this.cfg.mode) {
      case 'off':
        return { ok: false, reason: 'Mapping Slack users to Kubernetes users is off in poddebug.' };
      case 'static': {
        const entry = Object.hasOwn(this.cfg.staticMap ?? {}, slackUserId)
          ? this.cfg.staticMap![slackUserId]
          : undefined;
        if (!entry)
          return {
            ok: false,
            reason: `Your Slack user (${slackUserId}) is not mapped to a Kubernetes user, so poddebug cannot check your Kubernetes permissions. Ask an admin to add you to staticMap in the identity config.`,
          };
        return this.identity(entry.user, entry.groups);
      }
      case 'email':
        return this.byEmail(slackUserId);
    }
  }

  private async byEmail(slackUserId: string): Promise<KubeIdentity> {
    const cached = this.cache.get(slackUserId);
    let email: string;
    if (cached && cached.until > this.now()) {
      email = cached.email;
    } else {
      let profileEmail: string | undefined;
      try {
        const res = await this.client.users.info({ user: slackUserId });
        if (res.user?.deleted)
          return { ok: false, reason: 'Your Slack account is deactivated, so poddebug does not map it.' };
        profileEmail = res.user?.profile?.email;
      } catch (e) {
        const code = (e as { data?: { error?: unknown } }).data?.error;
        const why =
          typeof code === 'string' ? code : e instanceof Error ? e.message.split('\n')[0] : String(e);
        return {
          ok: false,
          reason: `poddebug could not read your Slack profile (users.info: ${why}), so it cannot map you to a Kubernetes user. Try again in a minute.`,
        };
      }
      if (!profileEmail?.trim())
        return {
          ok: false,
          reason:
            'Your Slack profile has no email, so poddebug cannot map you to a Kubernetes user. (The Slack app needs the users:read.email scope to see it.)',
        };
      email = profileEmail.trim().toLowerCase();
      this.cache.set(slackUserId, { email, until: this.now() + this.ttlMs });
    }
    const domains = this.cfg.emailDomains;
    const domain = email.slice(email.lastIndexOf('@') + 1);
    if (domains && !domains.includes(domain))
      return {
        ok: false,
        reason: `Your Slack email ${email} is not in a domain poddebug maps to Kubernetes users (${domains.join(', ')}).`,
      };
    return this.identity(email);
  }
}
