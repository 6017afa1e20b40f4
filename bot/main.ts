import { createBot } from './app.js';
import { loadBotConfig } from './config.js';
import { createLogger } from './log.js';

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
  await bot.start();
  const stop = async (signal: string) => {
    logger.info({ signal }, 'bot stopping');
    await bot.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

void main();
