/**
 * npm run bench [-- --quick] [--json] [--burst 200] [--e2e 40] [--latency-ms 20]
 *
 * Every figure of issue 12 against its baseline, in one run, with one driver (signed slash commands with
 * unique trigger_ids, sent at the same instant), on loopback, with the real processes from dist/ (run
 * `npm run build` first) and this repository's own node_modules (docs/benchmark.md says what each means):
 *  (a) ack p50/p99 of a bare Bolt receiver (ack/bare-receiver.mjs: add one BullMQ job, ack) and of the bot
 *      alone (no worker running), bursts of 50 and 200, and their ratio;
 *  (b) the whole stack on one machine (bot, worker, simulator, Slack double, driver), burst of 200;
 *  (c) end to end, slash command → findings in the thread, at +0 and +latency ms per API request, per target
 *      kind, with the dependent read steps computed from the simulator's request spans;
 *  (d) API requests (and bytes) and Slack Web API calls per diagnose by target kind;
 *  (e) the CLI against the seed's pod_diagnostic.py (bench/pod_diagnostic.py; python3 + kubectl) at
 *      +latency ms: wall and peak RSS, and the ratios;
 *  (f) bot and worker RSS idle and after;
 *  (g) diagnoses per second of one worker at concurrency 8 and 16 (jobs added straight to its queue);
 *  (h) diagnose deploy/NAME of owners with 1,000 and 5,000 pods (made in the simulator by
 *      tools/kube-sim/scale-fixtures.ts, the failing pod last): time at +latency ms, API requests, bytes
 *      read, the worker's peak memory.
 * Prints a table, or all of it as JSON with --json. A script, not a test: it asserts nothing.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { removeRateLimitKeys } from '../test/support/stack.js';
import { startKubeSim } from '../tools/kube-sim/index.js';
import { startSlackDouble } from '../tools/slack-double/index.js';
import { round, stop } from './bench/lib.js';
import { printTable } from './bench/print.js';
import { ackBaselines, bigOwner, cliVsSeed, throughput, wholeStack } from './bench/sections.js';
import {
  args,
  BENCH_POLICY,
  clearCluster,
  type Env,
  log,
  OWNER_SIZES,
  QUICK,
  REDIS_URL,
  removeAuditKeys,
  TOKEN,
} from './bench/settings.js';

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
    await removeAuditKeys(e);
    e.redis.disconnect();
    await sim.close();
    await slack.close();
  }
}

main().catch((err) => {
  process.stderr.write(`bench: ${(err as Error).message}\n`);
  process.exit(1);
});
