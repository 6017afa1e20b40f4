import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, type CustomRoute, HTTPReceiver } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { withDeadline } from '../jobs/contracts/deadline.js';
import { connectRedis } from '../jobs/contracts/redis-connect.js';
import { loadApprovalSigner } from './approval-signer.js';
import { AuditLog, AuditStream, createAuditLogger } from './audit/index.js';
import { loadAuditKeys } from './audit/keys.js';
import { Authorizer, type KubeAccessCheck } from './auth.js';
import type { BotConfig } from './config.js';
import { guardReceiver } from './http-edge.js';
import { register as registerApproval } from './listeners/actions/approval.js';
import { register as registerFollowUp } from './listeners/actions/follow-up.js';
import { register as registerRerun } from './listeners/actions/rerun.js';
import { type CommandDeps, register as registerCommand } from './listeners/commands/poddebug.js';
import { register as registerProbeViews } from './listeners/views/probe.js';
import { boltLogger, type Logger } from './log.js';
import { BotMetrics } from './metrics.js';
import { PolicyWatcher, RateLimits, UserGroups } from './policy/index.js';
import { Queues } from './queues.js';
import { createRequests, type Requests } from './requests/index.js';

export interface Bot {
  app: App;
  requests: Requests;
  /** The policy in force (after start()). */
  policy(): PolicyWatcher | undefined;
  /** Prometheus series, served on /metrics. */
  metrics: BotMetrics;
  /** Starts listening; resolves to the HTTP port (the receiver's, or the health server's in Socket Mode). */
  start(): Promise<number>;
  stop(): Promise<void>;
}

export interface BotOptions {
  /** Override sweep timings (tests). */
  sweepMs?: number;
  announceGraceMs?: number;
  /** How long a request lock lives without renewal (ms); also the grace before the sweep writes due audit entries. */
  lockMs?: number;
  /** The optional Kubernetes-side check (SubjectAccessReview); absent: off. */
  kubeAccess?: KubeAccessCheck;
  /** A clock for approvals and expiry (tests). */
  now?: () => number;
  /** Also export the process's default metrics (CPU, memory, event loop): the bot process does. */
  defaultMetrics?: boolean;
}

/** The composition root: the only place that wires Slack, Redis and the listeners together. */
export function createBot(cfg: BotConfig, logger: Logger, opts: BotOptions = {}): Bot {
  // A key that cannot be read stops start-up here, naming the variable.
  const signer = cfg.APPROVAL_SIGNING_KEY_FILE
    ? loadApprovalSigner(cfg.APPROVAL_SIGNING_KEY_FILE)
    : undefined;
  if (!signer) logger.warn('APPROVAL_SIGNING_KEY_FILE is not set: approved probes will fail, unsigned');
  const auditKeys = cfg.AUDIT_HMAC_KEYS_FILE ? loadAuditKeys(cfg.AUDIT_HMAC_KEYS_FILE) : undefined;
  if (!auditKeys)
    logger.warn('AUDIT_HMAC_KEYS_FILE is not set: the audit chain is unkeyed (rewritable whole)');
  // Fail fast while Redis is down: commands get a clear answer inside Slack's 3 s, and
  // ioredis reconnects on its own when Redis is back.
  // Reconnect within about a second once Redis is back (ioredis's default backs off to 2 s and more).
  const retryStrategy = (times: number) => Math.min(100 * times, 1000);
  const target = { url: cfg.REDIS_URL, cluster: cfg.REDIS_CLUSTER === 'true' };
  const redis = connectRedis(target, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy,
  });
  redis.on('error', (err) => logger.debug({ err: err.message }, 'redis connection error'));
  // BullMQ's own connection queues commands until Redis is up (so queues initialise whenever it
  // comes), and gives up on a command after one failed reconnect (on one server; on a Redis Cluster a
  // command waits until the cluster is back, so every use outside the enqueue is bounded: Queues.bounded).
  const queueRedis = connectRedis(target, { maxRetriesPerRequest: 1, retryStrategy });
  queueRedis.on('error', (err) => logger.debug({ err: err.message }, 'redis queue connection error'));
  const eventConnections: Redis[] = [];
  const queues = new Queues(queueRedis, redis, cfg.CLUSTERS, cfg.ENQUEUE_TIMEOUT_MS, logger);
  const metrics = new BotMetrics({ defaultMetrics: opts.defaultMetrics });
  metrics.queueGauges({
    queues: () => queues.entries(),
    workerAlive: (c) => queues.workerAlive(c),
    redisUp: () => queues.ping(),
    timeoutMs: 1000,
  });
  let watcher: PolicyWatcher | undefined;

  const health: CustomRoute[] = [
    {
      path: '/healthz',
      method: ['GET'],
      handler: (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok');
      },
    },
    {
      // Ready = the process answers and a valid policy is loaded. Not Redis: during a Redis outage the bot
      // stays in the Service and answers users itself ("Redis is unavailable"); poddebug_redis_up shows it.
      path: '/readyz',
      method: ['GET'],
      handler: (_req, res) => {
        const ok = watcher !== undefined;
        res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
        res.end(ok ? 'ready' : 'policy not loaded');
      },
    },
    {
      path: '/metrics',
      method: ['GET'],
      handler: (_req, res) => {
        metrics.registry.metrics().then(
          (body) => {
            res.writeHead(200, { 'content-type': metrics.registry.contentType });
            res.end(body);
          },
          () => {
            res.writeHead(500);
            res.end();
          },
        );
      },
    },
  ];
  const socketMode = Boolean(cfg.SLACK_APP_TOKEN);
  const receiver = socketMode ? undefined : edgeReceiver(cfg.SLACK_SIGNING_SECRET ?? '', health, logger);
  const app = new App({
    token: cfg.SLACK_BOT_TOKEN,
    ...(socketMode
      ? {
          socketMode: true,
          appToken: cfg.SLACK_APP_TOKEN,
          // Socket Mode's own client (apps.connections.open) takes its options from installerOptions.
          ...(cfg.SLACK_API_URL
            ? { installerOptions: { clientOptions: { slackApiUrl: cfg.SLACK_API_URL } } }
            : {}),
        }
      : { receiver }),
    logger: boltLogger(logger),
    clientOptions: {
      ...(cfg.SLACK_API_URL ? { slackApiUrl: cfg.SLACK_API_URL } : {}),
      // 429s are waited out (Retry-After) rather than dropped: nothing posted is lost.
      rejectRateLimitedCalls: false,
    },
  });

  let clockOffsetMs = 0;
  const calibrateClock = async () => {
    try {
      const t0 = Date.now();
      const [sec, usec] = await redis.time();
      const t1 = Date.now();
      clockOffsetMs = Number(sec) * 1000 + Math.floor(Number(usec) / 1000) - Math.round((t0 + t1) / 2);
    } catch {
      // Redis down: keep the last offset
    }
  };
  let clockTimer: NodeJS.Timeout | undefined;
  const policy = () => {
    if (!watcher) throw new Error('policy not loaded yet');
    return watcher.current();
  };
  const groups = new UserGroups({ client: app.client, ttlMs: cfg.GROUP_CACHE_MS, logger });
  const auth = new Authorizer({
    policy,
    groups,
    rateLimits: new RateLimits(redis),
    kubeAccess: opts.kubeAccess,
  });
  const auditLogger = createAuditLogger(
    cfg.AUDIT_LOG_FILE ? pino.destination({ dest: cfg.AUDIT_LOG_FILE, sync: true }) : undefined,
  );
  const audit = new AuditLog(
    new AuditStream(redis, { key: cfg.AUDIT_STREAM_KEY, logger, ...(auditKeys ? { keys: auditKeys } : {}) }),
    auditLogger,
  );
  let checkpointTimer: NodeJS.Timeout | undefined;
  metrics.instrumentAudit(audit);
  metrics.instrumentSlack(app.client);
  const quickClient = new WebClient(cfg.SLACK_BOT_TOKEN, {
    ...(cfg.SLACK_API_URL ? { slackApiUrl: cfg.SLACK_API_URL } : {}),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 5000,
    logger: boltLogger(logger),
  });
  const postClient = new WebClient(cfg.SLACK_BOT_TOKEN, {
    ...(cfg.SLACK_API_URL ? { slackApiUrl: cfg.SLACK_API_URL } : {}),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 30_000,
    logger: boltLogger(logger),
  });
  metrics.instrumentSlack(quickClient);
  metrics.instrumentSlack(postClient);
  const requests = createRequests({
    redis,
    queues,
    client: app.client,
    // Progress updates get one attempt: a retried one could outlive its lock and land after the final state.
    quickClient,
    // New messages: never resent by the client after an answer that may have been lost (see thread.ts).
    postClient,
    auditLog: audit,
    auth,
    logger,
    // Expiry and start-by follow Redis's clock (calibrated every minute), so replicas and workers agree.
    now: opts.now ?? (() => Date.now() + clockOffsetMs),
    eventsConnection: () => {
      const c = connectRedis(target, { maxRetriesPerRequest: null, retryStrategy });
      c.on('error', (err) => logger.debug({ err: err.message }, 'redis events connection error'));
      eventConnections.push(c);
      return c;
    },
    enqueueTimeoutMs: cfg.ENQUEUE_TIMEOUT_MS,
    ...(signer ? { signer } : {}),
    sweepMs: opts.sweepMs,
    announceGraceMs: opts.announceGraceMs,
    lockMs: opts.lockMs,
  });

  const deps: CommandDeps = {
    grammar: { clusters: cfg.CLUSTERS, defaultCluster: cfg.CLUSTERS[0]! },
    logger,
    enqueueTimeoutMs: cfg.ENQUEUE_TIMEOUT_MS,
    auth,
    requests,
    client: app.client,
    metrics,
    workerAlive: (cluster) => queues.workerAlive(cluster),
  };
  registerCommand(app, deps);
  registerRerun(app, deps);
  registerFollowUp(app, deps);
  registerApproval(app, { requests, logger });
  registerProbeViews(app, { auth, requests, logger });
  app.error(async (err) => {
    logger.error({ err }, 'unhandled error in a listener');
  });

  let healthServer: Server | undefined;
  return {
    app,
    requests,
    policy: () => watcher,
    metrics,
    async start() {
      // No policy, no bot: an invalid file stops start-up with file:line and the reason.
      watcher = await PolicyWatcher.start(cfg.POLICY_FILE, { intervalMs: cfg.POLICY_RELOAD_MS, logger });

      // Wait briefly for Redis so the first commands after start-up are not refused needlessly;
      // if it is down, start anyway: commands get a clear answer and the sweep catches up later.
      if (redis.status !== 'ready') {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 5000);
          redis.once('ready', () => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      await calibrateClock();
      clockTimer = setInterval(() => void calibrateClock(), 60_000);
      clockTimer.unref();
      // Keyed checkpoints, so that a truncated tail of the audit chain shows (docs/audit.md).
      if (auditKeys) {
        void audit.checkpoint();
        checkpointTimer = setInterval(() => void audit.checkpoint(), cfg.AUDIT_CHECKPOINT_MS);
        checkpointTimer.unref();
      }
      let port: number;
      if (socketMode) {
        await app.start();
        healthServer = createServer((req, res) => {
          const route = health.find((h) => h.path === req.url);
          if (route) route.handler(req as never, res as never);
          else {
            res.writeHead(404);
            res.end();
          }
        });
        await new Promise<void>((r) => healthServer!.listen(cfg.PORT, r));
        port = (healthServer.address() as AddressInfo).port;
      } else {
        const server = (await app.start(cfg.PORT)) as Server;
        port = (server.address() as AddressInfo).port;
      }
      await requests.engine
        .start()
        .catch((err: unknown) => logger.warn({ err }, 'request engine start: will retry on the next sweep'));
      logger.info({ port, socketMode, clusters: cfg.CLUSTERS }, 'bot started');
      return port;
    },
    async stop() {
      watcher?.stop();
      clearInterval(clockTimer);
      clearInterval(checkpointTimer);
      await app.stop().catch(() => undefined);
      await requests.engine.stop().catch(() => undefined);
      await new Promise<void>((r) => (healthServer ? healthServer.close(() => r()) : r()));
      // Queue.close() waits for Redis: bounded, then every connection is closed whatever Redis does.
      await withDeadline(queues.close(), 2000).catch(() => undefined);
      for (const c of eventConnections) c.disconnect();
      queueRedis.disconnect();
      redis.disconnect();
    },
  };
}

/** Bolt's HTTP receiver behind the edge checks (timestamp both ways, body shape: bot/http-edge.ts). */
function edgeReceiver(signingSecret: string, customRoutes: CustomRoute[], logger: Logger): HTTPReceiver {
  const endpoints = ['/slack/events'];
  const receiver = new HTTPReceiver({ signingSecret, endpoints, customRoutes, logger: boltLogger(logger) });
  guardReceiver(receiver, { signingSecret, endpoints, logger });
  return receiver;
}
