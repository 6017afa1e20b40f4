import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { luaScript } from '../../jobs/contracts/lua.js';
import { REQUEST_TTL_SEC } from '../../jobs/contracts/requests.js';
import {
  type AuditKey,
  type ChainHead,
  canonicalJson,
  checkpointEvent,
  entryHash,
  entryMac,
  formatHead,
  GENESIS,
  parseHead,
  type RawEntry,
  unrequestedProblems,
  type VerifyResult,
  verifyChain,
} from './chain.js';
import { type AuditEvent, parseAuditEvent } from './event.js';

/**
 * The default stream key; the head lives at `<key>:head`, the once-markers at `<key>:done:…`. The hash tag
 * (`{…}`) keeps them on one slot of a Redis Cluster, as the append script needs.
 */
export const DEFAULT_AUDIT_KEY = '{poddebug:audit}';

/** Whether a key carries a Redis Cluster hash tag: a non-empty `{…}` (the first `{` and the next `}`). */
export function hasHashTag(key: string): boolean {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1;
}

/** Why an audit stream key cannot be used, or undefined when it can. */
export function auditKeyProblem(key: string): string | undefined {
  if (!hasHashTag(key))
    return `${JSON.stringify(key)} has no hash tag: use one such as {poddebug:audit} (the stream, its head and its once-markers must share a Redis Cluster slot)`;
  if (/\s/.test(key)) return `${JSON.stringify(key)} contains whitespace`;
  return undefined;
}

/** How long a once-marker is kept: as long as the request record it stands for. */
const ONCE_MARK_TTL_SEC = REQUEST_TTL_SEC;

/** Compare-and-append (see append.lua). */
const APPEND_LUA = luaScript(new URL('./append.lua', import.meta.url));
const APPEND_COMMAND = 'poddebug_audit_append';

/** An append that happens at most once: while the hash at `key` has the field `due:<item>` (see append.lua). */
export interface AppendOnce {
  key: string;
  item: string;
}
type Appended = { id: string; hash: string; seq: number };

/** One entry read back: the stored fields as strings (see chain.ts), `event` as the raw JSON. */
export interface AuditEntry extends RawEntry {}

export interface AuditStreamOptions {
  /** Stream key, with a hash tag. Default `{poddebug:audit}`. */
  key?: string;
  /** Logs append conflicts at debug level. Default: none. */
  logger?: Logger;
  /** How many times an append retries after another appender moved the head first. Default 50. */
  maxAttempts?: number;
  /**
   * HMAC keys (AUDIT_HMAC_KEYS_FILE): the first writes, all verify. Absent: an unkeyed sha256 chain, which
   * anyone who can write to Redis can rewrite whole.
   */
  keys?: readonly AuditKey[];
}

/** Checkpoints are written this often by default (ms); `verify` allows twice that. */
export const DEFAULT_CHECKPOINT_MS = 5 * 60_000;

export class AuditAppendConflictError extends Error {
  constructor(key: string, attempts: number) {
    super(
      `audit stream ${key}: gave up appending after ${attempts} attempts (other appenders kept moving the head)`,
    );
    this.name = 'AuditAppendConflictError';
  }
}

export class AuditHeadMalformedError extends Error {
  constructor(key: string, value: string) {
    super(
      `audit stream ${key}: its head ${key}:head holds ${JSON.stringify(value.slice(0, 80))}, not seq:hash; run \`poddebug audit verify\``,
    );
    this.name = 'AuditHeadMalformedError';
  }
}

const PAGE = 500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function toEntry(id: string, flat: string[]): AuditEntry {
  const e: AuditEntry = { id };
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const f = flat[i]!;
    if (f === 'seq' || f === 'prev' || f === 'hash' || f === 'event' || f === 'kid') e[f] = flat[i + 1]!;
  }
  return e;
}

/**
 * The append-only, hash-chained audit stream in Redis. Never trimmed. Appends
 * from one instance are serialised; appends from several instances (bot
 * replicas) are made safe by the compare-and-append script.
 */
export class AuditStream {
  readonly key: string;
  readonly headKey: string;
  private readonly logger?: Logger;
  private readonly maxAttempts: number;
  readonly keys?: readonly AuditKey[];
  private tail: Promise<unknown> = Promise.resolve();
  /** The head as this instance last wrote or saw it: the next append tries it first (a stale one costs a retry). */
  private knownHead: string | null | undefined;

  constructor(
    private readonly redis: Redis,
    opts: AuditStreamOptions = {},
  ) {
    // As a defined command (EVALSHA): the script is sent once per connection, not with every append.
    if (!(APPEND_COMMAND in redis)) redis.defineCommand(APPEND_COMMAND, { lua: APPEND_LUA });
    this.key = opts.key ?? DEFAULT_AUDIT_KEY;
    const problem = auditKeyProblem(this.key);
    if (problem) throw new Error(`audit stream key ${problem}`);
    this.headKey = `${this.key}:head`;
    this.logger = opts.logger;
    this.maxAttempts = opts.maxAttempts ?? 50;
    if (opts.keys && opts.keys.length > 0) this.keys = opts.keys;
  }

  /**
   * Appends a checkpoint: an entry holding only Redis's time, keyed like every entry. The bot writes one at
   * start-up and every interval; `verify` reports a newest checkpoint older than allowed (a truncated tail).
   */
  async checkpoint(): Promise<Appended & { at: string }> {
    const [sec, usec] = await this.redis.time();
    const at = new Date(Number(sec) * 1000 + Math.floor(Number(usec) / 1000));
    const event = checkpointEvent(at);
    const run = this.tail.then(() => this.appendNow(event));
    this.tail = run.catch(() => undefined);
    const done = (await run)!;
    return { ...done, at: at.toISOString() };
  }

  /**
   * Appends one event; resolves to its stream entry id and chain hash. With `once`, only while the hash at
   * `once.key` has the field `due:<once.item>` (deleted in the same step); resolves to undefined when it
   * has not (the entry was written before).
   */
  append(e: AuditEvent): Promise<Appended>;
  append(e: AuditEvent, once: AppendOnce | undefined): Promise<Appended | undefined>;
  async append(e: AuditEvent, once?: AppendOnce): Promise<Appended | undefined> {
    const event = canonicalJson(parseAuditEvent(e));
    const run = this.tail.then(() => this.appendNow(event, once));
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** The marker of a once-append done, on the stream's slot (the record it is due in lives elsewhere). */
  private doneKey(once: AppendOnce): string {
    return `${this.key}:done:${once.item}:${once.key}`;
  }

  private async appendNow(event: string, once?: AppendOnce): Promise<Appended | undefined> {
    // A once-append: due while the record says so; appended at most once, marked done on the stream's slot
    // in the same step; the record's due field removed after (a crash in between: the next try finds it done).
    if (once && !(await this.redis.hexists(once.key, `due:${once.item}`))) return undefined;
    const appended = await this.appendChained(event, once);
    if (once) await this.redis.hdel(once.key, `due:${once.item}`);
    return appended;
  }

  private async appendChained(event: string, once?: AppendOnce): Promise<Appended | undefined> {
    let raw = this.knownHead !== undefined ? this.knownHead : await this.redis.get(this.headKey);
    const append = (this.redis as unknown as Record<string, (...a: (string | number)[]) => Promise<unknown>>)[
      APPEND_COMMAND
    ]!;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const head = this.headOf(raw);
      const seq = (head?.seq ?? 0) + 1;
      const prev = head?.hash ?? GENESIS;
      const key = this.keys?.[0];
      const hash = key ? entryMac(key, prev, seq, event) : entryHash(prev, seq, event);
      const res = (await append.call(
        this.redis,
        once ? 3 : 2,
        this.key,
        this.headKey,
        ...(once ? [this.doneKey(once)] : []),
        raw ?? '',
        String(seq),
        prev,
        hash,
        event,
        formatHead({ seq, hash }),
        once ? String(ONCE_MARK_TTL_SEC) : '',
        key?.kid ?? '',
      )) as [number, string];
      if (res[0] === 1) {
        this.knownHead = formatHead({ seq, hash });
        return { id: res[1], hash, seq };
      }
      if (res[0] === 2) return undefined;
      raw = res[1] === '' ? null : res[1];
      this.knownHead = raw;
      this.logger?.debug({ key: this.key, attempt }, 'audit append conflict, retrying');
      if (attempt > 3) await sleep(Math.random() * Math.min(50, 2 * attempt));
    }
    throw new AuditAppendConflictError(this.key, this.maxAttempts);
  }

  private headOf(raw: string | null): ChainHead | null {
    const h = parseHead(raw);
    if (h === 'malformed') throw new AuditHeadMalformedError(this.key, raw ?? '');
    return h;
  }

  /**
   * Entries in stream order, paged. `since` starts at entries appended at or
   * after that time (stream ids are Redis server time in ms); `count` stops
   * after that many.
   */
  async *read(opts: { since?: Date; count?: number; after?: string } = {}): AsyncIterable<AuditEntry> {
    let start = opts.after ? `(${opts.after}` : opts.since ? `${Math.max(0, opts.since.getTime())}-0` : '-';
    let left = opts.count ?? Number.POSITIVE_INFINITY;
    while (left > 0) {
      const page = await this.redis.xrange(this.key, start, '+', 'COUNT', Math.min(PAGE, left));
      for (const [id, flat] of page) yield toEntry(id, flat);
      left -= page.length;
      if (page.length < PAGE) return;
      start = `(${page[page.length - 1]![0]}`;
    }
  }

  /** The head key's raw value (`seq:hash`), or null when nothing was appended. */
  head(): Promise<string | null> {
    return this.redis.get(this.headKey);
  }

  /**
   * Reads the whole stream and the head and checks the chain. Appends that
   * happen while it reads are picked up: it re-reads the tail until the head
   * did not move during a pass.
   */
  async verify(opts: { maxCheckpointAgeMs?: number } = {}): Promise<VerifyResult> {
    const entries: AuditEntry[] = [];
    let head: string | null = null;
    for (let pass = 0; pass < 10; pass++) {
      head = await this.head();
      const after = entries.length ? entries[entries.length - 1]!.id : undefined;
      for await (const e of this.read(after ? { after } : {})) entries.push(e);
      if ((await this.head()) === head) break;
    }
    let keyed: Parameters<typeof verifyChain>[2];
    if (this.keys) {
      const [sec, usec] = await this.redis.time();
      keyed = {
        keys: this.keys,
        now: new Date(Number(sec) * 1000 + Math.floor(Number(usec) / 1000)),
        maxCheckpointAgeMs: opts.maxCheckpointAgeMs ?? 2 * DEFAULT_CHECKPOINT_MS,
      };
    }
    const chain = verifyChain(entries, head, keyed);
    const unrequested = unrequestedProblems(entries);
    if (unrequested.length === 0) return chain;
    return { ok: false, count: chain.count, problems: [...(chain.ok ? [] : chain.problems), ...unrequested] };
  }
}

/** A stored event as `poddebug audit export` prints it: `{ id, seq, prev, hash, ...event }`. */
export function exportLine(e: AuditEntry): string {
  let event: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(e.event ?? '');
    event =
      parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : { raw: e.event };
  } catch {
    event = { raw: e.event ?? null };
  }
  return JSON.stringify({
    id: e.id,
    seq: e.seq === undefined ? null : Number(e.seq),
    prev: e.prev ?? null,
    hash: e.hash ?? null,
    ...(e.kid !== undefined ? { kid: e.kid } : {}),
    ...event,
  });
}

/**
 * The audit trail: each event goes to the pino audit log (one JSON line) and
 * to the audit stream. If Redis fails, the pino line is still written, the
 * failure is logged and the error is rethrown for the caller to decide.
 */
export class AuditLog {
  constructor(
    private readonly stream: AuditStream,
    private readonly logger: Logger,
  ) {}

  /** Records one event; with `once`, only if it is still due (undefined when it was recorded before). */
  record(e: AuditEvent): Promise<Appended>;
  record(e: AuditEvent, once: AppendOnce | undefined): Promise<Appended | undefined>;
  async record(e: AuditEvent, once?: AppendOnce): Promise<Appended | undefined> {
    let appended: Appended | undefined;
    try {
      appended = await this.stream.append(e, once);
      if (!appended) return undefined;
    } catch (err) {
      this.logger.info({ audit: e, auditId: null, hash: null }, `audit ${e.type}`);
      this.logger.error(
        { err, auditKey: this.stream.key, requestId: e.requestId, type: e.type },
        'audit stream append failed: the event is only in this log',
      );
      throw err;
    }
    this.logger.info({ audit: e, auditId: appended.id, hash: appended.hash }, `audit ${e.type}`);
    return appended;
  }

  /**
   * Writes a checkpoint into the stream and into this log (a copy outside Redis: the stream's newest
   * checkpoint must be at least as new as the log's). Failures are logged, not thrown (a timer calls it).
   */
  async checkpoint(): Promise<void> {
    try {
      const c = await this.stream.checkpoint();
      this.logger.info(
        {
          checkpoint: { at: c.at, seq: c.seq, hash: c.hash, kid: this.stream.keys?.[0]?.kid ?? null },
          auditId: c.id,
        },
        'audit checkpoint',
      );
    } catch (err) {
      this.logger.error({ err, auditKey: this.stream.key }, 'audit checkpoint not written');
    }
  }
}
