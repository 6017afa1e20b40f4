import { describe, expect, it } from '@jest/globals';
import { MAX_SKEW_SEC, screenSlackRequest } from '../../../bot/http-edge.js';
import { signSlackRequest, slashCommandBody } from '../../../tools/slack-double/index.js';

const SECRET = 'unit-signing-secret';
const NOW_MS = 1_800_000_000_000;
const nowSec = NOW_MS / 1000;

function signed(body: string, o: { ts?: number; contentType?: string } = {}) {
  const h = signSlackRequest(SECRET, body, o.ts ?? nowSec);
  return {
    contentType: o.contentType ?? 'application/x-www-form-urlencoded',
    timestamp: h['x-slack-request-timestamp'],
    signature: h['x-slack-signature'],
    body,
  };
}

const command = slashCommandBody({ text: 'diagnose checkout -n shop' });

describe('screenSlackRequest', () => {
  it.each([
    [-MAX_SKEW_SEC, true],
    [MAX_SKEW_SEC, true],
    [-MAX_SKEW_SEC - 1, false],
    [MAX_SKEW_SEC + 1, false],
    [86_400, false],
  ])('a command signed %i s from now: accepted %s', (offset, ok) => {
    const v = screenSlackRequest(signed(command, { ts: nowSec + offset }), SECRET, NOW_MS);
    expect(v.ok).toBe(ok);
    if (!v.ok) expect(v.status).toBe(401);
  });

  it('refuses a missing or non-numeric timestamp and a bad signature with 401', () => {
    const good = signed(command);
    for (const r of [
      { ...good, timestamp: undefined },
      { ...good, timestamp: '1e9' },
      { ...good, signature: undefined },
      { ...good, signature: `v0=${'0'.repeat(64)}` },
      { ...good, body: `${command}&x=1` },
    ]) {
      expect(screenSlackRequest(r, SECRET, NOW_MS)).toMatchObject({ ok: false, status: 401 });
    }
  });

  it('lets Slack SSL checks through to Bolt (unsigned, answered without processing)', () => {
    const v = screenSlackRequest(
      {
        contentType: 'application/x-www-form-urlencoded',
        timestamp: undefined,
        signature: undefined,
        body: 'ssl_check=1&token=x',
      },
      SECRET,
      NOW_MS,
    );
    expect(v.ok).toBe(true);
  });

  it('accepts the shapes Slack sends: a form command, a form payload, a JSON events envelope', () => {
    const payload = new URLSearchParams([
      ['payload', JSON.stringify({ type: 'block_actions', actions: [] })],
    ]);
    for (const r of [
      signed(command),
      signed(payload.toString()),
      signed(JSON.stringify({ type: 'url_verification', challenge: 'c' }), {
        contentType: 'application/json',
      }),
    ]) {
      expect(screenSlackRequest(r, SECRET, NOW_MS)).toEqual({ ok: true });
    }
  });

  it.each([
    [
      'JSON slash command',
      signed(JSON.stringify(Object.fromEntries(new URLSearchParams(command))), {
        contentType: 'application/json',
      }),
      /JSON body/,
    ],
    [
      'JSON block action',
      signed(JSON.stringify({ type: 'block_actions', actions: [] }), { contentType: 'application/json' }),
      /form-encoded/,
    ],
    ['JSON array', signed('[1]', { contentType: 'application/json' }), /not an object/],
    [
      'form with charset (Bolt would parse it as JSON)',
      signed(command, { contentType: 'application/x-www-form-urlencoded; charset=utf-8' }),
      /neither/,
    ],
    [
      'payload with command fields',
      signed(new URLSearchParams([['payload', '{"command":"/poddebug","text":"x"}']]).toString()),
      /interactivity payload/,
    ],
    ['payload twice', signed('payload=%7B%7D&payload=%7B%7D'), /repeated field \(payload\)/],
    ['command with payload', signed(`${command}&payload=%7B%7D`), /interactivity payload/],
  ])('refuses %s with 400', (_label, r, reason) => {
    const v = screenSlackRequest(r, SECRET, NOW_MS);
    expect(v).toMatchObject({ ok: false, status: 400 });
    if (!v.ok) expect(v.reason).toMatch(reason);
  });

  it('answers a slash command with a repeated field with a message the user sees', () => {
    const v = screenSlackRequest(signed(`${command}&text=help`), SECRET, NOW_MS);
    expect(v).toMatchObject({ ok: false, status: 200 });
    if (!v.ok) expect(v.reply).toMatch(/the field `text` was sent more than once/);
  });
});
