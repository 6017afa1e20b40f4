/**
 * npx tsx scripts/ack-burst.ts [-- --bursts 50,200 --rounds 5 --json --cpu-prof DIR]
 *
 * The ack path alone, against its baseline in the same run: bursts of simultaneous, correctly signed
 * `/poddebug diagnose` commands (unique trigger_ids) sent to
 *  - a bare Bolt app from this project's node_modules whose handler only adds one BullMQ job and acks
 *    (scripts/ack/bare-receiver.mjs), and
 *  - the bot (dist/bot/main.js) alone: policy, heartbeat, rate limits, request record, job, ack, then its
 *    status message to the Slack Web API double; no worker runs (a heartbeat key says one is alive), so
 *    nothing else competes for the cores.
 * The two take turns, round after round, each burst after the previous one's work has drained; each has
 * its own Redis database on one private redis-server. Prints p50/p99/max per burst size and the ratios.
 * `--cpu-prof DIR` profiles the bot (and the bare app) with `node --cpu-prof` into DIR; summarise with
 * `node scripts/ack/profile-summary.mjs DIR/<file>.cpuprofile`. A script, not a test: it asserts nothing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { KEYS, QUEUE_PREFIX, queueName } from '../jobs/contracts/index.js';
import { freePort, PrivateRedis } from '../test/support/redis-server.js';
import { sendSlashCommand, startSlackDouble } from '../tools/slack-double/index.js';

const POLICY = `version: 1
channels: { names: ["*"], ids: [C0TESTCHAN] }
grants:
  - users: [UBENCH0, UBENCH1, UBENCH2, UBENCH3, UBENCH4, UBENCH5, UBENCH6]
    roles: [viewer]
    clusters: ["*"]
    namespaces: ["*"]
rateLimits:
  commands:
    perUser: { max: 1000000, windowSeconds: 60 }
    perChannel: { max: 1000000, windowSeconds: 60 }
`;
const SECRET = 'ack-burst-signing-secret-1234';
const TOKEN = 'xoxb-ack-burst';

const { values: args } = parseArgs({
  options: {
    bursts: { type: 'string', default: '50,200' },
    rounds: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
  },
});
const BURSTS = args.bursts.split(',').map(Number);
const ROUNDS = Number(args.rounds);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
const round = (x: number) => Math.round(x * 10) / 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU time (user + system) a process has used, in ms. */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}
const CLK_TCK = 100;

async function until(fn: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return true;
    await sleep(20);
  }
  return false;
}

async function main() {
  const redisServer = await PrivateRedis.start();
  const slack = await startSlackDouble({ botToken: TOKEN });
  const cluster = 'ackburst';
  const dir = mkdtempSync(join(tmpdir(), 'poddebug-ack-'));
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, POLICY);
  const prof = args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${args['cpu-prof']}`] : [];
  const botRedis = `${redisServer.url}/0`;
  const bareRedis = `${redisServer.url}/1`;
  const redis = new Redis(botRedis);
  // No worker: the bot alone. Its gate wants a live worker; say one is.
  await redis.set(KEYS.heartbeat(cluster), 'ack-burst', 'PX', 3_600_000);
  const [botPort, barePort] = [await freePort(), await freePort()];
  const procs: ChildProcess[] = [];
  const bot = spawn(process.execPath, [...prof, 'dist/bot/main.js'], {
    env: {
      ...process.env,
      REDIS_URL: botRedis,
      LOG_LEVEL: process.env.ACK_LOG_LEVEL ?? 'warn',
      POLICY_FILE: policyFile,
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.apiUrl,
      PORT: String(botPort),
      CLUSTERS: cluster,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const bare = spawn(process.execPath, [...prof, 'scripts/ack/bare-receiver.mjs'], {
    env: {
      ...process.env,
      REDIS_URL: bareRedis,
      PORT: String(barePort),
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_API_URL: slack.apiUrl,
      QUEUE: queueName(cluster),
      QUEUE_PREFIX,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  procs.push(bot, bare);
  try {
    const bareReady = new Promise<void>((r) => bare.stdout!.once('data', () => r()));
    const botReady = until(
      () =>
        fetch(`http://127.0.0.1:${botPort}/readyz`)
          .then((r) => r.ok)
          .catch(() => false),
      20_000,
    );
    await Promise.all([bareReady, botReady]);
    const targets = {
      bare: `http://127.0.0.1:${barePort}/slack/events`,
      bot: `http://127.0.0.1:${botPort}/slack/events`,
    };
    let sent = 0;
    const burst = async (url: string, n: number, pid?: number) => {
      const cpu0 = pid ? cpuMs(pid) : 0;
      const base = sent;
      sent += n;
      const res = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          sendSlashCommand(url, SECRET, {
            text: `diagnose deploy/checkout-${(base + i) % 7} -n shop`,
            channelId: `CACK${(base + i) % 20}`,
            userId: `UBENCH${(base + i) % 7}`,
          }),
        ),
      );
      const bad = res.filter((r) => r.status !== 200 || r.body !== '');
      if (bad.length > 0)
        process.stderr.write(
          `ack-burst: ${bad.length} not acked plainly, e.g. ${bad[0]!.body.slice(0, 200)}\n`,
        );
      return { ms: res.map((r) => r.elapsedMs), ackCpuMs: pid ? cpuMs(pid) - cpu0 : 0, cpu0 };
    };
    /** Waits until the bot has posted a status message for every command it took (its post-ack work is done). */
    let botCommands = 0;
    const drained = async () => {
      await until(() => slack.messages().filter((m) => !m.thread_ts).length >= botCommands, 60_000);
      await sleep(300);
    };
    // Warm-up: connections, Bolt's auth.test, JIT.
    for (const [name, url] of Object.entries(targets)) {
      await burst(url, 20);
      if (name === 'bot') botCommands += 20;
    }
    await drained();

    const acks: Record<string, Record<number, number[]>> = { bare: {}, bot: {} };
    const cpu: Record<string, Record<number, { ack: number; total: number }>> = { bare: {}, bot: {} };
    const pids = { bare: bare.pid!, bot: bot.pid! };
    for (let r = 0; r < ROUNDS; r++) {
      for (const n of BURSTS) {
        const order = r % 2 === 0 ? (['bare', 'bot'] as const) : (['bot', 'bare'] as const);
        for (const name of order) {
          const b = await burst(targets[name], n, pids[name]);
          acks[name]![n] ??= [];
          acks[name]![n]!.push(...b.ms);
          if (name === 'bot') botCommands += n;
          await drained();
          cpu[name]![n] ??= { ack: 0, total: 0 };
          const c = cpu[name]![n]!;
          c.ack += b.ackCpuMs / n / ROUNDS;
          c.total += (cpuMs(pids[name]) - b.cpu0) / n / ROUNDS;
        }
      }
    }
    const calls = slack.calls().length;
    const report = {
      machine: {
        cpus: cpus().length,
        cpu: cpus()[0]?.model,
        memGiB: round(totalmem() / 2 ** 30),
        node: process.version,
      },
      rounds: ROUNDS,
      bursts: BURSTS.map((n) => {
        const b = acks.bare[n]!;
        const o = acks.bot[n]!;
        return {
          burst: n,
          bare: {
            p50Ms: round(pct(b, 50)),
            p99Ms: round(pct(b, 99)),
            maxMs: round(Math.max(...b)),
            cpuMsPerCommand: { untilLastAck: round(cpu.bare[n]!.ack), all: round(cpu.bare[n]!.total) },
          },
          bot: {
            p50Ms: round(pct(o, 50)),
            p99Ms: round(pct(o, 99)),
            maxMs: round(Math.max(...o)),
            cpuMsPerCommand: { untilLastAck: round(cpu.bot[n]!.ack), all: round(cpu.bot[n]!.total) },
          },
          ratioP50: round(pct(o, 50) / pct(b, 50)),
          ratioP99: round(pct(o, 99) / pct(b, 99)),
        };
      }),
      slackCallsPerCommand: round(calls / botCommands),
    };
    if (args.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      const m = report.machine;
      process.stdout.write(
        `machine: ${m.cpus} cores (${m.cpu}), ${m.memGiB} GiB, node ${m.node}; ${ROUNDS} rounds\n`,
      );
      for (const b of report.bursts) {
        process.stdout.write(
          `burst ${String(b.burst).padStart(3)}  bare p50 ${b.bare.p50Ms} / p99 ${b.bare.p99Ms} ms   ` +
            `bot p50 ${b.bot.p50Ms} / p99 ${b.bot.p99Ms} / max ${b.bot.maxMs} ms   ` +
            `ratio p50 ${b.ratioP50}×, p99 ${b.ratioP99}×\n` +
            `           CPU ms/command until the last ack: bare ${b.bare.cpuMsPerCommand.untilLastAck}, bot ${b.bot.cpuMsPerCommand.untilLastAck}; ` +
            `with the work after it: bare ${b.bare.cpuMsPerCommand.all}, bot ${b.bot.cpuMsPerCommand.all}\n`,
        );
      }
      process.stdout.write(`Slack calls per command (bot, no worker): ${report.slackCallsPerCommand}\n`);
    }
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(
      procs.map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)))),
    );
    redis.disconnect();
    await slack.close();
    await redisServer.stop();
  }
}

main().catch((e) => {
  process.stderr.write(`ack-burst: ${(e as Error).stack}\n`);
  process.exit(1);
});
