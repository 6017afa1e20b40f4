import { createBot } from './app.js';
import { loadBotConfig } from './config.js';
import { createLogger } from './log.js';
import { PolicyFileError } from './policy/index.js';

/** Bot process: Slack credentials, no cluster credentials. */
async function main(): Promise<void> {
  let cfg: ReturnType<typeof loadBotConfig>;
  try {
    cfg = loadBotConfig();
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(2);
  }
  const logger = createLogger(cfg.LOG_LEVEL);
  const bot = createBot(cfg, logger);
  try {
    await bot.start();
  } catch (e) {
    if (e instanceof PolicyFileError) {
      logger.fatal({ errors: e.errors }, 'invalid policy file');
      process.stderr.write(
        `poddebug: the policy file is not valid, so the bot does not start:\n${e.message}\n`,
      );
      await bot.stop();
      process.exit(1);
    }
    throw e;
  }
  process.on('SIGHUP', () => void bot.policy()?.reload());
  const stop = async (signal: string) => {
    logger.info({ signal }, 'bot stopping');
    await bot.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

void main();
