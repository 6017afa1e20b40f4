import type { Predicate } from './poll.js';

/** Options for {@link startSlackDouble}. */
export interface SlackDoubleOptions {
  /** Port to listen on (127.0.0.1). Default 0: a free port. */
  port?: number;
  /** The only token the double accepts. Default 'xoxb-test-token'. */
  botToken?: string;
  teamId?: string;
  botUserId?: string;
  /** Clock in ms, used for response_url expiry and `at` stamps. Default Date.now. */
  now?: () => number;
}

/** One HTTP call the double answered, with the arguments as Slack parsed them (token removed). */
export interface RecordedCall {
  /** Web API method name, or 'response_url' / 'files.upload_url' for the non-API endpoints. */
  method: string;
  args: Record<string, unknown>;
  at: number;
  ok: boolean;
  error?: string;
  status: number;
}

/** A message as it currently stands in the double's workspace (after chat.update). */
export interface PostedMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text?: string;
  blocks?: unknown[];
  user: string;
  edits: number;
  updatedAt?: number;
  viaResponseUrl?: boolean;
  ephemeralFor?: string;
  /** Set when posted with reply_broadcast: a thread reply also shown in the channel. */
  reply_broadcast?: boolean;
  /** File ids shared with this message (files.completeUploadExternal). */
  files?: string[];
  /** Message metadata set by chat.postMessage / chat.update (returned by history and replies only with include_all_metadata). */
  metadata?: MessageMetadata;
}

/** Slack's event metadata on a message: https://docs.slack.dev/messaging/message-metadata */
export interface MessageMetadata {
  event_type: string;
  event_payload: Record<string, unknown>;
}

/** A file uploaded through getUploadURLExternal → upload → completeUploadExternal. */
export interface UploadedFile {
  id: string;
  filename: string;
  title?: string;
  bytes: Buffer;
  channel?: string;
  thread_ts?: string;
  initial_comment?: string;
}

/** A modal opened or updated with views.open / views.push / views.update. */
export interface RecordedView {
  id: string;
  trigger_id?: string;
  view: Record<string, unknown>;
  hash: string;
  updates: number;
}

/** Where a response_url posts: the channel and user of the interaction that minted it. */
export interface ResponseUrlContext {
  channel?: string;
  user?: string;
  /** The message the interaction came from (block actions): target of replace_original / delete_original. */
  messageTs?: string;
  /** The thread the interaction happened in: ephemeral posts without a `thread_ts` show there, as in Slack. */
  threadTs?: string;
}

/** A running Slack Web API double. See README-style notes in web-api-double.ts. */
export interface SlackDouble {
  /** http://127.0.0.1:PORT */
  url: string;
  /** url + '/api/' — what WebClient's slackApiUrl takes. */
  apiUrl: string;
  calls(method?: string): RecordedCall[];
  /** Top-level and thread messages, current content (after chat.update), in posting order. */
  messages(channel?: string): PostedMessage[];
  /** Replies whose thread_ts = ts (the parent excluded), in order. */
  thread(channel: string, ts: string): PostedMessage[];
  /** chat.postEphemeral and ephemeral response_url posts. */
  ephemerals(user?: string): PostedMessage[];
  files(): UploadedFile[];
  /** Current modals. */
  views(): RecordedView[];
  /** Messages posted or updated with blocks but without a `text` fallback. */
  missingFallbacks(): PostedMessage[];
  /**
   * A response_url for a fake slash command or block action; posts to it are recorded (JSON body: text, blocks,
   * response_type, replace_original, delete_original, thread_ts). 5 uses within 30 minutes, 404 after.
   */
  responseUrl(ctx?: ResponseUrlContext): string;
  /** Next `times` calls of `method` answer HTTP 429 with Retry-After: retryAfterSec (default 1). */
  rateLimit(method: string, times: number, retryAfterSec?: number): void;
  /** Next `times` (default 1) calls of `method` take effect but answer HTTP `status` (default 502): the answer is lost. */
  loseAnswer(method: string, times?: number, status?: number): void;
  /** Next `times` (default 1) calls of `method` answer {ok:false, error}. */
  failWith(method: string, error: string, times?: number): void;
  /**
   * Until `untilMs` (epoch ms, the double's clock), every Web API call (or only those in `methods`) answers
   * HTTP 429 `ratelimited` with Retry-After: retryAfterSec. Time-based, unlike rateLimit(); reset() ends it.
   */
  storm(o: { methods?: string[]; untilMs: number; retryAfterSec: number }): void;
  /** Until `untilMs`, every Web API call (or those in `methods`) answers HTTP `status` (e.g. 500, 503). */
  outage(o: { methods?: string[]; untilMs: number; status: number }): void;
  /**
   * Polls `predicate` until its value is truthy and resolves with that value. The predicate may be async: a
   * returned promise is awaited each poll, so the wait ends on the resolved value, not on the (always truthy)
   * Promise. A predicate that throws or rejects is retried; after timeoutMs (default 5000) the wait rejects
   * with a dump of calls and messages, naming the last predicate error (also the Error's `cause`).
   */
  waitFor<T>(predicate: Predicate<T>, timeoutMs?: number): Promise<T>;
  addUser(u: { id: string; name: string; email?: string; tz?: string }): void;
  addUsergroup(id: string, users: string[]): void;
  /** isMember:false → chat.postMessage answers not_in_channel. Unknown channels are accepted (chat:write.public). */
  addChannel(c: { id: string; name: string; isMember?: boolean }): void;
  /** Forgets recorded state (calls, messages, files, views, response_urls, scheduled failures); keeps users, groups, channels. */
  reset(): void;
  close(): Promise<void>;
}
