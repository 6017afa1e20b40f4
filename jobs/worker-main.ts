import type { Redis } from 'ioredis';
import { loadWorkerConfig } from './config.js';
import { connectRedis } from './contracts/redis-connect.js';
import { ApiReadiness, apiServerVersion, startHealthServer } from './health.js';
import { createKubeReader, loadKubeConfig } from './k8s/client.js';
import { createDebugPods } from './k8s/debug-pods.js';
import { createProbePods } from './k8s/probe-pods.js';
import { createLogger } from './log.js';
import { WorkerMetrics } from './metrics.js';
import { loadApprovalPublicKeys } from './probes/approval-keys.js';
import { targetResolver } from './probes/resolve-target.js';
import { createProbeSlots } from './probes/slots.js';
import { startWorker } from './worker.js';

/** Exit codes: 2 bad configuration (env or kubeconfig), 3 the API server not reached at start. */
function refuse(code: number, message: string): never {
  process.stderr.write(`poddebug worker: ${message}\n`);
  process.exit(code);
}

/** Worker process: holds this cluster's credentials, no Slack credentials. */
async function main(): Promise<void> {
  let cfg: ReturnType<typeof loadWorkerConfig>;
  try {
    cfg = loadWorkerConfig();
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(2);
  }
  const logger = createLogger(cfg.LOG_LEVEL);
  let kc: ReturnType<typeof loadKubeConfig>;
  try {
    kc = loadKubeConfig(cfg.KUBECONFIG);
  } catch (e) {
    refuse(2, `no valid cluster configuration, so the worker does not start: ${(e as Error).message}`);
  }
  const server = kc.getCurrentCluster()?.server;
  const metrics = new WorkerMetrics({ cluster: cfg.CLUSTER, defaultMetrics: true });
  // The API server must answer before the worker takes any job: a wrong or unreachable cluster stops it here
  // with the reason, instead of failing every job later.
  const readiness = new ApiReadiness(() => apiServerVersion(kc, cfg.API_TIMEOUT_MS), {
    everyMs: 30_000,
    logger,
    metrics,
  });
  try {
    await readiness.start();
  } catch (e) {
    refuse(3, `the API server at ${server} did not answer /version: ${(e as Error).message}`);
  }
  let health: Awaited<ReturnType<typeof startHealthServer>>;
  try {
    health = await startHealthServer({
      port: cfg.WORKER_HEALTH_PORT,
      ready: () => readiness.ready(),
      metrics,
    });
  } catch (e) {
    refuse(2, `cannot listen on WORKER_HEALTH_PORT ${cfg.WORKER_HEALTH_PORT}: ${(e as Error).message}`);
  }
  let approvalKeys: ReturnType<typeof loadApprovalPublicKeys> | undefined;
  if (cfg.APPROVAL_PUBLIC_KEYS_FILE) {
    try {
      approvalKeys = loadApprovalPublicKeys(cfg.APPROVAL_PUBLIC_KEYS_FILE);
    } catch (e) {
      process.stderr.write(`invalid worker configuration:\n  ${(e as Error).message}\n`);
      process.exit(2);
    }
    logger.info({ kids: [...approvalKeys.keys()] }, 'approval public keys loaded');
  }
  let probeRedis: Redis | undefined;
  if (cfg.PROBE_IMAGE) {
    probeRedis = connectRedis(
      { url: cfg.REDIS_URL, cluster: cfg.REDIS_CLUSTER === 'true' },
      { maxRetriesPerRequest: 3 },
    );
    probeRedis.on('error', (err) => logger.debug({ err: err.message }, 'redis connection error'));
  }
  const worker = startWorker({
    cluster: cfg.CLUSTER,
    redisUrl: cfg.REDIS_URL,
    redisCluster: cfg.REDIS_CLUSTER === 'true',
    reader: () => createKubeReader(kc, { timeoutMs: cfg.API_TIMEOUT_MS, observe: metrics.observeApi }),
    logger,
    metrics,
    concurrency: cfg.WORKER_CONCURRENCY,
    jobTimeoutMs: cfg.JOB_TIMEOUT_MS,
    logTailLines: cfg.LOG_TAIL_LINES,
    logLimitBytes: cfg.LOG_LIMIT_BYTES,
    lockMs: cfg.WORKER_LOCK_MS,
    ...(cfg.PROBE_IMAGE && probeRedis && approvalKeys
      ? {
          probes: {
            pods: createProbePods(kc, { namespace: cfg.PROBE_NAMESPACE, timeoutMs: cfg.API_TIMEOUT_MS }),
            slots: createProbeSlots(probeRedis, { maxPerNode: cfg.PROBE_MAX_PER_NODE }),
            redis: probeRedis,
            image: cfg.PROBE_IMAGE,
            approvalKeys,
            resolveName: targetResolver(),
            startTimeoutMs: cfg.PROBE_START_TIMEOUT_MS,
            debugPods: createDebugPods(kc, { timeoutMs: cfg.API_TIMEOUT_MS }),
            ...(cfg.CRI_SOCKET ? { criSocket: cfg.CRI_SOCKET } : {}),
          },
        }
      : {}),
  });
  logger.info(
    { cluster: cfg.CLUSTER, server, concurrency: cfg.WORKER_CONCURRENCY, healthPort: health.port },
    'worker started',
  );
  const stop = async (signal: string) => {
    logger.info({ signal }, 'worker stopping: finishing running jobs');
    // Bounded whatever Redis does: running jobs get SHUTDOWN_TIMEOUT_MS (within the pod's grace period) to
    // finish; a job still running then keeps its lock until it expires and another worker takes it over.
    const deadline = setTimeout(() => {
      logger.warn({ timeoutMs: cfg.SHUTDOWN_TIMEOUT_MS }, 'worker stop timed out: exiting anyway');
      process.exit(1);
    }, cfg.SHUTDOWN_TIMEOUT_MS);
    deadline.unref();
    readiness.stop();
    await worker.close().catch((err: unknown) => logger.warn({ err }, 'worker close failed'));
    probeRedis?.disconnect();
    await health.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

void main();
