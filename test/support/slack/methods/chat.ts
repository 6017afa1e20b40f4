/** chat.* and conversations.replies: messages, threads, edits, ephemerals, permalinks. */
import { checkMessagePayload } from '../block-kit.js';
import { str, truthy } from '../request-body.js';
import type { SlackStore } from '../store.js';
import type { PostedMessage } from '../types.js';
import { type ApiResult, type Args, fail, type MethodHandler } from './result.js';

function payloadProblem(args: Args): ApiResult | undefined {
  const problem = checkMessagePayload(args);
  return problem ? fail(problem.error, problem.messages) : undefined;
}

function blocksOf(args: Args): unknown[] | undefined {
  return Array.isArray(args.blocks) ? args.blocks : undefined;
}

/** Message metadata as sent (a JSON object); anything else is ignored, as Slack drops malformed metadata. */
function metadataOf(args: Args): PostedMessage['metadata'] {
  const m = args.metadata;
  return typeof m === 'object' && m !== null && !Array.isArray(m)
    ? (m as PostedMessage['metadata'])
    : undefined;
}

/** A reply's ts used as thread_ts is re-pointed at its parent, as Slack does. */
function threadParent(store: SlackStore, channel: string, threadTs: string | undefined): string | undefined {
  if (!threadTs) return undefined;
  return store.findMessage(channel, threadTs)?.thread_ts ?? threadTs;
}

const postMessage: MethodHandler = (store, args) => {
  const raw = str(args.channel);
  if (!raw) return fail('channel_not_found');
  const channel = store.resolveChannel(raw);
  if (!store.canPost(channel)) return fail('not_in_channel');
  const problem = payloadProblem(args);
  if (problem) return problem;
  const m: PostedMessage = {
    channel,
    ts: store.nextTs(),
    user: store.cfg.botUserId,
    edits: 0,
  };
  const threadTs = threadParent(store, channel, str(args.thread_ts));
  if (threadTs) m.thread_ts = threadTs;
  if (typeof args.text === 'string') m.text = args.text;
  const blocks = blocksOf(args);
  if (blocks) m.blocks = blocks;
  const metadata = metadataOf(args);
  if (metadata) m.metadata = metadata;
  if (threadTs && truthy(args.reply_broadcast)) m.reply_broadcast = true;
  store.addMessage(m);
  return { ok: true, channel, ts: m.ts, message: store.apiMessage(m) };
};

const update: MethodHandler = (store, args) => {
  const raw = str(args.channel);
  const ts = str(args.ts);
  if (!raw) return fail('channel_not_found');
  if (!ts) return fail('message_not_found');
  const channel = store.resolveChannel(raw);
  const m = store.findMessage(channel, ts);
  if (!m) return fail('message_not_found');
  if (m.user !== store.cfg.botUserId) return fail('cant_update_message');
  const problem = payloadProblem(args);
  if (problem) return problem;
  if (typeof args.text === 'string') m.text = args.text;
  const blocks = blocksOf(args);
  if (blocks) m.blocks = blocks;
  const metadata = metadataOf(args);
  if (metadata) m.metadata = metadata;
  m.edits += 1;
  m.updatedAt = store.cfg.now();
  store.noteFallback(m);
  return { ok: true, channel, ts, text: m.text ?? '', message: store.apiMessage(m) };
};

const postEphemeral: MethodHandler = (store, args) => {
  const raw = str(args.channel);
  const user = str(args.user);
  if (!raw) return fail('channel_not_found');
  if (!user) return fail('user_not_found');
  const channel = store.resolveChannel(raw);
  if (!store.canPost(channel)) return fail('not_in_channel');
  const problem = payloadProblem(args);
  if (problem) return problem;
  const m: PostedMessage = {
    channel,
    ts: store.nextTs(),
    user: store.cfg.botUserId,
    edits: 0,
    ephemeralFor: user,
  };
  const threadTs = str(args.thread_ts);
  if (threadTs) m.thread_ts = threadTs;
  if (typeof args.text === 'string') m.text = args.text;
  const blocks = blocksOf(args);
  if (blocks) m.blocks = blocks;
  store.addMessage(m, true);
  return { ok: true, message_ts: m.ts };
};

const del: MethodHandler = (store, args) => {
  const channel = store.resolveChannel(str(args.channel) ?? '');
  const ts = str(args.ts) ?? '';
  const m = store.findMessage(channel, ts);
  if (!m) return fail('message_not_found');
  if (m.user !== store.cfg.botUserId) return fail('cant_delete_message');
  store.removeMessage(m);
  return { ok: true, channel, ts };
};

const getPermalink: MethodHandler = (store, args) => {
  const channel = store.resolveChannel(str(args.channel) ?? '');
  const ts = str(args.message_ts) ?? '';
  const m = store.findMessage(channel, ts);
  if (!m) return fail('message_not_found');
  let permalink = `https://${store.cfg.teamDomain}.slack.com/archives/${channel}/p${ts.replace('.', '')}`;
  if (m.thread_ts && m.thread_ts !== m.ts) permalink += `?thread_ts=${m.thread_ts}&cid=${channel}`;
  return { ok: true, channel, permalink };
};

const replies: MethodHandler = (store, args) => {
  const channel = store.resolveChannel(str(args.channel) ?? '');
  const ts = str(args.ts);
  if (!ts) return fail('invalid_arguments', ['[ERROR] missing required field: ts']);
  const hit = store.findMessage(channel, ts);
  if (!hit) return fail('thread_not_found');
  const parentTs = hit.thread_ts ?? hit.ts;
  const parent = store.findMessage(channel, parentTs);
  const all = [...(parent ? [parent] : []), ...store.replies(channel, parentTs)];
  const limit = Math.max(1, Math.min(1000, Number(args.limit ?? 1000) || 1000));
  const cursor = str(args.cursor);
  const start = cursor
    ? Number(Buffer.from(cursor, 'base64').toString('utf8').replace('offset:', '')) || 0
    : 0;
  const page = all.slice(start, start + limit);
  const more = start + limit < all.length;
  return {
    ok: true,
    messages: page.map((m) => store.apiMessage(m)),
    has_more: more,
    response_metadata: { next_cursor: more ? Buffer.from(`offset:${start + limit}`).toString('base64') : '' },
  };
};

/** Handlers for chat.* and conversations.replies. */
export const CHAT_METHODS: Record<string, MethodHandler> = {
  'chat.postMessage': postMessage,
  'chat.update': update,
  'chat.postEphemeral': postEphemeral,
  'chat.delete': del,
  'chat.getPermalink': getPermalink,
  'conversations.replies': replies,
};
