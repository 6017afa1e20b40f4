/**
 * The bot in Socket Mode (SLACK_APP_TOKEN, no public URL) against the Slack double's WebSocket side
 * (tools/slack-double/socket-mode.ts): the real Bolt SocketModeReceiver opens its URL with
 * apps.connections.open, Slack's requests arrive as envelopes and are acked by envelope_id, a slash command
 * and a button click run end to end, and a connection dropped mid-command is reconnected and the command
 * answered once.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newTriggerId, type PostedMessage } from '../../tools/slack-double/index.js';
import { type Stack, startStack } from '../support/stack.js';

const POD = 'orders-worker-5b7d9c8f6-lk4vn';
const NS = 'crash-loop';
const USER = 'U0ONCALL1';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ socketMode: true });
  await stack.socket!.waitForConnection();
}, 30_000);

afterAll(async () => {
  expect(stack.slack.missingFallbacks()).toEqual([]);
  await stack?.close();
});

function slashCommand(channel: string, text: string, opts?: { dropAfterDelivery?: boolean }) {
  return stack.socket!.slashCommand(
    {
      text,
      channelId: channel,
      userId: USER,
      triggerId: newTriggerId(),
      responseUrl: stack.slack.responseUrl({ channel, user: USER }),
    },
    opts,
  );
}

/** The request's status message once final ("— done"), and its thread. */
async function finished(
  channel: string,
  ms = 20_000,
): Promise<{ status: PostedMessage; replies: PostedMessage[] }> {
  const status = await stack.slack.waitFor(
    () => stack.slack.messages(channel).find((m) => !m.thread_ts && /— (done|failed)\b/.test(m.text ?? '')),
    ms,
  );
  return { status, replies: stack.slack.thread(channel, status.ts) };
}

describe('Socket Mode', () => {
  it('connects with the app-level token: apps.connections.open, then the WebSocket it names', () => {
    const opens = stack.slack.calls('apps.connections.open');
    expect(opens.length).toBeGreaterThanOrEqual(1);
    expect(opens.every((c) => c.ok)).toBe(true);
    expect(stack.socket!.connections()).toBe(1);
    // The bot token is never used for it, nor the app token for anything else.
    expect(stack.slack.calls().filter((c) => !c.ok && c.error === 'invalid_auth')).toEqual([]);
  });

  it('a slash command arrives as an envelope, is acked by envelope_id, and is answered in its thread', async () => {
    const channel = 'C0SOCKET1';
    const t0 = Date.now();
    const ack = await slashCommand(channel, `diagnose ${POD} -n ${NS}`);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(ack.deliveries).toBe(1);
    const { status, replies } = await finished(channel);
    expect(status.text).toMatch(/done/);
    expect(status.text).toContain(NS);
    expect(replies).toHaveLength(1);
    expect(JSON.stringify(replies[0]!.blocks)).toContain('poddebug_rerun');
  });

  it('bad input is answered in the ack payload itself (what the HTTP response body would carry)', async () => {
    const ack = await slashCommand('C0SOCKET2', 'diagnose');
    const text = String(ack.payload.text ?? '');
    expect(text).toMatch(/pod/i);
    expect(stack.slack.messages('C0SOCKET2')).toEqual([]);
  });

  it('a button click (Re-run diagnose) arrives as an interactive envelope and runs again', async () => {
    const channel = 'C0SOCKET1';
    const { status, replies } = await finished(channel);
    const blocks = JSON.stringify(replies[0]!.blocks);
    const value = /"action_id":"poddebug_rerun"[^}]*?"value":"((?:[^"\\]|\\.)*)"/.exec(blocks)?.[1];
    expect(value).toBeDefined();
    const before = stack.slack.thread(channel, status.ts).length;
    const ack = await stack.socket!.blockAction({
      actionId: 'poddebug_rerun',
      value: JSON.parse(`"${value!}"`) as string,
      userId: USER,
      channelId: channel,
      messageTs: replies[0]!.ts,
      threadTs: status.ts,
      triggerId: newTriggerId(),
      responseUrl: stack.slack.responseUrl({ channel, user: USER, messageTs: replies[0]!.ts }),
    });
    expect(ack.payload).toEqual({});
    // The re-run's status message and its result, in the same thread.
    const rerun = await stack.slack.waitFor(() => {
      const thread = stack.slack.thread(channel, status.ts);
      return thread.length >= before + 2 && thread.slice(before).some((m) => /— done\b/.test(m.text ?? ''))
        ? thread.slice(before)
        : undefined;
    }, 20_000);
    expect(rerun.some((m) => (m.text ?? '').startsWith('🔴'))).toBe(true);
  });

  it('a connection dropped mid-command: the bot reconnects, and the command is answered once', async () => {
    const channel = 'C0SOCKET3';
    const opened = stack.socket!.stats().opened;
    // Delivered, then the connection is cut before the ack can arrive.
    const ack = await slashCommand(channel, `diagnose ${POD} -n ${NS}`, { dropAfterDelivery: true });
    // The bot opened a new URL, the envelope came again on the new connection, and was acked there.
    expect(ack.deliveries).toBe(2);
    expect(stack.socket!.stats().opened).toBeGreaterThan(opened);
    const { status, replies } = await finished(channel);
    expect(status.text).toMatch(/done/);
    await new Promise((r) => setTimeout(r, 1500));
    // Once: one status message, one result in its thread.
    expect(stack.slack.messages(channel).filter((m) => !m.thread_ts)).toHaveLength(1);
    expect(stack.slack.thread(channel, status.ts)).toHaveLength(replies.length);
    expect(replies).toHaveLength(1);
  }, 40_000);

  it('a disconnect message (refresh_requested): the bot reconnects and keeps serving', async () => {
    const connected = stack.socket!.stats().connected;
    stack.socket!.disconnect('refresh_requested');
    await stack.socket!.waitForConnection(connected + 1, 20_000);
    const ack = await slashCommand('C0SOCKET4', `diagnose ${POD} -n ${NS}`);
    expect(ack.deliveries).toBe(1);
    const { status } = await finished('C0SOCKET4');
    expect(status.text).toMatch(/done/);
  }, 40_000);
});
