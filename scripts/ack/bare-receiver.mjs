#!/usr/bin/env node
/**
 * The baseline for the ack figures (scripts/ack-burst.ts): a bare Bolt 5 app from this project's own
 * node_modules, with the same HTTP receiver, whose /poddebug handler only adds one BullMQ job and acks.
 * Plain JavaScript so that it runs as the bot does (compiled, no loader). Env: PORT, REDIS_URL,
 * SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN, SLACK_API_URL (Bolt's one auth.test), QUEUE (the queue name), QUEUE_PREFIX.
 */
import bolt from '@slack/bolt';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

const { App, HTTPReceiver } = bolt;
const connection = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: 1 });
const queue = new Queue(process.env.QUEUE, { connection, prefix: process.env.QUEUE_PREFIX });
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
process.on('SIGTERM', async () => {
  await app.stop().catch(() => undefined);
  await queue.close();
  connection.disconnect();
  process.exit(0);
});
