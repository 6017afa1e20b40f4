/** `/poddebug jobs`: a channel's queued and running requests as an ephemeral message. Pure. */
import { context, section } from './blocks.js';
import { LIMITS, truncate } from './limits.js';
import { code, inline, mention } from './mrkdwn.js';
import type { RenderedMessage } from './types.js';

/** One open request as `jobs` lists it. */
export interface JobRow {
  id: string;
  /** `diagnose`, `strace`, … (with options for probes: `strace --duration 20s`). */
  action: string;
  /** `shop/checkout-7d9f` or `shop/deploy/checkout`. */
  target: string;
  cluster: string;
  requester: string;
  createdAt: number;
  /** Where it stands, in words: `queued`, `running`, `waiting for approval (1 of 2)`, … */
  state: string;
}

/** Rows shown in one message; the rest are counted. */
const MAX_ROWS = 20;

/** "strace on `shop/x` in prod". */
export function jobTargetText(r: Pick<JobRow, 'action' | 'target' | 'cluster'>): string {
  return `${inline(r.action, 120)} on ${code(r.target)} in ${inline(r.cluster, 63)}`;
}

/** "40 s", "3 min", "2 h 5 min", "3 d". */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d`;
}

/**
 * The listing: one line per request (id, action, target, requester, age, state), oldest request at the
 * bottom, and how to cancel one. `more`: open requests of the channel that were not read.
 */
export function renderJobList(rows: readonly JobRow[], now: number, more = 0): RenderedMessage {
  if (rows.length === 0) {
    const text =
      'No queued or running poddebug requests in this channel. Requests made elsewhere are listed in their own channel.';
    return { text, blocks: [section(text)] };
  }
  const head = `*${rows.length + more} queued or running request${rows.length + more === 1 ? '' : 's'} in this channel*`;
  const lines: string[] = [];
  let used = head.length + 40;
  for (const r of rows.slice(0, MAX_ROWS)) {
    const line = `• ${code(r.id)} ${jobTargetText(r)} — ${mention(r.requester)}, ${formatAge(now - r.createdAt)} ago — *${inline(r.state, 80)}*`;
    if (used + line.length + 1 > LIMITS.sectionText) break;
    lines.push(line);
    used += line.length + 1;
  }
  const hidden = rows.length - lines.length + more;
  const body = [head, ...lines, ...(hidden > 0 ? [`…and ${hidden} more`] : [])].join('\n');
  return {
    text: truncate(body, LIMITS.fallbackText),
    blocks: [
      section(body),
      context([
        'Cancel one with `/poddebug cancel ID` (its requester, or an approver in its scope). `/poddebug help cancel` says more.',
      ]),
    ],
  };
}
