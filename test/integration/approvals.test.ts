/**
 * Authorization, approvals and the audit trail through the whole product: the
 * real Bolt receiver with signed requests, real Redis, the API simulator whose
 * node runs probe pods, and the Slack Web API double. Each rule of the issue
 * is checked the way a user would see it: the thread, the ephemeral answers,
 * the queue, and the audit log.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuditStream } from '../../bot/audit/index.js';
import { planBinding } from '../../jobs/contracts/index.js';
import { newTriggerId, sendBlockAction } from '../../tools/slack-double/index.js';
import { until } from '../support/poll.js';
import {
  approvalMessage,
  click,
  command,
  ephemeralTexts,
  fakeProbeExecutor,
  hasButtons,
  inThread,
  putTargetPod,
  requestAwaitingApproval,
  requestProbe,
  submitForm,
} from '../support/probe-flow.js';
import { PROBE_IMAGE, SIGNING_SECRET, type Stack, startStack } from '../support/stack.js';

const REQUESTER = 'U0ONCALL1';
const SRE_MEMBER = 'U0SECOND1';
const APPROVER_A = 'U0ALICE';
const APPROVER_B = 'U0CAROL';
const PAYMENTS_APPROVER = 'U0DAVE';
const OUTSIDER = 'U0ATTACK1';

const POLICY = `
version: 1
contact: "#sre-platform"
channels:
  ids: [C0INCIDENT]
  names: ["inc-*"]
grants:
  - users: [${REQUESTER}]
    roles: [viewer, privileged]
    clusters: ["*"]
    namespaces: [shop, payments]
  - groups: [S0SRE]
    roles: [viewer, privileged]
    clusters: ["*"]
    namespaces: [shop]
  - users: [${APPROVER_A}, ${APPROVER_B}]
    roles: [approver]
    clusters: ["*"]
    namespaces: ["*"]
  - users: [${PAYMENTS_APPROVER}]
    roles: [approver]
    clusters: ["*"]
    namespaces: [payments]
approvals:
  count: 1
  overrides:
    - namespaces: [payments]
      count: 2
`;
/** The requests of this file are many more than the default limits allow an hour. */
const GENEROUS = `rateLimits:
  commands:
    perUser: { max: 1000, windowSeconds: 60 }
    perChannel: { max: 1000, windowSeconds: 60 }
  privileged:
    perUser: { max: 1000, windowSeconds: 60 }
    perChannel: { max: 1000, windowSeconds: 60 }
`;

let stack: Stack;
let skewMs = 0;

beforeAll(async () => {
  stack = await startStack({
    fixtures: [],
    policy: POLICY + GENEROUS,
    now: () => Date.now() + skewMs,
    probes: { executor: fakeProbeExecutor() },
    sweepMs: 300,
  });
  stack.slack.addUsergroup('S0SRE', [SRE_MEMBER]);
  for (const [ns, name] of [
    ['shop', 'checkout-7d9f-x2'],
    ['shop', 'cart-5c6d-q8'],
    ['shop', 'search-1a2b-c3'],
    ['shop', 'orders-9f8e-d7'],
    ['shop', 'web-4d5e-f6'],
    ['shop', 'api-7g8h-i9'],
    ['payments', 'ledger-2b3c-d4'],
    ['payments', 'refunds-3c4d-e5'],
  ] as const) {
    putTargetPod(stack, { namespace: ns, name });
  }
}, 30_000);
afterAll(async () => {
  await stack?.close();
});

async function runJobs(): Promise<string[]> {
  const q = stack.queue();
  const jobs = await q.getJobs(['waiting', 'active', 'completed', 'failed', 'delayed']);
  await q.close();
  return jobs.map((j) => j.id ?? '').filter((id) => id.startsWith('run-'));
}

/** Probe pods the simulator holds in the probe namespace (names). */
async function probePods(): Promise<string[]> {
  const res = await fetch(`${stack.sim.url}/api/v1/namespaces/poddebug-probes/pods`);
  const body = (await res.json()) as { items?: { metadata: { name: string } }[] };
  return (body.items ?? []).map((p) => p.metadata.name);
}

describe('deny by default', () => {
  it('a user with no grant gets an ephemeral refusal naming the action, scope and whom to ask; nothing is queued', async () => {
    const ack = await command(stack, { userId: OUTSIDER }, 'strace checkout-7d9f-x2 -n shop');
    expect(ack.status).toBe(200);
    const body = ack.json as { response_type: string; text: string };
    expect(body.response_type).toBe('ephemeral');
    expect(body.text).toMatch(/no grant for strace/);
    expect(body.text).toMatch(/namespace shop/);
    expect(body.text).toMatch(/role privileged/);
    expect(body.text).toMatch(/#sre-platform/);
    expect(stack.slack.views().length).toBe(0);
    const q = stack.queue();
    expect(await q.count()).toBe(0);
    await q.close();
  });

  it('commands run only in allowed channels: elsewhere a clear refusal, even for a granted user', async () => {
    const ack = await command(
      stack,
      { userId: REQUESTER, channelId: 'C0RANDOM', channelName: 'random' },
      'diagnose checkout-7d9f-x2 -n shop',
    );
    const body = ack.json as { text: string };
    expect(body.text).toMatch(/not allowed in #random/);
    expect(stack.slack.messages('C0RANDOM')).toHaveLength(0);
  });

  it('namespace scoping: a grant for shop does not reach kube-system', async () => {
    const ack = await command(stack, { userId: SRE_MEMBER }, 'strace api-7g8h-i9 -n kube-system');
    expect((ack.json as { text: string }).text).toMatch(
      /no grant for strace in cluster .*, namespace kube-system/,
    );
  });

  it('user-group grants: a member of S0SRE may request in shop (the group is read from Slack)', async () => {
    const { root } = await requestProbe(stack, { userId: SRE_MEMBER }, 'strace web-4d5e-f6 -n shop');
    await stack.slack.waitFor(() => approvalMessage(stack, root), 10_000);
    expect(stack.slack.calls('usergroups.users.list').length).toBeGreaterThan(0);
  });
});

describe('approvals', () => {
  it('shows exactly what will run, refuses self-approval and non-approvers, then one approval runs it', async () => {
    const { root, requestId, approval } = await requestAwaitingApproval(
      stack,
      { userId: REQUESTER },
      'strace checkout-7d9f-x2 -n shop --duration 20s',
    );
    const shown = JSON.stringify(approval.blocks);
    for (const part of [
      'strace -f',
      'checkout-7d9f-x2',
      'node-a',
      'registry.example/shop/checkout:1.4.2',
      'containerd://',
      'CAP_SYS_PTRACE',
      'strace stops the target',
      'INC-2031',
      `<@${REQUESTER}>`,
      '<!date^',
    ]) {
      expect(shown).toContain(part);
    }

    await click(stack, root, 'poddebug_approve', REQUESTER, requestId);
    await stack.slack.waitFor(() => ephemeralTexts(stack, REQUESTER).find((t) => /your own request/.test(t)));
    await click(stack, root, 'poddebug_approve', OUTSIDER, requestId);
    await stack.slack.waitFor(() =>
      ephemeralTexts(stack, OUTSIDER).find((t) => /Only holders of role approver/.test(t)),
    );
    expect(hasButtons(approvalMessage(stack, root))).toBe(true);

    await click(stack, root, 'poddebug_approve', APPROVER_A, requestId);
    const result = await inThread(stack, root, /^\S+ strace on shop\/checkout-7d9f-x2 \(/u, 20_000);
    expect(result.text).toMatch(/ENOENT|missing\.yaml|errors/i);
    const decided = approvalMessage(stack, root)!;
    expect(hasButtons(decided)).toBe(false);
    expect(JSON.stringify(decided.blocks)).toContain(`Approved* by <@${APPROVER_A}>`);
    // The artefact is in the thread.
    await stack.slack.waitFor(() =>
      stack.slack.files().find((f) => f.thread_ts === root.ts && f.filename === 'strace-trace.txt'),
    );
    // The probe pod is gone.
    expect(await probePods()).toEqual([]);
    expect(await runJobs()).toContain(`run-${requestId}`);
  }, 40_000);

  it('N-of-M: payments needs two different approvers; the first approval alone runs nothing', async () => {
    const { root, requestId } = await requestAwaitingApproval(
      stack,
      { userId: REQUESTER },
      'ps ledger-2b3c-d4 -n payments',
    );
    await click(stack, root, 'poddebug_approve', PAYMENTS_APPROVER, requestId);
    await inThread(stack, root, /approved \(1 of 2\)/);
    // The same approver again does not count twice.
    await click(stack, root, 'poddebug_approve', PAYMENTS_APPROVER, requestId);
    await stack.slack.waitFor(() =>
      ephemeralTexts(stack, PAYMENTS_APPROVER).find((t) => /already approved/.test(t)),
    );
    expect(await runJobs()).not.toContain(`run-${requestId}`);
    expect(hasButtons(approvalMessage(stack, root))).toBe(true);

    await click(stack, root, 'poddebug_approve', APPROVER_B, requestId);
    await inThread(stack, root, /approved \(2 of 2\)/);
    await until(async () => (await runJobs()).includes(`run-${requestId}`));
  }, 30_000);

  it('two approvers clicking at the same moment: one decision each, exactly one job', async () => {
    const { root, requestId } = await requestAwaitingApproval(
      stack,
      { userId: REQUESTER },
      'fds cart-5c6d-q8 -n shop',
    );
    await Promise.all([
      click(stack, root, 'poddebug_approve', APPROVER_A, requestId),
      click(stack, root, 'poddebug_approve', APPROVER_B, requestId),
      click(stack, root, 'poddebug_approve', APPROVER_A, requestId),
    ]);
    await stack.slack.waitFor(() => !hasButtons(approvalMessage(stack, root)) || undefined, 10_000);
    await inThread(stack, root, /approved \(1 of 1\)/);
    await until(async () => (await runJobs()).includes(`run-${requestId}`));
    await new Promise((r) => setTimeout(r, 500)); // room for a second decision or job, if there were one
    const approvalsInThread = stack.slack
      .thread(root.channel, root.ts)
      .filter((m) => /approved \(\d of \d\)/.test(m.text ?? ''));
    expect(approvalsInThread).toHaveLength(1);
    expect((await runJobs()).filter((id) => id === `run-${requestId}`)).toHaveLength(1);
  }, 30_000);

  it('deny asks for a reason, replaces the buttons and runs nothing', async () => {
    const { root, requestId } = await requestAwaitingApproval(
      stack,
      { userId: REQUESTER },
      'mem search-1a2b-c3 -n shop',
    );
    const views = stack.slack.views().length;
    await click(stack, root, 'poddebug_deny', APPROVER_B, requestId);
    const modal = await stack.slack.waitFor(() => stack.slack.views()[views]);
    expect(modal.view.callback_id).toBe('poddebug_deny_reason');
    const sub = await submitForm(stack, modal, APPROVER_B, 'use the heap dump from the APM instead');
    expect(sub.status).toBe(200);
    await inThread(stack, root, /denied the request: use the heap dump/);
    await stack.slack.waitFor(() => !hasButtons(approvalMessage(stack, root)) || undefined);
    expect(JSON.stringify(approvalMessage(stack, root)?.blocks)).toContain('denied by');
    // A late approval changes nothing.
    await click(stack, root, 'poddebug_approve', APPROVER_A, requestId);
    await stack.slack.waitFor(() => ephemeralTexts(stack, APPROVER_A).find((t) => /was denied/.test(t)));
    // A deny form submitted late is refused too, in the request's channel (an ephemeral shows only in a
    // channel the user is in; a form's submission names none).
    const late = stack.slack.ephemerals(APPROVER_A).length;
    expect((await submitForm(stack, modal, APPROVER_A, 'also no')).status).toBe(200);
    const refused = await stack.slack.waitFor(() => stack.slack.ephemerals(APPROVER_A)[late]);
    expect(refused.text).toMatch(/denied/);
    expect(refused.channel).toBe(root.channel);
    expect(await runJobs()).not.toContain(`run-${requestId}`);
  }, 30_000);

  it('the requester can cancel while pending; nobody else can', async () => {
    const { root, requestId } = await requestAwaitingApproval(
      stack,
      { userId: REQUESTER },
      'ps orders-9f8e-d7 -n shop',
    );
    await click(stack, root, 'poddebug_cancel', APPROVER_A, requestId);
    await stack.slack.waitFor(() =>
      ephemeralTexts(stack, APPROVER_A).find((t) => /Only the requester can cancel/.test(t)),
    );
    expect(hasButtons(approvalMessage(stack, root))).toBe(true);
    await click(stack, root, 'poddebug_cancel', REQUESTER, requestId);
    await inThread(stack, root, /cancelled the request/);
    await stack.slack.waitFor(() => !hasButtons(approvalMessage(stack, root)) || undefined);
    expect(await runJobs()).not.toContain(`run-${requestId}`);
  }, 30_000);

  it('a pending request expires and can no longer be approved', async () => {
    const { root, requestId } = await requestAwaitingApproval(
      stack,
      { userId: REQUESTER },
      'fds refunds-3c4d-e5 -n payments',
    );
    skewMs = 31 * 60_000;
    try {
      await click(stack, root, 'poddebug_approve', PAYMENTS_APPROVER, requestId);
      await stack.slack.waitFor(() =>
        ephemeralTexts(stack, PAYMENTS_APPROVER).find((t) => /expired/.test(t)),
      );
      await inThread(stack, root, /The request expired/);
      await stack.slack.waitFor(() => !hasButtons(approvalMessage(stack, root)) || undefined);
    } finally {
      skewMs = 0;
    }
    expect(await runJobs()).not.toContain(`run-${requestId}`);
  }, 30_000);

  it('forged or replayed button payloads are refused and change nothing', async () => {
    const { root, requestId } = await requestAwaitingApproval(
      stack,
      { userId: REQUESTER },
      'mem cart-5c6d-q8 -n shop',
    );
    // A value that is not a request id.
    await click(stack, root, 'poddebug_approve', APPROVER_A, '{"approved":true}');
    await stack.slack.waitFor(() => ephemeralTexts(stack, APPROVER_A).find((t) => /not valid/.test(t)));
    // A well-formed id of no request.
    await click(stack, root, 'poddebug_approve', APPROVER_A, `prb-${stack.cluster}-${'0'.repeat(24)}`);
    await stack.slack.waitFor(() =>
      ephemeralTexts(stack, APPROVER_A).find((t) => /no longer exists/.test(t)),
    );
    // A click signed with the wrong secret never reaches the handler.
    const forged = await sendBlockAction(
      stack.eventsUrl,
      SIGNING_SECRET,
      { actionId: 'poddebug_approve', value: requestId, userId: APPROVER_A, triggerId: newTriggerId() },
      { badSignature: true },
    );
    expect(forged.status).toBe(401);
    // A replay of a genuine click from 10 minutes ago: refused by the signature's timestamp check.
    const replay = await sendBlockAction(
      stack.eventsUrl,
      SIGNING_SECRET,
      { actionId: 'poddebug_approve', value: requestId, userId: APPROVER_A, triggerId: newTriggerId() },
      { timestampSec: Math.floor(Date.now() / 1000) - 600 },
    );
    expect(replay.status).toBe(401);
    expect(hasButtons(approvalMessage(stack, root))).toBe(true);
    expect(await runJobs()).not.toContain(`run-${requestId}`);
  }, 30_000);

  it('the thread and the audit log of one approved request hold the whole sequence, in order; the stream verifies', async () => {
    const { root, requestId } = await requestAwaitingApproval(
      stack,
      { userId: REQUESTER },
      'strace web-4d5e-f6 -n shop --full',
    );
    await click(stack, root, 'poddebug_approve', APPROVER_B, requestId);
    await inThread(stack, root, /^\S+ strace on shop\/web-4d5e-f6 \(/u, 20_000);
    const thread = stack.slack.thread(root.channel, root.ts).map((m) => m.text ?? '');
    const order = [
      /^Approval needed/,
      /approved \(1 of 1\)/,
      /^▶️ Running|strace on shop/,
      /strace on shop\/web-4d5e-f6/,
    ];
    let at = -1;
    for (const re of order) {
      const i = thread.findIndex((t, k) => k > at && re.test(t));
      expect(i).toBeGreaterThan(at);
      at = i;
    }
    const events = await stack.slack.waitFor(() => {
      const lines = readFileSync(stack.auditLogPath, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map(
          (l) =>
            JSON.parse(l) as {
              audit: { type: string; requestId: string; actor: string; approvers: string[] };
            },
        );
      const mine = lines.filter((l) => l.audit?.requestId === requestId).map((l) => l.audit);
      return mine.some((e) => e.type === 'succeeded') ? mine : undefined;
    }, 10_000);
    expect(events.map((e) => e.type)).toEqual(['requested', 'approval', 'approved', 'started', 'succeeded']);
    expect(events[0]!.actor).toBe(REQUESTER);
    expect(events[1]!.actor).toBe(APPROVER_B);
    expect(events.at(-1)!.approvers).toEqual([APPROVER_B]);

    const audit = new AuditStream(stack.redis, { key: stack.auditKey, keys: stack.auditKeys });
    expect(await audit.verify()).toMatchObject({ ok: true });
    // Tamper: delete one entry from the middle of the stream.
    const entries = await stack.redis.xrange(stack.auditKey, '-', '+');
    await stack.redis.xdel(stack.auditKey, entries[Math.floor(entries.length / 2)]![0]);
    const after = await audit.verify();
    expect(after.ok).toBe(false);
    if (!after.ok) expect(after.problems[0]!.kind).toBe('deleted');
  }, 40_000);
});

describe('mem --watch', () => {
  it('posts findings against the limit and a chart of RSS over time into the thread', async () => {
    const { root, requestId } = await requestAwaitingApproval(
      stack,
      { userId: REQUESTER },
      'mem orders-9f8e-d7 -n shop --watch 10s',
    );
    await click(stack, root, 'poddebug_approve', APPROVER_A, requestId);
    const result = await inThread(stack, root, /^\S+ mem on shop\/orders-9f8e-d7 \(/u, 20_000);
    expect(JSON.stringify(result.blocks)).toMatch(/mem-near-limit/);
    const chart = await stack.slack.waitFor(() =>
      stack.slack.files().find((f) => f.thread_ts === root.ts && f.filename.endsWith('.png')),
    );
    expect(chart.bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(JSON.stringify(result.blocks)).toContain(chart.filename);
  }, 30_000);
});

describe('faults lose nothing', () => {
  it('a bot restarted while a request waits: the approval still works and the result is posted', async () => {
    const { root, requestId } = await requestAwaitingApproval(
      stack,
      { userId: REQUESTER },
      'ps api-7g8h-i9 -n shop',
    );
    await stack.restartBot();
    await click(stack, root, 'poddebug_approve', APPROVER_A, requestId);
    await inThread(stack, root, /^\S+ ps on shop\/api-7g8h-i9 \(/u, 20_000);
    expect(hasButtons(approvalMessage(stack, root))).toBe(false);
  }, 40_000);

  it('Slack refusing the first post of a request: the sweep posts it later, once', async () => {
    stack.slack.failWith('chat.postMessage', 'internal_error', 1);
    const views = stack.slack.views().length;
    const ack = await command(stack, { userId: REQUESTER }, 'ps cart-5c6d-q8 -n shop');
    expect(ack.body).toBe('');
    const view = await stack.slack.waitFor(() => stack.slack.views()[views]);
    const sub = await submitForm(stack, view, REQUESTER, 'INC-2032: checking the cart workers');
    expect(sub.body).toBe('');
    const root = await stack.slack.waitFor(
      () =>
        stack.slack
          .messages('C0INCIDENT')
          .find((m) => !m.thread_ts && m.text?.startsWith('🔐 ps on shop/cart-5c6d-q8')),
      15_000,
    );
    await stack.slack.waitFor(() => hasButtons(approvalMessage(stack, root)), 10_000);
    const roots = stack.slack
      .messages('C0INCIDENT')
      .filter((m) => !m.thread_ts && m.text?.startsWith('🔐 ps on shop/cart-5c6d-q8'));
    expect(roots).toHaveLength(1);
  }, 30_000);
});

describe('redelivery', () => {
  it('the same reason form submitted twice (Slack retries) makes one request, one thread, one plan', async () => {
    const views = stack.slack.views().length;
    await command(stack, { userId: REQUESTER }, 'fds web-4d5e-f6 -n shop');
    const view = await stack.slack.waitFor(() => stack.slack.views()[views]);
    const reason = 'INC-2035: fd leak suspected on web';
    const [a, b] = await Promise.all([
      submitForm(stack, view, REQUESTER, reason),
      submitForm(stack, view, REQUESTER, reason, { retryNum: 1 }),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const root = await stack.slack.waitFor(() =>
      stack.slack
        .messages('C0INCIDENT')
        .find((m) => !m.thread_ts && m.text?.startsWith('🔐 fds on shop/web-4d5e-f6')),
    );
    await stack.slack.waitFor(() => hasButtons(approvalMessage(stack, root)), 10_000);
    await new Promise((r) => setTimeout(r, 500));
    const roots = stack.slack
      .messages('C0INCIDENT')
      .filter((m) => !m.thread_ts && m.text?.startsWith('🔐 fds on shop/web-4d5e-f6'));
    expect(roots).toHaveLength(1);
    const approvals = stack.slack
      .thread(root.channel, root.ts)
      .filter((m) => m.text?.startsWith('Approval needed'));
    expect(approvals).toHaveLength(1);
  }, 20_000);
});

describe('the worker does not take a job as proof of approval', () => {
  it('a run job queued without an approved request (forged straight into Redis) runs nothing', async () => {
    const { containerId, uid } = putTargetPod(stack, { namespace: 'shop', name: 'forged-1a2b-c3' });
    const plan = {
      cluster: stack.cluster,
      namespace: 'shop',
      pod: 'forged-1a2b-c3',
      podUid: uid,
      container: 'app',
      containerId,
      node: 'node-a',
      image: 'registry.example/shop/checkout:1.4.2',
      spec: { action: 'ps' as const },
      commandLine: 'ps',
      privileges: [],
      caps: [],
      probeImage: PROBE_IMAGE,
      capabilities: ['SYS_PTRACE'],
    };
    const requestId = `prb-${stack.cluster}-${'f'.repeat(24)}`;
    const q = stack.queue();
    const before = stack.sim.requests().filter((r) => r.method === 'POST').length;
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
          approvers: [APPROVER_A],
          approvedAt: new Date().toISOString(),
          startBy: new Date(Date.now() + 60_000).toISOString(),
          binding: planBinding(plan),
          reason: 'forged',
        },
        requester: { userId: REQUESTER, channelId: 'C0INCIDENT' },
        requestedAt: new Date().toISOString(),
      },
      { jobId: `run-${requestId}`, attempts: 1 },
    );
    let reason = '';
    await until(async () => {
      const job = await q.getJob(`run-${requestId}`);
      reason = job?.failedReason ?? '';
      return reason !== '';
    });
    await q.close();
    expect(reason).toMatch(/approval_mismatch/);
    expect(reason).toMatch(/no record of this request/);
    expect(stack.sim.requests().filter((r) => r.method === 'POST').length).toBe(before);
  }, 20_000);
});

describe('policy reload', () => {
  it('a grant withdrawn while the reason form is open: the submission is refused, nothing is recorded', async () => {
    const views = stack.slack.views().length;
    const ack = await command(stack, { userId: SRE_MEMBER }, 'ps web-4d5e-f6 -n shop');
    expect(ack.body).toBe('');
    const view = await stack.slack.waitFor(() => stack.slack.views()[views]);
    stack.writePolicy(POLICY.replace('groups: [S0SRE]', 'groups: [S0OTHER]') + GENEROUS);
    await new Promise((r) => setTimeout(r, 800));
    const before = stack.slack.messages('C0INCIDENT').length;
    const sub = await submitForm(stack, view, SRE_MEMBER, 'INC-2033: the web tier is slow');
    const body = sub.json as { response_action: string; errors: { reason: string } };
    expect(body.response_action).toBe('errors');
    expect(body.errors.reason).toMatch(/no grant for ps/);
    await new Promise((r) => setTimeout(r, 300));
    expect(stack.slack.messages('C0INCIDENT')).toHaveLength(before);
    stack.writePolicy(POLICY + GENEROUS);
    await new Promise((r) => setTimeout(r, 800));
  }, 20_000);

  it('a reason that is too short is refused in the form, with what to write', async () => {
    const views = stack.slack.views().length;
    await command(stack, { userId: REQUESTER }, 'ps web-4d5e-f6 -n shop');
    const view = await stack.slack.waitFor(() => stack.slack.views()[views]);
    const sub = await submitForm(stack, view, REQUESTER, 'why');
    expect((sub.json as { errors: { reason: string } }).errors.reason).toMatch(/at least 10 characters/);
    // Someone else submitting the requester's form is refused too.
    const other = await submitForm(stack, view, OUTSIDER, 'INC-2034: let me in please');
    expect((other.json as { errors: { reason: string } }).errors.reason).toMatch(/not yours/);
  }, 20_000);

  it('a broken policy file is refused; the last good policy stays in force', async () => {
    stack.writePolicy(`${POLICY}${GENEROUS}\ngrants: [this is: not valid`);
    await new Promise((r) => setTimeout(r, 800));
    const ack = await command(stack, { userId: OUTSIDER }, 'diagnose checkout-7d9f-x2 -n shop');
    expect((ack.json as { text: string }).text).toMatch(/no grant for diagnose/);
    const allowed = await command(stack, { userId: REQUESTER }, 'diagnose checkout-7d9f-x2 -n shop');
    expect(allowed.body).toBe('');
    // A valid change applies without a restart.
    stack.writePolicy(
      POLICY.replace(`users: [${REQUESTER}]`, `users: [${REQUESTER}, ${OUTSIDER}]`) + GENEROUS,
    );
    await new Promise((r) => setTimeout(r, 800));
    const now = await command(stack, { userId: OUTSIDER }, 'diagnose checkout-7d9f-x2 -n shop');
    expect(now.body).toBe('');
    stack.writePolicy(POLICY + GENEROUS);
  }, 20_000);
});

describe('rate limits', () => {
  let limited: Stack;
  beforeAll(async () => {
    limited = await startStack({
      fixtures: [],
      worker: false,
      policy: `${POLICY}\nrateLimits:\n  commands:\n    perUser: { max: 3, windowSeconds: 60 }\n    perChannel: { max: 5, windowSeconds: 60 }\n  privileged:\n    perUser: { max: 1, windowSeconds: 3600 }\n    perChannel: { max: 10, windowSeconds: 3600 }\n`,
    });
    limited.slack.addUsergroup('S0SRE', [SRE_MEMBER]);
  });
  afterAll(async () => {
    await limited?.close();
  });

  it('per user, per channel, and for privileged requests, with a clear message', async () => {
    const ok1 = await command(limited, { userId: REQUESTER }, 'strace checkout-7d9f-x2 -n shop');
    expect(ok1.body).toBe('');
    const priv = await command(limited, { userId: REQUESTER }, 'strace checkout-7d9f-x2 -n shop');
    expect((priv.json as { text: string }).text).toMatch(/Rate limit: you made 1 privileged/);
    const d2 = await command(limited, { userId: REQUESTER }, 'diagnose checkout-7d9f-x2 -n shop');
    expect(d2.body).toBe('');
    const d3 = await command(limited, { userId: REQUESTER }, 'diagnose checkout-7d9f-x2 -n shop');
    expect((d3.json as { text: string }).text).toMatch(/Rate limit: you ran 3 commands/);
    // The channel allows 5 commands a minute: 3 so far (the refused one did not count).
    for (let i = 0; i < 2; i++) {
      const other = await command(limited, { userId: SRE_MEMBER }, 'diagnose checkout-7d9f-x2 -n shop');
      expect(other.body).toBe('');
    }
    const channelFull = await command(limited, { userId: SRE_MEMBER }, 'diagnose checkout-7d9f-x2 -n shop');
    expect((channelFull.json as { text: string }).text).toMatch(/Rate limit for this channel/);
  }, 20_000);
});
