import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { Policy } from './schema.js';

/** The Slack user group IDs the policy mentions: the only groups worth asking Slack about. */
export function policyGroupIds(policy: Policy): string[] {
  return [...new Set(policy.grants.flatMap((g) => g.groups))];
}

export interface UserGroupsOptions {
  /** A WebClient with the bot token (scope `usergroups:read`). Give it a modest retryConfig: see `timeoutMs`. */
  client: Pick<WebClient, 'usergroups'>;
  /** How long a group's member list is used before it is read again. Default 300 000 ms (5 minutes). */
  ttlMs?: number;
  /** When Slack cannot be read, a cached list up to this old is used (and marked stale). Default 3 600 000 ms (1 hour). */
  staleMs?: number;
  /**
   * The longest a lookup waits for Slack (the WebClient's own retries included) before answering from the
   * cache or as unresolved. The request itself carries on and fills the cache when it completes. Default 2000 ms.
   */
  timeoutMs?: number;
  logger: Logger;
  /** Clock in ms. Default Date.now. */
  now?: () => number;
}

export interface GroupsOfResult {
  /** The groups among those asked about that the user is in (in the order asked). */
  groups: string[];
  /** True when some answer came from a cached list older than the TTL because Slack could not be read. */
  stale: boolean;
  /** Groups that could not be read from Slack and have no usable cached list: treat the user as not in them. */
  unresolved: string[];
}

interface Entry {
  users: ReadonlySet<string>;
  fetchedAt: number;
}

const TIMED_OUT = Symbol('timed out');

/**
 * Which Slack user groups a user is in, through `usergroups.users.list`, one
 * request per group (never per user), cached per group for `ttlMs`.
 * Concurrent lookups of a group share one request. When Slack fails (an error,
 * a 429 after the WebClient's retries, a timeout), a cached list up to
 * `staleMs` old is used and the answer is marked stale; with nothing usable the
 * group is unresolved, and the caller denies and says why
 * ({@link unresolvedGroupsMessage}). Never throws on Slack errors.
 */
export class UserGroups {
  private readonly client: Pick<WebClient, 'usergroups'>;
  private readonly ttlMs: number;
  private readonly staleMs: number;
  private readonly timeoutMs: number;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly cache = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<Entry | undefined>>();

  constructor(opts: UserGroupsOptions) {
    this.client = opts.client;
    this.ttlMs = opts.ttlMs ?? 300_000;
    this.staleMs = opts.staleMs ?? 3_600_000;
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.logger = opts.logger.child({ component: 'user-groups' });
    this.now = opts.now ?? Date.now;
  }

  async groupsOf(userId: string, groupIds: readonly string[]): Promise<GroupsOfResult> {
    const ids = [...new Set(groupIds)];
    const lists = await Promise.all(ids.map((id) => this.members(id)));
    const out: GroupsOfResult = { groups: [], stale: false, unresolved: [] };
    ids.forEach((id, i) => {
      const r = lists[i]!;
      if (r === undefined) {
        out.unresolved.push(id);
        return;
      }
      if (r.stale) out.stale = true;
      if (r.users.has(userId)) out.groups.push(id);
    });
    return out;
  }

  /** Forgets every cached list (e.g. after a policy change, or in tests). */
  clear(): void {
    this.cache.clear();
  }

  private async members(id: string): Promise<{ users: ReadonlySet<string>; stale: boolean } | undefined> {
    const cached = this.cache.get(id);
    if (cached && this.now() - cached.fetchedAt < this.ttlMs) return { users: cached.users, stale: false };

    const fetched = await this.withTimeout(id, this.fetchShared(id));
    if (fetched) return { users: fetched.users, stale: false };

    const fallback = this.cache.get(id);
    if (fallback && this.now() - fallback.fetchedAt <= this.staleMs) {
      return { users: fallback.users, stale: true };
    }
    return undefined;
  }

  private fetchShared(id: string): Promise<Entry | undefined> {
    let p = this.inflight.get(id);
    if (!p) {
      p = this.fetch(id).finally(() => this.inflight.delete(id));
      this.inflight.set(id, p);
    }
    return p;
  }

  /** One request; resolves undefined (and logs) on any failure. */
  private async fetch(id: string): Promise<Entry | undefined> {
    try {
      const res = await this.client.usergroups.users.list({ usergroup: id });
      if (!res.ok || !Array.isArray(res.users)) {
        throw new Error(res.error ?? 'usergroups.users.list answered without users');
      }
      const entry = { users: new Set(res.users), fetchedAt: this.now() };
      this.cache.set(id, entry);
      return entry;
    } catch (err) {
      this.logger.warn({ usergroup: id, error: describe(err) }, 'could not read a Slack user group');
      return undefined;
    }
  }

  private async withTimeout(id: string, p: Promise<Entry | undefined>): Promise<Entry | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(resolve, this.timeoutMs, TIMED_OUT);
      timer.unref();
    });
    try {
      const r = await Promise.race([p, timeout]);
      if (r === TIMED_OUT) {
        this.logger.warn({ usergroup: id, timeoutMs: this.timeoutMs }, 'Slack user group lookup timed out');
        return undefined;
      }
      return r;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The sentence a denial adds when groups could not be read, e.g. "could not read user group S0SRE from Slack". */
export function unresolvedGroupsMessage(unresolved: readonly string[]): string {
  if (unresolved.length === 0) return '';
  const noun = unresolved.length === 1 ? 'user group' : 'user groups';
  return `could not read ${noun} ${unresolved.join(', ')} from Slack, so grants to ${unresolved.length === 1 ? 'it' : 'them'} were not applied; try again in a minute`;
}

/** A short reason for the log: Slack's error code when there is one (never the token or the request). */
function describe(err: unknown): string {
  const e = err as { code?: unknown; data?: { error?: unknown }; message?: unknown };
  if (typeof e?.data?.error === 'string') return e.data.error;
  const msg = typeof e?.message === 'string' ? e.message : String(err);
  return typeof e?.code === 'string' ? `${e.code}: ${msg}` : msg;
}
