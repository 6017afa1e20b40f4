/**
 * Per-cluster Redis ACL users (issue 9): `poddebug redis-acl` output applied to a private redis-server, a real
 * worker running as its cluster's user against the simulator (a diagnose and an approved probe work), and that
 * user refused (NOPERM) when it writes a request record, another cluster's queue, or the audit stream.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { redisAclUsers } from '../../jobs/cli/redis-acl.js';
import { KEYS, QUEUE_PREFIX, queueName } from '../../jobs/contracts/index.js';
import { sendSlashCommand } from '../../tools/slack-double/index.js';
import { click, fakeProbeExecutor, putTargetPod, requestAwaitingApproval } from '../support/probe-flow.js';
import { haveRedisServer, PrivateRedis } from '../support/redis-server.js';
import { listScenarios } from '../support/scenarios.js';
import { SIGNING_SECRET, type Stack, startStack } from '../support/stack.js';

const REQUESTER = 'U0ONCALL1';
const APPROVER = 'U0ALICE';
const POLICY = `
version: 1
channels:
  ids: [C0INCIDENT]
grants:
  - users: [${REQUESTER}]
    roles: [viewer, privileged]
    clusters: ["*"]
    namespaces: ["*"]
  - users: [${APPROVER}]
    roles: [approver]
    clusters: ["*"]
    namespaces: ["*"]
approvals:
  count: 1
`;

const describeRedis = haveRedisServer() ? describe : describe.skip;
describeRedis('a worker as its cluster’s Redis ACL user', () => {
  const cluster = `acl${randomUUID().slice(0, 6)}`;
  const other = `oth${randomUUID().slice(0, 6)}`;
  let redis: PrivateRedis;
  let stack: Stack;
  let worker: Redis;
  let workerUrl: string;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    const admin = new Redis(redis.url);
    const users = redisAclUsers({ clusters: [cluster, other], disableDefault: false });
    // Applied as an operator would, one ACL SETUSER each (argv as printed, no shell).
    for (const u of users) await admin.call(u.argv[0]!, ...u.argv.slice(1));
    admin.disconnect();
    const mine = users.find((u) => u.user === `poddebug-worker-${cluster}`)!;
    workerUrl = `redis://${mine.user}:${mine.password}@127.0.0.1:${redis.port}`;
    worker = new Redis(workerUrl, { maxRetriesPerRequest: 1 });
    stack = await startStack({
      cluster,
      redisUrl: redis.url,
      workerRedisUrl: workerUrl,
      policy: POLICY,
      probes: { executor: fakeProbeExecutor() },
      sweepMs: 300,
    });
  }, 30_000);
  afterAll(async () => {
    worker?.disconnect();
    await stack?.close();
    await redis?.stop();
  });

  it('runs a diagnose', async () => {
    const healthy = listScenarios().find((s) => s.name === 'healthy')!;
    const res = await sendSlashCommand(stack.eventsUrl, SIGNING_SECRET, {
      text: `diagnose ${healthy.expect.pod} -n ${healthy.namespace}`,
      channelId: 'C0INCIDENT',
      userId: REQUESTER,
      triggerId: randomUUID(),
      responseUrl: stack.slack.responseUrl(),
    });
    expect(res.status).toBe(200);
    const status = await stack.slack.waitFor(
      () =>
        stack.slack
          .messages('C0INCIDENT')
          .find((m) => !m.thread_ts && /— (done|failed)\b/.test(m.text ?? '')),
      20_000,
    );
    expect(status.text).toMatch(/— done/);
  }, 30_000);

  it('runs an approved probe (queue, slots, approval mark, artefacts, the record read)', async () => {
    putTargetPod(stack, { namespace: 'shop', name: 'acl-target-1a' });
    const { root, requestId } = await requestAwaitingApproval(
      stack,
      { userId: REQUESTER },
      'strace acl-target-1a -n shop',
    );
    await click(stack, root, 'poddebug_approve', APPROVER, requestId);
    let state: string | null = null;
    for (let i = 0; i < 400 && !['done', 'failed', 'voided'].includes(state ?? ''); i++) {
      await new Promise((r) => setTimeout(r, 50));
      state = await stack.redis.hget(KEYS.request(requestId), 'state');
    }
    expect({ state, failure: await stack.redis.hget(KEYS.request(requestId), 'failure') }).toEqual({
      state: 'done',
      failure: null,
    });
    expect(await stack.redis.exists(KEYS.approvalUsed(requestId))).toBe(1);
    // The worker stored the trace where the bot could read it, and the bot posted the result.
    expect(stack.slack.thread(root.channel, root.ts).some((m) => /strace/i.test(m.text ?? ''))).toBe(true);
  }, 40_000);

  it('cannot write a request record or its approvers (NOPERM), though it may read them', async () => {
    const id = `prb-${cluster}-${'a'.repeat(24)}`;
    await expect(worker.hset(KEYS.request(id), 'state', 'approved')).rejects.toThrow(/NOPERM/);
    await expect(worker.rpush(KEYS.approvers(id), APPROVER)).rejects.toThrow(/NOPERM/);
    await expect(worker.del(KEYS.request(id))).rejects.toThrow(/NOPERM/);
    await expect(worker.set(KEYS.cancel(id), 'x')).rejects.toThrow(/NOPERM/);
    expect(await worker.hgetall(KEYS.request(id))).toEqual({});
  });

  it("cannot read another cluster's request records, nor mark its approvals used (NOPERM)", async () => {
    const foreign = `prb-${other}-${'a'.repeat(24)}`;
    await expect(worker.hgetall(KEYS.request(foreign))).rejects.toThrow(/NOPERM/);
    await expect(worker.lrange(KEYS.approvers(foreign), 0, -1)).rejects.toThrow(/NOPERM/);
    await expect(worker.exists(KEYS.cancel(foreign))).rejects.toThrow(/NOPERM/);
    await expect(worker.set(KEYS.approvalUsed(foreign), 'x')).rejects.toThrow(/NOPERM/);
  });

  it("cannot add a job to another cluster's queue, nor touch its keys (NOPERM)", async () => {
    const q = new Queue(queueName(other), { connection: worker, prefix: QUEUE_PREFIX });
    await expect(q.add('probe-run', { forged: true }, { jobId: 'run-forged' })).rejects.toThrow(/NOPERM/);
    await q.close().catch(() => undefined);
    await expect(worker.lpush(`${QUEUE_PREFIX}:${queueName(other)}:wait`, 'x')).rejects.toThrow(/NOPERM/);
    await expect(worker.get(`${QUEUE_PREFIX}:${queueName(other)}:meta`)).rejects.toThrow(/NOPERM/);
  });

  it('cannot rewrite the audit stream, read other keys, or run admin commands', async () => {
    await expect(worker.xadd(stack.auditKey, '*', 'event', '{}')).rejects.toThrow(/NOPERM/);
    await expect(worker.set(`${stack.auditKey}:head`, '1:x')).rejects.toThrow(/NOPERM/);
    await expect(worker.flushall()).rejects.toThrow(/NOPERM/);
    await expect(worker.call('CONFIG', 'SET', 'requirepass', 'x')).rejects.toThrow(/NOPERM/);
    await expect(worker.keys('*')).rejects.toThrow(/NOPERM/);
  });
});
