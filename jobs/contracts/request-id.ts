/**
 * Request ids: what names one request on both sides (records, jobs, buttons, the audit trail). Pure, and
 * free of other contracts, so that every schema that carries one can check it.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { isClusterName } from './names.js';

/** Each kind of request and the prefix of its ids. */
export const REQUEST_KINDS = { diagnose: 'diag', privileged: 'prb' } as const;
export type RequestKind = keyof typeof REQUEST_KINDS;

// kind - cluster - 24 hex digits. The cluster (a DNS-1123 label) is in the id so that every key of the request
// can carry its cluster's hash tag (see KEYS) knowing only the id.
const ID_RE = /^(diag|prb)-([a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)-([0-9a-f]{24})$/;

/**
 * A request id derived from what identifies one Slack interaction (team, channel, user, trigger or view id):
 * a redelivered request maps to the same id, so it makes no second request. The id names the cluster the
 * request is for (`prb-prod-eu-1a2b…`). BullMQ ids may not contain ':'.
 */
export function requestIdFor(kind: RequestKind, cluster: string, parts: readonly string[]): string {
  if (!isClusterName(cluster)) throw new Error(`not a cluster name: ${JSON.stringify(cluster)}`);
  const h = createHash('sha256').update(parts.join('\n')).digest('hex');
  return `${REQUEST_KINDS[kind]}-${cluster}-${h.slice(0, 24)}`;
}

/** The kind and cluster of a request id, or undefined when the string is not one. */
export function parseRequestId(id: string): { kind: RequestKind; id: string; cluster: string } | undefined {
  const m = ID_RE.exec(id);
  if (!m) return undefined;
  return { kind: m[1] === 'diag' ? 'diagnose' : 'privileged', id, cluster: m[2]! };
}

export function isRequestId(id: string, kind?: RequestKind): boolean {
  const p = parseRequestId(id);
  return p !== undefined && (kind === undefined || p.kind === kind);
}

// The ids before requests named their cluster (`prb-3f2a…`), and their job ids (`plan-prb-…`, `run-prb-…`; a
// diagnose's job id was its request id). Only recognised, to tell a user that such an id is stale: never parsed
// into a request, and no key is made from one.
const PRE_UPGRADE_ID_RE = /^(?:diag|(?:(?:plan|run)-)?prb)-[0-9a-f]{24}$/;

/**
 * Whether `s` is exactly a request id (or job id) of the form used before ids named their cluster:
 * `diag-<24 hex>`, `prb-<24 hex>`, `plan-prb-<24 hex>`, `run-prb-<24 hex>`. Such a request was made before an
 * upgrade of poddebug and is no longer tracked (its keys moved); a button, form or command that names one can
 * only be answered so. Never true of a current id. Case-sensitive: callers lower-case typed input first.
 */
export function isPreUpgradeRequestId(s: string): boolean {
  return PRE_UPGRADE_ID_RE.test(s);
}

/** A request id in a payload or a signed statement: only the strict grammar above. */
export const RequestIdSchema = z.string().refine((s) => parseRequestId(s) !== undefined, 'not a request id');
