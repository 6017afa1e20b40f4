/**
 * The bench's floor for the ack: a bare Bolt app from this project's node_modules whose slash command handler
 * only adds one BullMQ job and acks. Same receiver class (HTTPReceiver), same signing check, same Redis and
 * BullMQ as the bot; none of the bot's gate, records, audit or status messages.
 *
 *   PORT=… SLACK_SIGNING_SECRET=… SLACK_API_URL=… REDIS_URL=… BENCH_QUEUE=… node --import tsx scripts/bench/bare-receiver.ts
 *
 * Prints "ready" on stdout once it listens; stops on SIGTERM.
 */
import { App, HTTPReceiver } from '@slack/bolt';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

const port = Number(process.env.PORT);
const queueName = process.env.BENCH_QUEUE ?? 'bench-bare';
const connection = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
  maxRetriesPerRequest: null,
});
const queue = new Queue(queueName, { connection });
queue.on('error', (err) => process.stderr.write(`bare-receiver.ts: Queue error: ${err.message}\n`));

const receiver = new HTTPReceiver({ signingSecret: process.env.SLACK_SIGNING_SECRET ?? '' });
// botId and botUserId given: Bolt then never calls auth.test. Any Web API call goes to the bench's Slack double.
const app = new App({
  token: 'xoxb-bench-bare',
  botId: 'B0BENCHBARE',
  botUserId: 'U0BENCHBARE',
  receiver,
  clientOptions: { slackApiUrl: process.env.SLACK_API_URL ?? 'http://127.0.0.1:9/api/' },
});

app.command('/poddebug', async ({ command, ack }) => {
  await queue.add(
    'diagnose',
    { text: command.text, user: command.user_id, channel: command.channel_id },
    {
      jobId: command.trigger_id.replaceAll(':', '-'),
    },
  );
  await ack();
});

await app.start(port);
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void (async () => {
    await app.stop();
    await queue.close();
    connection.disconnect();
    process.exit(0);
  })();
});
