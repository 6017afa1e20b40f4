import { describe, expect, it } from '@jest/globals';
import { isValidSlackRequest, verifySlackRequest } from '@slack/bolt';
import { slashCommandBody } from '../../payloads.js';
import { signSlackRequest } from '../../signing.js';

// Slack's published example (docs.slack.dev/authentication/verifying-requests-from-slack).
const DOC_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const DOC_TIMESTAMP = 1531420618;
const DOC_BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const DOC_SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';

const SECRET = 'test-signing-secret';

function boltAccepts(
  secret: string,
  body: string,
  headers: ReturnType<typeof signSlackRequest>,
  nowMs?: number,
) {
  return isValidSlackRequest({
    signingSecret: secret,
    body,
    headers: {
      'x-slack-signature': headers['x-slack-signature'],
      'x-slack-request-timestamp': Number(headers['x-slack-request-timestamp']),
    },
    ...(nowMs !== undefined ? { nowMilliseconds: nowMs } : {}),
  });
}

describe('signSlackRequest', () => {
  it("reproduces Slack's documented example signature", () => {
    expect(signSlackRequest(DOC_SECRET, DOC_BODY, DOC_TIMESTAMP)).toEqual({
      'x-slack-signature': DOC_SIGNATURE,
      'x-slack-request-timestamp': String(DOC_TIMESTAMP),
    });
  });

  it('changes when the body changes by one character', () => {
    const a = signSlackRequest(DOC_SECRET, DOC_BODY, DOC_TIMESTAMP);
    const b = signSlackRequest(DOC_SECRET, `${DOC_BODY} `, DOC_TIMESTAMP);
    expect(b['x-slack-signature']).not.toBe(a['x-slack-signature']);
  });

  it('defaults the timestamp to now, in seconds', () => {
    const before = Math.floor(Date.now() / 1000);
    const ts = Number(signSlackRequest(SECRET, 'x')['x-slack-request-timestamp']);
    expect(ts).toBeGreaterThanOrEqual(before);
    expect(ts).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
  });
});

describe("Bolt's own verification of harness-signed requests", () => {
  const body = slashCommandBody({ text: 'diagnose payments-7d9f-abc12 -n prod' });

  it('accepts a slash command signed now', () => {
    expect(boltAccepts(SECRET, body, signSlackRequest(SECRET, body))).toBe(true);
    expect(() =>
      verifySlackRequest({
        signingSecret: SECRET,
        body,
        headers: {
          'x-slack-signature': signSlackRequest(SECRET, body)['x-slack-signature'],
          'x-slack-request-timestamp': Number(signSlackRequest(SECRET, body)['x-slack-request-timestamp']),
        },
      }),
    ).not.toThrow();
  });

  it('rejects a signature made with another secret', () => {
    expect(boltAccepts(SECRET, body, signSlackRequest('another-secret', body))).toBe(false);
  });

  it('rejects a tampered body', () => {
    const headers = signSlackRequest(SECRET, body);
    expect(boltAccepts(SECRET, body.replace('prod', 'kube-system'), headers)).toBe(false);
  });

  it('rejects a timestamp older than five minutes, and accepts one just inside the window', () => {
    const now = Date.now();
    const stale = Math.floor(now / 1000) - 5 * 60 - 1;
    const fresh = Math.floor(now / 1000) - 5 * 60 + 5;
    expect(boltAccepts(SECRET, body, signSlackRequest(SECRET, body, stale), now)).toBe(false);
    expect(boltAccepts(SECRET, body, signSlackRequest(SECRET, body, fresh), now)).toBe(true);
  });

  it('accepts the documented example when the clock is at its timestamp', () => {
    const headers = {
      'x-slack-signature': DOC_SIGNATURE,
      'x-slack-request-timestamp': String(DOC_TIMESTAMP),
    };
    expect(boltAccepts(DOC_SECRET, DOC_BODY, headers, DOC_TIMESTAMP * 1000)).toBe(true);
  });
});
