import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { type HTTPReceiver, isValidSlackRequest } from '@slack/bolt';
import type { Logger } from './log.js';

/**
 * The HTTP edge in front of Bolt's receiver (HTTP mode only; Socket Mode has no HTTP requests). Every POST to
 * the events endpoint is buffered and screened before Bolt sees it:
 *
 * 1. the request timestamp lies within 5 minutes of now in EITHER direction (Slack's rule; Bolt checks only the
 *    past, so a request signed for tomorrow would pass it) — else 401;
 * 2. the signature verifies (Bolt checks it again) — else 401;
 * 3. the body has the shape Slack sends: slash commands and interactivity are form-encoded, each field once;
 *    a JSON body is only ever an Events API envelope and never carries slash-command fields — else a prompt
 *    refusal (a slash command with a repeated field gets an ephemeral answer the user sees).
 *
 * The buffered body is handed to Bolt as `req.rawBody`, which Bolt reuses instead of reading the stream again.
 */

export const MAX_SKEW_SEC = 5 * 60;
const FORM = 'application/x-www-form-urlencoded';
/** Bolt's default body limit. */
const BODY_LIMIT = 4 * 1024 * 1024;
/** The only JSON bodies Slack sends an app: Events API envelopes (this bot subscribes to none, but they are harmless). */
const JSON_TYPES = new Set(['url_verification', 'event_callback', 'app_rate_limited']);

export type EdgeVerdict =
  | { ok: true }
  | { ok: false; status: number; reason: string /** A slash command's ephemeral answer. */; reply?: string };

export interface EdgeRequest {
  contentType: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
  body: string;
}

function refuse(status: number, reason: string, reply?: string): EdgeVerdict {
  return { ok: false, status, reason, ...(reply ? { reply } : {}) };
}

/** The first field name that appears more than once, if any. */
function repeatedField(form: URLSearchParams): string | undefined {
  const seen = new Set<string>();
  for (const k of form.keys()) {
    if (seen.has(k)) return k;
    seen.add(k);
  }
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Pure: whether a request may reach Bolt. `nowMs` is this host's clock. */
export function screenSlackRequest(r: EdgeRequest, signingSecret: string, nowMs: number): EdgeVerdict {
  const form = r.contentType === FORM ? new URLSearchParams(r.body) : undefined;
  // Slack's SSL check carries no signature; Bolt answers it without processing anything (and strips the rest).
  if (form?.get('ssl_check') === '1' && !form.has('payload') && !form.has('command')) return { ok: true };

  const ts = r.timestamp !== undefined && /^\d{1,12}$/.test(r.timestamp) ? Number(r.timestamp) : undefined;
  if (ts === undefined) return refuse(401, 'no valid request timestamp');
  const skew = ts - Math.floor(nowMs / 1000);
  if (Math.abs(skew) > MAX_SKEW_SEC) {
    return refuse(401, `request timestamp ${skew > 0 ? 'in the future' : 'too old'} (${skew} s from now)`);
  }
  if (
    r.signature === undefined ||
    !isValidSlackRequest({
      signingSecret,
      body: r.body,
      headers: { 'x-slack-signature': r.signature, 'x-slack-request-timestamp': ts },
      nowMilliseconds: nowMs,
    })
  ) {
    return refuse(401, 'signature does not verify');
  }

  if (form) {
    const repeated = repeatedField(form);
    if (form.has('command')) {
      if (repeated) {
        return refuse(
          200,
          `slash command with a repeated field (${repeated})`,
          `poddebug refused this request: the field \`${repeated.slice(0, 40)}\` was sent more than once. Nothing was run; type the command again.`,
        );
      }
      if (form.has('payload')) return refuse(400, 'a slash command with an interactivity payload');
      return { ok: true };
    }
    if (repeated) return refuse(400, `form with a repeated field (${repeated.slice(0, 40)})`);
    const payload = form.get('payload');
    if (payload !== null) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(payload);
      } catch {
        return refuse(400, 'interactivity payload is not JSON');
      }
      if (!isObject(parsed)) return refuse(400, 'interactivity payload is not an object');
      if ('command' in parsed) return refuse(400, 'slash-command fields inside an interactivity payload');
    }
    return { ok: true };
  }

  // Not form-encoded: Bolt would parse it as JSON and route it by its fields (a `command` makes it a command).
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.body);
  } catch {
    return refuse(400, 'body is neither form-encoded nor JSON');
  }
  if (!isObject(parsed)) return refuse(400, 'JSON body is not an object');
  if ('command' in parsed)
    return refuse(400, 'slash-command fields in a JSON body (commands are form-encoded)');
  if (typeof parsed.type !== 'string' || !JSON_TYPES.has(parsed.type)) {
    return refuse(400, 'a JSON body that is not an Events API envelope (interactivity is form-encoded)');
  }
  return { ok: true };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += b.length;
    if (size > limit) return undefined;
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/**
 * Puts the edge in front of `receiver`'s request listener, for POSTs to `endpoints` (custom routes such as
 * /healthz pass straight through). Bolt's own checks still run after it.
 */
export function guardReceiver(
  receiver: HTTPReceiver,
  o: { signingSecret: string; endpoints: string[]; logger: Logger; now?: () => number },
): void {
  const inner: RequestListener = receiver.requestListener;
  const now = o.now ?? Date.now;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req, BODY_LIMIT);
    if (!body) {
      res.writeHead(413).end();
      return;
    }
    const verdict = screenSlackRequest(
      {
        contentType: header(req, 'content-type'),
        timestamp: header(req, 'x-slack-request-timestamp'),
        signature: header(req, 'x-slack-signature'),
        body: body.toString('utf8'),
      },
      o.signingSecret,
      now(),
    );
    if (!verdict.ok) {
      o.logger.warn({ status: verdict.status, reason: verdict.reason }, 'slack request refused at the edge');
      if (verdict.reply) {
        res
          .writeHead(verdict.status, { 'content-type': 'application/json' })
          .end(JSON.stringify({ response_type: 'ephemeral', text: verdict.reply }));
      } else {
        // A bad timestamp or signature gets no body (as Bolt answers it); a malformed body its reason.
        res
          .writeHead(verdict.status, { 'content-type': 'text/plain' })
          .end(verdict.status === 401 ? '' : `poddebug refused this request: ${verdict.reason}.`);
      }
      return;
    }
    // Bolt reuses a buffered body (`rawBody`) instead of reading the consumed stream.
    (req as IncomingMessage & { rawBody?: Buffer }).rawBody = body;
    inner(req, res);
  };
  receiver.requestListener = (req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (req.method !== 'POST' || !o.endpoints.includes(path)) {
      inner(req, res);
      return;
    }
    handle(req, res).catch((err: unknown) => {
      o.logger.error({ err }, 'slack request failed at the edge');
      if (!res.headersSent) res.writeHead(500).end();
    });
  };
}
