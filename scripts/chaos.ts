/**
 * npm run chaos [-- --short] [--json] [--scenario NAME[,NAME…]] [--commands N] [--soak N] [--keep]
 *
 * Sends signed slash commands through the real bot (two replicas of `node dist/bot/main.js`, round-robin like a
 * load balancer), Redis (its own redis-server with AOF in a temp dir), two workers (`node dist/jobs/worker-main.js`)
 * against the API simulator (sample incident) and the Slack double, while it breaks things the way an operator's
 * bad day would: workers and bots killed inside a burst, Redis restarted, the API answering 500s or refusing
 * connections, Slack answering 429 storms longer than the bot's locks and 500s. After a bounded settle time it
 * counts per request (scripts/chaos/check.ts): acked, exactly one result in its thread, exactly one status message
 * showing a final state, a `requested` and a final audit entry, no probe pod left. Prints one table; exits 1 on
 * any loss, duplicate, stuck status, missing audit entry, leftover pod or unbounded memory growth, 2 when the
 * harness itself could not run. A script, not a test. Needs `npm run build` and redis-server on PATH.
 *
 * Privileged requests (reason modal, approvals, probe pods) are not driven yet: the table says so.
 */
import { parseArgs } from 'node:util';
import { requestIdFor } from '../jobs/contracts/index.js';
import {
  newTriggerId,
  SLACK_TEST_DEFAULTS,
  signSlackRequest,
  slashCommandBody,
} from '../tools/slack-double/index.js';
import {
  checkRequest,
  countRow,
  indexMessages,
  isSettled,
  type RequestVerdict,
  type RowCounts,
  type SentCommand,
} from './chaos/check.js';
import {
  Balancer,
  type Ctx,
  chaosParams,
  type FaultResult,
  type Scenario,
  scenarios,
} from './chaos/scenarios.js';
import { CHAOS_CLUSTER, ChaosStack, SECRET, USERS } from './chaos/stack.js';

const { values: args } = parseArgs({
  options: {
    short: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    scenario: { type: 'string' },
    commands: { type: 'string' },
    soak: { type: 'string' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

const SHORT = args.short;
const P = chaosParams(SHORT);
const COMMANDS = args.commands ? Number(args.commands) : P.commands;
const SOAK = args.soak ? Number(args.soak) : P.soak;
/** The bot's sweep posts a missing status message once a record is 30 s old; it runs every 15 s. */
const SWEEP_ANNOUNCE_MS = 30_000 + 15_000 + 5000;
const TARGETS = [
  'deploy/checkout -n shop',
  'deploy/payments -n shop',
  'deploy/search -n shop',
  'deploy/cart -n shop',
  'job/db-migrate -n shop',
  'pod/does-not-exist -n shop',
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (s: string) => {
  if (!SHORT && !args.json) process.stderr.write(`chaos: ${s}\n`);
};

const SCENARIOS = scenarios(P, SOAK);

/** Sends one signed slash command; acked = HTTP 200 with no error text within Slack's 3 s. */
async function send(port: number, channel: string, userId: string, text: string): Promise<SentCommand> {
  const triggerId = newTriggerId();
  const requestId = requestIdFor('diagnose', CHAOS_CLUSTER, [
    SLACK_TEST_DEFAULTS.teamId,
    channel,
    userId,
    triggerId,
  ]);
  const body = slashCommandBody({ text: `diagnose ${text}`, channelId: channel, userId, triggerId });
  try {
    const res = await fetch(`http://127.0.0.1:${port}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...signSlackRequest(SECRET, body) },
      body,
      signal: AbortSignal.timeout(3000),
    });
    const reply = await res.text();
    let errorText: string | undefined;
    if (reply) {
      try {
        errorText = (JSON.parse(reply) as { text?: string }).text;
      } catch {
        errorText = reply.slice(0, 200);
      }
    }
    if (res.status === 200 && !errorText) return { requestId, channel, acked: true };
    return { requestId, channel, acked: false, refusal: errorText ?? `HTTP ${res.status}` };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    const why = err.name === 'TimeoutError' ? 'no answer within 3 s' : (err.cause?.code ?? err.message);
    return { requestId, channel, acked: false, refusal: `transport: ${why}` };
  }
}

/** `n` commands spread evenly over `ms`, each from a channel of its own. */
function burst(
  c: Ctx,
  tag: string,
  n: number,
  ms: number,
  onSent?: (i: number) => void,
): Promise<SentCommand[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      await sleep((i * ms) / n);
      const cmd = await send(
        c.lb.next(),
        `C${tag}N${i}`,
        USERS[i % USERS.length]!,
        TARGETS[i % TARGETS.length]!,
      );
      onSent?.(i);
      return cmd;
    }),
  );
}

interface Row extends RowCounts {
  scenario: string;
  what: string;
  leftoverPods: number;
  seconds: number;
  ok: boolean;
  failures: string[];
  notes: string[];
}

async function verdicts(stack: ChaosStack, sent: SentCommand[]): Promise<RequestVerdict[]> {
  const index = indexMessages(stack.slack.messages());
  const audit = await stack.auditIndex();
  return sent.map((cmd) => checkRequest(cmd, index, audit));
}

async function runScenario(c: Ctx, s: Scenario, k: number): Promise<Row> {
  const started = Date.now();
  const tag = `H${String(k).padStart(2, '0')}`;
  const n = s.soak ? SOAK : COMMANDS;
  const ms = s.soak ? P.soakMs : P.burstMs;
  say(`${s.name}: ${n} commands over ${ms / 1000} s — ${s.what}`);
  const notes: string[] = [];
  const procs = () => [...c.stack.bots, ...c.stack.workers];
  let rssBase: (number | undefined)[] = [];
  const onSent = s.soak
    ? (i: number) => {
        if (i === Math.floor(n / 5)) rssBase = procs().map((p) => p.rssMiB());
      }
    : undefined;
  let faultEnded = 0;
  let faultResult: FaultResult | undefined;
  const faultRun = s.fault
    ? sleep(ms * 0.4).then(async () => {
        say(`${s.name}: fault on`);
        faultResult = await s.fault!(c);
        faultEnded = Date.now();
        say(`${s.name}: fault over`);
      })
    : Promise.resolve();
  const [sent] = await Promise.all([burst(c, tag, n, ms, onSent), faultRun]);
  const lastSent = Date.now();
  faultEnded ||= lastSent;
  const minEnd = faultEnded + (faultResult?.minSettleMs ?? 0);
  const deadline = Math.max(faultEnded, lastSent) + P.settleMaxMs;
  // Unacked commands whose fate is unknown (no answer, transport error) may still have a record the sweep
  // announces once it is old enough: give that time before judging them.
  const unknownFate = sent.some((x) => !x.acked && x.refusal?.startsWith('transport'));
  const unknownEnd = unknownFate ? lastSent + SWEEP_ANNOUNCE_MS : 0;
  say(`${s.name}: ${sent.filter((x) => x.acked).length}/${n} acked; settling`);
  let v: RequestVerdict[] = [];
  for (;;) {
    await sleep(1000);
    try {
      v = await verdicts(c.stack, sent);
    } catch (e) {
      say(`${s.name}: could not read state yet (${(e as Error).message})`);
      if (Date.now() > deadline) throw e;
      continue;
    }
    const calls = c.stack.slack.calls();
    const lastCall = calls.length ? calls[calls.length - 1]!.at : 0;
    const now = Date.now();
    const settled = v.every(isSettled) && now - lastCall > 3000 && now >= minEnd && now >= unknownEnd;
    if (settled || now > deadline) break;
  }
  const leftoverPods = await c.stack.leftoverPods();
  const counts = countRow(v);
  const failures: string[] = [];
  const bad = v.filter((y) => !isSettled(y));
  for (const x of bad.slice(0, 8))
    failures.push(`${x.requestId} (${x.channel}${x.acked ? '' : ', not acked'}): ${x.problems.join('; ')}`);
  if (bad.length > 8) failures.push(`… and ${bad.length - 8} more requests`);
  const refusals = new Map<string, number>();
  for (const x of sent.filter((y) => !y.acked)) {
    const key = (x.refusal ?? '').split('\n')[0]!.slice(0, 80);
    refusals.set(key, (refusals.get(key) ?? 0) + 1);
  }
  for (const [why, count] of refusals) notes.push(`${count} not acked: ${why}`);
  if (faultResult?.note) notes.push(faultResult.note);
  let rssGrew = false;
  if (s.soak) {
    const after = procs().map((p) => p.rssMiB());
    procs().forEach((p, i) => {
      const a = rssBase[i];
      const b = after[i];
      if (a === undefined || b === undefined) return;
      notes.push(`${p.name} RSS ${a.toFixed(0)} → ${b.toFixed(0)} MiB`);
      // Unbounded growth: more than half again and 100 MiB over the level after the first fifth of the soak.
      if (b > a * 1.5 && b - a > 100) {
        rssGrew = true;
        failures.push(`${p.name} RSS grew from ${a.toFixed(0)} to ${b.toFixed(0)} MiB`);
      }
    });
  }
  const ok =
    counts.lost === 0 &&
    counts.duplicateResults === 0 &&
    counts.duplicateStatuses === 0 &&
    counts.stuck === 0 &&
    counts.missingAudit === 0 &&
    leftoverPods === 0 &&
    !rssGrew;
  if (Date.now() > deadline && !ok) notes.push(`judged at the settle limit (${P.settleMaxMs / 1000} s)`);
  return {
    scenario: s.name,
    what: s.what,
    ...counts,
    leftoverPods,
    seconds: Math.round((Date.now() - started) / 1000),
    ok,
    failures,
    notes,
  };
}

function table(rows: Row[]): string {
  const head = [
    'scenario',
    'acked',
    'results',
    'failed',
    'lost',
    'dup res',
    'dup status',
    'stuck',
    'no audit',
    'pods',
    'time',
    '',
  ];
  const body = rows.map((r) => [
    r.scenario,
    `${r.acked}/${r.sent}`,
    String(r.results),
    String(r.failed),
    String(r.lost),
    String(r.duplicateResults),
    String(r.duplicateStatuses),
    String(r.stuck),
    String(r.missingAudit),
    String(r.leftoverPods),
    `${r.seconds} s`,
    r.ok ? 'ok' : 'FAIL',
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((x, i) => (i === 0 ? x.padEnd(w[i]!) : x.padStart(w[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), ...body.map(line)].join('\n');
}

const PRIVILEGED_NOTE =
  'privileged requests (reason modal, approvals, probe pods) are not driven by this version: diagnose only';

async function main(): Promise<number> {
  if (args.help) {
    process.stdout.write(
      'npm run chaos [-- --short] [--json] [--scenario NAME[,NAME…]] [--commands N] [--soak N] [--keep]\n' +
        `scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}\n`,
    );
    return 0;
  }
  const wanted = args.scenario?.split(',').map((x) => x.trim());
  const unknown = wanted?.filter((w) => !SCENARIOS.some((s) => s.name === w)) ?? [];
  if (unknown.length) {
    process.stderr.write(
      `chaos: unknown scenario ${unknown.join(', ')}; one of ${SCENARIOS.map((s) => s.name).join(', ')}\n`,
    );
    return 2;
  }
  for (const [k, v] of [
    ['--commands', COMMANDS],
    ['--soak', SOAK],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 5000) {
      process.stderr.write(`chaos: ${k} takes a whole number from 1 to 5000\n`);
      return 2;
    }
  }
  const { existsSync } = await import('node:fs');
  if (!existsSync('dist/bot/main.js') || !existsSync('dist/jobs/worker-main.js')) {
    process.stderr.write('chaos: run `npm run build` first (dist/ is missing)\n');
    return 2;
  }
  const stack = new ChaosStack({
    bots: 2,
    workers: 2,
    workerConcurrency: 4,
    lockMs: P.lockMs,
    apiLatencyMs: 50,
    logLevel: process.env.CHAOS_LOG_LEVEL ?? 'warn',
    keep: args.keep,
  });
  let stopping = false;
  const abort = (why: string, code: number) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`chaos: ${why}; stopping everything it started\n`);
    stack.close().then(
      () => process.exit(code),
      (e: unknown) => {
        process.stderr.write(`chaos: while stopping: ${(e as Error).message}\n`);
        process.exit(code);
      },
    );
  };
  // `on`, not `once`: Ctrl-C reaches this process twice (from the terminal and relayed by tsx), and a second
  // signal without a handler would kill it before it has stopped what it started.
  process.on('SIGINT', () => abort('interrupted', 130));
  process.on('SIGTERM', () => abort('terminated', 143));
  const watchdog = setTimeout(
    () => abort(`over its time limit (${P.maxMinutes} min)`, 1),
    P.maxMinutes * 60_000,
  );
  watchdog.unref();
  try {
    say(`starting redis-server (AOF), API simulator, Slack double, 2 bots, 2 workers in ${stack.dir}`);
    await stack.start();
    const ctx: Ctx = { stack, lb: new Balancer(stack.botPorts) };
    const rows: Row[] = [];
    for (const [k, s] of SCENARIOS.entries()) {
      if (wanted && !wanted.includes(s.name)) continue;
      const row = await runScenario(ctx, s, k);
      rows.push(row);
      say(`${s.name}: ${row.ok ? 'ok' : 'FAIL'} in ${row.seconds} s`);
    }
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ rows, notes: [PRIVILEGED_NOTE] }, null, 2)}\n`);
    } else {
      process.stdout.write(`${table(rows)}\n`);
      for (const r of rows) {
        const lines = SHORT && r.ok ? [] : [...r.failures, ...r.notes];
        if (lines.length)
          process.stdout.write(`\n${r.scenario} (${r.what}):\n${lines.map((l) => `  ${l}`).join('\n')}\n`);
      }
      process.stdout.write(`\nnote: ${PRIVILEGED_NOTE}\n`);
      if (args.keep) process.stdout.write(`logs, AOF and audit logs kept in ${stack.dir}\n`);
    }
    return rows.every((r) => r.ok) ? 0 : 1;
  } finally {
    clearTimeout(watchdog);
    if (!stopping) await stack.close();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`chaos: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(2);
  },
);
