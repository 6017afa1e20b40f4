/**
 * poddebug on a real Redis Cluster (three redis-server masters, REDIS_CLUSTER=true for bot and worker): a
 * Redis Cluster refuses a script or a MULTI whose keys span slots (CROSSSLOT) and sends a client to the node
 * that serves a key (MOVED), so this runs the product's every multi-key step as a user would meet it: a
 * diagnose, a privileged probe approved and run, `/poddebug jobs` and `/poddebug cancel`, the audit trail.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Job, Queue } from 'bullmq';
import calculateSlot from 'cluster-key-slot';
import { Redis } from 'ioredis';
import { auditMain } from '../../bot/audit/cli.js';
import { AuditStream } from '../../bot/audit/stream.js';
import { redisAclUsers } from '../../jobs/cli/redis-acl.js';
import { DIAGNOSE_JOB, KEYS, QUEUE_PREFIX, queueName } from '../../jobs/contracts/index.js';
import { connectRedis } from '../../jobs/contracts/redis-connect.js';
import { type KubeSim, startKubeSim } from '../../tools/kube-sim/index.js';
import { until } from '../support/poll.js';
import { fakeProbeExecutor } from '../support/probe-flow.js';
import { RedisClusterFixture } from '../support/redis-cluster.js';
import { haveRedisServer } from '../support/redis-server.js';
import { listScenarios } from '../support/scenarios.js';
import { type Stack, startStack } from '../support/stack.js';
import { putFlowTarget, runWholeFlow, WHOLE_FLOW_POLICY } from '../support/whole-flow.js';

const describeCluster = haveRedisServer() ? describe : describe.skip;
describeCluster('poddebug on a Redis Cluster of three masters', () => {
  let redisCluster: RedisClusterFixture;
  let stack: Stack;

  beforeAll(async () => {
    redisCluster = await RedisClusterFixture.start();
    stack = await startStack({
      fixtures: 'test/fixtures/scenarios',
      policy: WHOLE_FLOW_POLICY,
      redisUrl: redisCluster.url,
      redisCluster: true,
      probes: { executor: fakeProbeExecutor() },
    });
    putFlowTarget(stack);
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
    await redisCluster?.stop();
  });

  /** The node (port) that serves a key's slot. */
  async function nodeOf(key: string): Promise<number> {
    const slot = calculateSlot(key);
    const admin = new Redis(redisCluster.url);
    try {
      const ranges = (await admin.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
      return ranges.find(([from, to]) => slot >= from && slot <= to)![2][1];
    } finally {
      admin.disconnect();
    }
  }

  it('is a Redis Cluster: it refuses a script whose keys span slots', async () => {
    await expect(
      stack.redis.eval("return redis.call('MSET', KEYS[1], 1, KEYS[2], 1)", 2, '{a}x', '{b}x'),
    ).rejects.toThrow(/CROSSSLOT/);
  });

  it('a diagnose, an approved probe, jobs and cancel work; the audit chain verifies, also with the CLI', async () => {
    const { approvedId: requestId, cancelledId } = await runWholeFlow(stack);
    expect(await stack.redis.exists(KEYS.approvalUsed(requestId))).toBe(1);
    expect(await stack.redis.hget(KEYS.request(cancelledId), 'state')).toBe('cancelled');

    // The audit trail is whole and its chain verifies, read back from the cluster.
    const audit = new AuditStream(stack.redis, { key: stack.auditKey, keys: stack.auditKeys });
    const types: string[] = [];
    for await (const e of audit.read()) {
      const ev = JSON.parse(e.event ?? '{}') as { type?: string; requestId?: string };
      if (ev.requestId === requestId && ev.type) types.push(ev.type);
    }
    expect(types).toEqual(expect.arrayContaining(['requested', 'approval', 'succeeded']));
    expect(await audit.verify()).toMatchObject({ ok: true });

    // `poddebug audit verify` as an operator runs it against the cluster (any node's address).
    let stdout = '';
    let stderr = '';
    const code = await auditMain(
      [
        'node',
        'poddebug',
        'audit',
        'verify',
        '--redis',
        redisCluster.nodes[2]!.url,
        '--redis-cluster',
      ].concat(['--key', stack.auditKey, '--key-file', stack.auditKeysPath]),
      { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), connectTimeoutMs: 2000 },
    );
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/entries, intact/);
  }, 60_000);

  it('the data is spread over the nodes: requests, the gate and the audit trail each on the node of its tag', async () => {
    const nodes = new Set([
      await nodeOf(KEYS.open(stack.cluster)),
      await nodeOf(KEYS.heartbeat(stack.cluster)),
      await nodeOf(stack.auditKey),
    ]);
    // Three tags on three masters: at least two differ (the test is not on one node in disguise).
    expect(nodes.size).toBeGreaterThan(1);
  });
});

describeCluster('on a Redis Cluster with the ACL users of `poddebug redis-acl` on every node', () => {
  let redisCluster: RedisClusterFixture;
  let stack: Stack;
  const cluster = `aclc${randomUUID().slice(0, 6)}`;
  let urlOf: (user: string) => string;

  beforeAll(async () => {
    redisCluster = await RedisClusterFixture.start({ users: { admin: 'pw-admin-cluster' } });
    const users = redisAclUsers({ clusters: [cluster], disableDefault: false });
    // Applied on every node, as an operator would (ACL users are per node).
    for (const n of redisCluster.nodes) {
      const admin = new Redis(n.url);
      for (const u of users) await admin.call(u.argv[0]!, ...u.argv.slice(1));
      admin.disconnect();
    }
    const node = redisCluster.nodes[1]!;
    urlOf = (user) => {
      const u = users.find((x) => x.user === user)!;
      return node.urlAs(u.user, u.password);
    };
    stack = await startStack({
      cluster,
      fixtures: 'test/fixtures/scenarios',
      policy: WHOLE_FLOW_POLICY,
      redisUrl: urlOf('poddebug-bot'),
      workerRedisUrl: urlOf(`poddebug-worker-${cluster}`),
      redisCluster: true,
      probes: { executor: fakeProbeExecutor() },
    });
    putFlowTarget(stack);
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
    await redisCluster?.stop();
  });

  it('bot and worker log in as their users; a diagnose, an approved probe, jobs and cancel work', async () => {
    const { approvedId } = await runWholeFlow(stack);
    expect(await stack.redis.hget(KEYS.request(approvedId), 'state')).toBe('done');
  }, 60_000);

  it("the worker's user is refused a request record's write on the cluster too (NOPERM)", async () => {
    const worker = connectRedis({ url: urlOf(`poddebug-worker-${cluster}`), cluster: true }, {});
    worker.on('error', () => undefined);
    try {
      const id = `prb-${cluster}-${'a'.repeat(24)}`;
      await expect(worker.hset(KEYS.request(id), 'state', 'approved')).rejects.toThrow(/NOPERM/);
      expect(await worker.hgetall(KEYS.request(id))).toEqual({});
    } finally {
      worker.disconnect();
    }
  });
});

describeCluster(
  'on a Redis Cluster behind TLS (rediss://, a private CA, nodes announced by hostname)',
  () => {
    let redisCluster: RedisClusterFixture;
    let sim: KubeSim;
    let child: ChildProcess | undefined;
    const cluster = `tlsc${randomUUID().slice(0, 6)}`;

    beforeAll(async () => {
      redisCluster = await RedisClusterFixture.start({ tls: true });
      sim = await startKubeSim({ fixtures: 'test/fixtures/scenarios' });
    }, 60_000);

    afterAll(async () => {
      child?.kill('SIGKILL');
      await sim?.close();
      await redisCluster?.stop();
    });

    it('the worker, as deployed, connects over TLS, writes its heartbeat and runs a diagnose job', async () => {
      // The real worker process: REDIS_URL names one node's TLS port by a name its certificate covers; the
      // private CA is trusted the standard Node way.
      child = spawn(process.execPath, ['--import', 'tsx', 'jobs/worker-main.ts'], {
        env: {
          ...process.env,
          CLUSTER: cluster,
          REDIS_URL: `rediss://localhost:${redisCluster.tls!.ports[0]}`,
          REDIS_CLUSTER: 'true',
          NODE_EXTRA_CA_CERTS: redisCluster.tls!.ca,
          KUBECONFIG: sim.kubeconfigPath,
          WORKER_HEALTH_PORT: '0',
          LOG_LEVEL: 'silent',
        },
        stdio: 'ignore',
      });
      // Read back over the plain ports (the fixture's own set-up connection).
      const admin = connectRedis({ url: redisCluster.url, cluster: true }, { maxRetriesPerRequest: null });
      admin.on('error', () => undefined);
      const queue = new Queue(queueName(cluster), { connection: admin, prefix: QUEUE_PREFIX });
      queue.on('error', () => undefined);
      try {
        await until(async () => (await admin.exists(KEYS.heartbeat(cluster))) === 1, 30_000, {
          what: 'the worker heartbeat over TLS',
        });
        const healthy = listScenarios().find((s) => s.name === 'healthy')!;
        const job = await queue.add(
          DIAGNOSE_JOB,
          {
            version: 1,
            action: 'diagnose',
            cluster,
            target: { kind: 'pod', name: healthy.expect.pod, namespace: healthy.namespace },
            requester: { userId: 'U0TLS', channelId: 'C0TLS' },
            requestedAt: new Date().toISOString(),
          },
          { jobId: `diag-${cluster}-${'c'.repeat(24)}` },
        );
        await until(async () => (await queue.getJobState(job.id!)) === 'completed', 30_000, {
          what: 'the diagnose job completed by the worker',
        });
        const done = await Job.fromId(queue, job.id!);
        expect(JSON.stringify(done?.returnvalue)).toContain(healthy.expect.pod);
      } finally {
        await queue.close();
        admin.disconnect();
      }
    }, 90_000);
  },
);
