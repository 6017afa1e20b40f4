import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, type CustomRoute } from '@slack/bolt';
import { Redis } from 'ioredis';
import type { BotConfig } from './config.js';
import { register as registerRerun } from './listeners/actions/rerun.js';
import { type CommandDeps, register as registerCommand } from './listeners/commands/poddebug.js';
import { boltLogger, type Logger } from './log.js';
import { Queues } from './queues.js';
import { ResultPoster } from './results.js';
import { RequestStore } from './store.js';

export interface Bot {
  app: App;
  poster: ResultPoster;
  /** Starts listening; resolves to the HTTP port (the receiver's, or the health server's in Socket Mode). */
  start(): Promise<number>;
  stop(): Promise<void>;
}

export interface BotOptions {
  /** Override sweep timings (tests). */
  sweepMs?: number;
  announceGraceMs?: number;
}

/** The composition root: the only place that wires Slack, Redis and the listeners together. */
export function createBot(cfg: BotConfig, logger: Logger, opts: BotOptions = {}): Bot {
  // Fail fast while Redis is down: commands get a clear answer inside Slack's 3 s, and
  // ioredis reconnects on its own when Redis is back.
  const redis = new Redis(cfg.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  redis.on('error', (err) => logger.debug({ err: err.message }, 'redis connection error'));
  // BullMQ's own connection queues commands until Redis is up (so queues initialise whenever it
  // comes), and gives up on a command after one failed reconnect.
  const queueRedis = new Redis(cfg.REDIS_URL, { maxRetriesPerRequest: 1 });
  queueRedis.on('error', (err) => logger.debug({ err: err.message }, 'redis queue connection error'));
  const eventConnections: Redis[] = [];
  const queues = new Queues(queueRedis, redis, cfg.CLUSTERS, cfg.ENQUEUE_TIMEOUT_MS);
  const store = new RequestStore(redis);

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
      path: '/readyz',
      method: ['GET'],
      handler: (_req, res) => {
        void queues.ping().then((ok) => {
          res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
          res.end(ok ? 'ready' : 'redis unreachable');
        });
      },
    },
  ];
  const socketMode = Boolean(cfg.SLACK_APP_TOKEN);
  const app = new App({
    token: cfg.SLACK_BOT_TOKEN,
    ...(socketMode
      ? { socketMode: true, appToken: cfg.SLACK_APP_TOKEN }
      : { signingSecret: cfg.SLACK_SIGNING_SECRET, customRoutes: health }),
    logger: boltLogger(logger),
    clientOptions: {
      ...(cfg.SLACK_API_URL ? { slackApiUrl: cfg.SLACK_API_URL } : {}),
      // 429s are waited out (Retry-After) rather than dropped: nothing posted is lost.
      rejectRateLimitedCalls: false,
    },
  });

  const poster = new ResultPoster({
    store,
    queues,
    client: app.client,
    logger,
    eventsConnection: () => {
      const c = new Redis(cfg.REDIS_URL, { maxRetriesPerRequest: null });
      c.on('error', (err) => logger.debug({ err: err.message }, 'redis events connection error'));
      eventConnections.push(c);
      return c;
    },
    sweepMs: opts.sweepMs,
    announceGraceMs: opts.announceGraceMs,
  });

  const deps: CommandDeps = {
    grammar: { clusters: cfg.CLUSTERS, defaultCluster: cfg.CLUSTERS[0]! },
    queues,
    store,
    poster,
    logger,
    enqueueTimeoutMs: cfg.ENQUEUE_TIMEOUT_MS,
  };
  registerCommand(app, deps);
  registerRerun(app, deps);
  app.error(async (err) => {
    logger.error({ err }, 'unhandled error in a listener');
  });

  let healthServer: Server | undefined;
  return {
    app,
    poster,
    async start() {
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
      await poster
        .start()
        .catch((err) => logger.warn({ err }, 'result poster start: will retry on the next sweep'));
      logger.info({ port, socketMode, clusters: cfg.CLUSTERS }, 'bot started');
      return port;
    },
    async stop() {
      await poster.stop().catch(() => undefined);
      await app.stop().catch(() => undefined);
      await new Promise<void>((r) => (healthServer ? healthServer.close(() => r()) : r()));
      await queues.close().catch(() => undefined);
      for (const c of eventConnections) c.disconnect();
      queueRedis.disconnect();
      redis.disconnect();
    },
  };
}
