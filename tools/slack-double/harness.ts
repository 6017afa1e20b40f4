/**
 * Sends signed requests to a running Bolt HTTP receiver exactly as Slack would: slash commands, button clicks
 * and modal submissions, with real HMAC signatures (or deliberately bad ones) and optional retry headers.
 */
import {
  type BlockActionInput,
  blockActionPayload,
  type SlashCommandInput,
  slashCommandBody,
  type ViewSubmissionInput,
  viewSubmissionPayload,
} from './payloads.js';
import { signSlackRequest } from './signing.js';

export type { BlockActionInput, SlashCommandInput, ViewSubmissionInput } from './payloads.js';
export { newTriggerId } from './payloads.js';
export { type SlackSignatureHeaders, signSlackRequest } from './signing.js';

/** Options shared by the senders. */
export interface SendOptions {
  /** Signature timestamp (seconds); default now. Older than 5 minutes → receivers must refuse. */
  timestampSec?: number;
  /** Sign with the wrong secret. */
  badSignature?: boolean;
  /** Mark as Slack's n-th retry (X-Slack-Retry-Num, X-Slack-Retry-Reason: http_timeout). */
  retryNum?: number;
  /** Content-Type header; default form-encoded, as Slack sends commands and interactivity. */
  contentType?: string;
}

/** What the receiver answered. `json` is set when the body parses as JSON. */
export interface SendResult {
  status: number;
  body: string;
  json?: unknown;
  elapsedMs: number;
}

/** Sends any body, signed as Slack would sign it (for malformed and hostile requests). */
export async function sendSignedBody(
  url: string,
  secret: string,
  body: string,
  opts: SendOptions = {},
): Promise<SendResult> {
  const signed = signSlackRequest(opts.badSignature ? `${secret}-wrong` : secret, body, opts.timestampSec);
  const headers: Record<string, string> = {
    'content-type': opts.contentType ?? 'application/x-www-form-urlencoded',
    accept: 'application/json,*/*',
    'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    ...signed,
  };
  if (opts.retryNum !== undefined) {
    headers['x-slack-retry-num'] = String(opts.retryNum);
    headers['x-slack-retry-reason'] = 'http_timeout';
  }
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', headers, body });
  const text = await res.text();
  const elapsedMs = performance.now() - started;
  const out: SendResult = { status: res.status, body: text, elapsedMs };
  if (text.length > 0) {
    try {
      out.json = JSON.parse(text);
    } catch {
      // not JSON: plain acknowledgement body
    }
  }
  return out;
}

/** Sends a slash command (form-encoded, as Slack does) to e.g. http://127.0.0.1:3000/slack/events. */
export function sendSlashCommand(
  receiverUrl: string,
  secret: string,
  input: SlashCommandInput,
  opts?: SendOptions,
): Promise<SendResult> {
  return sendSignedBody(receiverUrl, secret, slashCommandBody(input), opts);
}

function payloadBody(payload: Record<string, unknown>): string {
  return new URLSearchParams([['payload', JSON.stringify(payload)]]).toString();
}

/** Sends a block_actions interaction (a button click in a message). */
export function sendBlockAction(
  receiverUrl: string,
  secret: string,
  action: BlockActionInput,
  opts?: SendOptions,
): Promise<SendResult> {
  return sendSignedBody(receiverUrl, secret, payloadBody(blockActionPayload(action)), opts);
}

/** Sends a view_submission interaction (a modal's submit). `json` holds a response_action reply if any. */
export function sendViewSubmission(
  receiverUrl: string,
  secret: string,
  input: ViewSubmissionInput,
  opts?: SendOptions,
): Promise<SendResult> {
  return sendSignedBody(receiverUrl, secret, payloadBody(viewSubmissionPayload(input)), opts);
}
