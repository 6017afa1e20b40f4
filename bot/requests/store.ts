import { randomBytes } from 'node:crypto';
import type { ChainableCommander, Redis } from 'ioredis';
import {
  dueAuditEntries,
  dueField,
  KEYS,
  luaScript,
  type PrivilegedState,
  parseRequestRecord,
  REQUEST_TTL_SEC,
  type RequestRecord,
  recordFields,
} from '../../jobs/contracts/index.js';

/** A request as the bot reads it back: the record plus, for privileged requests, its approvers in order. */
export type Req = RequestRecord & { approvers: string[]; due: Record<string, number> };
/** A record as created (nothing posted yet). */
export type NewRequest = RequestRecord extends infer R
  ? R extends unknown
    ? Omit<R, 'posted'>
    : never
  : never;
export type DiagnoseReq = Extract<Req, { kind: 'diagnose' }>;
export type PrivilegedReq = Extract<Req, { kind: 'privileged' }>;

export type ApproveOutcome =
  | { status: 'recorded' | 'approved'; count: number; needed: number }
  | { status: 'self' | 'already' | 'expired' | 'missing' }
  | { status: 'not_pending'; state: PrivilegedState };

export type DecideOutcome =
  | { status: 'ok' | 'missing' | 'expired' | 'not_requester' }
  | { status: 'not_pending'; state: PrivilegedState };

/** 0: being posted by someone else; 1: yours to post; 2: yours, but a poster died: look for its message first; 3: posted. */
export type Claim = 0 | 1 | 2 | 3;

const SCRIPTS = {
  create: 3,
  transition: 1,
  approve: 2,
  decide: 1,
  claim: 1,
  mark: 1,
  unlock: 1,
  renew: 1,
} as const;
type Script = keyof typeof SCRIPTS;
const CREATE_AFTER_JOB = 'poddebug_create_after_job';

/** A record and its approvers from the replies of HGETALL and LRANGE. */
function readReq(replies: [Error | null, unknown][]): Req | undefined {
  const [[hErr, h], [aErr, approvers]] = replies as [
    [Error | null, Record<string, string>],
    [Error | null, string[]],
  ];
  if (hErr || aErr) throw hErr ?? aErr;
  const rec = parseRequestRecord(h);
  return rec ? { ...rec, approvers, due: dueAuditEntries(h) } : undefined;
}

/**
 * Every request's record in Redis, shared by every bot replica; never in process memory. The schema is the
 * contract's (the worker parses the same records). State moves only through atomic scripts (bot/requests/lua/),
 * so concurrent clicks and settles on several replicas give one decision each.
 */
export class RequestStore {
  constructor(private readonly redis: Redis) {
    for (const [name, keys] of Object.entries(SCRIPTS)) {
      redis.defineCommand(`poddebug_${name}`, {
        numberOfKeys: keys,
        lua: luaScript(new URL(`./lua/${name}.lua`, import.meta.url)),
      });
    }
  }

  private run(name: Script, ...args: (string | number)[]): Promise<unknown> {
    const fn = (this.redis as unknown as Record<string, (...a: (string | number)[]) => Promise<unknown>>)[
      `poddebug_${name}`
    ]!;
    return fn.call(this.redis, ...args);
  }

  /**
   * Records a new request and lists it as open; false when it exists (a redelivered request). Call it once
   * the request's job is queued: the sweep then never meets a request whose job was never added. `due`:
   * audit entries due from now on (`requested`).
   */
  async create(r: NewRequest, due: readonly string[] = []): Promise<boolean> {
    const fields = recordFields(r);
    for (const type of due) fields[dueField(type)] = String(r.createdAt);
    const pairs = Object.entries(fields).flat();
    // One script: the record and both open-request indexes (a sweep between separate steps could drop an
    // index entry whose record was not there yet); all three carry the cluster's hash tag (one slot).
    return (
      (await this.run(
        'create',
        KEYS.request(r.id),
        KEYS.open(r.cluster),
        KEYS.channelOpen(r.cluster, r.channel),
        r.createdAt,
        r.id,
        REQUEST_TTL_SEC,
        ...pairs,
      )) === 1
    );
  }

  async get(id: string): Promise<Req | undefined> {
    // One pipeline: one socket write for both reads.
    const res = await this.redis
      .pipeline()
      .hgetall(KEYS.request(id))
      .lrange(KEYS.approvers(id), 0, -1)
      .exec();
    return readReq(res ?? []);
  }

  /**
   * {@link lock} and, in the same pipeline (one round trip), {@link get}: the record as read just after the
   * lock was taken (`read()`, which throws if that read failed), or undefined when another replica holds
   * the lock.
   */
  async lockAndGet(
    id: string,
    ms: number,
  ): Promise<{ token: string; read: () => Req | undefined } | undefined> {
    const token = randomBytes(8).toString('hex');
    const res = await this.redis
      .pipeline()
      .set(KEYS.lock(id), token, 'PX', ms, 'NX')
      .hgetall(KEYS.request(id))
      .lrange(KEYS.approvers(id), 0, -1)
      .exec();
    const [[lockErr, ok], ...reads] = (res ?? []) as [Error | null, unknown][];
    if (lockErr) throw lockErr;
    return ok === 'OK' ? { token, read: () => readReq(reads) } : undefined;
  }

  /**
   * Defines the script that {@link createAfterJob} queues on `connection` (the connection whose
   * transactions add jobs: BullMQ's).
   */
  static prepareTransactions(connection: Redis): void {
    if (CREATE_AFTER_JOB in connection) return;
    connection.defineCommand(CREATE_AFTER_JOB, {
      numberOfKeys: 4,
      lua: luaScript(new URL('./lua/create-after-job.lua', import.meta.url)),
    });
  }

  /**
   * {@link create} inside the transaction that has just added the request's job (`jobKey`, its hash): the
   * record is made only if the job is there (see create-after-job.lua). Read the reply with {@link created}.
   * Needs {@link prepareTransactions} on the transaction's connection.
   */
  createAfterJob(tx: ChainableCommander, r: NewRequest, due: readonly string[], jobKey: string): void {
    const fields = recordFields(r);
    for (const type of due) fields[dueField(type)] = String(r.createdAt);
    (tx as unknown as Record<string, (...a: (string | number)[]) => unknown>)[CREATE_AFTER_JOB]!.call(
      tx,
      KEYS.request(r.id),
      KEYS.open(r.cluster),
      jobKey,
      KEYS.channelOpen(r.cluster, r.channel),
      r.createdAt,
      r.id,
      REQUEST_TTL_SEC,
      ...Object.entries(fields).flat(),
    );
  }

  /** What a {@link createAfterJob} did: made the record, found one (a redelivered request), or no job. */
  static created(reply: unknown): 'created' | 'exists' | 'no_job' {
    return reply === 1 ? 'created' : reply === 0 ? 'exists' : 'no_job';
  }

  /** Sets fields other than the state (message timestamps, verdicts). */
  async set(id: string, patch: Record<string, unknown>): Promise<void> {
    const fields = recordFields(patch);
    if (Object.keys(fields).length > 0) await this.redis.hset(KEYS.request(id), fields);
  }

  /** Atomic compare-and-set: moves from one of `from` to `to` with extra fields; false if it was elsewhere. */
  async transition(id: string, from: readonly string[], to: string, patch: Record<string, unknown> = {}) {
    const pairs = Object.entries(recordFields(patch)).flat();
    return (await this.run('transition', KEYS.request(id), from.join(','), to, ...pairs)) === 1;
  }

  async approve(id: string, approver: string, now: number, startWithinMs: number): Promise<ApproveOutcome> {
    const [status, a, b] = (await this.run(
      'approve',
      KEYS.request(id),
      KEYS.approvers(id),
      approver,
      now,
      startWithinMs,
      REQUEST_TTL_SEC,
    )) as [string, string?, string?];
    if (status === 'recorded' || status === 'approved')
      return { status, count: Number(a), needed: Number(b) };
    if (status === 'not_pending') return { status, state: a as PrivilegedState };
    return { status: status as 'self' | 'already' | 'expired' | 'missing' };
  }

  /** An approver denies, or the requester cancels, a privileged request still waiting. */
  async decide(id: string, to: 'denied' | 'cancelled', user: string, reason: string, now: number) {
    const [status, state] = (await this.run('decide', KEYS.request(id), to, user, now, reason)) as [
      string,
      string?,
    ];
    if (status === 'not_pending') return { status, state: state as PrivilegedState } as DecideOutcome;
    return { status: status as 'ok' | 'missing' | 'expired' | 'not_requester' } as DecideOutcome;
  }

  /** Claims the right to post thread message `what` (see Claim). Claims older than `staleMs` are taken over. */
  async claim(id: string, what: string, now: number, staleMs: number): Promise<Claim> {
    return (await this.run('claim', KEYS.request(id), what, now, staleMs)) as Claim;
  }

  /** Records that `what` is posted, setting `patch` (its ts) in the same step. */
  async mark(id: string, what: string, patch: Record<string, unknown> = {}): Promise<void> {
    await this.run('mark', KEYS.request(id), what, ...Object.entries(recordFields(patch)).flat());
  }

  /** Marks a claim as stale now: the post may have landed, so whoever tries next looks for it first. */
  async staleClaim(id: string, what: string): Promise<void> {
    await this.redis.hset(KEYS.request(id), `posting:${what}`, '0');
  }

  /** Gives a claim back after a failed post, so the next settle tries again. */
  async release(id: string, what: string): Promise<void> {
    await this.redis.hdel(KEYS.request(id), `posting:${what}`);
  }

  /** Requests of this cluster whose thread is not final yet, oldest first. */
  open(cluster: string, limit = 500): Promise<string[]> {
    return this.redis.zrange(KEYS.open(cluster), '0', String(limit - 1));
  }

  /** The request's thread is final: no longer swept, nor listed by `/poddebug jobs` in its channel. */
  async close(cluster: string, id: string): Promise<void> {
    const channel = await this.redis.hget(KEYS.request(id), 'channel');
    const m = this.redis.multi().zrem(KEYS.open(cluster), id);
    if (channel) m.zrem(KEYS.channelOpen(cluster, channel), id);
    await m.exec();
  }

  /** Forgets a request that never got going (e.g. the channel refused its first message). */
  async drop(id: string, cluster: string): Promise<void> {
    const channel = await this.redis.hget(KEYS.request(id), 'channel');
    // The record, its approvers and the cluster's open sets share the cluster's slot: one MULTI.
    const m = this.redis.multi().del(KEYS.request(id), KEYS.approvers(id)).zrem(KEYS.open(cluster), id);
    if (channel) m.zrem(KEYS.channelOpen(cluster, channel), id);
    await m.exec();
  }

  /** Takes the request's lock; a token for renew/unlock, or undefined when another replica holds it. */
  async lock(id: string, ms: number): Promise<string | undefined> {
    const token = randomBytes(8).toString('hex');
    return (await this.redis.set(KEYS.lock(id), token, 'PX', ms, 'NX')) === 'OK' ? token : undefined;
  }

  async renew(id: string, token: string, ms: number): Promise<boolean> {
    return (await this.run('renew', KEYS.lock(id), token, ms)) === 1;
  }

  async unlock(id: string, token: string): Promise<void> {
    await this.run('unlock', KEYS.lock(id), token);
  }
}
