import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  type ProbePlan,
  ProbePlanSchema,
  type ProbeSpec,
  ProbeSpecSchema,
  type ProbeTarget,
  ProbeTargetSchema,
  probeRequestKey,
} from '../../jobs/contracts/index.js';

/**
 * Where a privileged request stands. Moves only forward, and only through the
 * atomic transitions below (Lua scripts in Redis), so concurrent clicks on
 * several bot replicas give exactly one decision each and at most one run.
 *
 *   planning → pending → approved → running → done | failed
 *      ↓          ↓  ↘        ↘
 *    failed    denied  cancelled  voided (not started in time)
 *              expired
 */
export type ProbeState =
  | 'planning'
  | 'pending'
  | 'approved'
  | 'running'
  | 'done'
  | 'failed'
  | 'denied'
  | 'cancelled'
  | 'expired'
  | 'voided';

export const FINAL_STATES: readonly ProbeState[] = [
  'done',
  'failed',
  'denied',
  'cancelled',
  'expired',
  'voided',
];

export interface ProbeRequest {
  id: string;
  cluster: string;
  channel: string;
  teamId?: string;
  requester: string;
  target: ProbeTarget;
  spec: ProbeSpec;
  reason: string;
  /** Approvals needed (0: the policy needs none). */
  needed: number;
  state: ProbeState;
  createdAt: number;
  /** The thread: the request message the bot posted. */
  threadTs?: string;
  /** The approval message (with the buttons) inside the thread. */
  approvalTs?: string;
  plan?: ProbePlan;
  binding?: string;
  /** Pending requests expire then (ms). */
  expiresAt?: number;
  approvers: string[];
  approvedAt?: number;
  /** An approved request must start before this (ms), else it is void. */
  startBy?: number;
  /** Who denied or cancelled, and why. */
  decidedBy?: string;
  decisionReason?: string;
  /** Bookkeeping of what was posted: `result` once findings are in the thread. */
  posted: string[];
  /** Done: the verdict line; failed: what went wrong. */
  verdict?: string;
  failure?: string;
  /** The UserFacingError code of a failure. */
  failureCode?: string;
}

/** Same prefix as probeRequestKey() in the contracts: the worker reads these records. */
const KEY = probeRequestKey('');
const OPEN = 'poddebug:probes:open:';
const TTL_SEC = 30 * 24 * 3600;

export type ApproveOutcome =
  | { status: 'recorded'; count: number; needed: number }
  | { status: 'approved'; count: number; needed: number }
  | { status: 'self' | 'already' | 'expired' | 'missing' }
  | { status: 'not_pending'; state: ProbeState };

export type DecideOutcome =
  | { status: 'ok' }
  | { status: 'missing' | 'expired' | 'not_requester' }
  | {
      status: 'not_pending';
      state: ProbeState;
    };

/**
 * Adds an approver; the approval that reaches `needed` flips the state. One decision per approver. A request
 * past its expiry is refused here and left for settle() to mark expired (which says so in the thread).
 */
const APPROVE_LUA = `
local st = redis.call('HGET', KEYS[1], 'state')
if not st then return {'missing'} end
if st ~= 'pending' then return {'not_pending', st} end
local now = tonumber(ARGV[2])
if now > tonumber(redis.call('HGET', KEYS[1], 'expiresAt')) then return {'expired'} end
if redis.call('HGET', KEYS[1], 'requester') == ARGV[1] then return {'self'} end
if redis.call('LPOS', KEYS[2], ARGV[1]) then return {'already'} end
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('EXPIRE', KEYS[2], ${TTL_SEC})
local n = redis.call('LLEN', KEYS[2])
local needed = tonumber(redis.call('HGET', KEYS[1], 'needed'))
if n >= needed then
  redis.call('HSET', KEYS[1], 'state', 'approved', 'approvedAt', ARGV[2], 'startBy', tostring(now + tonumber(ARGV[3])))
  return {'approved', tostring(n), tostring(needed)}
end
return {'recorded', tostring(n), tostring(needed)}
`;

/** Deny (an approver) or cancel (the requester) a request that is still planning or pending. */
const DECIDE_LUA = `
local st = redis.call('HGET', KEYS[1], 'state')
if not st then return {'missing'} end
if st ~= 'pending' and st ~= 'planning' then return {'not_pending', st} end
local now = tonumber(ARGV[3])
local exp = redis.call('HGET', KEYS[1], 'expiresAt')
if st == 'pending' and exp and now > tonumber(exp) then return {'expired'} end
if ARGV[1] == 'cancelled' and redis.call('HGET', KEYS[1], 'requester') ~= ARGV[2] then return {'not_requester'} end
redis.call('HSET', KEYS[1], 'state', ARGV[1], 'decidedBy', ARGV[2], 'decisionReason', ARGV[4], 'decidedAt', ARGV[3])
return {'ok'}
`;

/** Compare-and-set of the state with extra fields: ARGV = allowed-from (comma list), to, field, value, … */
const TRANSITION_LUA = `
local st = redis.call('HGET', KEYS[1], 'state')
if not st then return 0 end
local ok = false
for s in string.gmatch(ARGV[1], '[^,]+') do if s == st then ok = true end end
if not ok then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[2])
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1
`;

/** Creates the request hash unless it exists, and lists it as open: one step, so a crash leaves no half record. */
const CREATE_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIRE', KEYS[1], ${TTL_SEC})
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
return 1
`;

const UNLOCK_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

const MARK_LUA = `
local posted = redis.call('HGET', KEYS[1], 'posted') or ''
for w in string.gmatch(posted, '[^,]+') do if w == ARGV[1] then return 0 end end
redis.call('HSET', KEYS[1], 'posted', posted == '' and ARGV[1] or (posted .. ',' .. ARGV[1]))
redis.call('HDEL', KEYS[1], 'posting:' .. ARGV[1])
return 1
`;

/** Posted already → 0; claimed by someone within the last ARGV[3] ms → 0; else claim → 1. */
const CLAIM_LUA = `
local posted = redis.call('HGET', KEYS[1], 'posted') or ''
for w in string.gmatch(posted, '[^,]+') do if w == ARGV[1] then return 0 end end
local at = redis.call('HGET', KEYS[1], 'posting:' .. ARGV[1])
if at and tonumber(ARGV[2]) - tonumber(at) < tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], 'posting:' .. ARGV[1], ARGV[2])
return 1
`;

/**
 * Privileged requests in Redis, shared by every bot replica; never in process
 * memory. Button values carry only the request id: everything a decision
 * needs is read back from here and re-authorized.
 */
export class ProbeRequestStore {
  constructor(private readonly redis: Redis) {
    redis.defineCommand('poddebugCreate', { numberOfKeys: 2, lua: CREATE_LUA });
    redis.defineCommand('poddebugUnlock', { numberOfKeys: 1, lua: UNLOCK_LUA });
    redis.defineCommand('poddebugClaim', { numberOfKeys: 1, lua: CLAIM_LUA });
    redis.defineCommand('poddebugMark', { numberOfKeys: 1, lua: MARK_LUA });
    redis.defineCommand('poddebugApprove', { numberOfKeys: 2, lua: APPROVE_LUA });
    redis.defineCommand('poddebugDecide', { numberOfKeys: 1, lua: DECIDE_LUA });
    redis.defineCommand('poddebugTransition', { numberOfKeys: 1, lua: TRANSITION_LUA });
  }

  private run(name: string, ...args: (string | number)[]): Promise<unknown> {
    return (this.redis as unknown as Record<string, (...a: (string | number)[]) => Promise<unknown>>)[name]!(
      ...args,
    );
  }

  /** Records a new request (state planning); false when one with this id exists (a redelivered submission). */
  async create(
    r: Omit<ProbeRequest, 'state' | 'createdAt' | 'approvers' | 'posted'>,
    now = Date.now(),
  ): Promise<boolean> {
    const fields: Record<string, string> = {
      id: r.id,
      cluster: r.cluster,
      channel: r.channel,
      requester: r.requester,
      target: JSON.stringify(r.target),
      spec: JSON.stringify(r.spec),
      reason: r.reason,
      needed: String(r.needed),
      state: 'planning',
      createdAt: String(now),
      posted: '',
    };
    if (r.teamId) fields.teamId = r.teamId;
    if (r.threadTs) fields.threadTs = r.threadTs;
    const pairs = Object.entries(fields).flat();
    return (await this.run('poddebugCreate', KEY + r.id, OPEN + r.cluster, now, r.id, ...pairs)) === 1;
  }

  async get(id: string): Promise<ProbeRequest | undefined> {
    const [h, approvers] = await Promise.all([
      this.redis.hgetall(KEY + id),
      this.redis.lrange(`${KEY}${id}:approvers`, 0, -1),
    ]);
    if (!h.id || !h.state) return undefined;
    const target = ProbeTargetSchema.safeParse(safeJson(h.target));
    const spec = ProbeSpecSchema.safeParse(safeJson(h.spec));
    if (!target.success || !spec.success) return undefined;
    const plan = h.plan ? ProbePlanSchema.safeParse(safeJson(h.plan)) : undefined;
    const num = (s: string | undefined) => (s ? Number(s) : undefined);
    return {
      id: h.id,
      cluster: h.cluster ?? '',
      channel: h.channel ?? '',
      teamId: h.teamId || undefined,
      requester: h.requester ?? '',
      target: target.data,
      spec: spec.data,
      reason: h.reason ?? '',
      needed: Number(h.needed ?? 1),
      state: h.state as ProbeState,
      createdAt: Number(h.createdAt ?? 0),
      threadTs: h.threadTs || undefined,
      approvalTs: h.approvalTs || undefined,
      plan: plan?.success ? plan.data : undefined,
      binding: h.binding || undefined,
      expiresAt: num(h.expiresAt),
      approvers,
      approvedAt: num(h.approvedAt),
      startBy: num(h.startBy),
      decidedBy: h.decidedBy || undefined,
      decisionReason: h.decisionReason || undefined,
      posted: (h.posted ?? '').split(',').filter(Boolean),
      verdict: h.verdict || undefined,
      failure: h.failure || undefined,
      failureCode: h.failureCode || undefined,
    };
  }

  /** Sets message timestamps; never the state. */
  async setMessages(id: string, m: { threadTs?: string; approvalTs?: string }): Promise<void> {
    const fields: Record<string, string> = {};
    if (m.threadTs) fields.threadTs = m.threadTs;
    if (m.approvalTs) fields.approvalTs = m.approvalTs;
    if (Object.keys(fields).length > 0) await this.redis.hset(KEY + id, fields);
  }

  /** Records that `what` is in the thread (atomic; releases the claim). */
  async markPosted(id: string, what: string): Promise<void> {
    await this.run('poddebugMark', KEY + id, what);
  }

  /** planning → pending with the plan (or → approved at once when no approval is needed). */
  async planned(
    id: string,
    plan: ProbePlan,
    binding: string,
    o: { now: number; pendingMs: number; startWithinMs: number },
  ): Promise<ProbeState | undefined> {
    const rec = await this.get(id);
    if (!rec) return undefined;
    const fields = ['plan', JSON.stringify(plan), 'binding', binding];
    if (rec.needed === 0) {
      fields.push('approvedAt', String(o.now), 'startBy', String(o.now + o.startWithinMs));
      return (await this.transition(id, ['planning'], 'approved', fields)) ? 'approved' : undefined;
    }
    fields.push('expiresAt', String(o.now + o.pendingMs));
    return (await this.transition(id, ['planning'], 'pending', fields)) ? 'pending' : undefined;
  }

  async approve(id: string, approver: string, now: number, startWithinMs: number): Promise<ApproveOutcome> {
    const r = (await this.run(
      'poddebugApprove',
      KEY + id,
      `${KEY}${id}:approvers`,
      approver,
      now,
      startWithinMs,
    )) as [string, string?, string?];
    const [status, a, b] = r;
    if (status === 'recorded' || status === 'approved') {
      return { status, count: Number(a), needed: Number(b) };
    }
    if (status === 'not_pending') return { status, state: a as ProbeState };
    return { status: status as 'self' | 'already' | 'expired' | 'missing' };
  }

  /** An approver denies, or the requester cancels, a request still waiting. */
  async decide(
    id: string,
    to: 'denied' | 'cancelled',
    user: string,
    reason: string,
    now: number,
  ): Promise<DecideOutcome> {
    const [status, state] = (await this.run('poddebugDecide', KEY + id, to, user, now, reason)) as [
      string,
      string?,
    ];
    if (status === 'not_pending') return { status, state: state as ProbeState };
    return { status: status as 'ok' | 'missing' | 'expired' | 'not_requester' };
  }

  /** Atomic compare-and-set: moves from one of `from` to `to`, setting extra fields; false if the state was elsewhere. */
  async transition(id: string, from: ProbeState[], to: ProbeState, fields: string[] = []): Promise<boolean> {
    return (await this.run('poddebugTransition', KEY + id, from.join(','), to, ...fields)) === 1;
  }

  /** Requests of this cluster whose thread is not final yet, oldest first. */
  async open(cluster: string, limit = 500): Promise<string[]> {
    return this.redis.zrange(OPEN + cluster, '0', String(limit - 1));
  }

  async close(cluster: string, id: string): Promise<void> {
    await this.redis.zrem(OPEN + cluster, id);
  }

  /**
   * Takes the request's lock for this replica; resolves to a token for unlock(), or undefined when another
   * holds it. The lock expires on its own if this replica dies.
   */
  async lock(id: string, ms = 120_000): Promise<string | undefined> {
    const token = randomBytes(8).toString('hex');
    return (await this.redis.set(`${KEY}${id}:lock`, token, 'PX', ms, 'NX')) === 'OK' ? token : undefined;
  }

  /** Releases the lock only if it is still ours (it may have expired and been taken by another replica). */
  async unlock(id: string, token: string): Promise<void> {
    await this.run('poddebugUnlock', `${KEY}${id}:lock`, token);
  }

  /**
   * Claims the right to post `what` (a thread message that must appear once): false when it was posted or
   * another replica is posting it right now (claims expire after 5 minutes, so a dead poster is retried).
   */
  async claimPost(id: string, what: string, now = Date.now()): Promise<boolean> {
    return (await this.run('poddebugClaim', KEY + id, what, now, 5 * 60_000)) === 1;
  }

  /** Gives a claim back after a failed post, so the next settle tries again. */
  async releasePost(id: string, what: string): Promise<void> {
    await this.redis.hdel(KEY + id, `posting:${what}`);
  }

  /** Removes a request that never got going (its plan job could not be queued). */
  async drop(id: string, cluster: string): Promise<void> {
    await this.redis
      .multi()
      .del(KEY + id, `${KEY}${id}:approvers`)
      .zrem(OPEN + cluster, id)
      .exec();
  }
}

function safeJson(s: string | undefined): unknown {
  if (!s) return undefined;
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
