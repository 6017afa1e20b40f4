/**
 * The Slack edges through the real Bolt HTTP receiver with real request signing (issue 9, finding 8): request
 * timestamps in either direction, only form-encoded slash commands, repeated fields. Each refusal is prompt and
 * nothing reaches a listener (no modal, no message, no job).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  blockActionPayload,
  sendSignedBody,
  sendSlashCommand,
  slashCommandBody,
  viewSubmissionPayload,
} from '../../tools/slack-double/index.js';
import { SIGNING_SECRET, type Stack, startStack } from '../support/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ worker: false, fixtures: [] });
});
afterAll(async () => {
  await stack?.close();
});

const nowSec = () => Math.floor(Date.now() / 1000);

/** Nothing was processed: no Web API call at all, no job. */
async function nothingHappened(): Promise<void> {
  await new Promise((r) => setTimeout(r, 200));
  expect(stack.slack.calls('views.open')).toHaveLength(0);
  expect(stack.slack.calls('chat.postMessage')).toHaveLength(0);
  const q = stack.queue();
  const counts = await q.getJobCounts();
  await q.close();
  expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(0);
}

describe('request timestamps: five minutes either way', () => {
  it.each([
    ['6 minutes in the future', 6 * 60],
    ['a day in the future', 24 * 3600],
    ['6 minutes in the past', -6 * 60],
    ['a day in the past', -24 * 3600],
  ])('a correctly signed command dated %s is refused (401)', async (_label, offset) => {
    const res = await sendSlashCommand(
      stack.eventsUrl,
      SIGNING_SECRET,
      { text: 'diagnose checkout' },
      { timestampSec: nowSec() + offset },
    );
    expect(res.status).toBe(401);
    expect(res.elapsedMs).toBeLessThan(3000);
  });

  it('clicks and form submissions dated in the future are refused too', async () => {
    const click = new URLSearchParams([
      [
        'payload',
        JSON.stringify(
          blockActionPayload({
            actionId: 'poddebug_approve',
            value: `prb-${stack.cluster}-${'0'.repeat(24)}`,
          }),
        ),
      ],
    ]).toString();
    const form = new URLSearchParams([
      [
        'payload',
        JSON.stringify(
          viewSubmissionPayload({
            callbackId: 'poddebug_probe_reason',
            privateMetadata: '0'.repeat(24),
            values: {
              reason: { reason: { type: 'plain_text_input', value: 'INC-1: a reason long enough' } },
            },
          }),
        ),
      ],
    ]).toString();
    for (const body of [click, form]) {
      const res = await sendSignedBody(stack.eventsUrl, SIGNING_SECRET, body, {
        timestampSec: nowSec() + 3600,
      });
      expect(res.status).toBe(401);
    }
  });

  it('within the window (4 minutes either way) a command is answered', async () => {
    for (const offset of [-4 * 60, 4 * 60]) {
      const res = await sendSlashCommand(
        stack.eventsUrl,
        SIGNING_SECRET,
        { text: 'help' },
        { timestampSec: nowSec() + offset },
      );
      expect(res.status).toBe(200);
      expect((res.json as { text: string }).text).toMatch(/diagnose/);
    }
  });

  it('the health routes are not behind the Slack checks', async () => {
    const res = await fetch(`${stack.botUrl}/healthz`);
    expect(res.status).toBe(200);
  });

  it('nothing was processed', nothingHappened);
});

describe('only form-encoded slash commands', () => {
  const fields = () =>
    Object.fromEntries(new URLSearchParams(slashCommandBody({ text: 'diagnose checkout -n shop' })));

  it('a signed application/json body with slash-command fields is refused, not run', async () => {
    const res = await sendSignedBody(stack.eventsUrl, SIGNING_SECRET, JSON.stringify(fields()), {
      contentType: 'application/json',
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatch(/form-encoded/);
    expect(res.elapsedMs).toBeLessThan(3000);
  });

  it('a signed JSON body shaped as a button click is refused too (interactivity is form-encoded)', async () => {
    const payload = blockActionPayload({
      actionId: 'poddebug_approve',
      value: `prb-${stack.cluster}-${'0'.repeat(24)}`,
    });
    const res = await sendSignedBody(stack.eventsUrl, SIGNING_SECRET, JSON.stringify(payload), {
      contentType: 'application/json',
    });
    expect(res.status).toBe(400);
  });

  it('a form payload carrying slash-command fields is refused', async () => {
    const body = new URLSearchParams([['payload', JSON.stringify(fields())]]).toString();
    const res = await sendSignedBody(stack.eventsUrl, SIGNING_SECRET, body);
    expect(res.status).toBe(400);
  });

  it.each([
    ['text', 'diagnose checkout -n shop'],
    ['user_id', 'U0ATTACK1'],
    ['command', '/poddebug'],
  ])('a signed slash command with a repeated `%s` gets a prompt, clear refusal', async (field, value) => {
    const body = `${slashCommandBody({ text: 'diagnose checkout -n shop' })}&${new URLSearchParams([[field, value]])}`;
    const res = await sendSignedBody(stack.eventsUrl, SIGNING_SECRET, body);
    expect(res.status).toBe(200);
    expect(res.elapsedMs).toBeLessThan(1000);
    const json = res.json as { response_type: string; text: string };
    expect(json.response_type).toBe('ephemeral');
    expect(json.text).toContain(`the field \`${field}\` was sent more than once`);
  });

  it('nothing was processed', nothingHappened);
});
