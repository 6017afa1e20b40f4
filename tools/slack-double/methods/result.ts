/** Shared shapes for Web API method handlers. */
import type { SlackStore } from '../store.js';

/** Parsed arguments of a Web API call (token removed). */
export type Args = Record<string, unknown>;

/** A Web API response body: `ok` plus method-specific fields. */
export type ApiResult = { ok: boolean; error?: string } & Record<string, unknown>;

/** Handles one Web API method against the double's state. */
export type MethodHandler = (store: SlackStore, args: Args) => ApiResult;

/** Slack's error body; `messages` go to response_metadata.messages (and the legacy `errors`). */
export function fail(error: string, messages?: string[]): ApiResult {
  if (!messages || messages.length === 0) return { ok: false, error };
  return { ok: false, error, errors: messages, response_metadata: { messages } };
}

/** `invalid_arguments` naming a missing required field, as Slack words it. */
export function missing(field: string): ApiResult {
  return fail('invalid_arguments', [`[ERROR] missing required field: ${field}`]);
}
