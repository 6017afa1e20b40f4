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
 * `--before DIR`: also a second build of the bot (DIR/dist/bot/main.js, e.g. the main branch built elsewhere),
 * on its own Redis database, taking its turn like the others: a before/after in the same run.
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
    before: { type: 'string' },
  },
});
const BURSTS = args.bursts.split(',').map(Number);
const ROUNDS = Number(args.rounds);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
interface Figures {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  cpuMsPerCommand: { untilLastAck: number; all: number };
}
const round = (x: number) => Math.round(x * 10) / 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU time (user + system) a process has used, in ms. */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}
const CLK_TCK = 100;

/** Write and read system calls a process has made (sockets included): /proc/PID/io syscw, syscr. */
function syscalls(pid: number): { w: number; r: number } {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  const get = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(io)?.[1] ?? Number.NaN);
  return { w: get('syscw'), r: get('syscr') };
}

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
  const bareRedis = `${redisServer.url}/1`;
  const barePort = await freePort();
  const procs: ChildProcess[] = [];
  const redises: Redis[] = [];
  /** A bot process on Redis database `db`, its own channel names (`prefix`) in the one Slack double. */
  const startBot = async (main: string, db: number) => {
    const url = `${redisServer.url}/${db}`;
    const redis = new Redis(url);
    redises.push(redis);
    // No worker: the bot alone. Its gate wants a live worker; say one is.
    await redis.set(KEYS.heartbeat(cluster), 'ack-burst', 'PX', 3_600_000);
    const port = await freePort();
    const proc = spawn(process.execPath, [...prof, main], {
      env: {
        ...process.env,
        REDIS_URL: url,
        LOG_LEVEL: process.env.ACK_LOG_LEVEL ?? 'warn',
        POLICY_FILE: policyFile,
        SLACK_BOT_TOKEN: TOKEN,
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: slack.apiUrl,
        PORT: String(port),
        CLUSTERS: cluster,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    procs.push(proc);
    return { proc, port };
  };
  const bot = await startBot('dist/bot/main.js', 0);
  const before = args.before ? await startBot(join(args.before, 'dist/bot/main.js'), 2) : undefined;
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
  procs.push(bare);
  try {
    const bareReady = new Promise<void>((r) => bare.stdout!.once('data', () => r()));
    const ready = (port: number) =>
      until(
        () =>
          fetch(`http://127.0.0.1:${port}/readyz`)
            .then((r) => r.ok)
            .catch(() => false),
        20_000,
      );
    await Promise.all([bareReady, ready(bot.port), ...(before ? [ready(before.port)] : [])]);
    const targets: Record<string, string> = {
      bare: `http://127.0.0.1:${barePort}/slack/events`,
      bot: `http://127.0.0.1:${bot.port}/slack/events`,
      ...(before ? { before: `http://127.0.0.1:${before.port}/slack/events` } : {}),
    };
    const names = Object.keys(targets);
    let sent = 0;
    const burst = async (url: string, n: number, pid?: number) => {
      const cpu0 = pid ? cpuMs(pid) : 0;
      const sys0 = pid ? syscalls(pid) : { w: 0, r: 0 };
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
      return { ms: res.map((r) => r.elapsedMs), ackCpuMs: pid ? cpuMs(pid) - cpu0 : 0, cpu0, sys0 };
    };
    /** Waits until the bots have posted a status message for every command they took (post-ack work done). */
    let botCommands = 0;
    const drained = async () => {
      await until(() => slack.messages().filter((m) => !m.thread_ts).length >= botCommands, 60_000);
      // No worker takes these jobs, so their requests would stay open and every bot's sweep (each 15 s)
      // would go over a growing backlog while the others are measured: close them, as finished jobs would.
      for (const r of redises) await r.del(KEYS.open(cluster));
      await sleep(300);
    };
    // Warm-up: connections, Bolt's auth.test, JIT.
    for (const [name, url] of Object.entries(targets)) {
      await burst(url, 20);
      if (name !== 'bare') botCommands += 20;
    }
    await drained();

    const acks: Record<string, Record<number, number[]>> = Object.fromEntries(names.map((n) => [n, {}]));
    const sys: Record<string, { w: number; r: number; n: number }> = Object.fromEntries(
      names.map((n) => [n, { w: 0, r: 0, n: 0 }]),
    );
    const cpu: Record<string, Record<number, { ack: number; total: number }>> = Object.fromEntries(
      names.map((n) => [n, {}]),
    );
    const pids: Record<string, number> = {
      bare: bare.pid!,
      bot: bot.proc.pid!,
      ...(before ? { before: before.proc.pid! } : {}),
    };
    for (let r = 0; r < ROUNDS; r++) {
      for (const n of BURSTS) {
        // Each takes its turn first in some rounds.
        const order = names.map((_, i) => names[(i + r) % names.length]!);
        for (const name of order) {
          const b = await burst(targets[name]!, n, pids[name]!);
          acks[name]![n] ??= [];
          acks[name]![n]!.push(...b.ms);
          if (name !== 'bare') botCommands += n;
          await drained();
          cpu[name]![n] ??= { ack: 0, total: 0 };
          const c = cpu[name]![n]!;
          c.ack += b.ackCpuMs / n / ROUNDS;
          c.total += (cpuMs(pids[name]!) - b.cpu0) / n / ROUNDS;
          const now = syscalls(pids[name]!);
          sys[name]!.w += now.w - b.sys0.w;
          sys[name]!.r += now.r - b.sys0.r;
          sys[name]!.n += n;
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
        const of = (name: string): Figures => {
          const xs = acks[name]![n]!;
          return {
            p50Ms: round(pct(xs, 50)),
            p99Ms: round(pct(xs, 99)),
            maxMs: round(Math.max(...xs)),
            cpuMsPerCommand: { untilLastAck: round(cpu[name]![n]!.ack), all: round(cpu[name]![n]!.total) },
          };
        };
        const b = acks.bare![n]!;
        const o = acks.bot![n]!;
        return {
          burst: n,
          ...Object.fromEntries(names.map((name) => [name, of(name)])),
          ratioP50: round(pct(o, 50) / pct(b, 50)),
          ratioP99: round(pct(o, 99) / pct(b, 99)),
          ...(before
            ? {
                beforeRatioP50: round(pct(acks.before![n]!, 50) / pct(b, 50)),
                beforeRatioP99: round(pct(acks.before![n]!, 99) / pct(b, 99)),
              }
            : {}),
        };
      }),
      slackCallsPerCommand: round(calls / botCommands),
      syscallsPerCommand: Object.fromEntries(
        names.map((name) => [
          name,
          { write: round(sys[name]!.w / sys[name]!.n), read: round(sys[name]!.r / sys[name]!.n) },
        ]),
      ),
    };
    if (args.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      const m = report.machine;
      process.stdout.write(
        `machine: ${m.cpus} cores (${m.cpu}), ${m.memGiB} GiB, node ${m.node}; ${ROUNDS} rounds\n`,
      );
      for (const b of report.bursts as Record<string, unknown>[]) {
        for (const name of names) {
          const x = b[name] as Figures;
          const ratio =
            name === 'bot'
              ? `  ×${b.ratioP50} / ×${b.ratioP99}`
              : name === 'before'
                ? `  ×${b.beforeRatioP50} / ×${b.beforeRatioP99}`
                : '';
          process.stdout.write(
            `burst ${String(b.burst).padStart(3)}  ${name.padEnd(6)}  p50 ${String(x.p50Ms).padStart(6)}  p99 ${String(x.p99Ms).padStart(6)}  max ${String(x.maxMs).padStart(6)} ms` +
              `  CPU ms/command until the last ack ${x.cpuMsPerCommand.untilLastAck}, all ${x.cpuMsPerCommand.all}${ratio}\n`,
          );
        }
      }
      process.stdout.write('(×p50 / ×p99: against the bare app in the same rounds)\n');
      for (const name of names) {
        const x = report.syscallsPerCommand[name]!;
        process.stdout.write(
          `${name.padEnd(6)}  system calls per command, with the work after the ack: ${x.write} writes, ${x.read} reads\n`,
        );
      }
      process.stdout.write(`Slack calls per command (bot, no worker): ${report.slackCallsPerCommand}\n`);
    }
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(
      procs.map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)))),
    );
    for (const r of redises) r.disconnect();
    await slack.close();
    await redisServer.stop();
  }
}

main().catch((e) => {
  process.stderr.write(`ack-burst: ${(e as Error).stack}\n`);
  process.exit(1);
});
