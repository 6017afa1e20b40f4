/**
 * A local stand-in for slack.com's Web API, faithful enough that the real @slack/web-api WebClient and a real
 * Bolt app (clientOptions.slackApiUrl = double.apiUrl) work against it unmodified.
 *
 * Routes: POST|GET /api/<method> (form, JSON or multipart; token in Authorization: Bearer or `token`),
 * POST /upload/v1/<key> (files.getUploadURLExternal's upload_url; raw bytes or multipart),
 * POST /commands/<team>/<id>/<secret> (response_url).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SLACK_TEST_DEFAULTS } from './defaults.js';
import { type ApiResult, METHODS, receiveUpload } from './methods/index.js';
import { type PollFailure, type Predicate, pollUntil } from './poll.js';
import { parseRequest, readRaw, requestToken } from './request-body.js';
import { postToResponseUrl } from './response-url.js';
import type { ConnectionsOpen } from './socket-mode.js';
import { SlackStore } from './store.js';
import type { PostedMessage, ResponseUrlContext, SlackDouble, SlackDoubleOptions } from './types.js';

export type * from './types.js';

type Scheduled =
  | { kind: 'ratelimit'; retryAfterSec: number }
  | { kind: 'error'; error: string }
  | { kind: 'lost'; status: number };

/** A time-based fault: every matching call until `untilMs` answers 429 (storm) or `status` (outage). */
type Window = { methods?: string[]; untilMs: number } & (
  | { kind: 'storm'; retryAfterSec: number }
  | { kind: 'outage'; status: number }
);

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type':
      typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
    ...headers,
  });
  res.end(text);
}

class Double implements SlackDouble {
  url = '';
  apiUrl = '';
  readonly store: SlackStore;
  private readonly scheduled = new Map<string, Scheduled[]>();
  private windows: Window[] = [];
  private connectionsOpen: ConnectionsOpen | undefined;
  private readonly server = createServer((req, res) => {
    this.route(req, res).catch((err: unknown) =>
      send(res, 500, { ok: false, error: 'internal_error', detail: String(err) }),
    );
  });

  constructor(opts: SlackDoubleOptions) {
    this.store = new SlackStore({
      botToken: opts.botToken ?? SLACK_TEST_DEFAULTS.botToken,
      teamId: opts.teamId ?? SLACK_TEST_DEFAULTS.teamId,
      teamDomain: SLACK_TEST_DEFAULTS.teamDomain,
      botUserId: opts.botUserId ?? SLACK_TEST_DEFAULTS.botUserId,
      botId: SLACK_TEST_DEFAULTS.botId,
      appId: SLACK_TEST_DEFAULTS.apiAppId,
      now: opts.now ?? Date.now,
      baseUrl: '',
    });
  }

  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    const addr = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${addr.port}`;
    this.apiUrl = `${this.url}/api/`;
    this.store.cfg.baseUrl = this.url;
  }

  private record(method: string, args: Record<string, unknown>, status: number, result: ApiResult): void {
    const { token: _token, ...rest } = args;
    const call = { method, args: rest, at: this.store.cfg.now(), ok: result.ok, status };
    this.store.calls.push(result.error ? { ...call, error: result.error } : call);
  }

  private takeScheduled(method: string): Scheduled | undefined {
    const queue = this.scheduled.get(method);
    const next = queue?.shift();
    if (queue && queue.length === 0) this.scheduled.delete(method);
    return next;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', this.url).pathname;
    const raw = await readRaw(req);
    const parsed = await parseRequest(req, raw);
    const api = /^\/api\/([A-Za-z0-9_.]+)$/.exec(path);
    if (api) return this.api(api[1]!, req, res, parsed);
    const upload = /^\/upload\/v1\/([A-Za-z0-9-]+)$/.exec(path);
    if (upload && req.method === 'POST') {
      const bytes = parsed.filePart ?? (parsed.contentType.startsWith('multipart/') ? Buffer.alloc(0) : raw);
      const id = receiveUpload(this.store, upload[1]!, bytes);
      const result: ApiResult = id ? { ok: true } : { ok: false, error: 'not_found' };
      this.record('files.upload_url', { file_id: id, bytes: bytes.length }, id ? 200 : 404, result);
      return id ? send(res, 200, `OK - ${bytes.length}`) : send(res, 404, 'Not Found');
    }
    const hook = /^\/commands\/[A-Z0-9]+\/([0-9]+)\/[A-Za-z0-9]+$/.exec(path);
    if (hook && req.method === 'POST')
      return this.responseUrlPost(hook[1]!, res, parsed.args, parsed.parseError);
    return send(res, 404, 'Not Found');
  }

  private api(
    method: string,
    req: IncomingMessage,
    res: ServerResponse,
    parsed: Awaited<ReturnType<typeof parseRequest>>,
  ): void {
    const { status, result, headers } = this.answer(method, req, parsed);
    this.record(method, parsed.args, status, result);
    send(res, status, result, headers);
  }

  /** Slack's order of checks: body, auth, method, then scheduled faults, then the method itself. */
  private answer(
    method: string,
    req: IncomingMessage,
    parsed: Awaited<ReturnType<typeof parseRequest>>,
  ): { status: number; result: ApiResult; headers?: Record<string, string> } {
    const { args } = parsed;
    const error = (e: string) => ({ status: 200, result: { ok: false, error: e } });
    if (parsed.parseError) return error(parsed.parseError);
    const token = requestToken(req, args);
    if (!token) return error('not_authed');
    // Socket Mode (socket-mode.ts): the app-level token opens a WebSocket URL.
    if (method === 'apps.connections.open' && this.connectionsOpen)
      return { status: 200, result: this.connectionsOpen(token) };
    if (token !== this.store.cfg.botToken) return error('invalid_auth');
    const handler = METHODS[method];
    if (!handler) return error('unknown_method');
    const now = this.store.cfg.now();
    this.windows = this.windows.filter((w) => w.untilMs > now);
    const w = this.windows.find((x) => !x.methods || x.methods.includes(method));
    if (w?.kind === 'storm')
      return {
        status: 429,
        result: { ok: false, error: 'ratelimited' },
        headers: { 'retry-after': String(w.retryAfterSec) },
      };
    if (w?.kind === 'outage')
      return { status: w.status, result: { ok: false, error: 'service_unavailable' } };
    const scheduled = this.takeScheduled(method);
    if (scheduled?.kind === 'ratelimit')
      return {
        status: 429,
        result: { ok: false, error: 'ratelimited' },
        headers: { 'retry-after': String(scheduled.retryAfterSec) },
      };
    if (scheduled?.kind === 'error') return error(scheduled.error);
    const { token: _t, ...clean } = args;
    const result = handler(this.store, clean);
    // The call took effect, but its answer never reaches the caller (a gateway error on the way back).
    if (scheduled?.kind === 'lost')
      return { status: scheduled.status, result: { ok: false, error: 'internal_error' } };
    return { status: 200, result };
  }

  private responseUrlPost(
    id: string,
    res: ServerResponse,
    body: Record<string, unknown>,
    parseError?: string,
  ): void {
    const scheduled = this.takeScheduled('response_url');
    let status: number;
    let result: ApiResult;
    const headers: Record<string, string> = {};
    if (parseError) [status, result] = [400, { ok: false, error: 'invalid_payload' }];
    else if (scheduled?.kind === 'ratelimit') {
      [status, result] = [429, { ok: false, error: 'ratelimited' }];
      headers['retry-after'] = String(scheduled.retryAfterSec);
    } else if (scheduled?.kind === 'error') [status, result] = [200, { ok: false, error: scheduled.error }];
    else {
      const out = postToResponseUrl(this.store, id, body);
      [status, result] = [out.status, out.body];
    }
    this.record('response_url', { ...body, response_url_id: id }, status, result);
    send(res, status, result, headers);
  }

  /** Lets the Socket Mode side (socket-mode.ts) answer apps.connections.open; undefined: unknown_method again. */
  onConnectionsOpen(fn: ConnectionsOpen | undefined): void {
    this.connectionsOpen = fn;
  }

  calls(method?: string) {
    return this.store.calls.filter((c) => method === undefined || c.method === method);
  }

  messages(channel?: string): PostedMessage[] {
    return this.store.messages
      .filter((m) => channel === undefined || m.channel === channel)
      .map((m) => ({ ...m }));
  }

  thread(channel: string, ts: string): PostedMessage[] {
    return this.store.replies(channel, ts).map((m) => ({ ...m }));
  }

  ephemerals(user?: string): PostedMessage[] {
    return this.store.ephemerals
      .filter((m) => user === undefined || m.ephemeralFor === user)
      .map((m) => ({ ...m }));
  }

  files() {
    return [...this.store.files.values()]
      .filter((f) => f.uploaded)
      .map((f) => {
        const { length: _l, uploaded: _u, completed: _c, created: _cr, ...rest } = f;
        return rest;
      });
  }

  views() {
    return [...this.store.views.values()].map((v) => ({ ...v }));
  }

  missingFallbacks(): PostedMessage[] {
    return this.store.missingFallbacks.map((m) => ({ ...m }));
  }

  responseUrl(ctx: ResponseUrlContext = {}): string {
    const id = String(100000000000 + this.store.responseUrls.size * 7919 + Math.floor(Math.random() * 7919));
    const state = {
      ctx: {
        channel: ctx.channel ?? SLACK_TEST_DEFAULTS.channelId,
        user: ctx.user ?? SLACK_TEST_DEFAULTS.userId,
        ...(ctx.messageTs ? { messageTs: ctx.messageTs } : {}),
        ...(ctx.threadTs ? { threadTs: ctx.threadTs } : {}),
      },
      createdAt: this.store.cfg.now(),
      uses: 0,
    };
    this.store.responseUrls.set(id, state);
    return `${this.url}/commands/${this.store.cfg.teamId}/${id}/${randomBytes(12).toString('hex')}`;
  }

  private schedule(method: string, times: number, item: Scheduled): void {
    const queue = this.scheduled.get(method) ?? [];
    for (let i = 0; i < times; i++) queue.push(item);
    this.scheduled.set(method, queue);
  }

  rateLimit(method: string, times: number, retryAfterSec = 1): void {
    this.schedule(method, times, { kind: 'ratelimit', retryAfterSec });
  }

  loseAnswer(method: string, times = 1, status = 502): void {
    this.schedule(method, times, { kind: 'lost', status });
  }

  failWith(method: string, error: string, times = 1): void {
    this.schedule(method, times, { kind: 'error', error });
  }

  storm(o: { methods?: string[]; untilMs: number; retryAfterSec: number }): void {
    this.windows.push({ kind: 'storm', ...o });
  }

  outage(o: { methods?: string[]; untilMs: number; status: number }): void {
    this.windows.push({ kind: 'outage', ...o });
  }

  waitFor<T>(predicate: Predicate<T>, timeoutMs = 5000): Promise<T> {
    return pollUntil(predicate, timeoutMs, (failure) => this.dump(failure));
  }

  private dump({ timeoutMs, polls, lastError, pending }: PollFailure): string {
    const calls = this.store.calls
      .slice(-30)
      .map(
        (c) => `  ${c.method} → ${c.status} ${c.ok ? 'ok' : c.error} ${JSON.stringify(c.args).slice(0, 200)}`,
      );
    const msgs = [...this.store.messages, ...this.store.ephemerals]
      .slice(-20)
      .map(
        (m) =>
          `  ${m.channel} ${m.ts}${m.thread_ts ? ` (thread ${m.thread_ts})` : ''}${m.ephemeralFor ? ` [ephemeral for ${m.ephemeralFor}]` : ''}: ${(m.text ?? '').slice(0, 120)}`,
      );
    return [
      `SlackDouble.waitFor: condition not met within ${timeoutMs} ms`,
      ...(lastError
        ? [`last predicate error (poll ${lastError.poll} of ${polls}): ${String(lastError.error)}`]
        : []),
      ...(pending ? [`the predicate's last call (poll ${polls}) was still pending at the deadline`] : []),
      `calls (${this.store.calls.length}, last 30):`,
      ...(calls.length ? calls : ['  (none)']),
      'messages (last 20):',
      ...(msgs.length ? msgs : ['  (none)']),
    ].join('\n');
  }

  addUser(u: { id: string; name: string; email?: string; tz?: string }): void {
    this.store.users.set(u.id, { ...u });
  }

  addUsergroup(id: string, users: string[]): void {
    this.store.usergroups.set(id, [...users]);
  }

  addChannel(c: { id: string; name: string; isMember?: boolean }): void {
    this.store.channels.set(c.id, { id: c.id, name: c.name, isMember: c.isMember ?? true });
  }

  reset(): void {
    this.store.reset();
    this.scheduled.clear();
    this.windows = [];
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.closeAllConnections();
      this.server.close((err) => (err ? reject(err) : resolve()));
    });
  }
}

/** Starts a Web API double on 127.0.0.1 (a free port unless opts.port). Close it with `close()`. */
export async function startSlackDouble(opts: SlackDoubleOptions = {}): Promise<SlackDouble> {
  const d = new Double(opts);
  await d.listen(opts.port ?? 0);
  return d;
}
