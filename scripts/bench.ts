/**
 * npm run bench [-- --quick] [--json] [--burst 200] [--e2e 40] [--latency-ms 20]
 *
 * Every figure of issue 12 against its baseline, in one run, with one driver (signed slash commands with
 * unique trigger_ids, sent at the same instant), on loopback, with the real processes from dist/ (run
 * `npm run build` first) and this repository's own node_modules (docs/benchmark.md says what each means):
 *  (a) ack p50/p99 of a bare Bolt receiver (bench/bare-receiver.ts: add one BullMQ job, ack) and of the bot
 *      alone (no worker running), bursts of 50 and 200, and their ratio;
 *  (b) the whole stack on one machine (bot, worker, simulator, Slack double, driver), burst of 200;
 *  (c) end to end, slash command → findings in the thread, at +0 and +latency ms per API request, per target
 *      kind, with the dependent read steps computed from the simulator's request timeline;
 *  (d) API requests (and bytes) per diagnose by target kind;
 *  (e) the CLI against the seed's pod_diagnostic.py (bench/pod_diagnostic.py; python3 + kubectl) at
 *      +latency ms: wall and peak RSS, and the ratios;
 *  (f) bot and worker RSS idle and after;
 *  (g) diagnoses per second of one worker at concurrency 8 and 16 (jobs added straight to its queue);
 *  (h) diagnose deploy/NAME of owners with 1,000 and 5,000 pods (made in the simulator by bench/owners.ts,
 *      the failing pod last): time at +latency ms, API requests, bytes read, the worker's peak memory.
 * Prints a table, or all of it as JSON with --json. A script, not a test: it asserts nothing.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import {
  DIAGNOSE_JOB,
  type DiagnosePayload,
  KEYS,
  QUEUE_PREFIX,
  queueName,
} from '../jobs/contracts/index.js';
import { freePort, removeRequestKeys } from '../test/support/redis-server.js';
import { removeRateLimitKeys } from '../test/support/stack.js';
import { dependentSteps, type KubeSim, startKubeSim, type TimedRequest } from '../tools/kube-sim/index.js';
import { type SlackDouble, sendSlashCommand, startSlackDouble } from '../tools/slack-double/index.js';
import {
  have,
  type Measured,
  measure,
  median,
  memKiB,
  mib,
  pct,
  round,
  sleep,
  startBareReceiver,
  startNode,
  stop,
  waitFor,
  waitHttpOk,
} from './bench/lib.js';
import { generateOwner } from './bench/owners.js';

const BENCH_POLICY = `version: 1
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

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    burst: { type: 'string' },
    e2e: { type: 'string' },
    'latency-ms': { type: 'string', default: '20' },
    json: { type: 'boolean', default: false },
  },
});
const QUICK = args.quick;
const BURSTS = args.burst ? [Number(args.burst)] : QUICK ? [20, 50] : [50, 200];
const BIG_BURST = args.burst ? Number(args.burst) : QUICK ? 50 : 200;
const E2E = Number(args.e2e ?? (QUICK ? 8 : 40));
const LATENCY = Number(args['latency-ms']);
const CLI_RUNS = QUICK ? 2 : 7;
const THROUGHPUT_JOBS = QUICK ? 40 : 240;
const OWNER_SIZES = QUICK ? [1000] : [1000, 5000];
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET = 'bench-signing-secret-1234';
const TOKEN = 'xoxb-bench-token';
const NS = 'shop';
const POD = 'checkout-7d9f8b6c5-x2kqp';
/** Targets by kind: the sample incident's, the StatefulSet of the startup-probe-failing scenario. */
const TARGETS: { kind: string; text: string }[] = [
  { kind: 'pod', text: `diagnose ${POD} -n ${NS}` },
  { kind: 'deploy', text: `diagnose deploy/checkout -n ${NS}` },
  { kind: 'deploy', text: `diagnose deploy/payments -n ${NS}` },
  { kind: 'job', text: `diagnose job/db-migrate -n ${NS}` },
  { kind: 'sts', text: 'diagnose sts/legacy-erp -n startup-probe-failing' },
];
/** What the simulator serves that is not a diagnose's read (the worker's readiness check). */
const notARead = (r: TimedRequest) => r.path === '/version';

const log = (s: string) => {
  if (!args.json) process.stderr.write(`bench: ${s}\n`);
};

interface Env {
  sim: KubeSim;
  slack: SlackDouble;
  redis: Redis;
  policyFile: string;
  clusters: string[];
  procs: Set<ChildProcess>;
}

function baseEnv(e: Env): NodeJS.ProcessEnv {
  return {
    ...process.env,
    REDIS_URL,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    POLICY_FILE: e.policyFile,
  };
}

async function startBot(e: Env, cluster: string): Promise<{ proc: ChildProcess; url: string }> {
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

async function startWorker(e: Env, cluster: string, concurrency: number): Promise<ChildProcess> {
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

async function clearCluster(e: Env, cluster: string): Promise<void> {
  const q = new Queue(queueName(cluster), { connection: e.redis, prefix: QUEUE_PREFIX });
  await q.obliterate({ force: true }).catch(() => undefined);
  await q.close();
  await removeRequestKeys(e.redis, cluster);
}

/** N signed commands at the same instant; ack latency as Slack would see it. */
async function burst(url: string, n: number, tag: string) {
  const res = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      sendSlashCommand(url, SECRET, {
        text: TARGETS[i % TARGETS.length]!.text,
        channelId: `C${tag}${i % 20}`,
        userId: `UBENCH${i % 7}`,
      }),
    ),
  );
  const acks = res.map((r) => r.elapsedMs);
  const acked = res.filter((r) => r.status === 200 && !r.body.includes('ephemeral')).length;
  return {
    commands: n,
    acked,
    p50Ms: round(pct(acks, 50)),
    p99Ms: round(pct(acks, 99)),
    maxMs: round(Math.max(...acks)),
    over1500Ms: acks.filter((a) => a > 1500).length,
    over3000Ms: acks.filter((a) => a > 3000).length,
  };
}

/** (a) the bare receiver and the bot alone, alternating, same driver. */
async function ackBaselines(e: Env) {
  const cluster = `benchack${randomUUID().slice(0, 6)}`;
  const bareQueue = `bench-bare-${randomUUID().slice(0, 6)}`;
  const barePort = await freePort();
  const bare = await startBareReceiver({
    ...process.env,
    PORT: String(barePort),
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: e.slack.apiUrl,
    REDIS_URL,
    BENCH_QUEUE: bareQueue,
  });
  e.procs.add(bare);
  const bareUrl = `http://127.0.0.1:${barePort}/slack/events`;
  // No worker runs, so the bot would refuse every command ("no worker of this cluster"): the heartbeat a
  // worker writes says one is alive, and the commands queue up as they would with an idle worker elsewhere.
  await e.redis.set(KEYS.heartbeat(cluster), String(Date.now()), 'PX', 600_000);
  const bot = await startBot(e, cluster);
  const rows: Record<string, unknown>[] = [];
  try {
    // Warm both up the same way (first requests compile the handlers' code).
    await burst(bareUrl, 5, 'WARMA');
    await burst(bot.url, 5, 'WARMB');
    await sleep(1500);
    for (const n of BURSTS) {
      const b = await burst(bareUrl, n, `BARE${n}X`);
      await sleep(1000);
      const p = await burst(bot.url, n, `BOT${n}X`);
      // Let the bot post its status messages before the next burst.
      await waitFor(
        () => e.slack.messages().filter((m) => m.channel.startsWith(`CBOT${n}X`)).length >= p.acked,
        60_000,
        'the status messages of the burst',
      ).catch(() => undefined);
      await sleep(1000);
      rows.push({
        burst: n,
        bare: b,
        bot: p,
        ratioP50: round(p.p50Ms / b.p50Ms, 2),
        ratioP99: round(p.p99Ms / b.p99Ms, 2),
      });
      log(`ack burst ${n}: bare p99 ${b.p99Ms} ms, bot p99 ${p.p99Ms} ms`);
    }
  } finally {
    await stop(bare);
    await stop(bot.proc);
    const q = new Queue(bareQueue, { connection: e.redis });
    await q.obliterate({ force: true }).catch(() => undefined);
    await q.close();
    await e.redis.del(KEYS.heartbeat(cluster));
    await clearCluster(e, cluster);
  }
  return rows;
}

function stepsOf(reqs: TimedRequest[]) {
  const reads = reqs.filter((r) => !notARead(r));
  return {
    requests: reads.length,
    bytes: reads.reduce((s, r) => s + r.bytes, 0),
    steps: dependentSteps(reads),
  };
}

/** (b), (c), (d), (f): one bot and one worker (concurrency 8). */
async function wholeStack(e: Env) {
  const cluster = `benchstack${randomUUID().slice(0, 6)}`;
  const bot = await startBot(e, cluster);
  const worker = await startWorker(e, cluster, 8);
  await sleep(1000);
  const idle = { bot: memKiB(bot.proc.pid!), worker: memKiB(worker.pid!) };
  try {
    // (b) burst of 200 with everything on the same cores
    e.sim.setLatency(0);
    const b = await burst(bot.url, BIG_BURST, 'STACK');
    await waitFor(
      () => e.slack.messages().filter((m) => m.thread_ts && m.channel.startsWith('CSTACK')).length >= b.acked,
      180_000,
      "the burst's results",
    );
    log(`whole stack burst ${BIG_BURST}: p99 ${b.p99Ms} ms, max ${b.maxMs} ms`);
    await sleep(1500);

    // (c)+(d) end to end, one command at a time, at +0 and +LATENCY ms
    const e2e: Record<string, unknown>[] = [];
    for (const latency of [0, LATENCY]) {
      e.sim.setLatency(latency);
      const per: Record<string, { ms: number[]; steps: number[]; requests: number[]; bytes: number[] }> = {};
      for (let i = 0; i < E2E; i++) {
        const t = TARGETS[i % TARGETS.length]!;
        const channel = `CE${latency}X${i}`;
        e.sim.resetStats();
        const t0 = performance.now();
        await sendSlashCommand(bot.url, SECRET, { text: t.text, channelId: channel });
        await waitFor(() => e.slack.messages(channel).some((m) => m.thread_ts), 30_000, 'a result');
        const ms = performance.now() - t0;
        const s = stepsOf(e.sim.timeline());
        per[t.kind] ??= { ms: [], steps: [], requests: [], bytes: [] };
        const k = per[t.kind]!;
        k.ms.push(ms);
        k.steps.push(s.steps);
        k.requests.push(s.requests);
        k.bytes.push(s.bytes);
      }
      for (const [kind, k] of Object.entries(per)) {
        // Steps show only when each request takes a while: at +0 ms reads that could overlap do not.
        const steps = latency > 0 ? median(k.steps) : undefined;
        const p50 = round(median(k.ms));
        e2e.push({
          latencyMs: latency,
          kind,
          commands: k.ms.length,
          p50Ms: p50,
          p99Ms: round(pct(k.ms, 99)),
          steps,
          floorMs: steps !== undefined ? steps * latency : undefined,
          goalMs: steps !== undefined ? steps * latency + 40 : undefined,
          apiRequests: round(k.requests.reduce((a, b) => a + b, 0) / k.requests.length),
          bytesRead: Math.round(k.bytes.reduce((a, b) => a + b, 0) / k.bytes.length),
        });
      }
      log(`end to end at +${latency} ms done`);
    }
    const after = { bot: memKiB(bot.proc.pid!), worker: memKiB(worker.pid!) };
    const memory = {
      botIdle: mib(idle.bot.rss),
      botAfter: mib(after.bot.rss),
      botPeak: mib(after.bot.hwm),
      workerIdle: mib(idle.worker.rss),
      workerAfter: mib(after.worker.rss),
      workerPeak: mib(after.worker.hwm),
    };
    return { burst: b, endToEnd: e2e, memoryMiB: memory };
  } finally {
    e.sim.setLatency(0);
    await stop(bot.proc);
    await stop(worker);
    await clearCluster(e, cluster);
  }
}

function payload(cluster: string, target: DiagnosePayload['target']): DiagnosePayload {
  return {
    version: 1,
    action: 'diagnose',
    cluster,
    target,
    requester: { userId: 'UBENCH0', channelId: 'CBENCHTP' },
    requestedAt: new Date().toISOString(),
  };
}

const JOB_TARGETS: DiagnosePayload['target'][] = [
  { kind: 'pod', name: POD, namespace: NS },
  { kind: 'deploy', name: 'checkout', namespace: NS },
  { kind: 'deploy', name: 'payments', namespace: NS },
  { kind: 'deploy', name: 'search', namespace: NS },
  { kind: 'job', name: 'db-migrate', namespace: NS },
] as DiagnosePayload['target'][];

/** (g) one worker, jobs added at once straight to its queue, at +LATENCY ms. */
async function throughput(e: Env, concurrency: number) {
  const cluster = `benchtp${concurrency}${randomUUID().slice(0, 4)}`;
  e.clusters.push(cluster);
  const worker = await startWorker(e, cluster, concurrency);
  const q = new Queue(queueName(cluster), { connection: e.redis, prefix: QUEUE_PREFIX });
  try {
    e.sim.setLatency(LATENCY);
    const t0 = performance.now();
    await q.addBulk(
      Array.from({ length: THROUGHPUT_JOBS }, (_, i) => ({
        name: DIAGNOSE_JOB,
        data: payload(cluster, JOB_TARGETS[i % JOB_TARGETS.length]!),
        opts: { jobId: `tp-${i}` },
      })),
    );
    const done = await waitFor(
      async () => {
        const c = await q.getJobCounts('completed', 'failed');
        return (c.completed ?? 0) + (c.failed ?? 0) >= THROUGHPUT_JOBS ? c : undefined;
      },
      300_000,
      'the throughput jobs',
    );
    const s = (performance.now() - t0) / 1000;
    log(`throughput at concurrency ${concurrency}: ${round(THROUGHPUT_JOBS / s)}/s`);
    return {
      concurrency,
      jobs: THROUGHPUT_JOBS,
      failed: done.failed ?? 0,
      seconds: round(s, 2),
      perSecond: round(THROUGHPUT_JOBS / s),
      workerPeakMiB: mib(memKiB(worker.pid!).hwm),
    };
  } finally {
    e.sim.setLatency(0);
    await q.close();
    await stop(worker);
    await clearCluster(e, cluster);
  }
}

/** (h) diagnose deploy/NAME of an owner with `pods` pods, the failing one last, with a fresh worker. */
async function bigOwner(e: Env, pods: number) {
  const owner = generateOwner(`bulk${pods}`, pods, pods - 1);
  for (const o of owner.objects) e.sim.put(o);
  const cluster = `benchbig${pods}${randomUUID().slice(0, 4)}`;
  e.clusters.push(cluster);
  const worker = await startWorker(e, cluster, 8);
  const q = new Queue(queueName(cluster), { connection: e.redis, prefix: QUEUE_PREFIX });
  const eventsRedis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const events = new QueueEvents(queueName(cluster), {
    connection: eventsRedis,
    prefix: QUEUE_PREFIX,
  });
  try {
    await events.waitUntilReady();
    await sleep(500);
    const idle = memKiB(worker.pid!);
    e.sim.setLatency(LATENCY);
    e.sim.resetStats();
    const t0 = performance.now();
    const job = await q.add(
      DIAGNOSE_JOB,
      payload(cluster, {
        kind: 'deploy',
        name: owner.deployment,
        namespace: owner.namespace,
      } as DiagnosePayload['target']),
      { jobId: `big-${pods}` },
    );
    const result = (await job.waitUntilFinished(events, 120_000)) as {
      outcome: string;
      target?: { name: string };
      owner?: { reason: string };
    };
    const ms = performance.now() - t0;
    const s = stepsOf(e.sim.timeline());
    const peak = memKiB(worker.pid!).hwm;
    log(`owner of ${pods} pods: ${round(ms)} ms, ${s.requests} requests`);
    return {
      pods,
      failingPodAt: 'last',
      found: result.target?.name === owner.failingPod,
      diagnosed: result.target?.name,
      why: result.owner?.reason,
      ms: round(ms),
      latencyMs: LATENCY,
      apiRequests: s.requests,
      steps: s.steps,
      bytesRead: s.bytes,
      workerIdleMiB: mib(idle.rss),
      workerPeakMiB: mib(peak),
      workerGrowthMiB: mib(peak - idle.rss),
    };
  } finally {
    e.sim.setLatency(0);
    await events.close();
    eventsRedis.disconnect();
    await q.close();
    await stop(worker);
    await clearCluster(e, cluster);
    for (const o of owner.objects)
      e.sim.remove(o.kind === 'Pod' ? 'v1' : 'apps/v1', o.kind, owner.namespace, o.metadata.name);
  }
}

/** (e) the CLI and the seed's script against the same simulator at +LATENCY ms, alternating. */
async function cliVsSeed(e: Env) {
  const env = { ...process.env, KUBECONFIG: e.sim.kubeconfigPath };
  const cli = () =>
    measure(
      process.execPath,
      ['bin/poddebug.js', 'diagnose', POD, '-n', NS, '--kubeconfig', e.sim.kubeconfigPath],
      env,
    );
  const seedAvailable = have('python3') && have('kubectl');
  const seed = () => measure('python3', ['scripts/bench/pod_diagnostic.py', POD, NS], env);
  e.sim.setLatency(LATENCY);
  try {
    // One run each first: the compile cache and kubectl's discovery cache, as on a machine used before.
    await cli();
    if (seedAvailable) await seed();
    const runs: {
      cli: Measured[];
      seed: Measured[];
      cliReq: number[];
      seedReq: number[];
    } = {
      cli: [],
      seed: [],
      cliReq: [],
      seedReq: [],
    };
    for (let i = 0; i < CLI_RUNS; i++) {
      e.sim.resetStats();
      runs.cli.push(await cli());
      runs.cliReq.push(stepsOf(e.sim.timeline()).requests);
      if (seedAvailable) {
        e.sim.resetStats();
        runs.seed.push(await seed());
        runs.seedReq.push(stepsOf(e.sim.timeline()).requests);
      }
    }
    const sum = (rs: Measured[], req: number[]) => ({
      runs: rs.length,
      failed: rs.filter((r) => r.status !== 0).length,
      wallMs: round(median(rs.map((r) => r.wallMs))),
      peakMiB: mib(median(rs.map((r) => r.peakKiB))),
      apiRequests: median(req),
    });
    const c = sum(runs.cli, runs.cliReq);
    const s = seedAvailable ? sum(runs.seed, runs.seedReq) : undefined;
    log(`CLI ${c.wallMs} ms${s ? `, seed ${s.wallMs} ms` : ' (no python3 or kubectl: seed skipped)'}`);
    return {
      latencyMs: LATENCY,
      cli: c,
      seed: s ?? 'skipped: python3 and kubectl are needed',
      wallRatio: s ? round(c.wallMs / s.wallMs, 2) : undefined,
      peakRatio: s ? round(c.peakMiB / s.peakMiB, 2) : undefined,
    };
  } finally {
    e.sim.setLatency(0);
  }
}

async function main() {
  if (!existsSync('dist/bundle/bot.js')) throw new Error('run `npm run build` first (dist/ is missing)');
  const sim = await startKubeSim({
    fixtures: ['test/fixtures/sample-incident', 'test/fixtures/scenarios/startup-probe-failing/objects.yaml'],
    rebaseTime: '2026-11-20T10:00:00Z',
  });
  const slack = await startSlackDouble({ botToken: TOKEN });
  const policyFile = join(mkdtempSync(join(tmpdir(), 'poddebug-bench-')), 'policy.yaml');
  writeFileSync(policyFile, BENCH_POLICY);
  const e: Env = { sim, slack, redis: new Redis(REDIS_URL), policyFile, clusters: [], procs: new Set() };
  const started = new Date();
  try {
    log(`${QUICK ? 'quick run' : 'full run'}: ack baselines`);
    const ack = await ackBaselines(e);
    log('whole stack');
    const stack = await wholeStack(e);
    log('CLI against the seed script');
    const cli = await cliVsSeed(e);
    log('throughput');
    const tp = [await throughput(e, 8), await throughput(e, 16)];
    log('large owners');
    const big: Awaited<ReturnType<typeof bigOwner>>[] = [];
    for (const n of OWNER_SIZES) big.push(await bigOwner(e, n));
    const report = {
      machine: {
        date: started.toISOString(),
        cpus: cpus().length,
        cpu: cpus()[0]?.model,
        memGiB: round(totalmem() / 2 ** 30),
        node: process.version,
        quick: QUICK,
      },
      ackBaselines: ack,
      wholeStackBurst: stack.burst,
      endToEnd: stack.endToEnd,
      cliVsSeed: cli,
      memoryMiB: stack.memoryMiB,
      throughput: tp,
      largeOwners: big,
    };
    if (args.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else printTable(report);
  } finally {
    for (const p of e.procs) await stop(p);
    for (const c of e.clusters) await clearCluster(e, c);
    await removeRateLimitKeys(e.redis);
    e.redis.disconnect();
    await sim.close();
    await slack.close();
  }
}

// biome-ignore lint/suspicious/noExplicitAny: the report is printed, not typed further
function printTable(r: any) {
  const rows: [string, string][] = [];
  const m = r.machine;
  rows.push([
    'machine',
    `${m.cpus} cores (${m.cpu}), ${m.memGiB} GiB, node ${m.node}, ${m.date}${m.quick ? ' (--quick)' : ''}`,
  ]);
  for (const a of r.ackBaselines)
    rows.push([
      `(a) ack, burst of ${a.burst}`,
      `bare Bolt p50 ${a.bare.p50Ms} / p99 ${a.bare.p99Ms} ms; bot alone p50 ${a.bot.p50Ms} / p99 ${a.bot.p99Ms} ms (${a.bot.acked}/${a.burst} queued); ratio p50 ${a.ratioP50}×, p99 ${a.ratioP99}×`,
    ]);
  const b = r.wholeStackBurst;
  rows.push([
    `(b) ack, whole stack, burst of ${b.commands}`,
    `p50 ${b.p50Ms}, p99 ${b.p99Ms}, max ${b.maxMs} ms; ${b.over1500Ms} over 1.5 s, ${b.over3000Ms} over 3 s (${b.acked}/${b.commands} queued)`,
  ]);
  for (const x of r.endToEnd)
    rows.push([
      `(c) end to end +${x.latencyMs} ms, ${x.kind}`,
      `p50 ${x.p50Ms} ms, p99 ${x.p99Ms} ms (${x.commands})${x.steps !== undefined ? `; ${x.steps} dependent read steps → floor ${x.floorMs} ms, goal ≤ ${x.goalMs} ms` : ''}`,
    ]);
  for (const x of r.endToEnd.filter((y: { latencyMs: number }) => y.latencyMs === LATENCY))
    rows.push([
      `(d) API requests per diagnose, ${x.kind}`,
      `${x.apiRequests} (${Math.round(x.bytesRead / 1024)} KiB read)`,
    ]);
  const c = r.cliVsSeed;
  rows.push([
    `(e) CLI diagnose POD, +${c.latencyMs} ms`,
    `wall ${c.cli.wallMs} ms, peak ${c.cli.peakMiB} MiB, ${c.cli.apiRequests} API requests (median of ${c.cli.runs})`,
  ]);
  if (typeof c.seed === 'object')
    rows.push([
      '    seed pod_diagnostic.py',
      `wall ${c.seed.wallMs} ms, peak ${c.seed.peakMiB} MiB, ${c.seed.apiRequests} API requests; CLI/seed wall ${c.wallRatio}×, peak ${c.peakRatio}×`,
    ]);
  else rows.push(['    seed pod_diagnostic.py', c.seed]);
  const mm = r.memoryMiB;
  rows.push(['(f) bot RSS idle / after / peak', `${mm.botIdle} / ${mm.botAfter} / ${mm.botPeak} MiB`]);
  rows.push([
    '    worker RSS idle / after / peak',
    `${mm.workerIdle} / ${mm.workerAfter} / ${mm.workerPeak} MiB`,
  ]);
  for (const t of r.throughput)
    rows.push([
      `(g) one worker, concurrency ${t.concurrency}`,
      `${t.perSecond} diagnoses/s (${t.jobs} jobs in ${t.seconds} s at +${LATENCY} ms, ${t.failed} failed), peak ${t.workerPeakMiB} MiB`,
    ]);
  for (const o of r.largeOwners)
    rows.push([
      `(h) deploy of ${o.pods} pods, +${o.latencyMs} ms`,
      `${o.ms} ms, ${o.apiRequests} API requests in ${o.steps} steps, ${Math.round(o.bytesRead / 1024)} KiB read; failing pod (${o.failingPodAt}) ${o.found ? 'found' : `NOT found (diagnosed ${o.diagnosed})`}; worker ${o.workerIdleMiB} → peak ${o.workerPeakMiB} MiB (+${o.workerGrowthMiB})`,
    ]);
  const w = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) process.stdout.write(`${k.padEnd(w)}  ${v}\n`);
}

main().catch((err) => {
  process.stderr.write(`bench: ${(err as Error).message}\n`);
  process.exit(1);
});
