/**
 * The read-only requests beside diagnose: `logs`, `events` and `describe`. They ride the diagnose request
 * kind (one state machine, one presenter): the request record carries the ReadSpec, the job is a READ_JOB
 * with a ReadPayload, and the worker returns a ReadResult whose long text travels as an artefact (Redis,
 * then a Slack file), never in the job result.
 */
import { RE2JS } from 're2js';
import { z } from 'zod';
import { RequesterSchema } from './diagnose.js';
import { isClusterName, isDns1123Label } from './names.js';
import { ArtefactMetaSchema } from './probe.js';
import { TargetRefSchema } from './target.js';

export const READ_ACTIONS = ['logs', 'events', 'describe'] as const;
export type ReadAction = (typeof READ_ACTIONS)[number];

export function isReadAction(s: string): s is ReadAction {
  return (READ_ACTIONS as readonly string[]).includes(s);
}

/** BullMQ job name of a read (its id is the request id, like diagnose's). */
export const READ_JOB = 'read';

/** Bounds both sides check: the grammar refuses beyond them, the worker's schema too. */
export const READ_LIMITS = {
  /** `--tail` at most (per pod for an owner). */
  maxTailLines: 10_000,
  /** Lines per pod of an owner when no `--tail` is given (kubectl logs deploy/x reads one pod; we read each). */
  ownerTailLines: 500,
  /** `--since` at most: 7 days. */
  maxSinceSec: 7 * 24 * 3600,
  /** Bytes read per container log (the API server's limitBytes). */
  perLogBytes: 2 * 1024 * 1024,
  /** Pods of an owner whose logs are merged; more are named but not read. */
  maxOwnerPods: 10,
  /** `--grep` pattern length. */
  maxGrepChars: 200,
  /** Time one `--grep` may spend over all lines; cut off and said so past it. */
  grepBudgetMs: 2000,
  /** Longest text shown inline in the thread (a code block); longer goes to a file. */
  inlineMaxBytes: 2800,
  inlineMaxLines: 40,
  /** A longer line would be shortened in a code block: the text goes to a file instead. */
  inlineMaxLineChars: 300,
  /** A file at most; cut at a line end and said so. */
  maxFileBytes: 5 * 1024 * 1024,
  /** `events --since` default when not given: everything the API server still keeps (about 1 h). */
  maxEvents: 500,
} as const;

const Container = z.string().refine(isDns1123Label, 'not a valid container name');

export const LogsSpecSchema = z.strictObject({
  action: z.literal('logs'),
  container: Container.optional(),
  allContainers: z.boolean().default(false),
  previous: z.boolean().default(false),
  sinceSeconds: z.number().int().min(1).max(READ_LIMITS.maxSinceSec).optional(),
  sinceTime: z.iso.datetime({ offset: true }).optional(),
  tailLines: z.number().int().min(1).max(READ_LIMITS.maxTailLines).optional(),
  grep: z.string().min(1).max(READ_LIMITS.maxGrepChars).optional(),
  timestamps: z.boolean().default(false),
});
export type LogsSpec = z.infer<typeof LogsSpecSchema>;

export const EventsSpecSchema = z.strictObject({
  action: z.literal('events'),
  sinceSeconds: z.number().int().min(1).max(READ_LIMITS.maxSinceSec).optional(),
  warningsOnly: z.boolean().default(false),
});
export type EventsSpec = z.infer<typeof EventsSpecSchema>;

export const DescribeSpecSchema = z.strictObject({ action: z.literal('describe') });
export type DescribeSpec = z.infer<typeof DescribeSpecSchema>;

export const ReadSpecSchema = z
  .discriminatedUnion('action', [LogsSpecSchema, EventsSpecSchema, DescribeSpecSchema])
  .superRefine((s, ctx) => {
    if (s.action !== 'logs') return;
    if (s.sinceSeconds !== undefined && s.sinceTime !== undefined)
      ctx.addIssue({ code: 'custom', message: 'at most one of sinceSeconds and sinceTime' });
    if (s.container !== undefined && s.allContainers)
      ctx.addIssue({ code: 'custom', message: 'container and allContainers exclude each other' });
  });
export type ReadSpec = z.infer<typeof ReadSpecSchema>;

export const ReadPayloadSchema = z.strictObject({
  version: z.literal(1),
  action: z.literal('read'),
  cluster: z.string().refine(isClusterName, 'not a valid cluster name'),
  /** The namespace is always named (no cluster-wide search for reads). */
  target: TargetRefSchema.refine((t) => t.namespace !== undefined, 'a namespace is required'),
  spec: ReadSpecSchema,
  requester: RequesterSchema,
  requestedAt: z.iso.datetime(),
});
export type ReadPayload = z.infer<typeof ReadPayloadSchema>;

export const ReadResultSchema = z.strictObject({
  outcome: z.literal('read'),
  action: z.enum(READ_ACTIONS),
  /** What was read: the pod, or the owner. */
  target: z.object({ kind: z.string(), namespace: z.string(), name: z.string() }),
  /** One line for the status message, e.g. `120 lines from 2 pods` or `5 events (3 warnings)`. */
  verdict: z.string(),
  /** Facts above the text (mrkdwn-free plain lines): pods read, containers, filters. */
  summary: z.array(z.string()),
  /** The text itself when it is short enough to show inline (redacted). */
  inline: z.string().optional(),
  /** The text as a file when it is long (redacted, capped, with its sha256). */
  artefacts: z.array(ArtefactMetaSchema).default([]),
  /** What was cut, skipped or could not be read: said plainly. */
  notes: z.array(z.string()).default([]),
  stats: z.object({ apiRequests: z.number().int(), durationMs: z.number() }),
});
export type ReadResult = z.infer<typeof ReadResultSchema>;

export type GrepCompile = { ok: true; re: RE2JS } | { ok: false; error: string };

/**
 * Compiles a `--grep` pattern on re2js, a port of RE2 (matching time linear in the input, no backtracking).
 * Both sides use it: the grammar refuses what does not compile, the worker runs what does. Perl-only syntax
 * (lookaround, backreferences) is refused with RE2's reason.
 */
export function compileGrep(pattern: string): GrepCompile {
  try {
    return { ok: true, re: RE2JS.compile(pattern) };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return { ok: false, error: msg.split('\n')[0]!.slice(0, 200) };
  }
}
