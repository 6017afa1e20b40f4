/**
 * What `npm run chaos` counts per request once a scenario has settled. Pure: it reads what the driver sent,
 * what the Slack double holds and what the audit stream says, and returns per-request verdicts and a row.
 *
 * A request's messages are found by Slack message metadata (`event_type: 'poddebug_request'`,
 * `event_payload.request_id`) when the bot sets it, else by what the harness can parse: every command is sent
 * from a channel of its own, the status message is the top-level message there, and a result is a thread reply
 * that names the request (job) id.
 */

/** One slash command the driver sent. */
export interface SentCommand {
  requestId: string;
  channel: string;
  /** HTTP 200 without an error text, within Slack's 3 s. */
  acked: boolean;
  /** Why not acked: the ephemeral text, the HTTP status or the transport error. */
  refusal?: string;
}

/** A message as the Slack double holds it now. */
export interface SlackMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text?: string;
  blocks?: unknown[];
  metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
}

/** Audit event types per request id, as read from the audit stream. */
export type AuditIndex = ReadonlyMap<string, ReadonlySet<string>>;

export const FINAL_AUDIT_TYPES = ['succeeded', 'failed'] as const;

export interface RequestVerdict {
  requestId: string;
  channel: string;
  acked: boolean;
  statuses: string[];
  results: number;
  lost: boolean;
  duplicateResults: number;
  duplicateStatuses: number;
  /** Some status message of this request does not show a final state (or an acked one has none). */
  stuck: boolean;
  /** The final status says it failed (informational: a failure posted is not a loss). */
  failed: boolean;
  missingAudit: string[];
  problems: string[];
}

export interface RowCounts {
  sent: number;
  acked: number;
  results: number;
  failed: number;
  lost: number;
  /** Requests with more than one result in their thread. */
  duplicateResults: number;
  /** Requests with more than one status message. */
  duplicateStatuses: number;
  stuck: number;
  missingAudit: number;
}

/** The request id a message's metadata names, if it carries poddebug metadata. */
export function metadataRequestId(m: SlackMessage): string | undefined {
  if (m.metadata?.event_type !== 'poddebug_request') return undefined;
  const id = m.metadata.event_payload?.request_id;
  return typeof id === 'string' ? id : undefined;
}

const isTopLevel = (m: SlackMessage) => !m.thread_ts || m.thread_ts === m.ts;

/**
 * False while a status message shows work in progress ("… — queued…", "… — running: gathering…"). Only the
 * phase (see statusPhase) counts: a verdict may well say "running but not ready".
 */
export function isFinalStatus(text: string): boolean {
  return !/^(queued|running)\b/i.test(statusPhase(text));
}

/** The phase part of a status message: the first line after its first " — " ("done: …", "failed: …"). */
export function statusPhase(text: string): string {
  const first = text.split('\n')[0] ?? '';
  const dash = first.indexOf('— ');
  return (dash < 0 ? first : first.slice(dash + 2)).trim();
}

function mentions(m: SlackMessage, requestId: string): boolean {
  if (m.text?.includes(requestId)) return true;
  return m.blocks !== undefined && JSON.stringify(m.blocks).includes(requestId);
}

/** Groups messages by channel and by metadata request id, once per check. */
export function indexMessages(messages: readonly SlackMessage[]): {
  byChannel: Map<string, SlackMessage[]>;
  byRequest: Map<string, SlackMessage[]>;
} {
  const byChannel = new Map<string, SlackMessage[]>();
  const byRequest = new Map<string, SlackMessage[]>();
  for (const m of messages) {
    const c = byChannel.get(m.channel) ?? [];
    c.push(m);
    byChannel.set(m.channel, c);
    const id = metadataRequestId(m);
    if (id) {
      const r = byRequest.get(id) ?? [];
      r.push(m);
      byRequest.set(id, r);
    }
  }
  return { byChannel, byRequest };
}

/** The verdict on one request. */
export function checkRequest(
  cmd: SentCommand,
  index: ReturnType<typeof indexMessages>,
  audit: AuditIndex,
): RequestVerdict {
  const own = new Set<SlackMessage>(index.byRequest.get(cmd.requestId) ?? []);
  for (const m of index.byChannel.get(cmd.channel) ?? []) {
    const id = metadataRequestId(m);
    if (id === undefined || id === cmd.requestId) own.add(m);
  }
  const mine = [...own];
  const statusMsgs = mine.filter(isTopLevel);
  const results = mine.filter(
    (m) => !isTopLevel(m) && (metadataRequestId(m) === cmd.requestId || mentions(m, cmd.requestId)),
  ).length;
  const statuses = statusMsgs.map((m) => m.text ?? '');
  const notFinal = statuses.filter((t) => !isFinalStatus(t)).length;
  const stuck = notFinal > 0 || (cmd.acked && statuses.length === 0);
  const failed =
    statuses.length > 0 &&
    statuses.every(isFinalStatus) &&
    statuses.some((t) => /^failed\b/i.test(statusPhase(t)));
  // An acked request, or one that ran although its ack was lost, must be in the audit trail.
  const types = audit.get(cmd.requestId) ?? new Set<string>();
  const missingAudit: string[] = [];
  if (cmd.acked || results > 0) {
    if (!types.has('requested')) missingAudit.push('requested');
    if (!FINAL_AUDIT_TYPES.some((t) => types.has(t))) missingAudit.push('succeeded|failed');
  }
  const v: RequestVerdict = {
    requestId: cmd.requestId,
    channel: cmd.channel,
    acked: cmd.acked,
    statuses,
    results,
    lost: cmd.acked && results === 0,
    duplicateResults: Math.max(0, results - 1),
    duplicateStatuses: Math.max(0, statuses.length - 1),
    stuck,
    failed,
    missingAudit,
    problems: [],
  };
  if (v.lost) v.problems.push('acked but no result in its thread');
  if (v.duplicateResults) v.problems.push(`${results} results`);
  if (v.duplicateStatuses) v.problems.push(`${statuses.length} status messages`);
  if (notFinal)
    v.problems.push(`status not final: "${statuses.find((t) => !isFinalStatus(t))?.slice(0, 80)}"`);
  else if (stuck) v.problems.push('acked but no status message');
  if (missingAudit.length) v.problems.push(`no ${missingAudit.join(', ')} audit entry`);
  return v;
}

/** True when nothing more is expected for this request (used to end a scenario's settle time early). */
export function isSettled(v: RequestVerdict): boolean {
  // An unacked command may have no result; whatever it did leave must be whole (no stuck or second message).
  if (!v.acked)
    return !v.stuck && v.duplicateResults === 0 && v.duplicateStatuses === 0 && v.missingAudit.length === 0;
  return v.problems.length === 0;
}

export function countRow(verdicts: readonly RequestVerdict[]): RowCounts {
  const n = (f: (v: RequestVerdict) => boolean | number) => verdicts.reduce((s, v) => s + Number(f(v)), 0);
  return {
    sent: verdicts.length,
    acked: n((v) => v.acked),
    results: n((v) => v.results > 0),
    failed: n((v) => v.failed),
    lost: n((v) => v.lost),
    duplicateResults: n((v) => v.duplicateResults > 0),
    duplicateStatuses: n((v) => v.duplicateStatuses > 0),
    stuck: n((v) => v.stuck),
    missingAudit: n((v) => v.missingAudit.length > 0),
  };
}
