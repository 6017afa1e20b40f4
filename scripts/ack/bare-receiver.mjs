#!/usr/bin/env node
/**
 * The baseline for the ack figures of `npm run bench` (scripts/bench/lib.ts, startBareReceiver) and
 * scripts/ack-burst.ts: a bare Bolt 5 app from this project's own node_modules, with the same HTTP receiver,
 * same signing check, same Redis and BullMQ as the bot, whose /poddebug handler only adds one BullMQ job and
 * acks; none of the bot's gate, records, audit or status messages. Plain JavaScript so that it runs as the
 * bot does (compiled, no TypeScript loader):
 *
 *   PORT=… REDIS_URL=… SLACK_SIGNING_SECRET=… SLACK_BOT_TOKEN=… SLACK_API_URL=… QUEUE=… [QUEUE_PREFIX=…] \
 *     node scripts/ack/bare-receiver.mjs
 *
 * SLACK_API_URL receives Bolt's one auth.test; QUEUE is the queue name, QUEUE_PREFIX its key prefix
 * (BullMQ's `bull` when unset). Prints "ready" on stdout once it listens; stops on SIGTERM.
 */
import bolt from '@slack/bolt';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

const missing = ['PORT', 'SLACK_SIGNING_SECRET', 'SLACK_BOT_TOKEN', 'QUEUE'].filter((k) => !process.env[k]);
if (missing.length > 0) {
  process.stderr.write(`bare-receiver.mjs: set ${missing.join(', ')}\n`);
  process.exit(2);
}

const { App, HTTPReceiver } = bolt;
const connection = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
const queue = new Queue(process.env.QUEUE, {
  connection,
  ...(process.env.QUEUE_PREFIX ? { prefix: process.env.QUEUE_PREFIX } : {}),
});
queue.on('error', (err) => process.stderr.write(`bare-receiver.mjs: Queue error: ${err.message}\n`));
const receiver = new HTTPReceiver({ signingSecret: process.env.SLACK_SIGNING_SECRET });
const app = new App({
  token: process.env.SLACK_BOT_TOKEN,
  receiver,
  clientOptions: { slackApiUrl: process.env.SLACK_API_URL },
});

app.command('/poddebug', async ({ command, ack }) => {
  await queue.add(
    'diagnose',
    { text: command.text, user: command.user_id, channel: command.channel_id },
    { jobId: command.trigger_id.replaceAll('.', '-'), removeOnComplete: true },
  );
  await ack();
});

await app.start(Number(process.env.PORT));
process.stdout.write('ready\n');
process.once('SIGTERM', async () => {
  await app.stop().catch(() => undefined);
  await queue.close();
  connection.disconnect();
  process.exit(0);
});
