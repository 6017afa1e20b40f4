/**
 * response_url posts (slash commands, block actions): ephemeral or in_channel responses, replace_original,
 * delete_original; at most 5 uses within 30 minutes, as Slack documents.
 */
import { checkMessagePayload } from './block-kit.js';
import { str, truthy } from './request-body.js';
import type { SlackStore } from './store.js';
import type { PostedMessage } from './types.js';

/** Slack's documented response_url budget. */
export const RESPONSE_URL_LIMITS = { uses: 5, lifetimeMs: 30 * 60 * 1000 } as const;

/** Outcome of one response_url post. */
export interface ResponseUrlOutcome {
  status: number;
  body: { ok: boolean; error?: string; response_metadata?: { messages: string[] } };
}

function target(store: SlackStore, state: NonNullable<ReturnType<SlackStore['responseUrls']['get']>>) {
  const { messageTs, channel } = state.ctx;
  if (messageTs) {
    const m = store.findMessage(channel, messageTs) ?? store.ephemerals.find((e) => e.ts === messageTs);
    if (m) return m;
  }
  return state.last;
}

/** Applies a JSON body posted to response_url `id`. */
export function postToResponseUrl(
  store: SlackStore,
  id: string,
  body: Record<string, unknown>,
): ResponseUrlOutcome {
  const state = store.responseUrls.get(id);
  if (!state) return { status: 404, body: { ok: false, error: 'invalid_url' } };
  if (store.cfg.now() - state.createdAt > RESPONSE_URL_LIMITS.lifetimeMs)
    return { status: 404, body: { ok: false, error: 'expired_url' } };
  if (state.uses >= RESPONSE_URL_LIMITS.uses) return { status: 404, body: { ok: false, error: 'used_url' } };

  if (truthy(body.delete_original)) {
    state.uses += 1;
    const m = target(store, state);
    if (!m || !store.removeMessage(m))
      return { status: 404, body: { ok: false, error: 'message_not_found' } };
    return { status: 200, body: { ok: true } };
  }
  const problem = checkMessagePayload(body);
  if (problem) {
    const out: ResponseUrlOutcome = { status: 400, body: { ok: false, error: problem.error } };
    if (problem.messages) out.body.response_metadata = { messages: problem.messages };
    return out;
  }
  state.uses += 1;
  const blocks = Array.isArray(body.blocks) ? body.blocks : undefined;
  const text = typeof body.text === 'string' ? body.text : undefined;

  if (truthy(body.replace_original)) {
    const m = target(store, state);
    if (m) {
      m.text = text;
      if (blocks) m.blocks = blocks;
      else delete m.blocks;
      m.edits += 1;
      m.updatedAt = store.cfg.now();
      store.noteFallback(m);
      return { status: 200, body: { ok: true } };
    }
  }
  const inChannel = body.response_type === 'in_channel';
  const m: PostedMessage = {
    channel: state.ctx.channel,
    ts: store.nextTs(),
    user: store.cfg.botUserId,
    edits: 0,
    viaResponseUrl: true,
  };
  if (text !== undefined) m.text = text;
  if (blocks) m.blocks = blocks;
  const threadTs = str(body.thread_ts) ?? (inChannel ? undefined : state.ctx.threadTs);
  if (threadTs) m.thread_ts = threadTs;
  if (!inChannel) m.ephemeralFor = state.ctx.user;
  store.addMessage(m, !inChannel);
  state.last = m;
  return { status: 200, body: { ok: true } };
}
