/**
 * Running it in production (issue 13) through the real bot, worker, Redis, simulator and Slack double: a
 * command for a cluster whose worker has not been seen gets a clear answer and queues nothing; /metrics of
 * the bot and of the worker expose the series an operator alerts on (scraped and parsed as Prometheus does);
 * the bot stays ready while Redis is down and says so to users and to metrics; Redis with an ACL user works.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { createBot } from '../../bot/app.js';
import { loadBotConfig } from '../../bot/config.js';
import { createLogger } from '../../bot/log.js';
import { KEYS } from '../../jobs/contracts/index.js';
import { sendSlashCommand, startSlackDouble } from '../../tools/slack-double/index.js';
import { readAuditLog } from '../support/audit-log.js';
import { ackBody, newChannel, sendCommand } from '../support/commands.js';
import { until } from '../support/poll.js';
import { scrape } from '../support/prom-text.js';
import { freePort, PrivateRedis } from '../support/redis-server.js';
import { listScenarios } from '../support/scenarios.js';
import { BOT_TOKEN, openTestPolicy, SIGNING_SECRET, type Stack, startStack } from '../support/stack.js';

const healthy = listScenarios().find((s) => s.name === 'healthy')!;
const TARGET = `${healthy.expect.pod} -n ${healthy.namespace}`;
let stack: Stack | undefined;
let redisServer: PrivateRedis | undefined;

afterEach(async () => {
  await stack?.close();
  stack = undefined;
  await redisServer?.stop();
  redisServer = undefined;
}, 60_000);

/** Starts a stack that afterEach closes. */
async function openStack(o: Parameters<typeof startStack>[0]): Promise<Stack> {
  stack = await startStack(o);
  return stack;
}

async function command(s: Stack, text: string) {
  const sent = await sendCommand(s, text, { channelId: newChannel('C0OPS', 4) });
  expect(sent.res.status).toBe(200);
  return { ...sent, body: ackBody(sent.res) };
}

function auditLines(s: Stack): { type: string; cluster: string; reason?: string }[] {
  return readAuditLog<{ type: string; cluster: string; reason?: string }>(s.auditLogPath);
}

async function jobsIn(s: Stack): Promise<number> {
  const q = s.queue();
  const counts = await q.getJobCounts();
  await q.close();
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

describe('a cluster without a live worker', () => {
  it('answers in the ack that no worker has been seen, queues nothing, audits a refusal; a worker that starts is used', async () => {
    const s = await openStack({ worker: false, heartbeat: false });
    const refused = await command(s, `diagnose ${TARGET}`);
    expect(refused.res.elapsedMs).toBeLessThan(3000);
    expect(refused.body.response_type).toBe('ephemeral');
    expect(refused.body.text).toContain(`No worker for cluster \`${s.cluster}\` has been seen for 60 s`);
    expect(await jobsIn(s)).toBe(0);
    expect(await s.redis.exists(KEYS.request(refused.id))).toBe(0);
    expect(s.slack.messages(refused.channel)).toHaveLength(0);
    await s.slack.waitFor(() => auditLines(s).find((a) => a.type === 'refused'), 5000);
    expect(auditLines(s).filter((a) => a.type === 'refused')).toEqual([
      expect.objectContaining({ cluster: s.cluster, reason: expect.stringMatching(/No worker/) }),
    ]);
    const m = await scrape(`${s.botUrl}/metrics`);
    expect(
      m.sum('poddebug_commands_total', { verb: 'diagnose', outcome: 'refused', reason: 'no_worker' }),
    ).toBe(1);
    expect(m.sum('poddebug_worker_alive', { cluster: s.cluster })).toBe(0);

    // A worker comes up: its heartbeat is there within a moment, and the next command is queued and answered.
    s.startWorker();
    await until(async () => (await s.redis.exists(KEYS.heartbeat(s.cluster))) === 1, 5000, {
      what: 'the worker’s heartbeat',
    });
    const ttl = await s.redis.pttl(KEYS.heartbeat(s.cluster));
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    const ok = await command(s, `diagnose ${TARGET}`);
    expect(ok.body.text ?? '').not.toMatch(/No worker/);
    await s.slack.waitFor(
      () => s.slack.messages(ok.channel).find((msg) => /— done\b/.test(msg.text ?? '')),
      20_000,
    );
    expect((await scrape(`${s.botUrl}/metrics`)).sum('poddebug_worker_alive', { cluster: s.cluster })).toBe(
      1,
    );
  }, 40_000);
});

describe('/metrics', () => {
  it('the bot and the worker expose commands, ack latency, queue, Slack calls, jobs and API requests', async () => {
    const s = await openStack({ workerHealth: true });
    const { channel } = await command(s, `diagnose ${TARGET}`);
    await command(s, 'diagnose checkout --cluster mars'); // refused by the grammar
    await s.slack.waitFor(
      () => s.slack.messages(channel).find((msg) => /— done\b/.test(msg.text ?? '')),
      20_000,
    );

    const bot = await scrape(`${s.botUrl}/metrics`);
    expect(bot.types.get('poddebug_commands_total')).toBe('counter');
    expect(bot.sum('poddebug_commands_total', { verb: 'diagnose', outcome: 'acked' })).toBe(1);
    expect(
      bot.sum('poddebug_commands_total', { verb: 'invalid', outcome: 'refused', reason: 'invalid' }),
    ).toBe(1);
    expect(bot.types.get('poddebug_command_ack_seconds')).toBe('histogram');
    expect(bot.sum('poddebug_command_ack_seconds_count', { verb: 'diagnose' })).toBe(1);
    expect(bot.sum('poddebug_command_ack_seconds_bucket', { verb: 'diagnose', le: '3' })).toBe(1);
    expect(bot.find('poddebug_queue_jobs', { cluster: s.cluster, state: 'waiting' })).toHaveLength(1);
    expect(bot.find('poddebug_queue_oldest_waiting_seconds', { cluster: s.cluster })).toHaveLength(1);
    expect(bot.sum('poddebug_worker_alive', { cluster: s.cluster })).toBe(1);
    expect(bot.sum('poddebug_slack_api_calls_total', { method: 'chat.postMessage' })).toBeGreaterThanOrEqual(
      1,
    );
    expect(bot.find('poddebug_slack_rate_limited_total')).toHaveLength(1);
    expect(bot.sum('poddebug_audit_append_failures_total')).toBe(0);
    expect(bot.sum('poddebug_redis_up')).toBe(1);

    const worker = await scrape(`${s.workerHealthUrl}/metrics`);
    expect(worker.types.get('poddebug_job_duration_seconds')).toBe('histogram');
    expect(
      worker.sum('poddebug_job_duration_seconds_count', {
        kind: 'diagnose',
        outcome: 'completed',
        cluster: s.cluster,
      }),
    ).toBe(1);
    expect(worker.sum('poddebug_kube_api_requests_total', { status: '200' })).toBeGreaterThan(0);
    expect(worker.types.get('poddebug_kube_api_errors_total')).toBe('counter');
    expect(worker.types.get('poddebug_probe_runs_total')).toBe('counter');
    expect(worker.sum('poddebug_worker_heartbeat_timestamp_seconds', { cluster: s.cluster })).toBeGreaterThan(
      Date.now() / 1000 - 60,
    );
    expect((await fetch(`${s.workerHealthUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${s.workerHealthUrl}/readyz`)).status).toBe(200);
  }, 40_000);
});

describe('Redis down', () => {
  it('the bot stays ready, says so in metrics, and answers users itself', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'poddebug-ops-'));
    const policy = join(dir, 'policy.yaml');
    writeFileSync(policy, openTestPolicy());
    const slack = await startSlackDouble({ botToken: BOT_TOKEN });
    const cfg = loadBotConfig({
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      PORT: '0',
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`, // nothing listens there
      CLUSTERS: 'nowhere',
      LOG_LEVEL: 'silent',
      POLICY_FILE: policy,
      AUDIT_LOG_FILE: join(dir, 'audit.log'),
    });
    const bot = createBot(cfg, createLogger('silent'));
    try {
      const url = `http://127.0.0.1:${await bot.start()}`;
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      expect((await scrape(`${url}/metrics`)).sum('poddebug_redis_up')).toBe(0);
      const res = await sendSlashCommand(`${url}/slack/events`, SIGNING_SECRET, {
        text: `diagnose ${TARGET}`,
        channelId: 'C0OPSDOWN',
        userId: 'U0ONCALL1',
      });
      expect(res.elapsedMs).toBeLessThan(3000);
      const body = res.json as { response_type?: string; text?: string };
      expect(body.response_type).toBe('ephemeral');
      expect(body.text).toMatch(/Redis is not answering/);
      const m = await scrape(`${url}/metrics`);
      expect(m.sum('poddebug_commands_total', { verb: 'diagnose', outcome: 'failed' })).toBe(1);
    } finally {
      // With Redis down, stopping may wait on reconnects: bounded as the bot process bounds it on SIGTERM.
      await Promise.race([bot.stop(), new Promise((r) => setTimeout(r, 5000))]);
      await slack.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 40_000);
});

describe('Redis with an ACL user and password', () => {
  it('bot and worker log in from the URL and a diagnose runs; a wrong password gets nowhere', async () => {
    redisServer = await PrivateRedis.start({ users: { poddebug: 'pw-8c1e-test' } });
    const s = await openStack({ redisUrl: redisServer.url });
    const { channel } = await command(s, `diagnose ${TARGET}`);
    await s.slack.waitFor(
      () => s.slack.messages(channel).find((msg) => /— done\b/.test(msg.text ?? '')),
      20_000,
    );
    const { Redis } = await import('ioredis');
    const wrong = new Redis(redisServer.urlAs('poddebug', 'wrong'), {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    wrong.on('error', () => undefined);
    await expect(wrong.connect().then(() => wrong.ping())).rejects.toThrow();
    wrong.disconnect();
  }, 40_000);
});
