/** The bench's options, sizes, targets and the processes it starts (bench.ts says what it measures). */
import type { ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { type DiagnosePayload, KEYS, QUEUE_PREFIX, queueName } from '../../jobs/contracts/index.js';
import { freePort, removeRequestKeys } from '../../test/support/redis-server.js';
import { dependentSteps, type KubeSim, type RequestSpan } from '../../tools/kube-sim/index.js';
import type { SlackDouble } from '../../tools/slack-double/index.js';
import { startNode, waitHttpOk } from './lib.js';

export const BENCH_POLICY = `version: 1
channels: { names: ["*"], ids: [C0TESTCHAN] }
grants:
  - users: [U0TESTUSER, UBENCH0, UBENCH1, UBENCH2, UBENCH3, UBENCH4, UBENCH5, UBENCH6]
    roles: [viewer]
    clusters: ["*"]
    namespaces: ["*"]
rateLimits:
  commands:
    perUser: { max: 1000000, windowSeconds: 60 }
    perChannel: { max: 1000000, windowSeconds: 60 }
`;

export const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    burst: { type: 'string' },
    e2e: { type: 'string' },
    'latency-ms': { type: 'string', default: '20' },
    json: { type: 'boolean', default: false },
  },
});
export const QUICK = args.quick;
export const BURSTS = args.burst ? [Number(args.burst)] : QUICK ? [20, 50] : [50, 200];
export const BIG_BURST = args.burst ? Number(args.burst) : QUICK ? 50 : 200;
export const E2E = Number(args.e2e ?? (QUICK ? 8 : 40));
export const LATENCY = Number(args['latency-ms']);
export const CLI_RUNS = QUICK ? 2 : 7;
export const THROUGHPUT_JOBS = QUICK ? 40 : 240;
export const OWNER_SIZES = QUICK ? [1000] : [1000, 5000];
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The bots' audit stream: one of the run's own (never the Redis's real `{poddebug:audit}`), removed after. */
export const AUDIT_KEY = `{poddebug:audit:bench-${process.pid}}`;
export const SECRET = 'bench-signing-secret-1234';
export const TOKEN = 'xoxb-bench-token';
export const NS = 'shop';
export const POD = 'checkout-7d9f8b6c5-x2kqp';
/** Targets by kind: the sample incident's, the StatefulSet of the startup-probe-failing scenario. */
export const TARGETS: { kind: string; text: string }[] = [
  { kind: 'pod', text: `diagnose ${POD} -n ${NS}` },
  { kind: 'deploy', text: `diagnose deploy/checkout -n ${NS}` },
  { kind: 'deploy', text: `diagnose deploy/payments -n ${NS}` },
  { kind: 'job', text: `diagnose job/db-migrate -n ${NS}` },
  { kind: 'sts', text: 'diagnose sts/legacy-erp -n startup-probe-failing' },
];
/** What the simulator serves that is not a diagnose's read (the worker's readiness check). */
export const notARead = (r: RequestSpan) => r.path === '/version';

export const log = (s: string) => {
  if (!args.json) process.stderr.write(`bench: ${s}\n`);
};

export interface Env {
  sim: KubeSim;
  slack: SlackDouble;
  redis: Redis;
  policyFile: string;
  clusters: string[];
  procs: Set<ChildProcess>;
}

export function baseEnv(e: Env): NodeJS.ProcessEnv {
  return {
    ...process.env,
    REDIS_URL,
    AUDIT_STREAM_KEY: AUDIT_KEY,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    POLICY_FILE: e.policyFile,
  };
}

export async function startBot(e: Env, cluster: string): Promise<{ proc: ChildProcess; url: string }> {
  const port = await freePort();
  e.clusters.push(cluster);
  const proc = startNode(
    [...(process.env.BENCH_BOT_NODE_ARGS ?? '').split(' ').filter(Boolean), 'dist/bot/main.js'],
    {
      ...baseEnv(e),
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: e.slack.apiUrl,
      PORT: String(port),
      CLUSTERS: cluster,
    },
  );
  e.procs.add(proc);
  await waitHttpOk(`http://127.0.0.1:${port}/readyz`, 30_000, proc);
  return { proc, url: `http://127.0.0.1:${port}/slack/events` };
}

export async function startWorker(e: Env, cluster: string, concurrency: number): Promise<ChildProcess> {
  const healthPort = await freePort();
  const proc = startNode(['dist/jobs/worker-main.js'], {
    ...baseEnv(e),
    CLUSTER: cluster,
    KUBECONFIG: e.sim.kubeconfigPath,
    WORKER_CONCURRENCY: String(concurrency),
    WORKER_HEALTH_PORT: String(healthPort),
  });
  e.procs.add(proc);
  await waitHttpOk(`http://127.0.0.1:${healthPort}/readyz`, 30_000, proc);
  return proc;
}

export async function clearCluster(e: Env, cluster: string): Promise<void> {
  const q = new Queue(queueName(cluster), { connection: e.redis, prefix: QUEUE_PREFIX });
  q.on('error', (err) => process.stderr.write(`settings.ts: Queue error: ${err.message}\n`));
  await q.obliterate({ force: true }).catch(() => undefined);
  await q.close();
  await removeRequestKeys(e.redis, cluster);
  await e.redis.del(KEYS.heartbeat(cluster));
}

/** Removes the run's audit stream, its head and its once-markers. */
export async function removeAuditKeys(e: Env): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await e.redis.scan(cursor, 'MATCH', `${AUDIT_KEY}:done:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await e.redis.del(...keys);
  } while (cursor !== '0');
  await e.redis.del(AUDIT_KEY, `${AUDIT_KEY}:head`);
}

/** N signed commands at the same instant; ack latency as Slack would see it. */
export function stepsOf(reqs: RequestSpan[]) {
  const reads = reqs.filter((r) => !notARead(r));
  return {
    requests: reads.length,
    bytes: reads.reduce((s, r) => s + r.bytes, 0),
    steps: dependentSteps(reads),
  };
}

/** (b), (c), (d), (f): one bot and one worker (concurrency 8). */
export function payload(cluster: string, target: DiagnosePayload['target']): DiagnosePayload {
  return {
    version: 1,
    action: 'diagnose',
    cluster,
    target,
    requester: { userId: 'UBENCH0', channelId: 'CBENCHTP' },
    requestedAt: new Date().toISOString(),
  };
}

export const JOB_TARGETS: DiagnosePayload['target'][] = [
  { kind: 'pod', name: POD, namespace: NS },
  { kind: 'deploy', name: 'checkout', namespace: NS },
  { kind: 'deploy', name: 'payments', namespace: NS },
  { kind: 'deploy', name: 'search', namespace: NS },
  { kind: 'job', name: 'db-migrate', namespace: NS },
] as DiagnosePayload['target'][];

/** (g) one worker, jobs added at once straight to its queue, at +LATENCY ms. */
