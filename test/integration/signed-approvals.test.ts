/**
 * Signed approvals against someone who can write to Redis (issue 9, finding 1): every field the bot signs is
 * forged by hand in a real, approved run job (edited in Redis the way an attacker would, `job.updateData`),
 * jobs are signed with a key the worker does not trust, a request record and run job are written straight
 * into Redis without the bot's private key, and a used approval is replayed. Nothing runs (the simulator
 * never gets a probe pod), the worker's refusal says what failed, and where the bot knows the request its
 * thread and audit trail show the refusal.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Job } from 'bullmq';
import {
  approvalStatement,
  KEYS,
  type ProbePlan,
  type ProbeRunPayload,
  planBinding,
  recordFields,
  signStatement,
} from '../../jobs/contracts/index.js';
import { approver, GENEROUS_PRIVILEGED, policyYaml, requester } from '../support/policies.js';
import { until } from '../support/poll.js';
import {
  click,
  fakeProbeExecutor,
  inThread,
  putTargetPod,
  requestAwaitingApproval,
} from '../support/probe-flow.js';
import { approvalKeyPair, PROBE_IMAGE, type Stack, startStack } from '../support/stack.js';

const REQUESTER = 'U0ONCALL1';
const APPROVER = 'U0ALICE';
const OTHER_APPROVER = 'U0CAROL';

const POLICY = policyYaml({
  grants: [requester(REQUESTER), approver([APPROVER, OTHER_APPROVER])],
  approvals: 1,
  rateLimits: GENEROUS_PRIVILEGED,
});

let stack: Stack;
let other: { containerId: string; uid: string };
let podCount = 0;

beforeAll(async () => {
  stack = await startStack({
    fixtures: [],
    policy: POLICY,
    probes: { executor: fakeProbeExecutor() },
    sweepMs: 300,
  });
  // Where a forged job would rather point: another pod on another node.
  other = putTargetPod(stack, { namespace: 'shop', name: 'payments-proxy-0', node: 'node-b' });
}, 30_000);
afterAll(async () => {
  await stack?.close();
});

/** Probe pods the simulator was asked to create. */
function probePodPosts(): number {
  return stack.sim.requests().filter((r) => r.method === 'POST' && r.path.includes('/pods')).length;
}

function auditLines(): { type: string; requestId: string; details?: Record<string, unknown> }[] {
  return readFileSync(stack.auditLogPath, 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((l) => (JSON.parse(l) as { audit?: { type: string; requestId: string } }).audit ?? []);
}

/**
 * Requests `ps` on a fresh pod, approves it with the queue paused, edits the approved run job in Redis with
 * `forge`, resumes and returns the job's failure, the thread root and the request id.
 */
async function forgeApprovedRun(forge: (p: ProbeRunPayload) => ProbeRunPayload) {
  const name = `target-${++podCount}-a1b2`;
  putTargetPod(stack, { namespace: 'shop', name });
  const { root, requestId } = await requestAwaitingApproval(
    stack,
    { userId: REQUESTER },
    `ps ${name} -n shop`,
  );
  const q = stack.queue();
  await q.pause();
  try {
    await click(stack, root, 'poddebug_approve', APPROVER, requestId);
    const job = await until(async () => (await q.getJob(`run-${requestId}`)) ?? undefined);
    await job.updateData(forge(structuredClone(job.data as ProbeRunPayload)));
  } finally {
    await q.resume();
  }
  const before = probePodPosts();
  const reason = await until(async () => {
    const j: Job | undefined = await q.getJob(`run-${requestId}`);
    return j?.failedReason || undefined;
  });
  await q.close();
  return { reason, root, requestId, before };
}

/** The plan retargeted to the other pod (UID, container ID and node), binding recomputed as an attacker would. */
function retarget(p: ProbeRunPayload, change: Partial<ProbePlan>): ProbeRunPayload {
  const plan = { ...p.plan, ...change };
  return { ...p, plan, approval: { ...p.approval, binding: planBinding(plan) } };
}

describe('a genuinely signed run job edited in Redis runs nothing', () => {
  it.each([
    [
      'pod UID',
      (p: ProbeRunPayload) => retarget(p, { podUid: other.uid }),
      /the job's pod UID, command differ/,
    ],
    [
      'container ID',
      (p: ProbeRunPayload) => retarget(p, { containerId: other.containerId }),
      /the job's container ID, command differ/,
    ],
    ['node', (p: ProbeRunPayload) => retarget(p, { node: 'node-b' }), /the job's node, command differ/],
    [
      'command',
      (p: ProbeRunPayload) => retarget(p, { spec: { action: 'fds' }, commandLine: 'ls -l /proc/<PID>/fd' }),
      /command differ/,
    ],
    [
      'approver list',
      (p: ProbeRunPayload) => ({ ...p, approval: { ...p.approval, approvers: [OTHER_APPROVER] } }),
      /approvers differ/,
    ],
    [
      'start-by',
      (p: ProbeRunPayload) => ({
        ...p,
        approval: { ...p.approval, startBy: new Date(Date.now() + 86_400_000).toISOString() },
      }),
      /start-by time differ/,
    ],
  ])(
    'another %s',
    async (_what, forge, detail) => {
      const { reason, root, requestId, before } = await forgeApprovedRun(forge);
      expect(reason).toMatch(/approval_mismatch/);
      expect(reason).toMatch(/signature refused \(binding\)/);
      expect(reason).toMatch(detail);
      expect(probePodPosts()).toBe(before);
      // The bot knows the request: its thread and its audit trail say so.
      const msg = await inThread(stack, root, /signature refused/);
      expect(msg.text).toMatch(/nothing ran/i);
      const failed = await until(async () =>
        auditLines().find((a) => a.requestId === requestId && a.type === 'failed'),
      );
      expect(String(failed.details?.message)).toMatch(detail);
    },
    30_000,
  );

  it('the signed statement itself edited (a later start-by): the signature no longer verifies', async () => {
    const later = new Date(Date.now() + 86_400_000).toISOString();
    const { reason, root, before } = await forgeApprovedRun((p) => {
      const signed = p.approval.signed as { statement: { startBy: string }; sig: string };
      signed.statement.startBy = later;
      return { ...p, approval: { ...p.approval, startBy: later } };
    });
    expect(reason).toMatch(/signature refused \(signature\): the signature does not verify/);
    expect(probePodPosts()).toBe(before);
    await inThread(stack, root, /signature does not verify/);
  }, 30_000);

  it('re-signed with a key the worker does not trust: refused naming the key', async () => {
    const attacker = approvalKeyPair();
    const { reason, before } = await forgeApprovedRun((p) => {
      const q = retarget(p, { podUid: other.uid, containerId: other.containerId, node: 'node-b' });
      const statement = approvalStatement(
        {
          requestId: q.requestId,
          plan: q.plan,
          requester: q.requester.userId,
          approvers: q.approval.approvers,
          approvedAt: q.approval.approvedAt,
          startBy: q.approval.startBy,
        },
        attacker.kid,
      );
      return { ...q, approval: { ...q.approval, signed: signStatement(statement, attacker.privateKey) } };
    });
    expect(reason).toMatch(new RegExp(`signature refused \\(key\\): it is signed with key ${attacker.kid}`));
    expect(probePodPosts()).toBe(before);
  }, 30_000);

  it('the signature removed: refused as unsigned', async () => {
    const { reason, before } = await forgeApprovedRun((p) => {
      const { signed: _drop, ...approval } = p.approval;
      return { ...p, approval };
    });
    expect(reason).toMatch(/signature refused \(unsigned\)/);
    // The bot's record matches this job: the signature alone refuses it.
    expect(reason).not.toMatch(/the bot's record/);
    expect(probePodPosts()).toBe(before);
  }, 30_000);
});

describe('written straight into Redis, without the private key', () => {
  it('a matching approved record and run job, signed with another key: nothing runs', async () => {
    const { containerId, uid } = putTargetPod(stack, { namespace: 'shop', name: 'forged-rec-9z8y' });
    const requestId = `prb-${stack.cluster}-${'e'.repeat(24)}`;
    const plan: ProbePlan = {
      cluster: stack.cluster,
      namespace: 'shop',
      pod: 'forged-rec-9z8y',
      podUid: uid,
      container: 'app',
      containerId,
      node: 'node-a',
      image: 'ghcr.io/poddebug/poddebug:test',
      probeImage: PROBE_IMAGE,
      capabilities: ['SYS_PTRACE'],
      spec: { action: 'ps' },
      commandLine: 'ps',
      privileges: [],
      caps: [],
    };
    const now = Date.now();
    const [sec] = await stack.redis.time();
    const redisNow = Number(sec) * 1000;
    // The bot's record, as complete as the bot would write it, and its approvers.
    await stack.redis.hset(
      KEYS.request(requestId),
      recordFields({
        id: requestId,
        kind: 'privileged',
        state: 'approved',
        cluster: stack.cluster,
        channel: 'C0INCIDENT',
        requester: REQUESTER,
        createdAt: redisNow,
        target: { namespace: 'shop', pod: 'forged-rec-9z8y' },
        spec: { action: 'ps' },
        reason: 'forged',
        needed: 1,
        plan,
        binding: planBinding(plan),
        approvedAt: redisNow,
        startBy: redisNow + 600_000,
      }),
    );
    await stack.redis.rpush(KEYS.approvers(requestId), APPROVER);
    const attacker = approvalKeyPair();
    const approvedAt = new Date(redisNow).toISOString();
    const startBy = new Date(redisNow + 600_000).toISOString();
    const facts = { requestId, plan, requester: REQUESTER, approvers: [APPROVER], approvedAt, startBy };
    const q = stack.queue();
    const before = probePodPosts();
    await q.add(
      'probe-run',
      {
        version: 1,
        action: 'probe-run',
        requestId,
        cluster: stack.cluster,
        plan,
        approval: {
          requestId,
          approvers: [APPROVER],
          approvedAt,
          startBy,
          binding: planBinding(plan),
          reason: 'forged',
          signed: signStatement(approvalStatement(facts, attacker.kid), attacker.privateKey),
        },
        requester: { userId: REQUESTER, channelId: 'C0INCIDENT' },
        requestedAt: new Date(now).toISOString(),
      } satisfies ProbeRunPayload,
      { jobId: `run-${requestId}`, attempts: 1 },
    );
    const reason = await until(async () => (await q.getJob(`run-${requestId}`))?.failedReason || undefined);
    await q.close();
    expect(reason).toMatch(/approval_mismatch/);
    expect(reason).toMatch(/signature refused \(key\)/);
    // The forged record passes the record check: only the signature stops it.
    expect(reason).not.toMatch(/the bot's record/);
    expect(probePodPosts()).toBe(before);
    // And the approval was not consumed: nothing started.
    expect(await stack.redis.exists(KEYS.approvalUsed(requestId))).toBe(0);
  }, 30_000);
});

describe('replay', () => {
  it('a used approval queued again (same signed payload, new job id): nothing runs again', async () => {
    const name = 'replayed-5f6g';
    putTargetPod(stack, { namespace: 'shop', name });
    const { root, requestId } = await requestAwaitingApproval(
      stack,
      { userId: REQUESTER },
      `ps ${name} -n shop`,
    );
    await click(stack, root, 'poddebug_approve', APPROVER, requestId);
    const q = stack.queue();
    const done = await until(async () => {
      const j = await q.getJob(`run-${requestId}`);
      return j?.finishedOn ? j : undefined;
    }, 20_000);
    expect(done.failedReason ?? '').toBe('');
    expect(await stack.redis.exists(KEYS.approvalUsed(requestId))).toBe(1);
    // The bot has posted the result and closed the request.
    await until(async () =>
      (await stack.redis.hget(KEYS.request(requestId), 'state')) === 'done' ? true : undefined,
    );
    const before = probePodPosts();
    // The attacker also sets the bot's record back to approved: the signature and the record both pass,
    // and the single-use mark refuses the replay.
    await stack.redis.hset(KEYS.request(requestId), 'state', 'approved');
    await q.add('probe-run', done.data, { jobId: `replay-${requestId}`, attempts: 1 });
    const reason = await until(
      async () => (await q.getJob(`replay-${requestId}`))?.failedReason || undefined,
    );
    await q.close();
    expect(reason).toMatch(/approval_void/);
    expect(reason).toMatch(/already used/);
    expect(probePodPosts()).toBe(before);
  }, 40_000);
});
