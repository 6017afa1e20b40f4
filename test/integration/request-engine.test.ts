/**
 * The request engine through crashes and rate limits (the defects chaos runs found): a status message
 * posted by a bot that died before recording it is found by its metadata and not posted again; a request
 * a dead bot queued but never announced nor audited is announced, answered and audited by the sweep,
 * once; progress updates never land after the final state. Real bot, Redis, worker, simulator, Slack double.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from '@jest/globals';
import { RequestStore } from '../../bot/requests/store.js';
import {
  DIAGNOSE_JOB,
  DIAGNOSE_JOB_OPTIONS,
  formatTarget,
  KEYS,
  requestIdFor,
} from '../../jobs/contracts/index.js';
import { readAuditLog } from '../support/audit-log.js';
import { newChannel, sendCommand } from '../support/commands.js';
import { listScenarios } from '../support/scenarios.js';
import { type Stack, startStack } from '../support/stack.js';

const healthy = listScenarios().find((s) => s.name === 'healthy')!;
const POD = healthy.expect.pod;
const NS = healthy.namespace;
let stack: Stack | undefined;

afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

/** Starts a stack that afterEach closes. */
async function openStack(o: Parameters<typeof startStack>[0]): Promise<Stack> {
  stack = await startStack(o);
  return stack;
}

async function command(s: Stack, text: string) {
  const { res, channel, id } = await sendCommand(s, text, { channelId: newChannel('C0ENGINE', 2) });
  expect(res.status).toBe(200);
  return { channel, id };
}

/** The bot's messages for one request and part, found by their metadata. */
function parts(s: Stack, channel: string, id: string, part: string) {
  return s.slack
    .messages(channel)
    .filter((m) => m.metadata?.event_payload.request_id === id && m.metadata.event_payload.part === part);
}

function auditTypes(s: Stack, id: string): string[] {
  return readAuditLog(s.auditLogPath)
    .filter((a) => a.requestId === id)
    .map((a) => a.type);
}

describe('the request engine after a crash', () => {
  it('a status message posted by a bot that died before recording it is found by its metadata, not posted again', async () => {
    const s = await openStack({
      worker: false,
      requestLockMs: 1000,
      announceGraceMs: 500,
      sweepMs: 200,
    });
    const { channel, id } = await command(s, `diagnose ${POD} -n ${NS}`);
    const first = await s.slack.waitFor(() => parts(s, channel, id, 'status')[0], 10_000);
    // What a bot killed between Slack's answer and its Redis write leaves: the message in Slack, its claim
    // in Redis, no ts and no "posted" mark.
    await s.redis.hdel(KEYS.request(id), 'statusTs', 'threadTs');
    await s.redis.hset(KEYS.request(id), 'posted', '', 'posting:status', String(Date.now() - 10_000));
    await s.slack.waitFor(
      async () => (await s.redis.hget(KEYS.request(id), 'statusTs')) === first.ts,
      10_000,
    );
    s.startWorker();
    const status = await s.slack.waitFor(
      () => parts(s, channel, id, 'status').find((m) => /— done\b/.test(m.text ?? '')),
      20_000,
    );
    expect(status.ts).toBe(first.ts);
    expect(parts(s, channel, id, 'status')).toHaveLength(1);
    expect(s.slack.thread(channel, first.ts)).toHaveLength(1);
  }, 40_000);

  it('a request a dead bot queued but never announced nor audited is announced, answered and audited once by the sweep', async () => {
    const s = await openStack({ requestLockMs: 1000, announceGraceMs: 500, sweepMs: 200 });
    const channel = 'C0ENGINEDEAD';
    const id = requestIdFor('diagnose', s.cluster, ['T0TEAM001', channel, 'U0ONCALL1', randomUUID()]);
    const target = { kind: 'pod' as const, name: POD, namespace: NS };
    const createdAt = Date.now() - 5000;
    // Exactly what the handler writes before its ack: the job, then the record with its audit entry due.
    await s.queue().add(
      DIAGNOSE_JOB,
      {
        version: 1,
        action: 'diagnose',
        cluster: s.cluster,
        target,
        requester: { userId: 'U0ONCALL1', channelId: channel, teamId: 'T0TEAM001' },
        requestedAt: new Date(createdAt).toISOString(),
      },
      { ...DIAGNOSE_JOB_OPTIONS, jobId: id },
    );
    const created = await new RequestStore(s.redis).create(
      {
        id,
        kind: 'diagnose',
        state: 'queued',
        cluster: s.cluster,
        channel,
        teamId: 'T0TEAM001',
        requester: 'U0ONCALL1',
        createdAt,
        target: formatTarget(target),
        targetRef: target,
      },
      ['requested'],
    );
    expect(created).toBe(true);
    const status = await s.slack.waitFor(
      () => parts(s, channel, id, 'status').find((m) => /— done\b/.test(m.text ?? '')),
      20_000,
    );
    expect(s.slack.thread(channel, status.ts)).toHaveLength(1);
    await s.slack.waitFor(() => auditTypes(s, id).includes('succeeded'), 10_000);
    await new Promise((r) => setTimeout(r, 1500)); // several more sweeps: nothing is written twice
    expect(auditTypes(s, id)).toEqual(['requested', 'succeeded']);
    expect(parts(s, channel, id, 'status')).toHaveLength(1);
    expect(await s.redis.zscore(KEYS.open(s.cluster), id)).toBeNull();
  }, 40_000);
});

describe('the request engine when Slack answers badly', () => {
  it('a message Slack took but whose answer was lost is found, not posted again', async () => {
    const s = await openStack({ announceGraceMs: 500, sweepMs: 200, latencyMs: 300 });
    s.slack.loseAnswer('chat.postMessage', 1, 502);
    const { channel, id } = await command(s, `diagnose ${POD} -n ${NS}`);
    const status = await s.slack.waitFor(
      () => parts(s, channel, id, 'status').find((m) => /— done\b/.test(m.text ?? '')),
      20_000,
    );
    expect(parts(s, channel, id, 'status')).toHaveLength(1);
    expect(s.slack.thread(channel, status.ts)).toHaveLength(1);
    expect(s.slack.calls('conversations.history').length).toBeGreaterThan(0);
  }, 40_000);

  it('a message Slack refused (ok: false) is posted again on the next try, once', async () => {
    const s = await openStack({ announceGraceMs: 500, sweepMs: 200 });
    s.slack.failWith('chat.postMessage', 'fatal_error', 1);
    const { channel, id } = await command(s, `diagnose ${POD} -n ${NS}`);
    const status = await s.slack.waitFor(
      () => parts(s, channel, id, 'status').find((m) => /— done\b/.test(m.text ?? '')),
      20_000,
    );
    expect(parts(s, channel, id, 'status')).toHaveLength(1);
    expect(s.slack.thread(channel, status.ts)).toHaveLength(1);
  }, 40_000);
});

describe('the request engine under rate limits', () => {
  it('a rate-limited progress update never lands after the final status', async () => {
    const s = await openStack({ latencyMs: 50 });
    s.slack.rateLimit('chat.update', 3, 1);
    const { channel, id } = await command(s, `diagnose ${POD} -n ${NS}`);
    const status = await s.slack.waitFor(
      () => parts(s, channel, id, 'status').find((m) => /— done\b/.test(m.text ?? '')),
      20_000,
    );
    await new Promise((r) => setTimeout(r, 2500)); // longer than any Retry-After the double gave
    const now = parts(s, channel, id, 'status');
    expect(now).toHaveLength(1);
    expect(now[0]!.text).toMatch(/— done\b/);
    expect(s.slack.thread(channel, status.ts)).toHaveLength(1);
    expect(auditTypes(s, id)).toEqual(['requested', 'succeeded']);
  }, 40_000);
});
