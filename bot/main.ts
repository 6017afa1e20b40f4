import { WebClient } from '@slack/web-api';
import { createBot } from './app.js';
import { type KubeAccessCheck, kubeAccessCheck } from './auth.js';
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
  // Optional: check each request against the cluster's RBAC too (SubjectAccessReview). Loaded only when
  // configured: @kubernetes/client-node is large, and the bot otherwise holds no cluster client at all.
  let kubeAccess: KubeAccessCheck | undefined;
  if (Object.keys(process.env).some((k) => k.startsWith('ACCESS_REVIEW_'))) {
    const { AccessReviewer, accessReviewSettings, kubeConfigSource } = await import(
      './policy/access-review.js'
    );
    const { IdentityMapper, loadIdentityConfig } = await import('./policy/identity.js');
    const review = accessReviewSettings(process.env, cfg.CLUSTERS);
    if (!review.ok) {
      process.stderr.write(`${review.errors.join('\n')}\n`);
      process.exit(2);
    }
    if (review.settings) {
      const s = review.settings;
      let identity: Awaited<ReturnType<typeof loadIdentityConfig>>;
      try {
        identity = await loadIdentityConfig(s.configPath);
      } catch (e) {
        process.stderr.write(`${(e as Error).message}\n`);
        process.exit(2);
      }
      const client = new WebClient(cfg.SLACK_BOT_TOKEN, {
        ...(cfg.SLACK_API_URL ? { slackApiUrl: cfg.SLACK_API_URL } : {}),
        retryConfig: { retries: 2, maxTimeout: 1000 },
      });
      kubeAccess = kubeAccessCheck(
        new IdentityMapper(identity, client),
        new AccessReviewer({
          kubeConfigFor: kubeConfigSource({ dir: s.kubeconfigDir, inCluster: s.inCluster }),
          timeoutMs: s.timeoutMs,
        }),
      );
      logger.info({ mode: identity.mode }, 'Kubernetes RBAC check (SubjectAccessReview) on');
    }
  }
  let bot: ReturnType<typeof createBot>;
  try {
    bot = createBot(cfg, logger, { kubeAccess, defaultMetrics: true });
  } catch (e) {
    // An unreadable or wrong approval signing key: say which and stop.
    process.stderr.write(`poddebug: ${(e as Error).message}\n`);
    process.exit(2);
  }
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
    // Bounded whatever Redis or Slack do: in-flight requests keep their records in Redis, and their locks
    // expire for another replica's sweep to take them over.
    const deadline = setTimeout(() => {
      logger.warn({ timeoutMs: cfg.SHUTDOWN_TIMEOUT_MS }, 'bot stop timed out: exiting anyway');
      process.exit(1);
    }, cfg.SHUTDOWN_TIMEOUT_MS);
    deadline.unref();
    await bot.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

void main();
