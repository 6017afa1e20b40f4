import { spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Job } from 'bullmq';
import { DIAGNOSE_JOB_OPTIONS, QUEUE_PREFIX, queueName } from '../../jobs/contracts/index.js';
import { sendCommand, settled } from '../support/commands.js';
import { haveRedisServer, PrivateRedis, testRedisUrl } from '../support/redis-server.js';
import { listScenarios } from '../support/scenarios.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * Faults lose no request and leave nothing stuck: every command ends with a
 * final status message and exactly one reply in its thread that says what
 * happened and what to do.
 */
const healthy = listScenarios().find((s) => s.name === 'healthy')!;
const POD = healthy.expect.pod;
const NS = healthy.namespace;
const text = (m: { text?: string; blocks?: unknown[] }) =>
  `${m.text ?? ''} ${JSON.stringify(m.blocks ?? [])}`;

describe('faults on the cluster side', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });
  afterEach(() => {
    stack.sim.setLatency(0);
  });

  it('API server unreachable for a moment: retried, then the findings are posted', async () => {
    const undo = stack.sim.fail({ path: /./, status: 'reset', times: 1 });
    const { channel, id: jobId } = await sendCommand(stack, `diagnose ${POD} -n ${NS}`);
    const { status, replies } = await settled(stack, channel, { timeoutMs: 25_000 });
    undo();
    expect(status.text).toMatch(/done/i);
    expect(replies).toHaveLength(1);
    expect(text(replies[0]!)).toMatch(/healthy/i);
    const job = await Job.fromId(stack.queue(), jobId);
    expect(job?.attemptsMade).toBeGreaterThanOrEqual(1);
  });

  // A 10 s outage, as when the API server restarts or fails over: the retries (1, 3, 7, 15 s after the
  // first failure) outlast it, so the user gets the findings, later, instead of a failure.
  it.each([
    ['connections reset', 'reset' as const],
    ['503 answers', 503],
  ])(
    'API server down for 10 s (%s): retried until it is back, then the findings are posted',
    async (_, fault) => {
      const undo = stack.sim.fail({ path: /./, status: fault });
      const t0 = Date.now();
      const back = setTimeout(undo, 10_000);
      try {
        const { channel, id: jobId } = await sendCommand(stack, `diagnose ${POD} -n ${NS}`);
        const { status, replies } = await settled(stack, channel, { timeoutMs: 40_000 });
        expect(status.text).toMatch(/done/i);
        expect(replies).toHaveLength(1);
        expect(text(replies[0]!)).toMatch(/healthy/i);
        expect(Date.now() - t0).toBeGreaterThanOrEqual(10_000);
        const job = await Job.fromId(stack.queue(), jobId);
        expect(job?.attemptsMade).toBeGreaterThan(1);
      } finally {
        clearTimeout(back);
        undo();
      }
    },
    50_000,
  );

  it('API server down for good: fails after the retries, says so and what to do', async () => {
    const undo = stack.sim.fail({ path: /./, status: 'reset' });
    const { channel, id: jobId } = await sendCommand(stack, `diagnose ${POD} -n ${NS}`);
    const { status, replies } = await settled(stack, channel, { timeoutMs: 50_000 });
    undo();
    expect(status.text).toMatch(/failed/i);
    expect(replies).toHaveLength(1);
    expect(text(replies[0]!)).toMatch(/could not reach the API server/i);
    const job = await Job.fromId(stack.queue(), jobId);
    expect(job?.attemptsMade).toBe(DIAGNOSE_JOB_OPTIONS.attempts);
  }, 60_000);

  it('API answers 500: retried, then reported with the status code', async () => {
    const undo = stack.sim.fail({ path: new RegExp(`/namespaces/${NS}/pods/${POD}$`), status: 500 });
    const { channel } = await sendCommand(stack, `diagnose ${POD} -n ${NS}`);
    const { status, replies } = await settled(stack, channel, { timeoutMs: 50_000 });
    undo();
    expect(status.text).toMatch(/failed/i);
    expect(text(replies[0]!)).toMatch(/500/);
  }, 60_000);

  it('API answers 403: fails at once, naming the verb and resource to grant', async () => {
    stack.sim.resetStats();
    const undo = stack.sim.fail({ path: new RegExp(`/namespaces/${NS}/pods/${POD}$`), status: 403 });
    const { channel, id: jobId } = await sendCommand(stack, `diagnose ${POD} -n ${NS}`);
    const { status, replies } = await settled(stack, channel, { timeoutMs: 25_000 });
    undo();
    expect(status.text).toMatch(/failed/i);
    const shown = text(replies[0]!);
    expect(shown).toMatch(/get/);
    expect(shown).toMatch(/pods/);
    expect(shown).toMatch(/kubectl auth can-i get pods -n /);
    const job = await Job.fromId(stack.queue(), jobId);
    expect(job?.attemptsMade).toBe(1);
    expect(stack.sim.stats().byRoute['GET /api/v1/namespaces/{ns}/pods/{name}']).toBe(1);
  });

  it('pod not found: says so in the thread, with how to find it', async () => {
    const { channel } = await sendCommand(stack, `diagnose no-such-pod-x1 -n ${NS}`);
    const { status, replies } = await settled(stack, channel, { timeoutMs: 25_000 });
    expect(status.text).toMatch(/failed/i);
    expect(text(replies[0]!)).toMatch(/no-such-pod-x1/);
    expect(text(replies[0]!)).toMatch(/kubectl get pods -n/);
  });

  it('Slack answers 429: the bot waits Retry-After and nothing is lost', async () => {
    stack.slack.rateLimit('chat.postMessage', 2, 1);
    const t0 = Date.now();
    const { channel } = await sendCommand(stack, `diagnose ${POD} -n ${NS}`);
    const { status, replies } = await settled(stack, channel, { timeoutMs: 25_000 });
    expect(status.text).toMatch(/done/i);
    expect(replies).toHaveLength(1);
    expect(stack.slack.calls('chat.postMessage').filter((c) => c.status === 429)).toHaveLength(2);
    // one status message, not one per retry
    expect(stack.slack.messages(channel).filter((m) => !m.thread_ts)).toHaveLength(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2000);
  });

  it('bot restarted while the job runs: the result is still posted, once', async () => {
    stack.sim.setLatency(700);
    const { channel, id: jobId } = await sendCommand(stack, `diagnose ${POD} -n ${NS}`);
    await stack.slack.waitFor(() => stack.slack.messages(channel).find((m) => !m.thread_ts), 10_000);
    await stack.bot.stop();
    const job = await Job.fromId(stack.queue(), jobId);
    for (let i = 0; i < 200 && !(await job!.isCompleted()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await job!.isCompleted()).toBe(true);
    expect(stack.slack.thread(channel, stack.slack.messages(channel)[0]!.ts)).toHaveLength(0);
    stack.sim.setLatency(0);
    await stack.restartBot();
    const { status, replies } = await settled(stack, channel, { timeoutMs: 25_000 });
    expect(status.text).toMatch(/done/i);
    // a few sweeps later, still exactly one reply
    await new Promise((r) => setTimeout(r, 1500));
    expect(stack.slack.thread(channel, status.ts)).toHaveLength(1);
    expect(replies).toHaveLength(1);
  });
});

const describeRedis = haveRedisServer() ? describe : describe.skip;
describeRedis('Redis down when a command arrives (private redis-server)', () => {
  let redis: PrivateRedis;
  let stack: Stack;
  beforeAll(async () => {
    redis = await PrivateRedis.start();
    stack = await startStack({ redisUrl: redis.url });
  });
  afterAll(async () => {
    await redis.start(); // in case the test stopped half-way: close() needs Redis to clean up
    await stack?.close();
    await redis.stop();
  });

  it('tells the user at once, starts nothing, and serves again when Redis is back', async () => {
    await redis.stop();
    const down = await sendCommand(stack, `diagnose ${POD} -n ${NS}`);
    expect(down.res.status).toBe(200);
    expect(down.res.elapsedMs).toBeLessThan(3000);
    const body = down.res.json as { response_type?: string; text?: string };
    expect(body.response_type).toBe('ephemeral');
    expect(body.text).toMatch(/Redis is not answering/);
    expect(stack.slack.messages(down.channel)).toHaveLength(0);

    await redis.start();
    // the bot reconnects on its own (poddebug_redis_up turns 1; /readyz no longer depends on Redis), and the
    // worker's heartbeat is back in the restarted (empty) Redis
    for (let i = 0; i < 100; i++) {
      const m = await fetch(`${stack.botUrl}/metrics`)
        .then((r) => r.text())
        .catch(() => '');
      if (/^poddebug_redis_up 1$/m.test(m) && /^poddebug_worker_alive\{[^}]*\} 1$/m.test(m)) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const up = await sendCommand(stack, `diagnose ${POD} -n ${NS}`);
    expect((up.res.json as { text?: string } | undefined)?.text ?? '').not.toMatch(/Redis/);
    const { status, replies } = await settled(stack, up.channel, { timeoutMs: 25_000 });
    expect(status.text).toMatch(/done/i);
    expect(replies).toHaveLength(1);
  });
});

describe('a worker killed mid-job (SIGKILL)', () => {
  /** The workers' lock (WORKER_LOCK_MS). */
  const LOCK_MS = 3000;
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ worker: false, lockMs: LOCK_MS });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('another worker takes the job over within 1.5 locks and the result is posted once', async () => {
    stack.sim.setLatency(2500);
    const child = spawn(process.execPath, ['--import', 'tsx', 'jobs/worker-main.ts'], {
      env: {
        ...process.env,
        CLUSTER: stack.cluster,
        REDIS_URL: testRedisUrl(),
        KUBECONFIG: stack.sim.kubeconfigPath,
        WORKER_LOCK_MS: String(LOCK_MS),
        LOG_LEVEL: 'silent',
      },
      stdio: 'ignore',
    });
    try {
      const { channel, id: jobId } = await sendCommand(stack, `diagnose ${POD} -n ${NS}`);
      const q = stack.queue();
      let state = '';
      for (let i = 0; i < 150 && state !== 'active'; i++) {
        state = (await (await Job.fromId(q, jobId))?.getState()) ?? '';
        if (state !== 'active') await new Promise((r) => setTimeout(r, 100));
      }
      expect(state).toBe('active');
      // A second worker, idle: the one that survives.
      stack.startWorker();
      // Kill right after the dying worker renewed its lock: the lock then outlives it the longest.
      const lockKey = `${QUEUE_PREFIX}:${queueName(stack.cluster)}:${jobId}:lock`;
      let ttl = 0;
      for (let i = 0; i < 400 && ttl < LOCK_MS - 150; i++) {
        await new Promise((r) => setTimeout(r, 10));
        ttl = await stack.redis.pttl(lockKey);
      }
      expect(ttl).toBeGreaterThanOrEqual(LOCK_MS - 150);
      child.kill('SIGKILL');
      const killedAt = Date.now();
      await new Promise((r) => child.once('exit', r));
      stack.sim.setLatency(0);
      const { status, replies } = await settled(stack, channel, { timeoutMs: 25_000 });
      expect(status.text).toMatch(/done/i);
      expect(replies).toHaveLength(1);
      // Taken over and finished within 1.5 locks of the kill (plus a second to run the diagnose).
      const job = await Job.fromId(q, jobId);
      expect(job?.finishedOn).toBeDefined();
      expect(job!.finishedOn! - killedAt).toBeLessThanOrEqual(1.5 * LOCK_MS + 1000);
      await q.close();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
