/** chat.*: messages, threads, edits, ephemerals, permalinks, message metadata. */
import { checkMessagePayload } from '../block-kit.js';
import { str, truthy } from '../request-body.js';
import type { SlackStore } from '../store.js';
import type { MessageMetadata, PostedMessage } from '../types.js';
import { type ApiResult, type Args, fail, type MethodHandler } from './result.js';

/**
 * The `metadata` argument (decoded from its JSON string by request-body.ts, or an object in a JSON body):
 * absent → undefined; `{}` → 'clear' (chat.update removes the message's metadata); otherwise
 * {event_type, event_payload}, or Slack's error for a malformed one. Work-object `entities` are ignored.
 */
export function readMetadata(v: unknown): { metadata?: MessageMetadata | 'clear'; error?: ApiResult } {
  if (v === undefined || v === null || v === '') return {};
  if (typeof v !== 'object' || Array.isArray(v)) return { error: fail('invalid_metadata_format') };
  const { event_type: type, event_payload: payload } = v as Record<string, unknown>;
  if (type === undefined && payload === undefined) return { metadata: 'clear' };
  if (typeof type !== 'string' || type.length === 0) return { error: fail('invalid_metadata_schema') };
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    return { error: fail('invalid_metadata_schema') };
  return {
    metadata: { event_type: type, event_payload: structuredClone(payload as Record<string, unknown>) },
  };
}

function payloadProblem(args: Args): ApiResult | undefined {
  const problem = checkMessagePayload(args);
  return problem ? fail(problem.error, problem.messages) : undefined;
}

function blocksOf(args: Args): unknown[] | undefined {
  return Array.isArray(args.blocks) ? args.blocks : undefined;
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
  const meta = readMetadata(args.metadata);
  if (meta.error) return meta.error;
  const m: PostedMessage = {
    channel,
    ts: store.nextTs(),
    user: store.cfg.botUserId,
    edits: 0,
  };
  if (meta.metadata && meta.metadata !== 'clear') m.metadata = meta.metadata;
  const threadTs = threadParent(store, channel, str(args.thread_ts));
  if (threadTs) m.thread_ts = threadTs;
  if (typeof args.text === 'string') m.text = args.text;
  const blocks = blocksOf(args);
  if (blocks) m.blocks = blocks;
  if (threadTs && truthy(args.reply_broadcast)) m.reply_broadcast = true;
  store.addMessage(m);
  return { ok: true, channel, ts: m.ts, message: store.apiMessage(m, { metadata: true }) };
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
  const meta = readMetadata(args.metadata);
  if (meta.error) return meta.error;
  if (typeof args.text === 'string') m.text = args.text;
  const blocks = blocksOf(args);
  if (blocks) m.blocks = blocks;
  // Absent metadata keeps the message's; an empty object removes it (Slack's chat.update).
  if (meta.metadata === 'clear') delete m.metadata;
  else if (meta.metadata) m.metadata = meta.metadata;
  m.edits += 1;
  m.updatedAt = store.cfg.now();
  store.noteFallback(m);
  return { ok: true, channel, ts, text: m.text ?? '', message: store.apiMessage(m, { metadata: true }) };
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

/** Handlers for chat.*. */
export const CHAT_METHODS: Record<string, MethodHandler> = {
  'chat.postMessage': postMessage,
  'chat.update': update,
  'chat.postEphemeral': postEphemeral,
  'chat.delete': del,
  'chat.getPermalink': getPermalink,
};
