/**
 * The value carried by "Re-run diagnose" buttons: compact JSON
 * `{c, k, n, ns, ct?}`. Slack returns it verbatim, but anyone can post a
 * forged action payload, so it is validated with the contract schemas.
 */
import { z } from 'zod';
import { isClusterName } from '../../jobs/contracts/names.js';
import { TargetKindSchema, type TargetRef, TargetRefSchema } from '../../jobs/contracts/target.js';
import { LIMITS } from './limits.js';

/** action_id of every button that runs diagnose again (or for the first time, from an ambiguous list). */
export const RERUN_ACTION_ID = 'poddebug_rerun';

const RerunValueSchema = z
  .object({
    c: z.string().refine(isClusterName),
    k: TargetKindSchema,
    n: z.string(),
    ns: z.string(),
    ct: z.string().optional(),
  })
  .strict();

/** What a re-run button points at. Cluster membership is checked by the caller (policy), not here. */
export interface RerunTarget {
  cluster: string;
  target: TargetRef & { namespace: string };
}

/** Encodes a button value; throws if the target has no namespace (a re-run always names one). */
export function encodeRerunValue(r: { cluster: string; target: TargetRef }): string {
  if (r.target.namespace === undefined) throw new Error('a re-run value needs a namespace');
  const v: z.infer<typeof RerunValueSchema> = {
    c: r.cluster,
    k: r.target.kind,
    n: r.target.name,
    ns: r.target.namespace,
  };
  if (r.target.container !== undefined) v.ct = r.target.container;
  return JSON.stringify(v);
}

/**
 * Decodes a button value. Returns undefined for anything malformed or forged:
 * too long, not JSON, unknown or extra fields, invalid names.
 */
export function parseRerunValue(value: string): { cluster: string; target: TargetRef } | undefined {
  if (value.length > LIMITS.buttonValue) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    return undefined;
  }
  const v = RerunValueSchema.safeParse(raw);
  if (!v.success) return undefined;
  const candidate: TargetRef = { kind: v.data.k, name: v.data.n, namespace: v.data.ns };
  if (v.data.ct !== undefined) candidate.container = v.data.ct;
  const target = TargetRefSchema.safeParse(candidate);
  if (!target.success) return undefined;
  return { cluster: v.data.c, target: target.data };
}
