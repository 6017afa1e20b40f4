/**
 * npm run bench [-- --burst 200 --e2e 40 --latency-ms 20 --json]
 *
 * Measures, on loopback, with the real bot and worker processes (dist/):
 *  (a) the HTTP receiver's ack latency p50/p99 under a burst of slash commands;
 *  (b) end-to-end latency, slash command → findings posted in the thread, against
 *      the API simulator with a set per-request latency;
 *  (c) API requests per diagnose (counted by the simulator);
 *  (d) the bot's and the worker's resident memory (VmRSS and peak VmHWM).
 * Prints a table, or JSON with --json. A script, not a test: it asserts nothing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUE_PREFIX, queueName } from '../jobs/contracts/index.js';
import { freePort, removeRequestKeys } from '../test/support/redis-server.js';
import { removeRateLimitKeys } from '../test/support/stack.js';
import { startKubeSim } from '../tools/kube-sim/index.js';
import { sendSlashCommand, startSlackDouble } from '../tools/slack-double/index.js';

/** The bench's users may diagnose anything from any channel, without rate limits getting in the way. */
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
    burst: { type: 'string', default: '200' },
    e2e: { type: 'string', default: '40' },
    'latency-ms': { type: 'string', default: '20' },
    json: { type: 'boolean', default: false },
  },
});
const BURST = Number(args.burst);
const E2E = Number(args.e2e);
const LATENCY = Number(args['latency-ms']);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET = 'bench-signing-secret-1234';
const TOKEN = 'xoxb-bench-token';

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
const round = (x: number) => Math.round(x * 10) / 10;

function memKiB(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const get = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
  return { rss: get('VmRSS'), hwm: get('VmHWM') };
}

async function waitFor<T>(fn: () => T | undefined | false, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function main() {
  if (!existsSync('dist/bot/main.js')) throw new Error('run `npm run build` first (dist/ is missing)');
  const cluster = `bench${randomUUID().slice(0, 6)}`;
  const sim = await startKubeSim({
    fixtures: 'test/fixtures/sample-incident',
    rebaseTime: '2026-11-20T10:00:00Z',
  });
  const slack = await startSlackDouble({ botToken: TOKEN });
  const port = await freePort();
  // The bench's users may diagnose anything (the policy check runs on every command, as in production).
  const policyFile = join(mkdtempSync(join(tmpdir(), 'poddebug-bench-')), 'policy.yaml');
  writeFileSync(policyFile, BENCH_POLICY);
  const env = {
    ...process.env,
    REDIS_URL,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    POLICY_FILE: policyFile,
  };
  const procs: ChildProcess[] = [];
  const bot = spawn(
    'node',
    [...(process.env.BENCH_BOT_NODE_ARGS ?? '').split(' ').filter(Boolean), 'dist/bot/main.js'],
    {
      env: {
        ...env,
        SLACK_BOT_TOKEN: TOKEN,
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: slack.apiUrl,
        PORT: String(port),
        CLUSTERS: cluster,
      },
      stdio: ['ignore', process.env.BENCH_LOG_LEVEL ? 'inherit' : 'ignore', 'inherit'],
    },
  );
  const worker = spawn('node', ['dist/jobs/worker-main.js'], {
    env: { ...env, CLUSTER: cluster, KUBECONFIG: sim.kubeconfigPath, WORKER_CONCURRENCY: '8' },
    stdio: ['ignore', process.env.BENCH_LOG_LEVEL ? 'inherit' : 'ignore', 'inherit'],
  });
  procs.push(bot, worker);
  const url = `http://127.0.0.1:${port}/slack/events`;
  try {
    for (let i = 0; i < 200; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`)
        .then((r) => r.ok)
        .catch(() => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const idle = { bot: memKiB(bot.pid!), worker: memKiB(worker.pid!) };
    const targets = ['deploy/checkout', 'deploy/payments', 'deploy/search', 'deploy/cart', 'job/db-migrate'];

    // (a) burst: all commands at once; ack latency as the client sees it
    const burst = await Promise.all(
      Array.from({ length: BURST }, (_, i) =>
        sendSlashCommand(url, SECRET, {
          text: `diagnose ${targets[i % targets.length]} -n shop`,
          channelId: `CBURST${i % 20}`,
          userId: `UBENCH${i % 7}`,
        }),
      ),
    );
    const acks = burst.map((r) => r.elapsedMs);
    const acked = burst.filter((r) => r.status === 200 && !r.body.includes('ephemeral')).length;
    const refused = burst.length - acked;
    if (refused > 0) {
      const first = burst.find((r) => r.status !== 200 || r.body.includes('ephemeral'));
      process.stderr.write(
        `bench: ${refused} commands refused, e.g. ${first?.status} ${first?.body.slice(0, 300)}\n`,
      );
    }
    await waitFor(
      () => slack.messages().filter((m) => m.thread_ts && m.channel.startsWith('CBURST')).length >= BURST,
      120_000,
    );

    // (b)+(c) end to end with API latency, one command at a time
    await new Promise((r) => setTimeout(r, 1000)); // let the burst's last status updates drain
    sim.setLatency(LATENCY);
    sim.resetStats();
    const e2e: number[] = [];
    for (let i = 0; i < E2E; i++) {
      const channel = `CE2E${i}`;
      const t0 = performance.now();
      await sendSlashCommand(url, SECRET, {
        text: `diagnose ${targets[i % targets.length]} -n shop`,
        channelId: channel,
      });
      await waitFor(() => slack.messages(channel).some((m) => m.thread_ts), 30_000);
      e2e.push(performance.now() - t0);
    }
    const apiPerDiagnose = sim.stats().total / E2E;
    const loaded = { bot: memKiB(bot.pid!), worker: memKiB(worker.pid!) };

    const report = {
      machine: {
        cpus: cpus().length,
        cpu: cpus()[0]?.model,
        memGiB: round(totalmem() / 2 ** 30),
        node: process.version,
      },
      burst: {
        commands: BURST,
        acked,
        ackP50Ms: round(pct(acks, 50)),
        ackP99Ms: round(pct(acks, 99)),
        ackMaxMs: round(Math.max(...acks)),
      },
      endToEnd: {
        commands: E2E,
        apiLatencyMs: LATENCY,
        p50Ms: round(pct(e2e, 50)),
        p99Ms: round(pct(e2e, 99)),
      },
      apiRequestsPerDiagnose: round(apiPerDiagnose),
      memoryMiB: {
        botIdle: round(idle.bot.rss / 1024),
        botAfter: round(loaded.bot.rss / 1024),
        botPeak: round(loaded.bot.hwm / 1024),
        workerIdle: round(idle.worker.rss / 1024),
        workerAfter: round(loaded.worker.rss / 1024),
        workerPeak: round(loaded.worker.hwm / 1024),
      },
    };
    if (args.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      const rows: [string, string][] = [
        [
          'machine',
          `${report.machine.cpus} cores (${report.machine.cpu}), ${report.machine.memGiB} GiB, node ${report.machine.node}`,
        ],
        [
          `ack latency, burst of ${BURST}`,
          `p50 ${report.burst.ackP50Ms} ms, p99 ${report.burst.ackP99Ms} ms, max ${report.burst.ackMaxMs} ms (${acked}/${BURST} queued, ${refused} refused)`,
        ],
        [
          `end to end (API +${LATENCY} ms/request)`,
          `p50 ${report.endToEnd.p50Ms} ms, p99 ${report.endToEnd.p99Ms} ms over ${E2E} commands`,
        ],
        ['API requests per diagnose', String(report.apiRequestsPerDiagnose)],
        [
          'bot RSS idle / after / peak',
          `${report.memoryMiB.botIdle} / ${report.memoryMiB.botAfter} / ${report.memoryMiB.botPeak} MiB`,
        ],
        [
          'worker RSS idle / after / peak',
          `${report.memoryMiB.workerIdle} / ${report.memoryMiB.workerAfter} / ${report.memoryMiB.workerPeak} MiB`,
        ],
      ];
      const w = Math.max(...rows.map(([k]) => k.length));
      for (const [k, v] of rows) process.stdout.write(`${k.padEnd(w)}  ${v}\n`);
    }
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(
      procs.map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)))),
    );
    const redis = new Redis(REDIS_URL);
    const q = new Queue(queueName(cluster), { connection: redis, prefix: QUEUE_PREFIX });
    q.on('error', (err) => process.stderr.write(`bench: queue error: ${err.message}\n`));
    await q.obliterate({ force: true }).catch(() => undefined);
    await q.close();
    await removeRequestKeys(redis, cluster);
    await removeRateLimitKeys(redis);
    redis.disconnect();
    await sim.close();
    await slack.close();
  }
}

main().catch((e) => {
  process.stderr.write(`bench: ${(e as Error).message}\n`);
  process.exit(1);
});
