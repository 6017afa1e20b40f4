import { generateKeyPairSync, type KeyObject, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { type Bot, createBot } from '../../bot/app.js';
import { type AuditKey, parseAuditKeys } from '../../bot/audit/index.js';
import type { KubeAccessCheck } from '../../bot/auth.js';
import { loadBotConfig } from '../../bot/config.js';
import { createLogger as botLogger } from '../../bot/log.js';
import { KEYS, keyIdOf, QUEUE_PREFIX, queueName } from '../../jobs/contracts/index.js';
import { connectRedis } from '../../jobs/contracts/redis-connect.js';
import { startHealthServer } from '../../jobs/health.js';
import { createKubeReader, loadKubeConfig } from '../../jobs/k8s/client.js';
import { createDebugPods } from '../../jobs/k8s/debug-pods.js';
import { createProbePods } from '../../jobs/k8s/probe-pods.js';
import { createLogger as workerLogger } from '../../jobs/log.js';
import { WorkerMetrics } from '../../jobs/metrics.js';
import { loadApprovalPublicKeys } from '../../jobs/probes/approval-keys.js';
import { createProbeSlots } from '../../jobs/probes/slots.js';
import { startWorker } from '../../jobs/worker.js';
import {
  type ContainerRuntimeOptions,
  type KubeSim,
  type NodeExecutorOptions,
  startKubeSim,
} from '../../tools/kube-sim/index.js';
import {
  type SlackDouble,
  SOCKET_MODE_APP_TOKEN,
  type SocketModeDouble,
  startSlackDouble,
  startSocketModeDouble,
} from '../../tools/slack-double/index.js';
import { deployRbacMode, rbacDenialLines } from './deploy-rbac.js';
import { removeRequestKeys, testRedisUrl } from './redis-server.js';

export const SIGNING_SECRET = 'test-signing-secret-8f2c1e';
export const BOT_TOKEN = 'xoxb-test-token';

export interface StackOptions {
  /** The cluster's name (default: a random one, so its BullMQ queue and keys are this stack's alone). */
  cluster?: string;
  fixtures?: string | string[];
  rebaseTime?: string;
  latencyMs?: number;
  /** Start a worker (default true). */
  worker?: boolean;
  /**
   * Without a worker at start: write the cluster's heartbeat anyway, as if a worker were alive (default
   * true), so that commands are queued for a worker the test starts later. false: no worker has been seen.
   */
  heartbeat?: boolean;
  /** Serve the workers' /healthz, /readyz and /metrics on a port of the stack's (workerHealthUrl). */
  workerHealth?: boolean;
  apiTimeoutMs?: number;
  jobTimeoutMs?: number;
  sweepMs?: number;
  announceGraceMs?: number;
  /** The bot's request lock (ms). */
  requestLockMs?: number;
  logLevel?: string;
  /** Worker lock duration (ms): how soon a killed worker's job is taken over. */
  lockMs?: number;
  /** Redis to use (default: the run's, REDIS_URL): fault tests pass a private one they can stop. */
  redisUrl?: string;
  /** The worker's Redis URL when it differs from the bot's (a Redis ACL user of its own). */
  workerRedisUrl?: string;
  /** redisUrl names a node of a Redis Cluster (REDIS_CLUSTER=true for bot and worker). */
  redisCluster?: boolean;
  /** The policy file's YAML; default: {@link openTestPolicy} (viewer for the test users, any channel). */
  policy?: string;
  /** The bot's clock for approvals and expiry. */
  now?: () => number;
  /** The optional Kubernetes-side check, built by the test (e.g. against this stack's simulator). */
  kubeAccess?: (sim: KubeSim, slack: SlackDouble) => KubeAccessCheck;
  /**
   * The simulator runs in RBAC mode with deploy/'s RBAC (test/support/deploy-rbac.ts): the worker is its
   * ServiceAccount, and close() fails when any request was refused with 403. true: a test that expects
   * refusals (they are still enforced, just not an error at close).
   */
  expectRbacDenials?: boolean;
  /**
   * The bot in Socket Mode (SLACK_APP_TOKEN, no signing secret): Slack's requests arrive over the Slack
   * double's WebSocket (stack.socket), not over HTTP.
   */
  socketMode?: boolean;
  /** Privileged probes: the worker gets probe deps, the simulator a node that runs probe pods locally. */
  probes?: {
    executor?: NodeExecutorOptions;
    maxPerNode?: number;
    startTimeoutMs?: number;
    namespace?: string;
  };
  /** Debug containers and copies: the worker gets their client, the simulator a runtime that runs them. */
  debug?: { runtime?: ContainerRuntimeOptions };
}

/** The probe image the stack's workers run: pinned by digest, as the worker requires. */
export const PROBE_IMAGE = `ghcr.io/example/poddebug-probe@sha256:${'7e'.repeat(32)}`;

/** Every Slack user id the integration tests act as. */
export const TEST_USERS = [
  'U0TESTUSER',
  'U0ONCALL1',
  'U0SECOND1',
  'U0DAVE',
  'U0CAROL',
  'U0ATTACK1',
  'U0ALICE',
] as const;

/** Deletes the bot's rate-limit counters (`poddebug:rl:*`) in this Redis. */
export async function removeRateLimitKeys(redis: Redis): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', 'poddebug:rl:*', 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

/** A policy that lets the test users diagnose anything from any channel (the tests of issue 2 predate policies). */
export function openTestPolicy(): string {
  return [
    'version: 1',
    'channels:',
    '  names: ["*"]',
    '  ids: [C0TESTCHAN]',
    'grants:',
    `  - users: [${TEST_USERS.join(', ')}]`,
    '    roles: [viewer]',
    '    clusters: ["*"]',
    '    namespaces: ["*"]',
    // The end-to-end tables send dozens of commands a minute as one user.
    'rateLimits:',
    '  commands:',
    '    perUser: { max: 100000, windowSeconds: 60 }',
    '    perChannel: { max: 100000, windowSeconds: 60 }',
    '',
  ].join('\n');
}

/**
 * The whole product on loopback: API simulator, Slack Web API double, the
 * bot's HTTP receiver and a worker, on a cluster name of its own so its
 * BullMQ queue and keys are this test's alone. `close()` removes them.
 */
export interface Stack {
  cluster: string;
  sim: KubeSim;
  slack: SlackDouble;
  /** With socketMode: the Slack double's WebSocket side, which delivers commands and clicks. */
  socket?: SocketModeDouble;
  bot: Bot;
  botUrl: string;
  eventsUrl: string;
  worker?: Worker;
  /** The workers' Prometheus series (all workers of the stack share them). */
  workerMetrics: WorkerMetrics;
  /** With workerHealth: the health server's base URL. */
  workerHealthUrl?: string;
  redis: Redis;
  startWorker(): Worker;
  restartBot(): Promise<void>;
  queue(): Queue;
  /** The policy file the bot watches; writePolicy replaces it (the bot reloads within ~200 ms). */
  policyPath: string;
  writePolicy(yaml: string): void;
  /** The pino audit log the bot wrote (one JSON line per event). */
  auditLogPath: string;
  auditKey: string;
  /** The audit chain's HMAC key(s) the bot writes with, and their file (AUDIT_HMAC_KEYS_FILE). */
  auditKeys: AuditKey[];
  auditKeysPath: string;
  /** This stack's approval key pair (the bot signs with it; the worker trusts only its public key). */
  approvalKey: { privateKey: KeyObject; publicKey: KeyObject; kid: string; publicKeysPath: string };
  close(): Promise<void>;
}

/** A fresh Ed25519 key pair as PEM, with its key id. */
export function approvalKeyPair(): { privateKey: KeyObject; publicKey: KeyObject; kid: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey, kid: keyIdOf(publicKey) };
}

export async function startStack(o: StackOptions = {}): Promise<Stack> {
  const cluster = o.cluster ?? `t${randomUUID().slice(0, 8)}`;
  const sim = await startKubeSim({
    fixtures: o.fixtures ?? 'test/fixtures/scenarios',
    rebaseTime: o.rebaseTime ?? '2026-11-20T10:00:00Z',
    latencyMs: o.latencyMs,
    ...deployRbacMode(),
    ...(o.probes?.executor ? { nodeExecutor: o.probes.executor } : {}),
    ...(o.debug?.runtime ? { containerRuntime: o.debug.runtime } : {}),
  });
  if (o.probes) {
    sim.put({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: o.probes.namespace ?? 'poddebug-probes',
        labels: { 'pod-security.kubernetes.io/enforce': 'privileged' },
      },
    });
  }
  const slack = await startSlackDouble({ botToken: BOT_TOKEN });
  const socket = o.socketMode ? await startSocketModeDouble(slack) : undefined;
  const redisUrl = o.redisUrl ?? testRedisUrl();
  const redisCluster = o.redisCluster ?? false;
  const redis = connectRedis({ url: redisUrl, cluster: redisCluster }, { maxRetriesPerRequest: null });
  redis.on('error', () => undefined);
  const level = o.logLevel ?? process.env.TEST_LOG_LEVEL ?? 'silent';
  // Rate-limit counters are per user and channel, and the tests reuse the same ids: start from zero.
  // (A Redis Cluster is one of the test's own, new: SCAN would see one node only.)
  if (!redisCluster) await removeRateLimitKeys(redis);
  const dir = mkdtempSync(join(tmpdir(), 'poddebug-stack-'));
  const policyPath = join(dir, 'policy.yaml');
  writeFileSync(policyPath, o.policy ?? openTestPolicy());
  const auditLogPath = join(dir, 'audit.log');
  const auditKey = `{poddebug:audit:${cluster}}`;
  // A key pair per stack: the bot signs approvals with the private key, the worker trusts only the public one.
  const keys = approvalKeyPair();
  const signingKeyPath = join(dir, 'approval-signing-key.pem');
  writeFileSync(signingKeyPath, keys.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const auditKeysPath = join(dir, 'audit-keys');
  writeFileSync(auditKeysPath, `t1:${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  const auditKeys = parseAuditKeys(readFileSync(auditKeysPath, 'utf8'));
  const publicKeysPath = join(dir, 'approval-public-keys.pem');
  writeFileSync(publicKeysPath, keys.publicKey.export({ type: 'spki', format: 'pem' }));
  const cfg = loadBotConfig({
    SLACK_BOT_TOKEN: BOT_TOKEN,
    ...(o.socketMode ? { SLACK_APP_TOKEN: SOCKET_MODE_APP_TOKEN } : { SLACK_SIGNING_SECRET: SIGNING_SECRET }),
    SLACK_API_URL: slack.apiUrl,
    PORT: '0',
    REDIS_URL: redisUrl,
    REDIS_CLUSTER: String(redisCluster),
    // The test's cluster is on loopback, in plain text: a Redis Cluster needs the plain-text opt-in anyway.
    ...(redisCluster ? { REDIS_ALLOW_PLAINTEXT: 'true' } : {}),
    CLUSTERS: cluster,
    LOG_LEVEL: level,
    POLICY_FILE: policyPath,
    POLICY_RELOAD_MS: '200',
    AUDIT_LOG_FILE: auditLogPath,
    AUDIT_STREAM_KEY: auditKey,
    APPROVAL_SIGNING_KEY_FILE: signingKeyPath,
    AUDIT_HMAC_KEYS_FILE: auditKeysPath,
  });
  const makeBot = () =>
    createBot(cfg, botLogger(level), {
      sweepMs: o.sweepMs ?? 500,
      announceGraceMs: o.announceGraceMs ?? 2000,
      ...(o.requestLockMs ? { lockMs: o.requestLockMs } : {}),
      now: o.now,
      ...(o.kubeAccess ? { kubeAccess: o.kubeAccess(sim, slack) } : {}),
    });
  let bot = makeBot();
  let port = await bot.start();
  const kc = loadKubeConfig(sim.kubeconfigPath);
  const workers: Worker[] = [];
  const workerRedisUrl = o.workerRedisUrl ?? redisUrl;
  const workerRedis = o.workerRedisUrl
    ? connectRedis({ url: o.workerRedisUrl, cluster: redisCluster }, { maxRetriesPerRequest: null })
    : redis;
  workerRedis.on('error', () => undefined);
  const probeDeps = o.probes
    ? {
        pods: createProbePods(kc, {
          namespace: o.probes.namespace ?? 'poddebug-probes',
          timeoutMs: o.apiTimeoutMs ?? 5000,
        }),
        // (With an ACL user of its own the worker's slots live where its user may write them: the real prefix.)
        slots: createProbeSlots(workerRedis, {
          prefix: o.workerRedisUrl ? 'poddebug:' : `poddebug:${cluster}:`,
          maxPerNode: o.probes.maxPerNode,
        }),
        redis: workerRedis,
        image: PROBE_IMAGE,
        approvalKeys: loadApprovalPublicKeys(publicKeysPath),
        startTimeoutMs: o.probes.startTimeoutMs ?? 10_000,
        reapEveryMs: 1000,
        ...(o.debug ? { debugPods: createDebugPods(kc, { timeoutMs: o.apiTimeoutMs ?? 5000 }) } : {}),
      }
    : undefined;
  const workerMetrics = new WorkerMetrics({ cluster });
  if (o.worker === false && o.heartbeat !== false) {
    await redis.set(KEYS.heartbeat(cluster), 'stack', 'PX', 600_000);
  }
  const health = o.workerHealth
    ? await startHealthServer({ port: 0, host: '127.0.0.1', ready: () => true, metrics: workerMetrics })
    : undefined;
  const start = () => {
    const w = startWorker({
      cluster,
      redisUrl: workerRedisUrl,
      redisCluster,
      reader: () =>
        createKubeReader(kc, { timeoutMs: o.apiTimeoutMs ?? 5000, observe: workerMetrics.observeApi }),
      logger: workerLogger(level),
      metrics: workerMetrics,
      concurrency: 4,
      jobTimeoutMs: o.jobTimeoutMs ?? 20_000,
      logTailLines: 200,
      logLimitBytes: 65_536,
      lockMs: o.lockMs,
      ...(probeDeps ? { probes: probeDeps } : {}),
    });
    workers.push(w);
    return w;
  };
  const stack: Stack = {
    cluster,
    sim,
    slack,
    ...(socket ? { socket } : {}),
    bot,
    get botUrl() {
      return `http://127.0.0.1:${port}`;
    },
    get eventsUrl() {
      return `http://127.0.0.1:${port}/slack/events`;
    },
    worker: o.worker === false ? undefined : start(),
    workerMetrics,
    ...(health ? { workerHealthUrl: `http://127.0.0.1:${health.port}` } : {}),
    redis,
    startWorker: () => {
      const w = start();
      stack.worker = w;
      return w;
    },
    async restartBot() {
      await bot.stop();
      bot = makeBot();
      stack.bot = bot;
      port = await bot.start();
    },
    queue: () => new Queue(queueName(cluster), { connection: redis, prefix: QUEUE_PREFIX }),
    policyPath,
    writePolicy: (yaml: string) => writeFileSync(policyPath, yaml),
    auditLogPath,
    auditKey,
    auditKeys,
    auditKeysPath,
    approvalKey: { ...keys, publicKeysPath },
    async close() {
      await Promise.all(workers.map((w) => w.close(true).catch(() => undefined)));
      await health?.close();
      await bot.stop();
      const q = stack.queue();
      await q.obliterate({ force: true }).catch(() => undefined);
      await q.close();
      if (!redisCluster) {
        await removeRequestKeys(redis, cluster).catch(() => undefined);
        await removeRateLimitKeys(redis).catch(() => undefined);
      }
      await redis.del(KEYS.heartbeat(cluster)).catch(() => undefined);
      await redis.del(auditKey, `${auditKey}:head`).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
      const denied = rbacDenialLines(sim);
      await sim.close();
      await socket?.close();
      await slack.close();
      if (workerRedis !== redis) workerRedis.disconnect();
      redis.disconnect();
      if (denied.length > 0 && !o.expectRbacDenials)
        throw new Error(`deploy/'s RBAC refused the worker or bot:\n${denied.join('\n')}`);
    },
  };
  if (stack.worker) {
    // The worker's first heartbeat follows its connection's 'ready': wait for it, or the first command
    // could be refused as "no worker seen".
    for (let i = 0; i < 100 && !(await redis.exists(KEYS.heartbeat(cluster))); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return stack;
}
