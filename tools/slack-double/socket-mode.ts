/**
 * The Socket Mode side of the Slack double, as @slack/socket-mode (what Bolt's SocketModeReceiver runs)
 * speaks it (https://api.slack.com/apis/socket-mode; the client: @slack/socket-mode SocketModeClient.js):
 *
 * - `apps.connections.open` on the Web API double, with the app-level token (`xapp-…`) as Bearer, answers
 *   `{ok: true, url}`: a one-time WebSocket URL here (`ws://127.0.0.1:PORT/link/?ticket=…&app_id=…`). A bot
 *   token answers `not_allowed_token_type`, another token `invalid_auth`, none `not_authed`; a used or unknown
 *   ticket is refused at the upgrade (HTTP 401), as Slack's are.
 * - On connect the server sends `{"type":"hello","num_connections":N,"debug_info":{…},"connection_info":{"app_id":…}}`.
 * - Each request Slack would POST to the app is an envelope `{envelope_id, type, payload,
 *   accepts_response_payload}` (`slash_commands`, `interactive`, `events_api` with `retry_attempt` and
 *   `retry_reason`); the app acks with `{envelope_id, payload?}` (the payload is what the HTTP response body
 *   would be: a slash command's reply, a view_submission's response_action).
 * - `{"type":"disconnect","reason":"refresh_requested"}` asks the client to reconnect (it opens a new URL);
 *   a dropped connection (no close frame) makes it reconnect too.
 * - An envelope not acked when its connection goes is delivered again on the next connection (a new
 *   envelope id, retry_attempt + 1, retry_reason "timeout"), as Slack retries what it got no ack for.
 *
 * The app's replies by response_url and Web API calls go to the Web API double as in HTTP mode.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { SLACK_TEST_DEFAULTS as D } from './defaults.js';
import {
  type BlockActionInput,
  blockActionPayload,
  type SlashCommandInput,
  slashCommandBody,
  type ViewSubmissionInput,
  viewSubmissionPayload,
} from './payloads.js';
import type { SlackDouble } from './types.js';

/** The app-level token the double accepts by default (an `xapp-` token, as Slack issues). */
export const SOCKET_MODE_APP_TOKEN = 'xapp-1-A0PODDEBUG-1-0123456789abcdef';

/** What `apps.connections.open` answers, given the request's token. */
export type ConnectionsOpen = (token: string) => { ok: boolean; url?: string; error?: string };

/** An envelope's type, as Slack names them. */
export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

/** What the app acked: its envelope id and ack payload ({} when it acked without one). */
export interface Acked {
  envelopeId: string;
  payload: Record<string, unknown>;
  /** Deliveries it took (1 = the first; more after a connection dropped before the ack). */
  deliveries: number;
}

export interface SocketModeDoubleOptions {
  /** The app-level token the app must present (default SOCKET_MODE_APP_TOKEN). */
  appToken?: string;
  /** How long send() waits for an ack before rejecting (Slack gives up after 3 s; default 10 s here). */
  ackTimeoutMs?: number;
}

export interface SocketModeDouble {
  /** ws://127.0.0.1:PORT */
  url: string;
  /** Connections open now. */
  connections(): number;
  /** How many times the app called apps.connections.open and connected. */
  stats(): { opened: number; connected: number; envelopes: number; acks: number };
  /** Resolves once at least `n` connections have said hello (default 1). */
  waitForConnection(n?: number, timeoutMs?: number): Promise<void>;
  /** Delivers a slash command; resolves with the app's ack (payload = the command's immediate reply). */
  slashCommand(input: SlashCommandInput, opts?: SendOpts): Promise<Acked>;
  /** Delivers a block_actions interaction (a button click). */
  blockAction(input: BlockActionInput, opts?: SendOpts): Promise<Acked>;
  /** Delivers a view_submission (a modal's submit); the ack payload holds any response_action. */
  viewSubmission(input: ViewSubmissionInput, opts?: SendOpts): Promise<Acked>;
  /** Sends `{"type":"disconnect","reason":…}` on every open connection (the app reconnects). */
  disconnect(reason?: 'refresh_requested' | 'warning' | 'link_disabled'): void;
  /** Drops every connection without a close frame. */
  drop(): void;
  close(): Promise<void>;
}

export interface SendOpts {
  /** Drop the connection right after delivering, before any ack can arrive (a network failure mid-command). */
  dropAfterDelivery?: boolean;
}

interface Pending {
  type: EnvelopeType;
  payload: Record<string, unknown>;
  acceptsResponsePayload: boolean;
  envelopeId: string;
  deliveries: number;
  socket?: WebSocket;
  dropAfterDelivery: boolean;
  resolve(a: Acked): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/** Starts the WebSocket side and teaches `double` to answer apps.connections.open with its URLs. */
export async function startSocketModeDouble(
  double: SlackDouble,
  opts: SocketModeDoubleOptions = {},
): Promise<SocketModeDouble> {
  const web = double as SlackDouble & { onConnectionsOpen?(fn: ConnectionsOpen | undefined): void };
  if (typeof web.onConnectionsOpen !== 'function')
    throw new Error('startSocketModeDouble needs a double from startSlackDouble()');
  const hook = web.onConnectionsOpen.bind(web);
  const appToken = opts.appToken ?? SOCKET_MODE_APP_TOKEN;
  const ackTimeoutMs = opts.ackTimeoutMs ?? 10_000;
  const tickets = new Set<string>();
  const live = new Set<WebSocket>();
  const pending = new Map<string, Pending>();
  const waiters: (() => void)[] = [];
  const stats = { opened: 0, connected: 0, envelopes: 0, acks: 0 };
  const tcp = new Set<Socket>();

  const server: Server = createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' });
    res.end('Upgrade Required');
  });
  server.on('connection', (s: Socket) => {
    tcp.add(s);
    s.on('close', () => tcp.delete(s));
  });
  // The ticket is checked before the upgrade: a bad one gets HTTP 401, as wss-primary.slack.com answers.
  server.prependListener('upgrade', (req: IncomingMessage, socket: Socket) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const ticket = u.searchParams.get('ticket') ?? '';
    if (u.pathname !== '/link/' || !tickets.delete(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      socket.destroy();
    }
  });
  const wss = new WebSocketServer({ server, path: '/link/' });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;

  hook((token) => {
    if (token.startsWith('xoxb-') || token.startsWith('xoxp-'))
      return { ok: false, error: 'not_allowed_token_type' };
    if (token !== appToken) return { ok: false, error: 'invalid_auth' };
    const ticket = randomUUID();
    tickets.add(ticket);
    stats.opened += 1;
    return { ok: true, url: `${url}/link/?ticket=${ticket}&app_id=${D.apiAppId}` };
  });

  const deliver = (p: Pending, socket: WebSocket) => {
    p.deliveries += 1;
    p.socket = socket;
    stats.envelopes += 1;
    const envelope: Record<string, unknown> = {
      envelope_id: p.envelopeId,
      payload: p.payload,
      type: p.type,
      accepts_response_payload: p.acceptsResponsePayload,
    };
    if (p.type === 'events_api') {
      envelope.retry_attempt = p.deliveries - 1;
      envelope.retry_reason = p.deliveries > 1 ? 'timeout' : '';
    }
    socket.send(JSON.stringify(envelope));
    if (p.dropAfterDelivery) {
      p.dropAfterDelivery = false;
      socket.terminate();
    }
  };

  const openSocket = (): WebSocket | undefined => [...live].find((s) => s.readyState === WebSocket.OPEN);

  wss.on('connection', (socket) => {
    live.add(socket);
    stats.connected += 1;
    socket.send(
      JSON.stringify({
        type: 'hello',
        num_connections: live.size,
        debug_info: {
          host: `applink-double-${randomBytes(3).toString('hex')}`,
          build_number: 1,
          approximate_connection_time: 18060,
        },
        connection_info: { app_id: D.apiAppId },
      }),
    );
    socket.on('message', (data) => {
      let msg: { envelope_id?: unknown; payload?: unknown };
      try {
        msg = JSON.parse(data.toString('utf8')) as typeof msg;
      } catch {
        return; // Slack ignores what it cannot parse
      }
      const p = typeof msg.envelope_id === 'string' ? pending.get(msg.envelope_id) : undefined;
      if (!p) return;
      stats.acks += 1;
      pending.delete(p.envelopeId);
      clearTimeout(p.timer);
      const payload =
        msg.payload && typeof msg.payload === 'object' ? (msg.payload as Record<string, unknown>) : {};
      p.resolve({ envelopeId: p.envelopeId, payload, deliveries: p.deliveries });
    });
    socket.on('close', () => {
      live.delete(socket);
      // Unacked envelopes of this connection go out again on the next one (new envelope id).
      for (const p of [...pending.values()]) {
        if (p.socket !== socket) continue;
        pending.delete(p.envelopeId);
        p.envelopeId = randomUUID();
        p.socket = undefined;
        pending.set(p.envelopeId, p);
      }
    });
    socket.on('error', () => undefined);
    for (const p of pending.values()) if (!p.socket) deliver(p, socket);
    for (const w of waiters.splice(0)) w();
  });

  const send = (
    type: EnvelopeType,
    payload: Record<string, unknown>,
    acceptsResponsePayload: boolean,
    o: SendOpts = {},
  ): Promise<Acked> =>
    new Promise<Acked>((resolve, reject) => {
      const p: Pending = {
        type,
        payload,
        acceptsResponsePayload,
        envelopeId: randomUUID(),
        deliveries: 0,
        dropAfterDelivery: o.dropAfterDelivery ?? false,
        resolve,
        reject,
        timer: setTimeout(() => {
          pending.delete(p.envelopeId);
          reject(new Error(`no ack for the ${type} envelope within ${ackTimeoutMs} ms`));
        }, ackTimeoutMs),
      };
      pending.set(p.envelopeId, p);
      const s = openSocket();
      if (s) deliver(p, s);
    });

  return {
    url,
    connections: () => [...live].filter((s) => s.readyState === WebSocket.OPEN).length,
    stats: () => ({ ...stats }),
    waitForConnection: (n = 1, timeoutMs = 10_000) =>
      new Promise<void>((resolve, reject) => {
        const t0 = Date.now();
        const check = () => {
          if (stats.connected >= n && openSocket()) return resolve();
          if (Date.now() - t0 > timeoutMs)
            return reject(new Error(`no Socket Mode connection within ${timeoutMs} ms`));
          waiters.push(check);
          setTimeout(check, 50).unref();
        };
        check();
      }),
    slashCommand: (input, o) =>
      send('slash_commands', Object.fromEntries(new URLSearchParams(slashCommandBody(input))), true, o),
    blockAction: (input, o) => send('interactive', blockActionPayload(input), false, o),
    viewSubmission: (input, o) => send('interactive', viewSubmissionPayload(input), true, o),
    disconnect: (reason = 'refresh_requested') => {
      for (const s of live)
        s.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-double' } }));
    },
    drop: () => {
      for (const s of live) s.terminate();
    },
    close: async () => {
      hook(undefined);
      for (const p of pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error('the Socket Mode double closed'));
      }
      pending.clear();
      for (const s of live) s.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => {
        server.close(() => r());
        for (const s of tcp) s.destroy();
      });
    },
  };
}
