/** The bench's sections, (a) to (h): each starts what it needs, measures, stops it and returns its figures. */
import { randomUUID } from 'node:crypto';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import {
  DIAGNOSE_JOB,
  type DiagnosePayload,
  KEYS,
  QUEUE_PREFIX,
  queueName,
} from '../../jobs/contracts/index.js';
import { freePort } from '../../test/support/redis-server.js';
import { loadScaleFixture, scaleFixture } from '../../tools/kube-sim/scale-fixtures.js';
import { sendSlashCommand } from '../../tools/slack-double/index.js';
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
  stop,
  waitFor,
} from './lib.js';
import {
  BIG_BURST,
  BURSTS,
  CLI_RUNS,
  clearCluster,
  E2E,
  type Env,
  JOB_TARGETS,
  LATENCY,
  log,
  NS,
  POD,
  payload,
  REDIS_URL,
  SECRET,
  startBot,
  startWorker,
  stepsOf,
  TARGETS,
  THROUGHPUT_JOBS,
  TOKEN,
} from './settings.js';

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
export async function ackBaselines(e: Env) {
  const cluster = `benchack${randomUUID().slice(0, 6)}`;
  const bareQueue = `bench-bare-${randomUUID().slice(0, 6)}`;
  const barePort = await freePort();
  const bare = await startBareReceiver({
    ...process.env,
    PORT: String(barePort),
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_BOT_TOKEN: TOKEN,
    SLACK_API_URL: e.slack.apiUrl,
    REDIS_URL,
    QUEUE: bareQueue,
    QUEUE_PREFIX,
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
    const q = new Queue(bareQueue, { connection: e.redis, prefix: QUEUE_PREFIX });
    q.on('error', (err) => process.stderr.write(`sections.ts: Queue error: ${err.message}\n`));
    await q.obliterate({ force: true }).catch(() => undefined);
    await q.close();
    await e.redis.del(KEYS.heartbeat(cluster));
    await clearCluster(e, cluster);
  }
  return rows;
}

export async function wholeStack(e: Env) {
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
      const per: Record<
        string,
        { ms: number[]; steps: number[]; requests: number[]; bytes: number[]; channels: string[] }
      > = {};
      for (let i = 0; i < E2E; i++) {
        const t = TARGETS[i % TARGETS.length]!;
        const channel = `CE${latency}X${i}`;
        e.sim.resetStats();
        const t0 = performance.now();
        await sendSlashCommand(bot.url, SECRET, { text: t.text, channelId: channel });
        await waitFor(() => e.slack.messages(channel).some((m) => m.thread_ts), 30_000, 'a result');
        const ms = performance.now() - t0;
        const s = stepsOf(e.sim.requestSpans());
        per[t.kind] ??= { ms: [], steps: [], requests: [], bytes: [], channels: [] };
        const k = per[t.kind]!;
        k.ms.push(ms);
        k.channels.push(channel);
        k.steps.push(s.steps);
        k.requests.push(s.requests);
        k.bytes.push(s.bytes);
      }
      // Slack Web API calls per diagnose (status message, its updates, the thread reply): counted once all
      // commands of this latency are done, so that each had time for its last update; every command has its
      // own channel.
      await sleep(1000);
      const slackCalls = (ch: string) => e.slack.calls().filter((c) => c.args.channel === ch).length;
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
          slackCalls: round(k.channels.reduce((a, ch) => a + slackCalls(ch), 0) / k.channels.length),
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

export async function throughput(e: Env, concurrency: number) {
  const cluster = `benchtp${concurrency}${randomUUID().slice(0, 4)}`;
  e.clusters.push(cluster);
  const worker = await startWorker(e, cluster, concurrency);
  const q = new Queue(queueName(cluster), { connection: e.redis, prefix: QUEUE_PREFIX });
  q.on('error', (err) => process.stderr.write(`sections.ts: Queue error: ${err.message}\n`));
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

/**
 * (h) diagnose deploy/NAME of an owner with `pods` pods (tools/kube-sim/scale-fixtures.ts, in a namespace of
 * its own), the failing one last in list order, with a fresh worker.
 */
export async function bigOwner(e: Env, pods: number) {
  const name = `bulk${pods}`;
  const owner = scaleFixture({ namespace: name, kind: 'Deployment', name, pods, failingAt: pods - 1 });
  loadScaleFixture(e.sim, owner);
  const cluster = `benchbig${pods}${randomUUID().slice(0, 4)}`;
  e.clusters.push(cluster);
  const worker = await startWorker(e, cluster, 8);
  const q = new Queue(queueName(cluster), { connection: e.redis, prefix: QUEUE_PREFIX });
  q.on('error', (err) => process.stderr.write(`sections.ts: Queue error: ${err.message}\n`));
  const eventsRedis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const events = new QueueEvents(queueName(cluster), {
    connection: eventsRedis,
    prefix: QUEUE_PREFIX,
  });
  events.on('error', (err) => process.stderr.write(`sections.ts: QueueEvents error: ${err.message}\n`));
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
        name,
        namespace: name,
      } as DiagnosePayload['target']),
      { jobId: `big-${pods}` },
    );
    const result = (await job.waitUntilFinished(events, 120_000)) as {
      outcome: string;
      target?: { name: string };
      owner?: { reason: string };
    };
    const ms = performance.now() - t0;
    const s = stepsOf(e.sim.requestSpans());
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
    for (const o of owner.objects) e.sim.remove(o.apiVersion, o.kind, o.metadata.namespace, o.metadata.name);
  }
}

/** (e) the CLI and the seed's script against the same simulator at +LATENCY ms, alternating. */
export async function cliVsSeed(e: Env) {
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
      runs.cliReq.push(stepsOf(e.sim.requestSpans()).requests);
      if (seedAvailable) {
        e.sim.resetStats();
        runs.seed.push(await seed());
        runs.seedReq.push(stepsOf(e.sim.requestSpans()).requests);
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
