import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { App, LogLevel } from '@slack/bolt';
import { ErrorCode, WebClient } from '@slack/web-api';
import {
  newTriggerId,
  quietSlackLogger,
  SLACK_TEST_DEFAULTS,
  type SlackDouble,
  sendBlockAction,
  sendSlashCommand,
  sendViewSubmission,
  slackClient,
  startSlackDouble,
} from '../../index.js';

const TOKEN = 'xoxb-test-token';
const CHANNEL = 'C0INCIDENT';

function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'data' in err) {
    const data = (err as { data?: { error?: unknown } }).data;
    return typeof data?.error === 'string' ? data.error : undefined;
  }
  return undefined;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

describe('Slack Web API double with the real WebClient', () => {
  let slack: SlackDouble;
  let client: WebClient;

  beforeAll(async () => {
    slack = await startSlackDouble();
    client = slackClient(slack, { token: TOKEN });
  });
  afterAll(() => slack.close());
  beforeEach(() => slack.reset());

  it('records a post, a thread reply and an update, visible through messages() and thread()', async () => {
    const parent = await client.chat.postMessage({ channel: CHANNEL, text: 'Diagnosing payments-7d9f…' });
    expect(parent.ok).toBe(true);
    expect(parent.channel).toBe(CHANNEL);
    expect(parent.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(parent.message?.bot_id).toBeDefined();
    const reply = await client.chat.postMessage({
      channel: CHANNEL,
      thread_ts: parent.ts!,
      text: 'CrashLoopBackOff: exit code 137',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*OOMKilled* — raise the memory limit' } }],
    });
    expect(Number(reply.ts)).toBeGreaterThan(Number(parent.ts));
    expect(reply.message?.thread_ts).toBe(parent.ts);
    const updated = await client.chat.update({
      channel: CHANNEL,
      ts: parent.ts!,
      text: 'Diagnosis done: 1 finding',
    });
    expect(updated.ok).toBe(true);

    const top = slack.messages(CHANNEL).find((m) => m.ts === parent.ts);
    expect(top).toMatchObject({
      text: 'Diagnosis done: 1 finding',
      edits: 1,
      user: SLACK_TEST_DEFAULTS.botUserId,
    });
    const thread = slack.thread(CHANNEL, parent.ts!);
    expect(thread.map((m) => m.text)).toEqual(['CrashLoopBackOff: exit code 137']);
    expect(thread[0]!.blocks).toHaveLength(1);
    expect(slack.missingFallbacks()).toEqual([]);

    const replies = await client.conversations.replies({ channel: CHANNEL, ts: parent.ts! });
    expect(replies.messages?.map((m) => m.ts)).toEqual([parent.ts, reply.ts]);
    expect(replies.messages?.[0]?.reply_count).toBe(1);
  });

  it('answers message_not_found when updating a message that does not exist', async () => {
    const err = await rejection(client.chat.update({ channel: CHANNEL, ts: '1700000000.000100', text: 'x' }));
    expect(errorCode(err)).toBe('message_not_found');
  });

  it('records blocks sent without a text fallback', async () => {
    await client.chat.postMessage({ channel: CHANNEL, blocks: [{ type: 'divider' }] });
    expect(slack.missingFallbacks()).toHaveLength(1);
  });

  it('lands a filesUploadV2 upload in the thread', async () => {
    const parent = await client.chat.postMessage({ channel: CHANNEL, text: 'logs follow' });
    const content = 'line 1\nline 2: panic: runtime error\n';
    await client.filesUploadV2({
      channel_id: CHANNEL,
      thread_ts: parent.ts!,
      filename: 'payments.log',
      title: 'payments logs',
      content,
      initial_comment: 'Last 200 log lines',
    });
    const [file] = slack.files();
    expect(file).toMatchObject({
      filename: 'payments.log',
      title: 'payments logs',
      channel: CHANNEL,
      thread_ts: parent.ts,
      initial_comment: 'Last 200 log lines',
    });
    expect(file!.bytes.toString('utf8')).toBe(content);
    const share = slack.thread(CHANNEL, parent.ts!);
    expect(share).toHaveLength(1);
    expect(share[0]).toMatchObject({ text: 'Last 200 log lines', files: [file!.id] });
    expect(slack.calls().map((c) => c.method)).toEqual([
      'chat.postMessage',
      'files.getUploadURLExternal',
      'files.upload_url',
      'files.completeUploadExternal',
    ]);
  });

  it('answers 429 with Retry-After, and the WebClient waits and retries', async () => {
    slack.rateLimit('chat.postMessage', 1, 1);
    const started = Date.now();
    const res = await client.chat.postMessage({ channel: CHANNEL, text: 'after the rate limit' });
    const waited = Date.now() - started;
    expect(res.ok).toBe(true);
    expect(waited).toBeGreaterThanOrEqual(1000);
    expect(slack.calls('chat.postMessage').map((c) => c.status)).toEqual([429, 200]);
    expect(slack.messages(CHANNEL).map((m) => m.text)).toEqual(['after the rate limit']);
  });

  it('storm(): answers 429 with Retry-After to the methods named until the deadline, then recovers', async () => {
    slack.storm({ methods: ['chat.postMessage'], untilMs: Date.now() + 400, retryAfterSec: 7 });
    const impatient = slackClient(slack, { rejectRateLimitedCalls: true });
    const err = await rejection(impatient.chat.postMessage({ channel: CHANNEL, text: 'in the storm' }));
    expect((err as { code?: unknown; retryAfter?: unknown }).code).toBe(ErrorCode.RateLimitedError);
    expect((err as { retryAfter?: unknown }).retryAfter).toBe(7);
    const other = await client.chat.update({ channel: CHANNEL, ts: '1.000001', text: 'x' }).catch((e) => e);
    expect(errorCode(other)).toBe('message_not_found'); // not in `methods`: answered normally
    await new Promise((r) => setTimeout(r, 450));
    expect((await impatient.chat.postMessage({ channel: CHANNEL, text: 'after' })).ok).toBe(true);
    expect(slack.calls('chat.postMessage').map((c) => c.status)).toEqual([429, 200]);
    expect(slack.messages(CHANNEL).map((m) => m.text)).toEqual(['after']);
  });

  it('outage(): answers the given HTTP status to every method until the deadline', async () => {
    slack.outage({ untilMs: Date.now() + 300, status: 503 });
    const call = () =>
      fetch(`${slack.apiUrl}auth.test`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect((await call()).status).toBe(503);
    await new Promise((r) => setTimeout(r, 350));
    const after = await call();
    expect(after.status).toBe(200);
    expect(((await after.json()) as { ok: boolean }).ok).toBe(true);
  });

  it('keeps message metadata from postMessage and update', async () => {
    const metadata = { event_type: 'poddebug_request', event_payload: { request_id: 'diag-1' } };
    const res = await client.chat.postMessage({ channel: CHANNEL, text: 'status', metadata });
    expect(slack.messages(CHANNEL)[0]?.metadata).toEqual(metadata);
    const moved = { event_type: 'poddebug_request', event_payload: { request_id: 'diag-2' } };
    await client.chat.update({ channel: CHANNEL, ts: res.ts!, text: 'status 2', metadata: moved });
    expect(slack.messages(CHANNEL)[0]?.metadata).toEqual(moved);
  });

  it('refuses 51 blocks and a 3001-character section with invalid_blocks', async () => {
    const divider = { type: 'divider' };
    const tooMany = await rejection(
      client.chat.postMessage({
        channel: CHANNEL,
        text: 'x',
        blocks: Array.from({ length: 51 }, () => divider),
      }),
    );
    expect(errorCode(tooMany)).toBe('invalid_blocks');
    const long = await rejection(
      client.chat.postMessage({
        channel: CHANNEL,
        text: 'x',
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'a'.repeat(3001) } }],
      }),
    );
    expect(errorCode(long)).toBe('invalid_blocks');
    const data = (long as { data: { response_metadata?: { messages?: string[] } } }).data;
    expect(data.response_metadata?.messages?.[0]).toContain('[json-pointer:/blocks/0/text/text]');
    expect(slack.messages()).toEqual([]);
  });

  it('answers invalid_auth for a wrong token and not_authed for none', async () => {
    const wrong = new WebClient('xoxb-wrong', { slackApiUrl: slack.apiUrl, logLevel: LogLevel.ERROR });
    const err = await rejection(wrong.auth.test());
    expect((err as { code?: unknown }).code).toBe(ErrorCode.PlatformError);
    expect(errorCode(err)).toBe('invalid_auth');
    const none = new WebClient(undefined, { slackApiUrl: slack.apiUrl, logLevel: LogLevel.ERROR });
    expect(errorCode(await rejection(none.auth.test()))).toBe('not_authed');
    expect(errorCode(await rejection(client.apiCall('chat.frobnicate')))).toBe('unknown_method');
  });

  it('plays back scheduled failures once', async () => {
    slack.failWith('users.lookupByEmail', 'ratelimited');
    slack.addUser({ id: 'U0BOB', name: 'bob', email: 'bob@example.com', tz: 'Europe/Berlin' });
    expect(errorCode(await rejection(client.users.lookupByEmail({ email: 'bob@example.com' })))).toBe(
      'ratelimited',
    );
    const ok = await client.users.lookupByEmail({ email: 'bob@example.com' });
    expect(ok.user?.id).toBe('U0BOB');
    expect(ok.user?.tz).toBe('Europe/Berlin');
  });

  it('refuses not_in_channel for a channel the bot was not added to', async () => {
    slack.addChannel({ id: 'C0PRIVATE', name: 'secret', isMember: false });
    expect(errorCode(await rejection(client.chat.postMessage({ channel: 'C0PRIVATE', text: 'x' })))).toBe(
      'not_in_channel',
    );
  });

  it('accepts five response_url posts and refuses the sixth with 404', async () => {
    const url = slack.responseUrl({ channel: CHANNEL, user: 'U0ALICE' });
    const post = (text: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text }),
      });
    const statuses: number[] = [];
    for (let i = 1; i <= 6; i++) statuses.push((await post(`response ${i}`)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 404]);
    expect(slack.ephemerals('U0ALICE').map((m) => m.text)).toEqual(
      [1, 2, 3, 4, 5].map((i) => `response ${i}`),
    );
    expect(slack.ephemerals('U0ALICE').every((m) => m.viaResponseUrl)).toBe(true);
  });

  it('refuses a response_url older than 30 minutes', async () => {
    let now = Date.now();
    const clocked = await startSlackDouble({ now: () => now });
    try {
      const url = clocked.responseUrl();
      now += 30 * 60 * 1000 + 1;
      const res = await fetch(url, { method: 'POST', body: JSON.stringify({ text: 'late' }) });
      expect(res.status).toBe(404);
    } finally {
      await clocked.close();
    }
  });

  it('waitFor rejects with a dump of what happened', async () => {
    await client.chat.postMessage({ channel: CHANNEL, text: 'something else' });
    await expect(slack.waitFor(() => slack.messages().find((m) => m.text === 'never'), 50)).rejects.toThrow(
      /chat\.postMessage → 200 ok[\s\S]*something else/,
    );
  });

  it('waitFor with an async predicate waits for its resolved value (a message posted later)', async () => {
    setTimeout(() => void client.chat.postMessage({ channel: CHANNEL, text: 'posted later' }), 100);
    const said = await slack.waitFor(async () => {
      await new Promise((r) => setImmediate(r));
      return slack.messages(CHANNEL).find((m) => m.text === 'posted later');
    });
    expect(said.text).toBe('posted later');
  });

  it('waitFor names the last rejection of an async predicate in its dump', async () => {
    const err = (await rejection(
      slack.waitFor(async () => {
        throw new Error('audit log not written');
      }, 50),
    )) as Error;
    expect(err.message).toMatch(
      /^SlackDouble\.waitFor: condition not met within 50 ms\nlast predicate error \(poll \d+ of \d+\): Error: audit log not written\ncalls/,
    );
  });
});

describe('a real Bolt app against the double', () => {
  const SECRET = 'bolt-signing-secret';
  let slack: SlackDouble;
  let app: App;
  let receiverUrl: string;

  beforeAll(async () => {
    slack = await startSlackDouble();
    app = new App({
      token: TOKEN,
      signingSecret: SECRET,
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: slack.apiUrl },
    });
    app.command('/poddebug', async ({ ack, say, respond, client, command }) => {
      await ack();
      const [verb, arg] = command.text.split(' ');
      if (verb === 'diagnose') await say(`Diagnosing ${arg}…`);
      else if (verb === 'help') await respond({ text: 'Usage: /poddebug diagnose <pod>' });
      else if (verb === 'approve')
        await client.views.open({
          trigger_id: command.trigger_id,
          view: {
            type: 'modal',
            callback_id: 'approve_probe',
            title: { type: 'plain_text', text: 'Approve probe' },
            submit: { type: 'plain_text', text: 'Approve' },
            blocks: [
              {
                type: 'input',
                block_id: 'reason',
                label: { type: 'plain_text', text: 'Reason' },
                element: { type: 'plain_text_input', action_id: 'text' },
              },
            ],
          },
        });
    });
    app.action('approve', async ({ ack, respond, body }) => {
      await ack();
      await respond({ replace_original: true, text: `Approved by <@${body.user.id}>` });
    });
    app.view('approve_probe', async ({ ack, view }) => {
      const reason = view.state.values.reason?.text?.value ?? '';
      if (reason.length < 5)
        await ack({ response_action: 'errors', errors: { reason: 'Say why (5+ characters)' } });
      else await ack();
    });
    const server = await app.start(0);
    receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  });
  afterAll(async () => {
    await app.stop();
    await slack.close();
  });

  it('acks a signed slash command within 3 s and its say() lands in the channel', async () => {
    const res = await sendSlashCommand(receiverUrl, SECRET, {
      text: 'diagnose payments-7d9f',
      channelId: CHANNEL,
    });
    expect(res.status).toBe(200);
    expect(res.elapsedMs).toBeLessThan(3000);
    const said = await slack.waitFor(() =>
      slack.messages(CHANNEL).find((m) => m.text === 'Diagnosing payments-7d9f…'),
    );
    expect(said.user).toBe(SLACK_TEST_DEFAULTS.botUserId);
    expect(slack.calls('auth.test').every((c) => c.ok)).toBe(true);
  });

  it('sends respond() through a double response_url as an ephemeral for the invoking user', async () => {
    const responseUrl = slack.responseUrl({ channel: CHANNEL, user: 'U0CAROL' });
    const res = await sendSlashCommand(receiverUrl, SECRET, {
      text: 'help',
      channelId: CHANNEL,
      userId: 'U0CAROL',
      responseUrl,
    });
    expect(res.status).toBe(200);
    const eph = await slack.waitFor(() => slack.ephemerals('U0CAROL')[0]);
    expect(eph).toMatchObject({
      channel: CHANNEL,
      text: 'Usage: /poddebug diagnose <pod>',
      viaResponseUrl: true,
    });
    expect(slack.messages(CHANNEL).some((m) => m.text?.startsWith('Usage'))).toBe(false);
  });

  it('delivers a button click to app.action, whose replace_original edits the clicked message', async () => {
    const client = new WebClient(TOKEN, { slackApiUrl: slack.apiUrl });
    const posted = await client.chat.postMessage({
      channel: CHANNEL,
      text: 'Approve probe on node-3?',
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: 'Approve probe on node-3?' } },
        {
          type: 'actions',
          elements: [
            {
              type: 'button',
              action_id: 'approve',
              text: { type: 'plain_text', text: 'Approve' },
              value: 'req-1',
            },
          ],
        },
      ],
    });
    const responseUrl = slack.responseUrl({ channel: CHANNEL, user: 'U0DAVE', messageTs: posted.ts! });
    const res = await sendBlockAction(receiverUrl, SECRET, {
      actionId: 'approve',
      value: 'req-1',
      userId: 'U0DAVE',
      channelId: CHANNEL,
      messageTs: posted.ts!,
      responseUrl,
    });
    expect(res.status).toBe(200);
    const edited = await slack.waitFor(() =>
      slack.messages(CHANNEL).find((m) => m.ts === posted.ts && m.edits > 0),
    );
    expect(edited.text).toBe('Approved by <@U0DAVE>');
  });

  it('opens a modal with the command trigger_id once, and returns view_submission errors as JSON', async () => {
    const triggerId = newTriggerId();
    await sendSlashCommand(receiverUrl, SECRET, { text: 'approve', triggerId });
    const view = await slack.waitFor(() => slack.views().find((v) => v.trigger_id === triggerId));
    expect(view.view.callback_id).toBe('approve_probe');
    const client = new WebClient(TOKEN, { slackApiUrl: slack.apiUrl, logger: quietSlackLogger() });
    const reused = await rejection(client.views.open({ trigger_id: triggerId, view: view.view as never }));
    expect(errorCode(reused)).toBe('exchanged_trigger_id');

    const input = (value: string) => ({
      callbackId: 'approve_probe',
      values: { reason: { text: { type: 'plain_text_input', value } } },
    });
    const refused = await sendViewSubmission(receiverUrl, SECRET, input('no'));
    expect(refused.status).toBe(200);
    expect(refused.json).toEqual({
      response_action: 'errors',
      errors: { reason: 'Say why (5+ characters)' },
    });
    const accepted = await sendViewSubmission(receiverUrl, SECRET, input('node-3 is leaking memory'));
    expect(accepted.status).toBe(200);
    expect(accepted.json).toBeUndefined();
  });

  it('refuses a badly signed slash command with 401 and runs no handler', async () => {
    const before = slack.calls('chat.postMessage').length;
    const res = await sendSlashCommand(
      receiverUrl,
      SECRET,
      { text: 'diagnose evil' },
      { badSignature: true },
    );
    expect(res.status).toBe(401);
    await new Promise((r) => setTimeout(r, 100));
    expect(slack.calls('chat.postMessage')).toHaveLength(before);
  });

  it('refuses a replayed request signed more than five minutes ago', async () => {
    const old = Math.floor(Date.now() / 1000) - 6 * 60;
    const res = await sendSlashCommand(receiverUrl, SECRET, { text: 'diagnose x' }, { timestampSec: old });
    expect(res.status).toBe(401);
  });
});
