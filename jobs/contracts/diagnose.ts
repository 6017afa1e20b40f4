import { z } from 'zod';
import { FindingSchema } from './finding.js';
import { isClusterName } from './names.js';
import { TargetRefSchema } from './target.js';

/** Slack coordinates travel with a job so results can be posted; never tokens. */
export const RequesterSchema = z.object({
  userId: z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'a Slack user id'),
  channelId: z.string().regex(/^[CGD][A-Z0-9]{2,}$/, 'a Slack channel id'),
  teamId: z
    .string()
    .regex(/^[TE][A-Z0-9]{2,}$/)
    .optional(),
});
export type Requester = z.infer<typeof RequesterSchema>;

export const DiagnosePayloadSchema = z
  .object({
    version: z.literal(1),
    action: z.literal('diagnose'),
    cluster: z.string().refine(isClusterName, 'not a valid cluster name'),
    target: TargetRefSchema,
    requester: RequesterSchema,
    /** ISO time the command was received; for audit and for the "how long did it take" line. */
    requestedAt: z.iso.datetime(),
  })
  .strict();
export type DiagnosePayload = z.infer<typeof DiagnosePayloadSchema>;

export const PodRefSchema = z.object({ namespace: z.string(), name: z.string() });
export type PodRef = z.infer<typeof PodRefSchema>;

/** One line per sibling pod of an owner: enough to see whether the problem is one pod or all. */
export const SiblingSchema = z.object({
  name: z.string(),
  phase: z.string(),
  status: z.string(),
  ready: z.string(),
  restarts: z.number().int(),
  node: z.string().optional(),
});
export type Sibling = z.infer<typeof SiblingSchema>;

export const DiagnoseResultSchema = z.discriminatedUnion('outcome', [
  z.object({
    outcome: z.literal('diagnosed'),
    /** The pod diagnosed; the owner itself when it has no pods and its controller cannot create any. */
    target: z.object({
      kind: z.enum(['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job']),
      namespace: z.string(),
      name: z.string(),
    }),
    /** Set when the user named an owner: which owner, and why this pod was picked. */
    owner: z.object({ kind: z.string(), name: z.string(), reason: z.string() }).optional(),
    siblings: z.array(SiblingSchema).default([]),
    findings: z.array(FindingSchema),
    /** What could not be read (forbidden, absent API): said plainly so nobody trusts a gap. */
    gaps: z.array(z.string()).default([]),
    stats: z.object({ apiRequests: z.number().int(), durationMs: z.number() }),
  }),
  z.object({
    outcome: z.literal('ambiguous'),
    /** The name matched pods in several namespaces; the user picks one with -n. */
    name: z.string(),
    candidates: z.array(PodRefSchema).min(2),
  }),
]);
export type DiagnoseResult = z.infer<typeof DiagnoseResultSchema>;

/** Progress a worker reports while it runs (BullMQ job progress). */
export const ProgressSchema = z.object({
  stage: z.enum(['resolving', 'gathering', 'analysing']),
  detail: z.string().optional(),
});
export type Progress = z.infer<typeof ProgressSchema>;
