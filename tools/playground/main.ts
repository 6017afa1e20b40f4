/**
 * `npm run playground [-- --port 8080] [--no-probes] [--log-level info]`: starts the whole loop (see
 * playground.ts) and prints the page's URL; Ctrl-C stops everything it started.
 */
import { parseArgs } from 'node:util';

async function main(): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse();
  } catch (e) {
    process.stderr.write(
      `playground: ${(e as Error).message}\nusage: npm run playground -- [--port N] [--no-probes] [--log-level LEVEL]\n`,
    );
    return 2;
  }
  if (args.values.help) {
    process.stdout.write('usage: npm run playground -- [--port N] [--no-probes] [--log-level LEVEL]\n');
    return 0;
  }
  const port = Number(args.values.port ?? '0');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write('playground: --port expects a port number (0 to 65535)\n');
    return 2;
  }
  process.stdout.write('playground: starting the API simulator, Redis, the bot and the worker…\n');
  // Loaded after the arguments are checked: the bot, the worker and the simulator take a while to import.
  const { MissingRedisError, startPlayground } = await import('./playground.js');
  let pg: Awaited<ReturnType<typeof startPlayground>>;
  try {
    pg = await startPlayground({
      port,
      probes: !args.values['no-probes'],
      logLevel: args.values['log-level'] ?? 'silent',
    });
  } catch (e) {
    process.stderr.write(`playground: ${e instanceof MissingRedisError ? e.message : String(e)}\n`);
    return 1;
  }
  process.stdout.write(
    [
      '',
      `  poddebug playground: ${pg.url}`,
      '',
      '  Open it, pick who you are (riya requests, ama and ben approve, victor has no grants) and type',
      '    /poddebug diagnose deploy/checkout -n shop',
      pg.probesUnavailable
        ? `  Node probes cannot run here: ${pg.probesUnavailable}.`
        : '  Node probes run for real: /poddebug mem checkout-live-0 -n shop',
      '  Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stdout.write('\nplayground: stopping…\n');
  await pg.close();
  return 0;
}

function parse() {
  return parseArgs({
    options: {
      port: { type: 'string' },
      'no-probes': { type: 'boolean' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`playground: ${String(e)}\n`);
    process.exit(1);
  },
);
