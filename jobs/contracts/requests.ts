/**
 * Requests as both sides see them: their ids, the ids of their jobs, the Redis keys of the bot's record of a
 * request, and the schema of that record. The bot writes the record; the worker reads it (a privileged run
 * is checked against it) and parses it with the same schema. Nothing else builds or matches these strings.
 */
import { z } from 'zod';
import { ProbePlanSchema, ProbeSpecSchema, ProbeTargetSchema } from './probe.js';
import { clusterTag } from './queue.js';
import { ReadSpecSchema } from './reads.js';
import { parseRequestId, RequestIdSchema, type RequestKind } from './request-id.js';
import { TargetRefSchema } from './target.js';

// --- ids ------------------------------------------------------------------------------------------------

export {
  isPreUpgradeRequestId,
  isRequestId,
  parseRequestId,
  REQUEST_KINDS,
  RequestIdSchema,
  type RequestKind,
  requestIdFor,
} from './request-id.js';

/** The steps a request runs on a worker: a diagnose is one job; a privileged request a plan, then a run. */
export type JobStep = 'diagnose' | 'plan' | 'run';

/** The BullMQ job id of a request's step (at most one job per step: BullMQ dedups by id). */
export function jobIdOf(requestId: string, step: JobStep): string {
  return step === 'diagnose' ? requestId : `${step}-${requestId}`;
}

/** The request and step a job id belongs to; undefined for a job this project did not name. */
export function parseJobId(
  jobId: string,
): { requestId: string; kind: RequestKind; step: JobStep } | undefined {
  const m = /^(?:(plan|run)-)?(.*)$/.exec(jobId);
  const req = m?.[2] ? parseRequestId(m[2]) : undefined;
  if (!m || !req) return undefined;
  const step = (m[1] as 'plan' | 'run' | undefined) ?? 'diagnose';
  if ((req.kind === 'diagnose') !== (step === 'diagnose')) return undefined;
  return { requestId: req.id, kind: req.kind, step };
}

// --- keys -----------------------------------------------------------------------------------------------

/** The hash tag of the command gate (rate-limit counters and workers' heartbeats: one script reads both). */
export const GATE_TAG = '{poddebug:gate}';

/** The cluster's hash tag of a request id; throws on a string that is not a request id (no key is guessed). */
function tagOf(id: string): string {
  const p = parseRequestId(id);
  if (!p) throw new Error(`not a request id: ${JSON.stringify(id.slice(0, 80))}`);
  return clusterTag(p.cluster);
}

/**
 * Every Redis key this project writes, in one place. A request's keys carry its cluster's hash tag
 * ({@link clusterTag}), as its queue's do, so that the scripts and transactions that touch a record, its
 * job and the open-request indexes stay on one slot of a Redis Cluster. Keys are never under the queue's
 * own prefix (`poddebug:{poddebug-<cluster>}:`), which is BullMQ's (and its worker's ACL pattern).
 */
export const KEYS = {
  /** The bot's record of a request: a hash (see RequestRecordSchema). */
  request: (id: string): string => `poddebug:req:${tagOf(id)}:${id}`,
  /** Approvers of a privileged request, in the order they approved: a list. */
  approvers: (id: string): string => `poddebug:req:${tagOf(id)}:${id}:approvers`,
  /** Which bot replica works on the request's thread right now (a token, with a TTL). */
  lock: (id: string): string => `poddebug:req:${tagOf(id)}:${id}:lock`,
  /** Set by the bot when a request is cancelled: workers stop its job (and refuse to start it). */
  cancel: (id: string): string => `poddebug:req:${tagOf(id)}:${id}:cancel`,
  /** Set by the worker when it starts a run: an approval is used once. */
  approvalUsed: (id: string): string => `poddebug:approval-used:${tagOf(id)}:${id}`,
  /** Requests of a cluster whose thread is not final yet: a sorted set by creation time. */
  open: (cluster: string): string => `poddebug:open:${clusterTag(cluster)}`,
  /**
   * Requests for a cluster made in a Slack channel whose thread is not final yet: a sorted set by creation
   * time (`/poddebug jobs` reads the channel's set of every cluster).
   */
  channelOpen: (cluster: string, channel: string): string =>
    `poddebug:chan-open:${clusterTag(cluster)}:${channel}`,
  /** The last time a worker of this cluster said it was alive (on the gate's slot: the gate reads it). */
  heartbeat: (cluster: string): string => `poddebug:worker:${GATE_TAG}:${cluster}`,
  /** Prefix of the rate-limit counters (on the gate's slot). */
  rateLimitPrefix: `poddebug:rl:${GATE_TAG}`,
  /** Pub/sub channel on which the bot announces a cancelled request (message: its id) to its cluster's workers. */
  cancelChannel: (cluster: string): string => `poddebug:cancel:${cluster}`,
} as const;

/**
 * ACL key patterns (`poddebug redis-acl`) of a cluster's requests: `record` covers a record and what hangs
 * off it (approvers, lock, cancel flag); `approvalUsed` the single-use marks.
 */
export function requestKeyPatterns(cluster: string): { record: string; approvalUsed: string } {
  const tag = clusterTag(cluster);
  return { record: `poddebug:req:${tag}:*`, approvalUsed: `poddebug:approval-used:${tag}:*` };
}

/**
 * How long a worker's heartbeat (KEYS.heartbeat) lives: workers refresh it several times within, and the bot
 * refuses commands for a cluster whose key has expired: no worker of it has been seen for this long.
 */
export const HEARTBEAT_TTL_MS = 60_000;

/** How long a request's record is kept after it was created (s). */
export const REQUEST_TTL_SEC = 30 * 24 * 3600;

// --- the record -----------------------------------------------------------------------------------------

/** Where a diagnose stands. `done` = findings posted and the status message final. */
export const DIAGNOSE_STATES = ['queued', 'running', 'replied', 'done'] as const;
export type DiagnoseState = (typeof DIAGNOSE_STATES)[number];

/**
 * Where a privileged request stands. Moves only forward, through atomic transitions in Redis:
 *
 *   planning → pending → approved → running → done | failed
 *      ↓          ↓  ↘        ↘
 *    failed    denied  cancelled  voided (not started in time)
 *              expired
 */
export const PRIVILEGED_STATES = [
  'planning',
  'pending',
  'approved',
  'running',
  'done',
  'failed',
  'denied',
  'cancelled',
  'expired',
  'voided',
] as const;
export type PrivilegedState = (typeof PRIVILEGED_STATES)[number];
export const PRIVILEGED_FINAL_STATES: readonly PrivilegedState[] = [
  'done',
  'failed',
  'denied',
  'cancelled',
  'expired',
  'voided',
];

const int = z
  .string()
  .regex(/^\d{1,16}$/)
  .transform(Number);
const json = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((s, ctx) => {
      try {
        return JSON.parse(s) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);
const list = z.string().transform((s) => s.split(',').filter(Boolean));
const opt = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

/** What every request's hash holds. */
const common = {
  id: RequestIdSchema,
  cluster: z.string().min(1),
  channel: z.string().min(1),
  teamId: opt(z.string()),
  requester: z.string().min(1),
  createdAt: int,
  /** The thread: the status message (diagnose) or the request message (privileged) the bot posted. */
  threadTs: opt(z.string()),
  /** Diagnose: the status message, when it is not the thread's root (a re-run clicked inside a thread). */
  statusTs: opt(z.string()),
  /** Thread messages already posted, by key (each is claimed before it is posted and marked after). */
  posted: z.preprocess((v) => v ?? '', list),
  /** `/poddebug cancel`: who cancelled the request and the state it was in then (queued, running, …). */
  cancelledBy: opt(z.string()),
  cancelledFrom: opt(z.string()),
};

export const DiagnoseRecordSchema = z.object({
  ...common,
  kind: z.literal('diagnose'),
  state: z.enum(DIAGNOSE_STATES),
  /** What the user typed as target, for messages (`shop/deploy/checkout`). */
  target: z.string(),
  /** What the user asked for, for the re-run button (repeats it exactly, container included). */
  targetRef: opt(json(TargetRefSchema)),
  /** A read (logs, events, describe) on the same state machine: what to read; absent for a diagnose. */
  read: opt(json(ReadSpecSchema)),
  /** The final state of the status message, kept so that it can be shown again over a late update. */
  final: opt(
    json(
      z.object({
        phase: z.enum(['done', 'failed', 'cancelled']),
        verdict: z.string(),
        counts: z.object({ critical: z.number(), warning: z.number(), info: z.number() }).optional(),
        target: z.string().optional(),
      }),
    ),
  ),
});
export type DiagnoseRecord = z.infer<typeof DiagnoseRecordSchema>;

export const PrivilegedRecordSchema = z.object({
  ...common,
  kind: z.literal('privileged'),
  state: z.enum(PRIVILEGED_STATES),
  target: json(ProbeTargetSchema),
  spec: json(ProbeSpecSchema),
  reason: z.string(),
  /** Approvals needed (0: the policy needs none). */
  needed: int,
  /** The approval message (with the buttons) inside the thread. */
  approvalTs: opt(z.string()),
  plan: opt(json(ProbePlanSchema)),
  /** planBinding(plan): what the approval is bound to. */
  binding: opt(z.string().regex(/^[0-9a-f]{64}$/)),
  /** Pending requests expire then (ms, Redis's clock). */
  expiresAt: opt(int),
  approvedAt: opt(int),
  /** An approved request must start before this (ms), else it is void. */
  startBy: opt(int),
  decidedBy: opt(z.string()),
  decisionReason: opt(z.string()),
  verdict: opt(z.string()),
  failure: opt(z.string()),
  /** The UserFacingError code of a failure. */
  failureCode: opt(z.string()),
});
export type PrivilegedRecord = z.infer<typeof PrivilegedRecordSchema>;

export const RequestRecordSchema = z.discriminatedUnion('kind', [
  DiagnoseRecordSchema,
  PrivilegedRecordSchema,
]);
export type RequestRecord = z.infer<typeof RequestRecordSchema>;

/**
 * Parses the hash (HGETALL) of a request record; undefined when there is none or it does not parse (a record
 * this version cannot read is treated as absent, never guessed at). The approvers list is read separately.
 */
export function parseRequestRecord(hash: Record<string, string>): RequestRecord | undefined {
  if (!hash.id) return undefined;
  const r = RequestRecordSchema.safeParse(hash);
  return r.success ? r.data : undefined;
}

/**
 * Audit entries due on a request: the field `due:<type>` holds when the state change that made the entry due
 * happened (ms). The entry is written at most once (the append deletes the field in the same step); the bot's
 * sweep writes what a crash left due.
 */
export function dueAuditEntries(hash: Record<string, string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(hash)) if (k.startsWith('due:')) out[k.slice(4)] = Number(v);
  return out;
}
export const dueField = (type: string): string => `due:${type}`;

/** The hash fields of a record (or part of one), as the bot writes them. */
export function recordFields(r: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(r)) {
    if (v === undefined) continue;
    if (Array.isArray(v) && k === 'posted') out[k] = v.join(',');
    else out[k] = typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return out;
}
