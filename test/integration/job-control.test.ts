/**
 * Job control and follow-up buttons through the whole product: signed slash commands and clicks to the real
 * Bolt receiver, real Redis and BullMQ, a real worker, the API simulator whose node runs probe pods as local
 * processes, and the Slack Web API double. What a user would check: the ephemeral answers, the thread and
 * the status message, the queue, the probe pod in the simulator, and the audit log.
 *
 * Longer than 400 lines on purpose: the cases share one stack (and its order: no worker first, then one).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KEYS, queueName } from '../../jobs/contracts/index.js';
import type { NodeExecutorOptions } from '../../tools/kube-sim/index.js';
import type { PostedMessage } from '../../tools/slack-double/index.js';
import { newTriggerId, sendBlockAction } from '../../tools/slack-double/index.js';
import { readAuditLog } from '../support/audit-log.js';
import { approver, GENEROUS, policyYaml, requester, viewer } from '../support/policies.js';
import { until } from '../support/poll.js';
import {
  ackText,
  approvalMessage,
  click,
  command,
  ephemeralTexts,
  hasButtons,
  inThread,
  putTargetPod,
  requestAwaitingApproval,
} from '../support/probe-flow.js';
import { SIGNING_SECRET, type Stack, startStack } from '../support/stack.js';

const REQUESTER = 'U0ONCALL1';
const APPROVER = 'U0ALICE';
const OUTSIDER = 'U0ATTACK1';
const CHANNEL = 'C0INCIDENT';

const POLICY = policyYaml({
  contact: '#sre-platform',
  channels: { ids: [CHANNEL] },
  grants: [requester(REQUESTER), viewer(OUTSIDER, ['shop']), approver(APPROVER)],
  rateLimits: GENEROUS,
});

/** A probe program that runs until its pod is deleted (the simulator's node kills its process group). */
const slowProbe: NodeExecutorOptions = {
  rewriteArgv: () => [process.execPath, '-e', 'setInterval(() => {}, 1000)'],
  startDelayMs: 10,
};

type Audit = { type: string; requestId: string; actor: string; decision?: string; reason?: string };

let stack: Stack;

beforeAll(async () => {
  // No worker at first: a diagnose stays queued until the test starts one.
  stack = await startStack({
    fixtures: [],
    policy: POLICY,
    worker: false,
    probes: { executor: slowProbe },
    sweepMs: 300,
  });
  putTargetPod(stack, { namespace: 'shop', name: 'checkout-7d9f-x2' });
  putTargetPod(stack, { namespace: 'shop', name: 'cart-5c6d-q8' });
}, 30_000);
afterAll(async () => {
  await stack?.close();
});

const who = (userId: string) => ({ userId, channelId: CHANNEL });

/** Types a cancel and waits for its ephemeral answer (it comes after the ack). */
async function cancel(userId: string, id: string): Promise<string> {
  const before = ephemeralTexts(stack, userId).length;
  const ack = await command(stack, who(userId), `cancel ${id}`);
  expect(ack.status).toBe(200);
  expect(ack.body).toBe('');
  return stack.slack.waitFor(() => ephemeralTexts(stack, userId)[before], 10_000);
}

async function jobState(jobId: string): Promise<string> {
  const q = stack.queue();
  try {
    return await q.getJobState(jobId);
  } finally {
    await q.close();
  }
}

async function probePods(): Promise<string[]> {
  const res = await fetch(`${stack.sim.url}/api/v1/namespaces/poddebug-probes/pods`);
  const body = (await res.json()) as { items?: { metadata: { name: string } }[] };
  return (body.items ?? []).map((p) => p.metadata.name);
}

const audits = () => readAuditLog<Audit>(stack.auditLogPath);

describe('jobs and cancel of a queued request', () => {
  let id: string;
  let status: PostedMessage;

  it('jobs says so when nothing is open', async () => {
    expect(await ackText(stack, who(REQUESTER), 'jobs')).toMatch(
      /No queued or running poddebug requests in this channel/,
    );
  });

  it('jobs lists a queued diagnose: id, action, target, requester, age, state', async () => {
    const ack = await command(stack, who(REQUESTER), 'diagnose checkout-7d9f-x2 -n shop');
    expect(ack.status).toBe(200);
    status = await stack.slack.waitFor(() =>
      stack.slack
        .messages(CHANNEL)
        .find((m) => !m.thread_ts && /Diagnosing `shop\/checkout-7d9f-x2`.*queued/.test(m.text ?? '')),
    );
    const listed = await ackText(stack, who(REQUESTER), 'jobs');
    const m =
      /`(diag-[a-z0-9-]+-[0-9a-f]{24})` diagnose on `shop\/checkout-7d9f-x2` in \S+ — <@U0ONCALL1>, \d+ s ago — \*queued\*/.exec(
        listed,
      );
    expect(m).not.toBeNull();
    id = m![1]!;
    expect(await jobState(id)).toBe('waiting');
    // Another channel's listing does not show it (and a channel the policy does not allow is refused).
    const elsewhere = await command(
      stack,
      { userId: REQUESTER, channelId: 'C0RANDOM', channelName: 'random' },
      'jobs',
    );
    expect((elsewhere.json as { text: string }).text).toMatch(/not allowed in #random/);
    await until(async () =>
      audits().some((e) => e.type === 'refused' && e.decision === 'jobs refused' && e.actor === REQUESTER),
    );
  });

  it('someone who is neither the requester nor an approver is refused; nothing changes; it is audited', async () => {
    const text = await cancel(OUTSIDER, id);
    expect(text).toMatch(/Only the requester \(<@U0ONCALL1>\) or an approver for diagnose .* may cancel/);
    expect(text).toMatch(/Nothing changed/);
    expect(await jobState(id)).toBe('waiting');
    expect(await ackText(stack, who(REQUESTER), 'jobs')).toContain(id);
    await until(async () =>
      audits().some((a) => a.type === 'refused' && a.requestId === id && a.actor === OUTSIDER),
    );
  });

  it('the requester cancels it: off the queue, status message and thread say who, audited, no longer listed', async () => {
    const text = await cancel(REQUESTER, id);
    expect(text).toMatch(new RegExp(`🚫 Cancelled \`${id}\` \\(diagnose on \`shop/checkout-7d9f-x2\``));
    expect(text).toMatch(/it was still queued, so nothing ran/);
    expect(await jobState(id)).toBe('unknown');
    await stack.slack.waitFor(() =>
      /🚫 cancelled by <@U0ONCALL1>: nothing ran/.test(
        stack.slack.messages(CHANNEL).find((m) => m.ts === status.ts)?.text ?? '',
      )
        ? true
        : undefined,
    );
    const note = await inThread(stack, status, /cancelled this diagnose/);
    expect(note.text).toBe('🚫 <@U0ONCALL1> cancelled this diagnose with `/poddebug cancel`: nothing ran.');
    await until(async () =>
      audits().some((a) => a.type === 'cancelled' && a.requestId === id && a.actor === REQUESTER),
    );
    expect(await ackText(stack, who(REQUESTER), 'jobs')).not.toContain(id);
    expect(await stack.redis.zscore(KEYS.channelOpen(stack.cluster, CHANNEL), id)).toBeNull();
  });

  it.each([
    ['cancel', /Missing request id/],
    ['cancel prb-12', /`prb-12` is not a request id/],
    [
      'cancel run-prb-3f2a9c0d1e2f3a4b5c6d7e8f',
      /`run-prb-3f2a9c0d1e2f3a4b5c6d7e8f` is an id from before an upgrade of poddebug: that request is no longer tracked, so there is nothing to cancel/,
    ],
    ['cancel prb-prod-000000000000000000000000 diag-prod-000000000000000000000000', /takes one request id/],
    ['cancel --all', /has no option `--all`/],
    ['cancel prb-prod-000000000000000000000000;true', /`;` \(semicolon\) is not allowed/],
    ['cancel `prb-prod-000000000000000000000000`', /A backtick is not allowed/],
    ['jobs --all', /`jobs` takes no arguments/],
    ['jobs shop', /`jobs` takes no arguments/],
  ])(
    'malformed %j: a clear answer in the ack, nothing queued, no form, nothing else sent',
    async (text, message) => {
      const q = stack.queue();
      const queued = await q.count();
      const views = stack.slack.views().length;
      const ephemerals = ephemeralTexts(stack, REQUESTER).length;
      const answer = await ackText(stack, who(REQUESTER), text);
      expect(answer).toMatch(message);
      expect(answer).toMatch(/Usage: `\/poddebug (cancel|jobs)/);
      await new Promise((r) => setTimeout(r, 100));
      expect(await q.count()).toBe(queued);
      await q.close();
      expect(stack.slack.views().length).toBe(views);
      expect(ephemeralTexts(stack, REQUESTER).length).toBe(ephemerals);
    },
  );

  it('a second cancel, an unknown id and a malformed id get clear messages and change nothing', async () => {
    expect(await cancel(REQUESTER, id)).toMatch(/has already ended \(done\): there is nothing to cancel/);
    expect(await cancel(REQUESTER, 'prb-prod-000000000000000000000000')).toMatch(
      /There is no request `prb-prod-000000000000000000000000`.*`\/poddebug jobs` lists/,
    );
    expect(await ackText(stack, who(REQUESTER), 'cancel prb-12')).toMatch(
      /`prb-12` is not a request id.*Usage: `\/poddebug cancel ID`/,
    );
    expect(await ackText(stack, who(REQUESTER), 'cancel')).toMatch(/Missing request id/);
  });
});

describe('cancel of privileged requests', () => {
  beforeAll(() => {
    stack.startWorker();
  });

  it('cancelling a request waiting for approval removes its buttons; a later approval is refused', async () => {
    const { root, requestId } = await requestAwaitingApproval(
      stack,
      who(REQUESTER),
      'strace cart-5c6d-q8 -n shop',
    );
    expect(await ackText(stack, who(REQUESTER), 'jobs')).toMatch(
      new RegExp(
        `\`${requestId}\` strace --duration 30s on \`shop/cart-5c6d-q8\`.*\\*waiting for approval \\(0 of 1\\)\\*`,
      ),
    );
    expect(await cancel(REQUESTER, requestId)).toMatch(/it had not been approved, so nothing ran/);
    await inThread(stack, root, /^🚫 <@U0ONCALL1> cancelled the request\. Nothing ran\.$/);
    await stack.slack.waitFor(() => (hasButtons(approvalMessage(stack, root)) ? undefined : true));
    await click(stack, root, 'poddebug_approve', APPROVER, requestId);
    await stack.slack.waitFor(() => ephemeralTexts(stack, APPROVER).find((t) => /cancelled/.test(t)));
    expect(await jobState(`run-${requestId}`)).toBe('unknown');
  }, 30_000);

  it('cancelling an approved run that has not started takes it off the queue; no worker runs it later', async () => {
    const { root, requestId } = await requestAwaitingApproval(
      stack,
      who(REQUESTER),
      'strace cart-5c6d-q8 -n shop',
    );
    // No worker takes the run job (its heartbeat is still fresh, so the bot queues it).
    await stack.worker!.close();
    await click(stack, root, 'poddebug_approve', APPROVER, requestId);
    await until(async () => (await jobState(`run-${requestId}`)) === 'waiting', 10_000);
    expect(await ackText(stack, who(REQUESTER), 'jobs')).toMatch(
      new RegExp(`\`${requestId}\`.*\\*approved, starting\\*`),
    );

    expect(await cancel(REQUESTER, requestId)).toMatch(
      /it was approved but had not started: it will not start/,
    );
    expect(await jobState(`run-${requestId}`)).toBe('unknown');
    expect(await stack.redis.get(KEYS.approvalUsed(requestId))).toBe('cancelled');
    await inThread(stack, root, /^🚫 <@U0ONCALL1> cancelled the request after its approval/);
    stack.startWorker();
    await new Promise((r) => setTimeout(r, 1000));
    expect(await probePods()).toEqual([]);
    expect(
      stack.sim.requests().some((r) => r.method === 'POST' && r.path.endsWith('/poddebug-probes/pods')),
    ).toBe(false);
  }, 30_000);

  it('an approver stops a running probe: the worker aborts it, its pod is deleted, the approval is spent', async () => {
    const { root, requestId } = await requestAwaitingApproval(
      stack,
      who(REQUESTER),
      'strace checkout-7d9f-x2 -n shop --duration 20s',
    );
    await click(stack, root, 'poddebug_approve', APPROVER, requestId);
    // The probe pod runs on the simulator's node (a local process that never ends on its own).
    await until(async () => (await probePods()).length === 1 && stack.sim.nodeProcesses() === 1, 15_000);
    await until(async () => /\*running\*/.test(await ackText(stack, who(REQUESTER), 'jobs')), 10_000);

    const text = await cancel(APPROVER, requestId);
    expect(text).toMatch(/it was running: the worker stops the probe and deletes its probe pod/);
    await until(async () => (await probePods()).length === 0 && stack.sim.nodeProcesses() === 0, 10_000);
    expect(
      stack.sim.requests().some((r) => r.method === 'DELETE' && r.path.includes('/poddebug-probes/pods/')),
    ).toBe(true);
    await inThread(stack, root, /^🛑 <@U0ALICE> stopped the request while it ran/);
    // The run job ends (aborted: nothing posted as a result), and the approval cannot be used again.
    await until(async () => (await jobState(`run-${requestId}`)) === 'failed', 10_000);
    expect(await stack.redis.exists(KEYS.approvalUsed(requestId))).toBe(1);
    expect(
      stack.slack.thread(root.channel, root.ts).some((m) => /^\S+ strace on shop\//u.test(m.text ?? '')),
    ).toBe(false);
    await stack.slack.waitFor(() =>
      /cancelled/.test(stack.slack.messages(root.channel).find((m) => m.ts === root.ts)?.text ?? '')
        ? true
        : undefined,
    );
    const trail = audits().filter((a) => a.requestId === requestId);
    expect(trail.map((a) => a.type)).toEqual(expect.arrayContaining(['requested', 'approved', 'cancelled']));
    expect(trail.find((a) => a.type === 'cancelled')?.actor).toBe(APPROVER);
    expect(await ackText(stack, who(REQUESTER), 'jobs')).not.toContain(requestId);
  }, 60_000);
});

describe('cancel of a running diagnose', () => {
  it('its reads finish, its result is not posted, and the status message says who cancelled it', async () => {
    // A slow API keeps the diagnose running long enough to cancel it.
    stack.sim.setLatency(700);
    try {
      await command(stack, who(REQUESTER), 'diagnose cart-5c6d-q8 -n shop');
      let id = '';
      await until(async () => {
        const m = /`(diag-[a-z0-9-]+-[0-9a-f]{24})` diagnose on `shop\/cart-5c6d-q8`.*\*running\*/.exec(
          await ackText(stack, who(REQUESTER), 'jobs'),
        );
        id = m?.[1] ?? '';
        return id !== '';
      }, 15_000);
      expect(await cancel(APPROVER, id)).toMatch(
        /it was already reading the cluster \(read only\); its result will not be posted/,
      );
      stack.sim.setLatency(0);
      await until(async () => (await jobState(id)) === 'completed', 20_000);
      const status = stack.slack
        .messages(CHANNEL)
        .find(
          (m) =>
            !m.thread_ts &&
            /Diagnosing `shop\/cart-5c6d-q8`/.test(m.text ?? '') &&
            /cancelled/.test(m.text ?? ''),
        )!;
      expect(status.text).toMatch(/🚫 cancelled by <@U0ALICE>: it was running; its result is discarded/);
      await new Promise((r) => setTimeout(r, 800)); // sweeps: nothing more is posted
      const thread = stack.slack.thread(CHANNEL, status.ts);
      expect(thread.map((m) => m.text)).toEqual([
        '🚫 <@U0ALICE> cancelled this diagnose with `/poddebug cancel`: it was running; its result is discarded.',
      ]);
    } finally {
      stack.sim.setLatency(0);
    }
  }, 60_000);
});

describe('follow-up buttons', () => {
  const clickFollowUp = (userId: string, key: string, value: string, threadTs?: string) =>
    sendBlockAction(stack.eventsUrl, SIGNING_SECRET, {
      actionId: `poddebug_followup_${key}`,
      value,
      userId,
      channelId: CHANNEL,
      ...(threadTs ? { messageTs: threadTs, threadTs } : {}),
      triggerId: newTriggerId(),
      responseUrl: stack.slack.responseUrl({ channel: CHANNEL, user: userId }),
    });

  it('a diagnose result offers them, and its strace button opens the reason form like the typed command', async () => {
    const ack = await command(stack, who(REQUESTER), 'diagnose checkout-7d9f-x2 -n shop');
    expect(ack.status).toBe(200);
    const root = await stack.slack.waitFor(
      () =>
        stack.slack
          .messages(CHANNEL)
          .find((m) => !m.thread_ts && /Diagnosing `shop\/checkout-7d9f-x2`.*done/.test(m.text ?? '')),
      20_000,
    );
    const result = await inThread(stack, root, /checkout-7d9f-x2/, 10_000);
    const buttons = JSON.stringify(result.blocks);
    expect(buttons).toContain('strace — needs approval');
    const value = `strace checkout-7d9f-x2 -n shop --cluster ${stack.cluster}`;
    expect(buttons).toContain(JSON.stringify(value));

    const views = stack.slack.views().length;
    const res = await clickFollowUp(REQUESTER, 'strace', value, root.ts);
    expect(res.status).toBe(200);
    const view = await stack.slack.waitFor(() => stack.slack.views()[views]);
    expect(view.view.callback_id).toBe('poddebug_probe_reason');
    expect(JSON.stringify(view.view)).toContain('checkout-7d9f-x2');
  }, 40_000);

  it('the Events button (a verb of the reads) runs events on the diagnosed pod, in the thread', async () => {
    const root = stack.slack
      .messages(CHANNEL)
      .find((m) => !m.thread_ts && /Diagnosing `shop\/checkout-7d9f-x2`.*done/.test(m.text ?? ''))!;
    const result = await inThread(stack, root, /checkout-7d9f-x2/, 10_000);
    const value = `events checkout-7d9f-x2 -n shop --cluster ${stack.cluster}`;
    expect(JSON.stringify(result.blocks)).toContain(JSON.stringify(value));
    await clickFollowUp(REQUESTER, 'events', value, root.ts);
    await inThread(stack, root, /Reading events of `shop\/checkout-7d9f-x2`/, 20_000);
  }, 40_000);

  it('a click is authorized like the typed command: without a grant it is refused, audited, nothing opens', async () => {
    const views = stack.slack.views().length;
    const before = ephemeralTexts(stack, OUTSIDER).length;
    await clickFollowUp(OUTSIDER, 'strace', `strace checkout-7d9f-x2 -n shop --cluster ${stack.cluster}`);
    const text = await stack.slack.waitFor(() => ephemeralTexts(stack, OUTSIDER)[before]);
    expect(text).toMatch(/no grant for strace .* namespace shop/);
    expect(stack.slack.views().length).toBe(views);
    await until(async () =>
      audits().some((a) => a.type === 'refused' && a.actor === OUTSIDER && /strace/.test(a.reason ?? '')),
    );
  });

  it('a diagnose command text posts its status into the thread it was clicked in; bad text is refused', async () => {
    const root = stack.slack.messages(CHANNEL).find((m) => !m.thread_ts && /Diagnosing/.test(m.text ?? ''))!;
    await clickFollowUp(
      REQUESTER,
      'diagnose',
      `diagnose cart-5c6d-q8 -n shop --cluster ${stack.cluster}`,
      root.ts,
    );
    await inThread(stack, root, /Diagnosing `shop\/cart-5c6d-q8`/, 20_000);

    const before = ephemeralTexts(stack, REQUESTER).length;
    const q = stack.queue();
    const count = await q.count();
    await clickFollowUp(REQUESTER, 'strace', 'strace checkout-7d9f-x2 -n shop; rm -rf /');
    expect(await stack.slack.waitFor(() => ephemeralTexts(stack, REQUESTER)[before])).toMatch(
      /`;` \(semicolon\) is not allowed/,
    );
    expect(await q.count()).toBe(count);
    await q.close();
    expect(queueName(stack.cluster)).toContain(stack.cluster);
  }, 40_000);
});
