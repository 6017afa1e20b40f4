/**
 * conversations.history and conversations.replies: reading a channel's timeline and a thread back, with
 * Slack's time window (oldest, latest, inclusive), cursor paging (limit, cursor → response_metadata.next_cursor)
 * and message metadata only on request (include_all_metadata).
 */
import { str, truthy } from '../request-body.js';
import type { SlackStore } from '../store.js';
import type { PostedMessage } from '../types.js';
import { type ApiResult, type Args, fail, type MethodHandler } from './result.js';

/** A message ts ("1732780000.000100") as integer microseconds; undefined when it is not one. */
export function tsMicros(ts: string): number | undefined {
  const m = /^(\d{1,12})(?:\.(\d{1,6}))?$/.exec(ts.trim());
  if (!m) return undefined;
  return Number(m[1]) * 1e6 + Number((m[2] ?? '').padEnd(6, '0'));
}

/** Slack's cursor shape: base64 of "next_ts:<microseconds>" (the first message of the next page). */
export function encodeCursor(ts: string): string {
  return Buffer.from(`next_ts:${tsMicros(ts)}`).toString('base64');
}

/** The microseconds a cursor points at, or undefined for a cursor this double did not hand out. */
export function decodeCursor(cursor: string): number | undefined {
  const m = /^next_ts:(\d{1,18})$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
  return m ? Number(m[1]) : undefined;
}

interface Window {
  oldest: number;
  latest: number;
  inclusive: boolean;
}

/** Reads oldest/latest/inclusive; `inclusive` only matters when either bound is given (Slack's rule). */
function readWindow(args: Args): Window | ApiResult {
  const oldestArg = str(args.oldest);
  const latestArg = str(args.latest);
  const oldest = oldestArg === undefined ? 0 : tsMicros(oldestArg);
  if (oldest === undefined) return fail('invalid_ts_oldest');
  const latest = latestArg === undefined ? Number.POSITIVE_INFINITY : tsMicros(latestArg);
  if (latest === undefined) return fail('invalid_ts_latest');
  return { oldest, latest, inclusive: truthy(args.inclusive) };
}

function inWindow(w: Window, ts: string): boolean {
  const t = tsMicros(ts)!;
  return w.inclusive ? t >= w.oldest && t <= w.latest : t > w.oldest && t < w.latest;
}

/** `limit` clamped to 1..max; absent, zero or not a number → the method's default. */
function readLimit(v: unknown, dflt: number, max: number): number {
  const n = Math.floor(Number(v));
  return Number.isFinite(n) && n > 0 ? Math.min(n, max) : dflt;
}

/** A known channel the bot may read, or Slack's error. */
function readableChannel(store: SlackStore, args: Args): string | ApiResult {
  const raw = str(args.channel);
  if (!raw) return fail('channel_not_found');
  const channel = store.resolveChannel(raw);
  if (!store.knowsChannel(channel)) return fail('channel_not_found');
  if (!store.canPost(channel)) return fail('not_in_channel');
  return channel;
}

/** One page of `items` (already in answer order) from the cursor on; `after` says which side of it is next. */
function page(
  items: PostedMessage[],
  cursor: string | undefined,
  limit: number,
  after: (micros: number, at: number) => boolean,
): { items: PostedMessage[]; next: string } | ApiResult {
  let rest = items;
  if (cursor) {
    const at = decodeCursor(cursor);
    if (at === undefined) return fail('invalid_cursor');
    rest = items.filter((m) => after(tsMicros(m.ts)!, at));
  }
  const out = rest.slice(0, limit);
  const following = rest[limit];
  return { items: out, next: following ? encodeCursor(following.ts) : '' };
}

function answer(
  store: SlackStore,
  args: Args,
  p: { items: PostedMessage[]; next: string },
  extra: Record<string, unknown> = {},
): ApiResult {
  const metadata = truthy(args.include_all_metadata);
  return {
    ok: true,
    messages: p.items.map((m) => store.apiMessage(m, { metadata })),
    has_more: p.next !== '',
    ...extra,
    response_metadata: { next_cursor: p.next },
  };
}

/** Top-level messages (and thread replies broadcast to the channel), newest first. */
const history: MethodHandler = (store, args) => {
  const channel = readableChannel(store, args);
  if (typeof channel !== 'string') return channel;
  const w = readWindow(args);
  if ('ok' in w) return w;
  const timeline = store.messages
    .filter((m) => m.channel === channel && (!m.thread_ts || m.thread_ts === m.ts || m.reply_broadcast))
    .filter((m) => inWindow(w, m.ts))
    .sort((a, b) => tsMicros(b.ts)! - tsMicros(a.ts)!);
  const p = page(timeline, str(args.cursor), readLimit(args.limit, 100, 999), (t, at) => t <= at);
  if ('ok' in p) return p;
  return answer(store, args, p, { pin_count: 0, channel_actions_ts: null, channel_actions_count: 0 });
};

/**
 * A thread oldest first, its parent at the top of the first page (later pages hold replies only, as Slack's
 * do). A reply's ts reads its whole thread; a ts of no message answers thread_not_found.
 */
const replies: MethodHandler = (store, args) => {
  const channel = readableChannel(store, args);
  if (typeof channel !== 'string') return channel;
  const ts = str(args.ts);
  if (!ts) return fail('invalid_arguments', ['[ERROR] missing required field: ts']);
  const hit = store.findMessage(channel, ts);
  if (!hit) return fail('thread_not_found');
  const w = readWindow(args);
  if ('ok' in w) return w;
  const parentTs = hit.thread_ts ?? hit.ts;
  const parent = store.findMessage(channel, parentTs);
  const thread = store.replies(channel, parentTs).filter((m) => inWindow(w, m.ts));
  const cursor = str(args.cursor);
  const all = [...(parent && !cursor ? [parent] : []), ...thread];
  const p = page(all, cursor, readLimit(args.limit, 1000, 1000), (t, at) => t >= at);
  if ('ok' in p) return p;
  return answer(store, args, p);
};

/** Handlers for conversations.history and conversations.replies. */
export const CONVERSATION_METHODS: Record<string, MethodHandler> = {
  'conversations.history': history,
  'conversations.replies': replies,
};
