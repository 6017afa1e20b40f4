import type { Redis } from 'ioredis';
import { type TargetRef, TargetRefSchema } from '../jobs/contracts/index.js';

/** Where a request stands, from the bot's side. `done` = findings posted and the status message final. */
export type RequestPhase = 'queued' | 'running' | 'replied' | 'done';

/** What the bot remembers about one request, keyed by job id, in Redis (never in process memory). */
export interface RequestRecord {
  jobId: string;
  cluster: string;
  channel: string;
  user: string;
  /** What the user typed as target, for messages (`shop/deploy/checkout`). */
  target: string;
  /** What the user asked for, for the re-run button (repeats it exactly, container included). */
  targetRef?: TargetRef;
  /** The visible status message the bot keeps updated. */
  statusTs?: string;
  /** The thread findings go to (the status message itself, or the thread a re-run was clicked in). */
  threadTs?: string;
  phase: RequestPhase;
  createdAt: number;
}

const KEY = 'poddebug:req:';
const OPEN = 'poddebug:open:';
const LOCK = 'poddebug:lock:';
const TTL_SEC = 8 * 24 * 3600;

/**
 * Request bookkeeping shared by every bot replica. The `open` set lists
 * requests whose results are not posted yet: on start-up and periodically the
 * bot settles them, so a result is posted even if the bot restarted while the
 * job ran. A short lock per job makes one replica post it.
 */
export class RequestStore {
  constructor(private readonly redis: Redis) {}

  async create(r: Omit<RequestRecord, 'phase' | 'createdAt'>): Promise<RequestRecord> {
    const rec: RequestRecord = { ...r, phase: 'queued', createdAt: Date.now() };
    const fields: Record<string, string> = {};
    for (const [k, v] of Object.entries(rec)) {
      if (v !== undefined) fields[k] = typeof v === 'object' ? JSON.stringify(v) : String(v);
    }
    await this.redis
      .multi()
      .hset(KEY + r.jobId, fields)
      .expire(KEY + r.jobId, TTL_SEC)
      .zadd(OPEN + r.cluster, rec.createdAt, r.jobId)
      .exec();
    return rec;
  }

  async get(jobId: string): Promise<RequestRecord | undefined> {
    const h = await this.redis.hgetall(KEY + jobId);
    if (!h.jobId) return undefined;
    return {
      jobId: h.jobId,
      cluster: h.cluster ?? '',
      channel: h.channel ?? '',
      user: h.user ?? '',
      target: h.target ?? '',
      targetRef: parseTargetRef(h.targetRef),
      statusTs: h.statusTs || undefined,
      threadTs: h.threadTs || undefined,
      phase: (h.phase as RequestPhase) ?? 'queued',
      createdAt: Number(h.createdAt ?? 0),
    };
  }

  async update(
    rec: Pick<RequestRecord, 'jobId' | 'cluster'>,
    patch: Partial<Pick<RequestRecord, 'statusTs' | 'threadTs' | 'phase'>>,
  ): Promise<void> {
    const fields: Record<string, string> = {};
    for (const [k, v] of Object.entries(patch)) if (v !== undefined) fields[k] = String(v);
    const m = this.redis.multi().hset(KEY + rec.jobId, fields);
    if (patch.phase === 'done') m.zrem(OPEN + rec.cluster, rec.jobId);
    await m.exec();
  }

  /** Forget a request that never got going (e.g. the channel refused the status message). */
  async drop(rec: Pick<RequestRecord, 'jobId' | 'cluster'>): Promise<void> {
    await this.redis
      .multi()
      .del(KEY + rec.jobId)
      .zrem(OPEN + rec.cluster, rec.jobId)
      .exec();
  }

  /** Job ids of this cluster whose results are not posted yet, oldest first. */
  async open(cluster: string, limit = 500): Promise<string[]> {
    return this.redis.zrange(OPEN + cluster, '0', String(limit - 1));
  }

  /** Try to become the replica that settles this job; the lock expires if this one dies. */
  async lock(jobId: string, ms = 30_000): Promise<boolean> {
    return (await this.redis.set(LOCK + jobId, '1', 'PX', ms, 'NX')) === 'OK';
  }

  async unlock(jobId: string): Promise<void> {
    await this.redis.del(LOCK + jobId);
  }
}

function parseTargetRef(s: string | undefined): TargetRef | undefined {
  if (!s) return undefined;
  try {
    const r = TargetRefSchema.safeParse(JSON.parse(s));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}
