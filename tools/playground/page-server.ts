/**
 * The page's server: serves the page (plain HTML, a small script, and the Block Kit renderer transpiled from
 * page/blockkit.ts) and a small JSON API that plays Slack's part. It wraps the stack's Slack Web API double:
 * the bot calls the double, the page reads what the double recorded (messages, threads, ephemerals, files,
 * modals), and the page's actions reach the bot as Slack's signed requests, built and signed by the double's
 * harness (tools/slack-double/harness.ts).
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { AuditStream, exportLine } from '../../bot/audit/stream.js';
import { SIGNING_SECRET, type Stack } from '../../test/support/stack.js';
import {
  newTriggerId,
  type PostedMessage,
  type SendResult,
  SLACK_TEST_DEFAULTS,
  sendBlockAction,
  sendSlashCommand,
  sendViewSubmission,
} from '../slack-double/index.js';
import { PEOPLE, PLAYGROUND_CHANNEL } from './people.js';

export interface PageServerOptions {
  stack: Stack;
  port?: number;
  probesUnavailable: string | null;
  livePod: { namespace: string; name: string };
}

export interface PageServer {
  url: string;
  close(): Promise<void>;
}

const pageFile = (name: string) => fileURLToPath(new URL(`./page/${name}`, import.meta.url));

function staticAssets(): Map<string, { type: string; body: string }> {
  const kit = ts.transpileModule(readFileSync(pageFile('blockkit.ts'), 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  return new Map([
    ['/', { type: 'text/html; charset=utf-8', body: readFileSync(pageFile('index.html'), 'utf8') }],
    ['/app.js', { type: 'text/javascript; charset=utf-8', body: readFileSync(pageFile('app.js'), 'utf8') }],
    ['/style.css', { type: 'text/css; charset=utf-8', body: readFileSync(pageFile('style.css'), 'utf8') }],
    ['/blockkit.js', { type: 'text/javascript; charset=utf-8', body: kit }],
  ]);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 1_000_000) throw new BadRequest('request body too large');
    chunks.push(c as Buffer);
  }
  const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new BadRequest('expected a JSON object');
  return parsed as Record<string, unknown>;
}

class BadRequest extends Error {}

function str(body: Record<string, unknown>, key: string, max = 4000): string {
  const v = body[key];
  if (typeof v !== 'string' || v.length > max) throw new BadRequest(`${key}: expected a string`);
  return v;
}

/** An ephemeral shown from a slash command's or an action's HTTP answer (Slack shows the ack body too). */
interface AckEphemeral {
  user: string;
  ts: string;
  thread_ts?: string;
  text?: string;
  blocks?: unknown[];
}

function nowTs(): string {
  const us = BigInt(Date.now()) * 1000n;
  return `${us / 1_000_000n}.${String(us % 1_000_000n).padStart(6, '0')}`;
}

export async function startPageServer(o: PageServerOptions): Promise<PageServer> {
  const { stack } = o;
  const slack = stack.slack;
  const assets = staticAssets();
  const channel = PLAYGROUND_CHANNEL;
  const people = new Map(PEOPLE.map((p) => [p.id, p]));
  /** trigger_id → the user whose click or command minted it: whose screen a modal opens on. */
  const triggers = new Map<string, string>();
  const closedViews = new Set<string>();
  const ackEphemerals: AckEphemeral[] = [];
  /** view id → errors from response_action: errors. */
  const viewErrors = new Map<string, Record<string, string>>();
  const audit = new AuditStream(stack.redis, { key: stack.auditKey });

  const person = (body: Record<string, unknown>) => {
    const id = str(body, 'user', 40);
    if (!people.has(id)) throw new BadRequest(`unknown user ${id}`);
    return id;
  };

  function trigger(user: string): string {
    const t = newTriggerId();
    triggers.set(t, user);
    return t;
  }

  /** Slack shows a non-empty ack body with text or blocks to the user who acted, as an ephemeral. */
  function keepAck(user: string, r: SendResult, threadTs?: string): void {
    const j = r.json as { text?: string; blocks?: unknown[]; response_action?: string } | undefined;
    if (r.status === 200 && j && !j.response_action && (j.text || j.blocks))
      ackEphemerals.push({
        user,
        ts: nowTs(),
        ...(threadTs ? { thread_ts: threadTs } : {}),
        ...(j.text ? { text: j.text } : {}),
        ...(j.blocks ? { blocks: j.blocks } : {}),
      });
    else if (r.status === 200 && !j && r.body.trim())
      ackEphemerals.push({ user, ts: nowTs(), ...(threadTs ? { thread_ts: threadTs } : {}), text: r.body });
  }

  function fileCards(ids: string[] | undefined) {
    if (!ids?.length) return undefined;
    const files = new Map(slack.files().map((f) => [f.id, f]));
    return ids.flatMap((id) => {
      const f = files.get(id);
      return f ? [{ id, name: f.filename, title: f.title ?? f.filename, bytes: f.bytes.length }] : [];
    });
  }

  function shape(m: PostedMessage) {
    return {
      ts: m.ts,
      ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}),
      user: m.user,
      text: m.text ?? '',
      blocks: m.blocks ?? [],
      edited: m.edits > 0,
      ...(m.reply_broadcast ? { reply_broadcast: true } : {}),
      ...(m.files?.length ? { files: fileCards(m.files) } : {}),
    };
  }

  async function auditLines(): Promise<unknown[]> {
    const out: unknown[] = [];
    for await (const e of audit.read({ count: 500 })) {
      const line = JSON.parse(exportLine(e)) as { type?: string };
      // Keyed checkpoints guard the chain; the panel shows what people and requests did.
      if (line.type !== 'checkpoint') out.push(line);
    }
    return out;
  }

  async function state(user: string) {
    const all = slack.messages(channel.id);
    const views = slack
      .views()
      .filter((v) => !closedViews.has(v.id) && v.trigger_id && triggers.get(v.trigger_id) === user);
    const view = views.at(-1);
    const ephemerals = [
      ...slack
        .ephemerals(user)
        .filter((m) => m.channel === channel.id)
        .map((m) => ({ ...shape(m), ephemeral: true })),
      // Shown as the app's message, as Slack shows an ack body.
      ...ackEphemerals
        .filter((e) => e.user === user)
        .map((e) => ({ ...e, user: SLACK_TEST_DEFAULTS.botUserId, ephemeral: true, edited: false })),
    ];
    return {
      me: user,
      people: PEOPLE,
      botUserId: SLACK_TEST_DEFAULTS.botUserId,
      channel,
      probes: { unavailable: o.probesUnavailable, livePod: o.livePod },
      messages: all.map(shape),
      ephemerals,
      view: view
        ? {
            id: view.id,
            hash: view.hash,
            updates: view.updates,
            view: view.view,
            errors: viewErrors.get(view.id) ?? {},
          }
        : null,
      audit: await auditLines(),
    };
  }

  async function command(body: Record<string, unknown>) {
    const user = person(body);
    const text = str(body, 'text').trim();
    const m = /^\/poddebug(?:\s+([\s\S]*))?$/.exec(text);
    if (!m) return { error: 'Only /poddebug commands go to the bot here: type /poddebug help' };
    const r = await sendSlashCommand(stack.eventsUrl, SIGNING_SECRET, {
      text: m[1] ?? '',
      userId: user,
      userName: people.get(user)!.name,
      channelId: channel.id,
      channelName: channel.name,
      triggerId: trigger(user),
      responseUrl: slack.responseUrl({ channel: channel.id, user }),
    });
    keepAck(user, r);
    return { status: r.status };
  }

  async function action(body: Record<string, unknown>) {
    const user = person(body);
    const ts = str(body, 'messageTs', 40);
    const msg = slack.messages(channel.id).find((x) => x.ts === ts);
    if (!msg) throw new BadRequest('no such message');
    const value = typeof body.value === 'string' ? body.value : undefined;
    const r = await sendBlockAction(stack.eventsUrl, SIGNING_SECRET, {
      actionId: str(body, 'actionId', 255),
      blockId: str(body, 'blockId', 255),
      ...(value !== undefined ? { value } : {}),
      userId: user,
      channelId: channel.id,
      messageTs: msg.ts,
      ...(msg.thread_ts ? { threadTs: msg.thread_ts } : {}),
      triggerId: trigger(user),
      responseUrl: slack.responseUrl({
        channel: channel.id,
        user,
        messageTs: msg.ts,
        ...(msg.thread_ts ? { threadTs: msg.thread_ts } : {}),
      }),
      message: { text: msg.text ?? '', blocks: msg.blocks ?? [] },
    });
    keepAck(user, r, msg.thread_ts ?? msg.ts);
    return { status: r.status };
  }

  async function submit(body: Record<string, unknown>) {
    const user = person(body);
    const viewId = str(body, 'viewId', 40);
    const rec = slack.views().find((v) => v.id === viewId);
    if (!rec || closedViews.has(viewId)) throw new BadRequest('no such open view');
    const raw = body.values;
    if (raw === null || typeof raw !== 'object') throw new BadRequest('values: expected an object');
    const values: Record<string, Record<string, { type: string; value?: string }>> = {};
    for (const [blockId, v] of Object.entries(raw as Record<string, unknown>)) {
      const { actionId, value } = (v ?? {}) as { actionId?: unknown; value?: unknown };
      if (typeof actionId !== 'string' || typeof value !== 'string')
        throw new BadRequest('values: bad entry');
      values[blockId] = { [actionId]: { type: 'plain_text_input', value } };
    }
    const r = await sendViewSubmission(stack.eventsUrl, SIGNING_SECRET, {
      callbackId: String(rec.view.callback_id ?? ''),
      userId: user,
      privateMetadata: String(rec.view.private_metadata ?? ''),
      viewId,
      triggerId: trigger(user),
      values,
    });
    const j = r.json as { response_action?: string; errors?: Record<string, string> } | undefined;
    if (r.status === 200 && j?.response_action === 'errors') {
      viewErrors.set(viewId, j.errors ?? {});
      return { status: r.status, errors: j.errors ?? {} };
    }
    if (r.status === 200 && j?.response_action === 'update') return { status: r.status };
    if (r.status === 200) closedViews.add(viewId);
    return { status: r.status };
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const asset = assets.get(url.pathname);
    if (asset && req.method === 'GET') {
      res.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-store' });
      res.end(asset.body);
      return;
    }
    const file = /^\/pg\/files\/([A-Z0-9]+)$/.exec(url.pathname);
    if (file && req.method === 'GET') {
      const f = slack.files().find((x) => x.id === file[1]);
      if (!f) return sendJson(res, 404, { error: 'no such file' });
      const png = f.filename.endsWith('.png');
      const inline = url.searchParams.get('inline') === '1' && png;
      res.writeHead(200, {
        'content-type': png ? 'image/png' : 'application/octet-stream',
        'content-disposition': `${inline ? 'inline' : 'attachment'}; filename="${f.filename.replace(/[^\w.-]/g, '_')}"`,
      });
      res.end(f.bytes);
      return;
    }
    if (url.pathname === '/pg/state' && req.method === 'GET') {
      const user = url.searchParams.get('user') ?? '';
      if (!people.has(user)) return sendJson(res, 400, { error: `unknown user ${user}` });
      return sendJson(res, 200, await state(user));
    }
    const post: Record<string, (b: Record<string, unknown>) => Promise<unknown>> = {
      '/pg/command': command,
      '/pg/action': action,
      '/pg/submit': submit,
      '/pg/close': async (b) => {
        person(b);
        closedViews.add(str(b, 'viewId', 40));
        return {};
      },
    };
    const handler = post[url.pathname];
    if (handler && req.method === 'POST') return sendJson(res, 200, await handler(await readJson(req)));
    sendJson(res, 404, { error: 'not found' });
  }

  const server = createServer((req, res) => {
    route(req, res).catch((e: unknown) => {
      if (e instanceof BadRequest || e instanceof SyntaxError) sendJson(res, 400, { error: e.message });
      else sendJson(res, 500, { error: String(e) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
