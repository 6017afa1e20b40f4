/**
 * Slash commands as Slack sends them (signed, to the bot's HTTP receiver) and the waits for what a read
 * request leaves in Slack: its status message in its final state and the replies in its thread.
 */
import { randomUUID } from 'node:crypto';
import { requestIdFor } from '../../jobs/contracts/index.js';
import type { PostedMessage, SendOptions, SendResult } from '../../tools/slack-double/index.js';
import { sendSlashCommand } from '../../tools/slack-double/index.js';
import { SIGNING_SECRET, type Stack } from './stack.js';

export const TEAM = 'T0TEAM001';
export const ONCALL = 'U0ONCALL1';

let channelSeq = 0;

/** A channel id no other command of this test file used: `prefix` and a number, `width` digits. */
export function newChannel(prefix = 'C0CMD', width = 4): string {
  return `${prefix}${String(++channelSeq).padStart(width, '0')}`;
}

export interface CommandOptions {
  /** Default {@link ONCALL}. */
  userId?: string;
  /** Default a new channel ({@link newChannel}). */
  channelId?: string;
  channelName?: string;
  /** Default {@link TEAM}. */
  teamId?: string;
  /** Default a random UUID. */
  triggerId?: string;
  /**
   * The command's response_url: default the Slack double's (with the channel and user), 'placeholder' for a
   * hooks.slack.com address the double never sees, or a URL.
   */
  responseUrl?: string;
  /** Signature, retry and content-type options of the send. */
  send?: SendOptions;
}

export interface SentCommand {
  /** The receiver's HTTP answer: the ack. */
  res: SendResult;
  channel: string;
  userId: string;
  teamId: string;
  triggerId: string;
  /** The id of the read request this command starts (diagnose, logs, events, describe). */
  id: string;
}

/** Types `/poddebug <text>`; resolves with the ack and the ids of what it starts. */
export async function sendCommand(stack: Stack, text: string, o: CommandOptions = {}): Promise<SentCommand> {
  const channel = o.channelId ?? newChannel();
  const userId = o.userId ?? ONCALL;
  const teamId = o.teamId ?? TEAM;
  const triggerId = o.triggerId ?? randomUUID();
  const res = await sendSlashCommand(
    stack.eventsUrl,
    SIGNING_SECRET,
    {
      text,
      channelId: channel,
      ...(o.channelName ? { channelName: o.channelName } : {}),
      userId,
      teamId,
      triggerId,
      ...(o.responseUrl === 'placeholder'
        ? {}
        : { responseUrl: o.responseUrl ?? stack.slack.responseUrl({ channel, user: userId }) }),
    },
    o.send,
  );
  const id = requestIdFor('diagnose', stack.cluster, [teamId, channel, userId, triggerId]);
  return { res, channel, userId, teamId, triggerId, id };
}

/** An ack's ephemeral answer (help, jobs, refusals): its text and blocks, or '' for an empty ack. */
export function ackBody(res: SendResult): { response_type?: string; text?: string; blocks?: unknown[] } {
  return (res.json ?? {}) as { response_type?: string; text?: string; blocks?: unknown[] };
}

/** The status message of the channel once it reads `— done` or `— failed` (fails after `timeoutMs`). */
export function finalStatus(stack: Stack, channel: string, timeoutMs = 20_000): Promise<PostedMessage> {
  return stack.slack.waitFor(
    () => stack.slack.messages(channel).find((m) => !m.thread_ts && /— (done|failed)\b/.test(m.text ?? '')),
    timeoutMs,
  );
}

/**
 * The final status message and the replies in its thread. Without `replyMs` the replies are those in the
 * thread when the status is final; with it, waits up to `replyMs` for at least one.
 */
export async function settled(
  stack: Stack,
  channel: string,
  o: { timeoutMs?: number; replyMs?: number } = {},
): Promise<{ status: PostedMessage; replies: PostedMessage[] }> {
  const status = await finalStatus(stack, channel, o.timeoutMs);
  const replies =
    o.replyMs === undefined
      ? stack.slack.thread(channel, status.ts)
      : await stack.slack.waitFor(() => {
          const r = stack.slack.thread(channel, status.ts);
          return r.length > 0 ? r : undefined;
        }, o.replyMs);
  return { status, replies };
}
