/** Slack's request signing (https://docs.slack.dev/authentication/verifying-requests-from-slack). */
import { createHmac } from 'node:crypto';

/** The two headers Slack adds to every request it sends to an app. */
export interface SlackSignatureHeaders {
  'x-slack-signature': string;
  'x-slack-request-timestamp': string;
}

/** Signs `body` exactly as Slack does: `v0=` + hex(HMAC-SHA256(secret, `v0:{ts}:{body}`)). Default ts: now. */
export function signSlackRequest(
  secret: string,
  body: string,
  timestampSec: number = Math.floor(Date.now() / 1000),
): SlackSignatureHeaders {
  const digest = createHmac('sha256', secret).update(`v0:${timestampSec}:${body}`).digest('hex');
  return { 'x-slack-signature': `v0=${digest}`, 'x-slack-request-timestamp': String(timestampSec) };
}
