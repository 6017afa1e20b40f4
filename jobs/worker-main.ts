import { Redis } from 'ioredis';
import { loadWorkerConfig } from './config.js';
import { createKubeReader, loadKubeConfig } from './k8s/client.js';
import { createProbePods } from './k8s/probe-pods.js';
import { createLogger } from './log.js';
import { loadApprovalPublicKeys } from './probes/approval-keys.js';
import { targetResolver } from './probes/resolve-target.js';
import { createProbeSlots } from './probes/slots.js';
import { startWorker } from './worker.js';

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
  const kc = loadKubeConfig(cfg.KUBECONFIG);
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
    probeRedis = new Redis(cfg.REDIS_URL, { maxRetriesPerRequest: 3 });
    probeRedis.on('error', (err) => logger.debug({ err: err.message }, 'redis connection error'));
  }
  const worker = startWorker({
    cluster: cfg.CLUSTER,
    redisUrl: cfg.REDIS_URL,
    reader: () => createKubeReader(kc, { timeoutMs: cfg.API_TIMEOUT_MS }),
    logger,
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
            ...(cfg.CRI_SOCKET ? { criSocket: cfg.CRI_SOCKET } : {}),
          },
        }
      : {}),
  });
  logger.info(
    { cluster: cfg.CLUSTER, server: kc.getCurrentCluster()?.server, concurrency: cfg.WORKER_CONCURRENCY },
    'worker started',
  );
  const stop = async (signal: string) => {
    logger.info({ signal }, 'worker stopping: finishing running jobs');
    await worker.close();
    probeRedis?.disconnect();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

void main();
