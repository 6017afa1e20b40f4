import { z } from 'zod';
import { isClusterName, isDigestPinned, parseEnv, redisUrlProblem } from './contracts/index.js';

/**
 * Worker configuration, parsed once from the environment. Each option is
 * documented with its default (after bullmq's worker-options).
 */
const WorkerEnvSchema = z
  .object({
    /** Name of the cluster this worker serves; its queue is `poddebug-<CLUSTER>`. Required. */
    CLUSTER: z.string().refine(isClusterName, 'must be a DNS-1123 label, e.g. prod-eu'),
    /** Redis that bot and workers share (rediss:// for TLS; user:password@ for an ACL user). Default redis://127.0.0.1:6379. */
    REDIS_URL: z.url().default('redis://127.0.0.1:6379'),
    /** `true`: allow a plain redis:// URL to a host other than loopback. Default false. */
    REDIS_ALLOW_PLAINTEXT: z.enum(['true', 'false']).default('false'),
    /** `true`: REDIS_URL names a node of a Redis Cluster (the others are discovered). Default false. */
    REDIS_CLUSTER: z.enum(['true', 'false']).default('false'),
    /** Port of /healthz, /readyz (the API server answers /version) and /metrics. Default 8081. */
    WORKER_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(8081),
    /** How long SIGTERM waits for running jobs before the process exits anyway (ms). Default 70000. */
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(70_000),
    /** Path to a kubeconfig; unset: in-cluster config, then ~/.kube/config. */
    KUBECONFIG: z.string().optional(),
    /** Jobs this worker runs at once. Default 4, 1–64. */
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
    /** Hard limit for one job, in ms. Default 60000. */
    JOB_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(60_000),
    /** Lock on a running job (ms); a killed worker's job is taken over after about this long. Default 30000. */
    WORKER_LOCK_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
    /** Timeout of one API request, in ms. Default 10000. */
    API_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
    /** Log lines fetched per container (tailLines). Default 200. */
    LOG_TAIL_LINES: z.coerce.number().int().min(1).max(5000).default(200),
    /** Bytes fetched per container log at most (limitBytes). Default 65536. */
    LOG_LIMIT_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(10 * 1024 * 1024)
      .default(65_536),
    /**
     * The probe image probe pods run (the Dockerfile's `probe` target: the probe program, strace, tcpdump,
     * nsenter), pinned by digest (`NAME@sha256:<64 hex>`): a tag could move under pods that run as root on
     * the nodes. Unset: probes are refused.
     */
    PROBE_IMAGE: z
      .string()
      .min(1)
      .refine(isDigestPinned, {
        message:
          'must be pinned by digest (e.g. ghcr.io/example/poddebug-probe@sha256:<64 hex digits>), not a tag: probe pods run as root on the nodes, so their image must not be able to change. Set the digest with `images: [{name: ghcr.io/example/poddebug-probe, digest: sha256:…}]` in your overlay',
      })
      .optional(),
    /** Namespace of probe pods, labelled pod-security.kubernetes.io/enforce=privileged. Default poddebug-probes. */
    PROBE_NAMESPACE: z.string().default('poddebug-probes'),
    /** Probes at once on one node, across all workers. Default 2. */
    PROBE_MAX_PER_NODE: z.coerce.number().int().min(1).max(20).default(2),
    /** How long a probe pod may stay Pending before the probe is abandoned (ms). Default 30000. */
    PROBE_START_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
    /** Host path of the CRI socket to cross-check the container's PID (e.g. /run/containerd/containerd.sock). */
    CRI_SOCKET: z.string().optional(),
    /**
     * The bot's approval public key(s): a PEM file (one or more Ed25519 `BEGIN PUBLIC KEY` blocks) or a
     * directory of `*.pem` files. Probe runs whose approval is not signed by one of them are refused. Required
     * with PROBE_IMAGE.
     */
    APPROVAL_PUBLIC_KEYS_FILE: z.string().min(1).optional(),
    /** pino level. Default info. */
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .refine((e) => !e.PROBE_IMAGE || e.APPROVAL_PUBLIC_KEYS_FILE, {
    message:
      "required with PROBE_IMAGE: the bot's approval public key(s), or the worker would have no way to tell an approved probe from a forged one",
    path: ['APPROVAL_PUBLIC_KEYS_FILE'],
  });

export type WorkerConfig = z.infer<typeof WorkerEnvSchema>;

/** Parses the environment; throws one error naming every bad or missing variable. */
export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const cfg = parseEnv(WorkerEnvSchema, env, 'worker');
  const problem = redisUrlProblem(
    cfg.REDIS_URL,
    cfg.REDIS_ALLOW_PLAINTEXT === 'true',
    cfg.REDIS_CLUSTER === 'true',
  );
  if (problem) throw new Error(`invalid worker configuration:\n  REDIS_URL: ${problem}`);
  return cfg;
}
