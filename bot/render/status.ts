/** The visible top-level status message that is updated as a job moves along. Pure. */

import { section } from './blocks.js';
import { LIMITS, truncate } from './limits.js';
import { code, inline, mention } from './mrkdwn.js';
import { formatCounts, type SeverityCounts } from './severity.js';
import type { RenderedMessage } from './types.js';

/** Where a request is. */
export type StatusPhase = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** What the status line shows. `target` is formatted, e.g. `shop/checkout-7d9f` or `shop/deploy/checkout`. */
export interface StatusInput {
  phase: StatusPhase;
  target: string;
  cluster: string;
  requestedBy: string;
  /** Worker stage while running (resolving, gathering, analysing). */
  stage?: string;
  /** Done: the verdict line; failed: what went wrong, in one line; cancelled: who cancelled it and when. */
  verdict?: string;
  counts?: SeverityCounts;
  /** Cancelled: who cancelled it. */
  by?: string;
  /** What the request does, first word of the line (default `Diagnosing`; reads say `Reading logs of`). */
  doing?: string;
}

function phaseText(s: StatusInput): string {
  switch (s.phase) {
    case 'queued':
      return 'queued…';
    case 'running':
      return `running: ${inline(s.stage ?? 'started', 60)}…`;
    case 'done':
      if (!s.counts && s.doing && s.verdict) return `done: ${inline(s.verdict, 200)} — see thread`;
      return `done: ${s.counts ? formatCounts(s.counts) : 'finished'} — see thread`;
    case 'failed':
      return `failed: ${s.verdict ? inline(s.verdict, 300) : 'see thread'}`;
    case 'cancelled':
      return `🚫 cancelled${s.by ? ` by ${mention(s.by)}` : ''}${s.verdict ? `: ${inline(s.verdict, 300)}` : ''}`;
  }
}

/**
 * "🔎 Diagnosing `shop/web-0` on *prod* for <@U1> — queued…", then
 * "— running: gathering…", "— done: 2 critical, 1 warning — see thread"
 * (with the verdict on a second line) or "— failed: …".
 */
export function renderStatus(s: StatusInput): RenderedMessage {
  const line = `🔎 ${s.doing ?? 'Diagnosing'} ${code(s.target)} on *${inline(s.cluster, 63)}* for ${mention(s.requestedBy)} — ${phaseText(s)}`;
  const verdict =
    s.phase === 'done' && s.verdict && !(s.doing && !s.counts) ? `\n${inline(s.verdict, 300)}` : '';
  const text = `${line}${verdict}`;
  return { text: truncate(text, LIMITS.fallbackText), blocks: [section(text)] };
}
