import { z } from 'zod';

/**
 * One auditable event: who asked for what, who decided, what ran and how it
 * ended. Every request, refusal, approval step, cancellation, job start,
 * result and failure becomes one of these, written to the pino audit log and
 * appended to the hash-chained audit stream in Redis.
 */

export const AUDIT_EVENT_TYPES = [
  'requested',
  'refused',
  'rate_limited',
  'approval',
  'approved',
  'denied',
  'cancelled',
  'expired',
  'voided',
  'started',
  'succeeded',
  'failed',
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/** The actor of events nobody clicked: expiry timers, worker start/finish. */
export const SYSTEM_ACTOR = 'poddebug';

/** Slack user IDs (`U0ALICE`, `W012ABC`). */
const SlackUserId = z.string().regex(/^[UW][A-Z0-9]{2,31}$/, 'expected a Slack user ID such as U0123ABCD');

/** Text without control characters (audit lines must stay one line each and readable). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to refuse them
const NO_CONTROL = /^[^\u0000-\u001f\u007f]*$/;
const text = (max: number) =>
  z.string().min(1).max(max).regex(NO_CONTROL, 'must not contain control characters (newlines, tabs…)');

/** Keys that would put a credential into the audit trail. */
const SECRET_KEY = /token|secret|password|passwd|authorization|cookie|credential|api[-_]?key/i;

export const AuditTargetSchema = z.strictObject({
  namespace: text(253).optional(),
  name: text(512),
  kind: text(63).optional(),
  container: text(253).optional(),
  node: text(253).optional(),
});
export type AuditTarget = z.infer<typeof AuditTargetSchema>;

export const AuditDetailsSchema = z
  .record(z.string().min(1).max(64), z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]))
  .refine((d) => Object.keys(d).length <= 32, 'at most 32 details')
  .refine(
    (d) => !Object.keys(d).some((k) => SECRET_KEY.test(k)),
    'details must not carry credentials (a key looks like a token, secret or password)',
  );

export const AuditEventSchema = z.strictObject({
  v: z.literal(1),
  type: z.enum(AUDIT_EVENT_TYPES),
  at: z.iso.datetime({ offset: true }),
  requestId: text(255),
  jobId: text(255).optional(),
  cluster: text(63),
  action: text(63),
  target: AuditTargetSchema,
  /** Who did this: a Slack user ID, or `poddebug` for timers and the worker. */
  actor: z.union([SlackUserId, z.literal(SYSTEM_ACTOR)]),
  /** Who asked for the action in the first place. */
  requester: SlackUserId,
  /** Everyone who approved so far (empty when no approval was needed or given). */
  approvers: z.array(SlackUserId).max(20),
  channel: text(64),
  threadTs: text(64).optional(),
  permalink: z
    .url({ protocol: /^https$/ })
    .max(2000)
    .optional(),
  reason: text(2000).optional(),
  decision: text(255).optional(),
  details: AuditDetailsSchema.optional(),
});
export type AuditEvent = z.infer<typeof AuditEventSchema>;

/** What a caller fills in: `v` and `at` come from `auditEvent`, `approvers` defaults to none. */
export type AuditEventInput = Omit<AuditEvent, 'v' | 'at' | 'approvers'> & {
  at?: string;
  approvers?: string[];
};

/** Thrown when an event does not fit the schema: a programming error in the caller, named precisely. */
export class InvalidAuditEventError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid audit event: ${problems.join('; ')}`);
    this.name = 'InvalidAuditEventError';
  }
}

function problemsOf(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(event)'}: ${i.message}`);
}

/** Validates data as an audit event (e.g. read back from Redis); throws InvalidAuditEventError. */
export function parseAuditEvent(data: unknown): AuditEvent {
  const r = AuditEventSchema.safeParse(data);
  if (!r.success) throw new InvalidAuditEventError(problemsOf(r.error));
  return r.data;
}

/** Builds a validated event: fills `v: 1`, `at` (from `now`, default the wall clock) and `approvers`. */
export function auditEvent(input: AuditEventInput, now: () => Date = () => new Date()): AuditEvent {
  return parseAuditEvent({
    ...input,
    v: 1,
    at: input.at ?? now().toISOString(),
    approvers: input.approvers ?? [],
  });
}
