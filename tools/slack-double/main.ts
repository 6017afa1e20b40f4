/**
 * CLI: npm run slack-double -- [--port PORT] [--bot-token TOKEN] [--channel ID:NAME ...]
 * Starts the Slack Web API double on 127.0.0.1, prints its URLs and the bot token it accepts,
 * and serves until SIGINT/SIGTERM.
 */
import { Command, InvalidArgumentError } from 'commander';
import { SLACK_TEST_DEFAULTS, startSlackDouble } from './index.js';

function port(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) throw new InvalidArgumentError('expected a port number 0..65535');
  return n;
}

function botToken(v: string): string {
  if (!/^xoxb-[A-Za-z0-9-]+$/.test(v))
    throw new InvalidArgumentError('expected a bot token: xoxb- then letters, digits, dashes');
  return v;
}

function channel(v: string, prev: { id: string; name: string }[]): { id: string; name: string }[] {
  const m = /^([CG][A-Z0-9]{2,}):([a-z0-9_-]{1,80})$/.exec(v);
  if (!m) throw new InvalidArgumentError('expected ID:NAME, e.g. C0INCIDENT:incidents');
  return [...prev, { id: m[1]!, name: m[2]! }];
}

const program = new Command('slack-double')
  .description('A local stand-in for the Slack Web API that the real WebClient and Bolt work against.')
  .option('-p, --port <port>', 'port on 127.0.0.1 (0 = a free port)', port, 0)
  .option('--bot-token <token>', 'the only bot token accepted', botToken, SLACK_TEST_DEFAULTS.botToken)
  .option('--channel <id:name>', 'a channel the bot is a member of (repeatable)', channel, [])
  .showHelpAfterError('(run with --help for usage)');

async function main(): Promise<void> {
  program.parse();
  const opts = program.opts<{ port: number; botToken: string; channel: { id: string; name: string }[] }>();
  const slack = await startSlackDouble({ port: opts.port, botToken: opts.botToken });
  for (const c of opts.channel) slack.addChannel(c);
  process.stdout.write(
    [
      `slack-double listening on ${slack.url}`,
      `  Web API (SLACK_API_URL, WebClient slackApiUrl): ${slack.apiUrl}`,
      `  bot token (SLACK_BOT_TOKEN): ${opts.botToken}`,
      `  team ${SLACK_TEST_DEFAULTS.teamId}, bot user ${SLACK_TEST_DEFAULTS.botUserId}`,
      '',
    ].join('\n'),
  );
  const stop = () => {
    void slack.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`slack-double: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
