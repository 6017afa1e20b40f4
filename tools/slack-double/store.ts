/**
 * The double's workspace state: recorded calls, messages, files, views, response_urls, and the directory
 * (users, user groups, channels). Method handlers read and write it; the public SlackDouble API reads it.
 */
import type { PostedMessage, RecordedCall, RecordedView, ResponseUrlContext, UploadedFile } from './types.js';

/** Fixed identity of the fake workspace and bot. */
export interface StoreConfig {
  botToken: string;
  teamId: string;
  teamDomain: string;
  botUserId: string;
  botId: string;
  appId: string;
  now: () => number;
  /** http://127.0.0.1:PORT, set once listening. */
  baseUrl: string;
}

/** A file between getUploadURLExternal and completeUploadExternal. */
export interface StoredFile extends UploadedFile {
  length: number;
  uploaded: boolean;
  completed: boolean;
  created: number;
}

/** A response_url minted by the double. */
export interface ResponseUrlState {
  ctx: Required<Pick<ResponseUrlContext, 'channel' | 'user'>> &
    Pick<ResponseUrlContext, 'messageTs' | 'threadTs'>;
  createdAt: number;
  uses: number;
  /** The last message this URL posted: what replace_original / delete_original act on for slash commands. */
  last?: PostedMessage;
}

/** A user known to users.info / users.lookupByEmail. */
export interface DirectoryUser {
  id: string;
  name: string;
  email?: string;
  tz?: string;
}

/** A channel known to conversations.info and to membership checks. */
export interface DirectoryChannel {
  id: string;
  name: string;
  isMember: boolean;
}

/** Mutable state of one double. */
export class SlackStore {
  calls: RecordedCall[] = [];
  messages: PostedMessage[] = [];
  ephemerals: PostedMessage[] = [];
  files = new Map<string, StoredFile>();
  /** upload key (last path segment of upload_url) → file id */
  uploadKeys = new Map<string, string>();
  views = new Map<string, RecordedView>();
  usedTriggers = new Set<string>();
  responseUrls = new Map<string, ResponseUrlState>();
  missingFallbacks: PostedMessage[] = [];
  readonly users = new Map<string, DirectoryUser>();
  readonly usergroups = new Map<string, string[]>();
  readonly channels = new Map<string, DirectoryChannel>();
  /** Channels that have had a message posted (conversations.history knows them even outside the directory). */
  private seenChannels = new Set<string>();
  private lastMicros = 0;
  private seq = 0;

  constructor(readonly cfg: StoreConfig) {}

  /** A message ts like "1732780000.000100": wall-clock microseconds, strictly increasing. */
  nextTs(): string {
    const micros = Math.max(this.cfg.now() * 1000, this.lastMicros + 100);
    this.lastMicros = micros;
    const sec = Math.floor(micros / 1e6);
    return `${sec}.${String(micros % 1e6).padStart(6, '0')}`;
  }

  /** A Slack-shaped id with the given prefix (F…, V…). */
  nextId(prefix: string): string {
    this.seq += 1;
    return `${prefix}0${this.seq.toString(36).toUpperCase().padStart(9, '0')}`;
  }

  /** Resolves '#name' or 'name' of a known channel to its id; ids pass through. */
  resolveChannel(channel: string): string {
    const name = channel.startsWith('#') ? channel.slice(1) : channel;
    for (const c of this.channels.values()) if (c.name === name) return c.id;
    return channel;
  }

  /** True when the bot may post to the channel (known non-member channels refuse). */
  canPost(channel: string): boolean {
    return this.channels.get(channel)?.isMember !== false;
  }

  findMessage(channel: string, ts: string): PostedMessage | undefined {
    return this.messages.find((m) => m.channel === channel && m.ts === ts);
  }

  /** Adds a message and records it when blocks come without a text fallback. */
  addMessage(m: PostedMessage, ephemeral = false): PostedMessage {
    (ephemeral ? this.ephemerals : this.messages).push(m);
    if (!ephemeral) this.seenChannels.add(m.channel);
    this.noteFallback(m);
    return m;
  }

  /** Records `m` in missingFallbacks if it has blocks and no text (once per message). */
  noteFallback(m: PostedMessage): void {
    const missing =
      Array.isArray(m.blocks) && m.blocks.length > 0 && !(typeof m.text === 'string' && m.text.length > 0);
    if (missing && !this.missingFallbacks.includes(m)) this.missingFallbacks.push(m);
  }

  /** Removes a message (channel or ephemeral); returns whether it existed. */
  removeMessage(m: PostedMessage): boolean {
    for (const list of [this.messages, this.ephemerals]) {
      const i = list.indexOf(m);
      if (i >= 0) {
        list.splice(i, 1);
        return true;
      }
    }
    return false;
  }

  /** True when the channel is in the directory or has had a message: what conversations.* can read. */
  knowsChannel(channel: string): boolean {
    return this.channels.has(channel) || this.seenChannels.has(channel);
  }

  /**
   * The message as the Web API returns it (chat.postMessage `message`, conversations.history/replies items).
   * `metadata` is included only when asked for (chat.* responses; include_all_metadata), as Slack does.
   */
  apiMessage(m: PostedMessage, opts: { metadata?: boolean } = {}): Record<string, unknown> {
    const out: Record<string, unknown> = {
      user: m.user,
      type: 'message',
      ts: m.ts,
      text: m.text ?? '',
      team: this.cfg.teamId,
    };
    if (m.user === this.cfg.botUserId) {
      out.bot_id = this.cfg.botId;
      out.app_id = this.cfg.appId;
      out.bot_profile = {
        id: this.cfg.botId,
        app_id: this.cfg.appId,
        name: 'poddebug',
        deleted: false,
        team_id: this.cfg.teamId,
      };
    }
    if (m.blocks) out.blocks = m.blocks;
    if (opts.metadata && m.metadata) out.metadata = m.metadata;
    if (m.files) {
      out.files = m.files.map((id) => this.apiFile(id));
      out.upload = true;
    }
    if (m.edits > 0) out.edited = { user: m.user, ts: this.nextTsPeek(m.updatedAt) };
    if (m.thread_ts) {
      out.thread_ts = m.thread_ts;
      if (m.thread_ts !== m.ts) {
        out.parent_user_id = this.findMessage(m.channel, m.thread_ts)?.user ?? m.user;
        if (m.reply_broadcast) out.subtype = 'thread_broadcast';
      }
    }
    const replies = this.replies(m.channel, m.ts);
    if (replies.length > 0) {
      out.thread_ts = m.ts;
      out.reply_count = replies.length;
      out.reply_users = [...new Set(replies.map((r) => r.user))];
      out.reply_users_count = (out.reply_users as string[]).length;
      out.latest_reply = replies[replies.length - 1]!.ts;
    }
    return out;
  }

  /** Replies in a thread (parent excluded), in posting order. */
  replies(channel: string, ts: string): PostedMessage[] {
    return this.messages.filter((m) => m.channel === channel && m.thread_ts === ts && m.ts !== ts);
  }

  /** A file object as files.* methods and file-share messages return it. */
  apiFile(id: string): Record<string, unknown> {
    const f = this.files.get(id);
    if (!f) return { id };
    return {
      id: f.id,
      created: Math.floor(f.created / 1000),
      timestamp: Math.floor(f.created / 1000),
      name: f.filename,
      title: f.title ?? f.filename,
      mimetype: 'application/octet-stream',
      filetype: f.filename.includes('.') ? f.filename.split('.').pop() : 'binary',
      user: this.cfg.botUserId,
      size: f.bytes.length,
      url_private: `${this.cfg.baseUrl}/files-pri/${this.cfg.teamId}-${f.id}/${encodeURIComponent(f.filename)}`,
      permalink: `https://${this.cfg.teamDomain}.slack.com/files/${this.cfg.botUserId}/${f.id}/${encodeURIComponent(f.filename)}`,
    };
  }

  private nextTsPeek(at: number | undefined): string {
    const ms = at ?? this.cfg.now();
    return `${Math.floor(ms / 1000)}.000000`;
  }

  /** Forgets recorded state; keeps the directory. */
  reset(): void {
    this.calls = [];
    this.messages = [];
    this.ephemerals = [];
    this.files = new Map();
    this.uploadKeys = new Map();
    this.views = new Map();
    this.usedTriggers = new Set();
    this.responseUrls = new Map();
    this.missingFallbacks = [];
    this.seenChannels = new Set();
  }
}
