import { z } from 'zod';
import { isClusterName, parseEnv, redisUrlProblem } from '../jobs/contracts/index.js';
import { auditKeyProblem } from './audit/stream.js';

/**
 * Bot configuration, parsed once from the environment; every option with its
 * default. The bot holds Slack credentials and no cluster credentials.
 */
const BotEnvSchema = z
  .object({
    /** Bot token (xoxb-…). Required. */
    SLACK_BOT_TOKEN: z.string().regex(/^xoxb-/, 'must be a bot token starting with xoxb-'),
    /** Signing secret; required in HTTP mode (no SLACK_APP_TOKEN). */
    SLACK_SIGNING_SECRET: z.string().min(8).optional(),
    /** App-level token (xapp-…); when set, the bot uses Socket Mode and needs no public URL. */
    SLACK_APP_TOKEN: z
      .string()
      .regex(/^xapp-/, 'must be an app-level token starting with xapp-')
      .optional(),
    /** Web API base URL. Default https://slack.com/api/ (tests and GovSlack override it). */
    SLACK_API_URL: z.url().optional(),
    /** HTTP port: /slack/events, /healthz, /readyz. Default 3000. */
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    /** Redis shared with the workers. Default redis://127.0.0.1:6379. */
    REDIS_URL: z.url().default('redis://127.0.0.1:6379'),
    /** `true`: allow a plain redis:// URL to a host other than loopback. Default false. */
    REDIS_ALLOW_PLAINTEXT: z.enum(['true', 'false']).default('false'),
    /** `true`: REDIS_URL names a node of a Redis Cluster (the others are discovered). Default false. */
    REDIS_CLUSTER: z.enum(['true', 'false']).default('false'),
    /** How long SIGTERM waits for in-flight work before the process exits anyway (ms). Default 25000. */
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(25_000),
    /** Cluster names, comma-separated; the first is the default for commands without --cluster. */
    CLUSTERS: z
      .string()
      .default('default')
      .transform((s) =>
        s
          .split(',')
          .map((c) => c.trim())
          .filter(Boolean),
      )
      .refine(
        (l) => l.length > 0 && l.every(isClusterName),
        'comma-separated DNS-1123 labels, e.g. prod-eu,prod-us',
      ),
    /** How long a Redis enqueue may take before the user is told the queue is unavailable (ms). Default 1500. */
    ENQUEUE_TIMEOUT_MS: z.coerce.number().int().min(100).max(2500).default(1500),
    /** The policy file (YAML): who may run what, where. Required: without it nothing is allowed. */
    POLICY_FILE: z.string().min(1, 'the path of the policy file (see bot/policy/example.yaml)'),
    /** How often the policy file is re-read (ms). Default 2000. */
    POLICY_RELOAD_MS: z.coerce.number().int().min(100).max(600_000).default(2000),
    /** Where audit events go besides the Redis stream: a file path, or stdout when unset. */
    AUDIT_LOG_FILE: z.string().optional(),
    /**
     * Redis stream of the hash-chained audit trail, with a hash tag (its head and once-markers share its
     * Redis Cluster slot). Default {poddebug:audit}.
     */
    AUDIT_STREAM_KEY: z
      .string()
      .min(1)
      .default('{poddebug:audit}')
      .superRefine((k, ctx) => {
        const problem = auditKeyProblem(k);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
    /**
     * The bot's Ed25519 private key (PEM, PKCS#8) that signs approved probe runs; mount it from a Secret only
     * the bot reads. Unset: approved probes fail (workers run only signed approvals).
     */
    APPROVAL_SIGNING_KEY_FILE: z.string().min(1).optional(),
    /**
     * The audit chain's HMAC keys: a file of `<kid>:<base64 secret>` lines (the first writes; all verify).
     * Unset: an unkeyed sha256 chain, which anyone who can write to Redis can rewrite whole.
     */
    AUDIT_HMAC_KEYS_FILE: z.string().min(1).optional(),
    /** How often a keyed checkpoint is appended to the audit stream (ms). Default 300000. */
    AUDIT_CHECKPOINT_MS: z.coerce.number().int().min(1000).max(86_400_000).default(300_000),
    /** Slack user groups are cached this long (ms). Default 300000. */
    GROUP_CACHE_MS: z.coerce.number().int().min(0).default(300_000),
    /** pino level. Default info. */
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .refine((e) => e.SLACK_APP_TOKEN || e.SLACK_SIGNING_SECRET, {
    message: 'set SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode)',
    path: ['SLACK_SIGNING_SECRET'],
  })
  .superRefine((e, ctx) => {
    const problem = redisUrlProblem(
      e.REDIS_URL,
      e.REDIS_ALLOW_PLAINTEXT === 'true',
      e.REDIS_CLUSTER === 'true',
    );
    if (problem) ctx.addIssue({ code: 'custom', path: ['REDIS_URL'], message: problem });
  });

export type BotConfig = z.infer<typeof BotEnvSchema>;

/** Parses the environment; throws one error naming every bad or missing variable (never their values). */
export function loadBotConfig(env: NodeJS.ProcessEnv = process.env): BotConfig {
  return parseEnv(BotEnvSchema, env, 'bot');
}
