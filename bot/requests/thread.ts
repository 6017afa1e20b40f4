import { type ChatPostMessageArguments, ErrorCode, type WebClient } from '@slack/web-api';
import type { Logger } from '../log.js';
import type { Req, RequestStore } from './store.js';

/** Slack message metadata on every message the bot posts for a request: how a recovering bot finds it. */
export const METADATA_EVENT_TYPE = 'poddebug_request';

/** Slack errors that mean the bot may not post in that channel at all. */
export const CHANNEL_REFUSALS: ReadonlySet<string> = new Set([
  'not_in_channel',
  'channel_not_found',
  'is_archived',
  'restricted_action',
]);

/** Slack would not let the bot post the request's first message where the command was typed. */
export class ChannelRefused extends Error {
  constructor(readonly code: string) {
    super(code);
    this.name = 'ChannelRefused';
  }
}

/** A Web API failure after which Slack surely did not take the message. */
function notPosted(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code;
  return code === ErrorCode.PlatformError || code === ErrorCode.RateLimitedError;
}

/** The `error` of a Slack Web API failure (`not_in_channel`, `ratelimited`, …), if it is one. */
export function slackErrorCode(err: unknown): string | undefined {
  return (err as { data?: { error?: string } } | undefined)?.data?.error;
}

export interface Msg {
  text: string;
  blocks?: unknown[];
}

export interface ThreadDeps {
  /** Retries and waits out 429s: for messages that must land. */
  client: WebClient;
  /** Never retries: for progress updates, which must not outlive their lock or land after the final state. */
  quickClient: WebClient;
  /**
   * Never retries on its own (retries 0, 429s rejected): for new messages. The WebClient would resend a message
   * after a 5xx or a reset that came after Slack took it; here a 429 is waited out and anything else is left
   * to the claim (the next try looks for the message first).
   */
  postClient: WebClient;
  store: RequestStore;
  logger: Logger;
  now: () => number;
  /** A claim to post older than this is taken over (its poster died). Longer than a request lock. */
  claimStaleMs: number;
}

/**
 * The Slack side of a request's thread. Every message is posted once: claimed in Redis first, posted with
 * metadata naming the request and the message, then marked posted together with its ts. A bot that takes
 * over a stale claim (its poster died after Slack took the message and before Redis heard of it) looks for
 * the message by its metadata before posting again. Callers hold the request's lock.
 */
export class RequestThreads {
  constructor(private readonly d: ThreadDeps) {}

  /**
   * Posts message `part` of `r` once: into `threadTs`, or as a new root message when it is undefined.
   * `fields(ts)` are recorded with the mark (the message's ts). Resolves to `{ ts }` when the message is in
   * Slack (`ts` when this call posted or found it), or undefined when another poster holds a fresh claim and
   * it may not be there yet (the caller stops; the sweep comes back).
   */
  async postOnce(
    r: Req,
    part: string,
    msg: Msg,
    o: { threadTs?: string; fields?: (ts: string) => Record<string, unknown> } = {},
  ): Promise<{ ts?: string } | undefined> {
    const { store } = this.d;
    const claim = await store.claim(r.id, part, this.d.now(), this.d.claimStaleMs);
    if (claim === 3) return {};
    if (claim === 0) return undefined;
    if (claim === 2) {
      const found = await this.find(r, part, o.threadTs);
      if (found) {
        this.d.logger.info(
          { id: r.id, part },
          'found a message a crashed poster had posted; not posting again',
        );
        await store.mark(r.id, part, o.fields?.(found) ?? {});
        return { ts: found };
      }
    }
    let ts: string | undefined;
    try {
      const res = await this.send({
        channel: r.channel,
        ...(o.threadTs ? { thread_ts: o.threadTs } : {}),
        text: msg.text,
        ...(msg.blocks ? { blocks: msg.blocks as never } : {}),
        unfurl_links: false,
        unfurl_media: false,
        metadata: { event_type: METADATA_EVENT_TYPE, event_payload: { request_id: r.id, part } },
      });
      ts = res.ts;
    } catch (err) {
      // Slack said no (ok:false, or a 429 it rejected): nothing was posted, the next try posts afresh. Any other
      // failure (a timeout, a reset, a 5xx) may have come after Slack took the message: the next try looks first.
      if (notPosted(err)) await store.release(r.id, part).catch(() => undefined);
      else await store.staleClaim(r.id, part).catch(() => undefined);
      throw err;
    }
    await store.mark(r.id, part, ts ? (o.fields?.(ts) ?? {}) : {});
    return { ts };
  }

  /** chat.postMessage, waiting out 429s (Slack rejected those: nothing was posted), for up to 15 minutes. */
  private async send(args: ChatPostMessageArguments): Promise<{ ts?: string }> {
    const until = this.d.now() + 15 * 60_000;
    for (;;) {
      try {
        return await this.d.postClient.chat.postMessage(args);
      } catch (err) {
        const e = err as { code?: string; retryAfter?: number };
        if (e.code !== ErrorCode.RateLimitedError || this.d.now() > until) throw err;
        await new Promise((r) => setTimeout(r, Math.max(1, e.retryAfter ?? 1) * 1000));
      }
    }
  }

  /** Replaces a message. `quick`: one attempt, no waiting out 429s (progress; losing one is harmless). */
  async update(r: Req, ts: string, msg: Msg, quick = false): Promise<void> {
    await (quick ? this.d.quickClient : this.d.client).chat.update({
      channel: r.channel,
      ts,
      text: msg.text,
      ...(msg.blocks ? { blocks: msg.blocks as never } : {}),
    });
  }

  /** The permalink of a message, when Slack gives an https one. */
  async permalink(r: Req, ts: string | undefined): Promise<string | undefined> {
    if (!ts) return undefined;
    try {
      const p = await this.d.client.chat.getPermalink({ channel: r.channel, message_ts: ts });
      return p.permalink && /^https:\/\//.test(p.permalink) ? p.permalink : undefined;
    } catch {
      return undefined;
    }
  }

  /** Looks for message `part` of `r` in the channel (or thread) since the request was made. */
  private async find(r: Req, part: string, threadTs?: string): Promise<string | undefined> {
    const client = this.d.client;
    const oldest = String(Math.floor(r.createdAt / 1000) - 60);
    let cursor: string | undefined;
    try {
      for (let page = 0; page < 10; page++) {
        const args = { channel: r.channel, oldest, include_all_metadata: true, limit: 200, cursor };
        const res = threadTs
          ? await client.conversations.replies({ ...args, ts: threadTs })
          : await client.conversations.history(args);
        for (const m of res.messages ?? []) {
          const md = m.metadata as
            | { event_type?: string; event_payload?: Record<string, unknown> }
            | undefined;
          if (
            md?.event_type === METADATA_EVENT_TYPE &&
            md.event_payload?.request_id === r.id &&
            md.event_payload?.part === part &&
            m.ts
          ) {
            return m.ts;
          }
        }
        cursor = res.response_metadata?.next_cursor || undefined;
        if (!cursor) break;
      }
    } catch (err) {
      this.d.logger.warn(
        { err, id: r.id, part, code: slackErrorCode(err) },
        'could not look for a message a crashed poster may have posted; posting it',
      );
    }
    return undefined;
  }
}
