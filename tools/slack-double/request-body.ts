/**
 * Reads an HTTP request the way Slack's API front end does: form-encoded, JSON or multipart bodies, plus query
 * string parameters; JSON-valued form fields (blocks, view, files, …) are decoded.
 */
import type { IncomingMessage } from 'node:http';

/** Form fields whose values Slack documents as "a JSON-based array/object … presented as a URL-encoded string". */
const JSON_FIELDS = new Set([
  'blocks',
  'attachments',
  'files',
  'view',
  'metadata',
  'file_uploads',
  'unfurls',
]);

/** A parsed request: arguments, raw bytes and the first uploaded file part (multipart). */
export interface ParsedRequest {
  args: Record<string, unknown>;
  raw: Buffer;
  contentType: string;
  filePart?: Buffer;
  /** Set when the body could not be parsed (Slack answers invalid_json / invalid_form_data). */
  parseError?: string;
}

/** Reads the whole request body. */
export async function readRaw(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function decodeJsonFields(args: Record<string, unknown>): void {
  for (const key of Object.keys(args)) {
    const v = args[key];
    if (JSON_FIELDS.has(key) && typeof v === 'string' && v.length > 0) {
      try {
        args[key] = JSON.parse(v);
      } catch {
        // left as a string: validators report it as badly formatted
      }
    }
  }
}

/** Parses query string and body into one argument object. */
export async function parseRequest(req: IncomingMessage, raw: Buffer): Promise<ParsedRequest> {
  const contentType = (req.headers['content-type'] ?? '').toLowerCase();
  const args: Record<string, unknown> = {};
  const query = new URL(req.url ?? '/', 'http://double').searchParams;
  for (const [k, v] of query) args[k] = v;
  const out: ParsedRequest = { args, raw, contentType };
  if (raw.length === 0) return out;
  if (contentType.startsWith('application/json')) {
    try {
      const body: unknown = JSON.parse(raw.toString('utf8'));
      if (typeof body === 'object' && body !== null && !Array.isArray(body)) Object.assign(args, body);
      else out.parseError = 'invalid_json';
    } catch {
      out.parseError = 'invalid_json';
    }
  } else if (contentType.startsWith('multipart/form-data')) {
    try {
      const form = await new Request('http://double/', {
        method: 'POST',
        headers: { 'content-type': req.headers['content-type'] ?? '' },
        body: raw,
      }).formData();
      for (const [k, v] of form) {
        if (typeof v === 'string') args[k] = v;
        else if (out.filePart === undefined) out.filePart = Buffer.from(await v.arrayBuffer());
      }
    } catch {
      out.parseError = 'invalid_form_data';
    }
  } else if (contentType.startsWith('application/x-www-form-urlencoded')) {
    for (const [k, v] of new URLSearchParams(raw.toString('utf8'))) args[k] = v;
  }
  decodeJsonFields(args);
  return out;
}

/** The token of a request: `Authorization: Bearer …` wins over a `token` argument. */
export function requestToken(req: IncomingMessage, args: Record<string, unknown>): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice('Bearer '.length).trim();
  return typeof args.token === 'string' && args.token.length > 0 ? args.token : undefined;
}

/** Slack's reading of boolean arguments: true, "true", "1". */
export function truthy(v: unknown): boolean {
  return v === true || v === 'true' || v === '1' || v === 1;
}

/** A string argument, or undefined when absent or empty. */
export function str(v: unknown): string | undefined {
  if (typeof v === 'string' && v.length > 0) return v;
  if (typeof v === 'number') return String(v);
  return undefined;
}
