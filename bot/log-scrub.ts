/**
 * Scrubbing for what Bolt and its clients log. Pino's `redact` paths match object fields at fixed depths,
 * and a message string not at all; but @slack/socket-mode logs whole envelopes as text at debug level
 * (`Received a message on the WebSocket: {"envelope_id":…,"payload":{"token":…,"response_url":…}}`),
 * and Bolt passes errors whose `data` nests request bodies. So the Bolt logger adapter (log.ts) passes
 * every argument through here first: strings lose Slack token shapes, secret JSON fields, webhook and
 * response URLs' secret parts and WebSocket tickets; objects lose secret fields at any depth. Pure.
 */

/** Field names whose values are never logged, at any depth (case-insensitive). */
const SECRET_FIELDS = new Set(
  [
    'token',
    'bot_token',
    'botToken',
    'app_token',
    'appToken',
    'user_token',
    'signing_secret',
    'signingSecret',
    'client_secret',
    'clientSecret',
    'authorization',
    'response_url',
    'responseUrl',
    'ticket',
    'password',
  ].map((k) => k.toLowerCase()),
);

const CENSOR = '[redacted]';

/** JSON or JSON-like `"field": "value"` pairs whose field is secret (in logged text). */
const JSON_FIELD = /("([A-Za-z_]+)"\s*:\s*)"((?:[^"\\]|\\.)*)"/g;

/** A string with Slack tokens, secret JSON fields, hook/response URLs and WebSocket tickets censored. */
export function scrubText(s: string): string {
  return s
    .replace(JSON_FIELD, (m, head: string, key: string) =>
      SECRET_FIELDS.has(key.toLowerCase()) ? `${head}"${CENSOR}"` : m,
    )
    .replace(/\bxox[a-z]-[A-Za-z0-9-]+/g, CENSOR)
    .replace(/\bxapp-[A-Za-z0-9-]+/g, CENSOR)
    .replace(/(https:\/\/hooks\.slack(?:-gov)?\.com\/)[^\s"'<>]+/g, `$1${CENSOR}`)
    .replace(/([?&]ticket=)[^&\s"'<>]+/g, `$1${CENSOR}`)
    .replace(/(\bBearer\s+)[^\s"',]+/gi, `$1${CENSOR}`);
}

/** A copy of `v` with secret fields censored at any depth and every string scrubbed (errors become plain objects). */
export function scrubValue(v: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof v === 'string') return scrubText(v);
  if (v === null || typeof v !== 'object') return v;
  if (seen.has(v)) return '[circular]';
  if (depth > 8) return '[deep]';
  seen.add(v);
  if (Array.isArray(v)) return v.map((x) => scrubValue(x, depth + 1, seen));
  const out: Record<string, unknown> = {};
  if (v instanceof Error) {
    out.type = v.name;
    out.message = scrubText(v.message);
    if (v.stack) out.stack = scrubText(v.stack);
  }
  for (const [k, x] of Object.entries(v)) {
    out[k] = SECRET_FIELDS.has(k.toLowerCase()) ? CENSOR : scrubValue(x, depth + 1, seen);
  }
  return out;
}
