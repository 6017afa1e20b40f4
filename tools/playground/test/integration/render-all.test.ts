/**
 * The page renders every message the bot sends: this drives the real bot and worker through the test
 * suite's scenarios (every diagnose scenario fixture, an ambiguous pod name, Re-run, refusals and malformed
 * commands, help, and privileged requests approved, denied, cancelled and self-approved, with a probe
 * result and its uploaded artefact), records everything the bot sent (messages as posted and as updated,
 * ephemerals, response_url posts, ack bodies, modals) and renders each with the page's Block Kit renderer:
 * none may show the "unsupported block" placeholder.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  approvalMessage,
  click,
  command,
  fakeProbeExecutor,
  putTargetPod,
  requestAwaitingApproval,
  submitForm,
} from '../../../../test/support/probe-flow.js';
import { listScenarios } from '../../../../test/support/scenarios.js';
import { SIGNING_SECRET, type Stack, startStack } from '../../../../test/support/stack.js';
import type { SendResult } from '../../../slack-double/index.js';
import { sendBlockAction } from '../../../slack-double/index.js';
import { blocks, modal, UNSUPPORTED } from '../../page/blockkit.js';

const REQUESTER = 'U0ONCALL1';
const APPROVER = 'U0ALICE';
const NOBODY = 'U0DAVE';
const CHANNEL = 'C0INCIDENT';
const POLICY = `
version: 1
channels: { names: ["*"], ids: [${CHANNEL}] }
grants:
  - users: [${REQUESTER}]
    roles: [viewer, privileged]
    clusters: ["*"]
    namespaces: ["*"]
  - users: [${APPROVER}]
    roles: [viewer, approver]
    clusters: ["*"]
    namespaces: ["*"]
rateLimits:
  commands:
    perUser: { max: 100000, windowSeconds: 60 }
    perChannel: { max: 100000, windowSeconds: 60 }
`;

let stack: Stack;
const acks: SendResult[] = [];

beforeAll(async () => {
  stack = await startStack({ policy: POLICY, probes: { executor: fakeProbeExecutor() } });
  for (const name of ['strace-1a2b-c3', 'mem-1a2b-c3', 'ps-1a2b-c3', 'self-1a2b-c3'])
    putTargetPod(stack, { namespace: 'shop', name });
}, 30_000);
afterAll(async () => {
  await stack?.close();
});

async function say(text: string, userId = REQUESTER) {
  const ack = await command(stack, { userId, channelId: CHANNEL }, text);
  acks.push(ack);
  return ack;
}

async function settled(pattern: RegExp, ms = 20_000) {
  return stack.slack.waitFor(
    () => stack.slack.messages(CHANNEL).findLast((m) => !m.thread_ts && pattern.test(m.text ?? '')),
    ms,
  );
}

describe('every message the bot sends renders without an unsupported block', () => {
  it('drives the scenarios', async () => {
    for (const s of listScenarios()) {
      const before = stack.slack.messages(CHANNEL).filter((m) => !m.thread_ts).length;
      await say(`diagnose ${s.expect.target ?? s.expect.pod} -n ${s.namespace}`);
      await stack.slack.waitFor(
        () =>
          stack.slack.messages(CHANNEL).filter((m) => !m.thread_ts && /— (done|failed)\b/.test(m.text ?? ''))
            .length > before || undefined,
        20_000,
      );
    }
    // An ambiguous pod name: the same pod in two namespaces.
    const healthy = listScenarios().find((s) => s.name === 'healthy')!;
    stack.sim.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: healthy.expect.pod, namespace: 'default', uid: 'render-all-copy' },
      spec: { containers: [{ name: 'app', image: 'x' }] },
      status: { phase: 'Running' },
    });
    await say(`diagnose ${healthy.expect.pod}`);
    await settled(/— (done|failed|ambiguous)|several|which/i).catch(() => undefined);

    // Re-run from the findings of the last scenario.
    const findings = stack.slack
      .messages(CHANNEL)
      .findLast((m) => JSON.stringify(m.blocks ?? []).includes('poddebug_rerun'))!;
    const value = /"action_id":"poddebug_rerun","value":"((?:[^"\\]|\\.)*)"/.exec(
      JSON.stringify(findings.blocks),
    )![1]!;
    acks.push(
      await sendBlockAction(stack.eventsUrl, SIGNING_SECRET, {
        actionId: 'poddebug_rerun',
        value: JSON.parse(`"${value}"`),
        userId: REQUESTER,
        channelId: CHANNEL,
        messageTs: findings.ts,
        threadTs: findings.thread_ts ?? findings.ts,
        responseUrl: stack.slack.responseUrl({ channel: CHANNEL, user: REQUESTER, messageTs: findings.ts }),
      }),
    );
    await stack.slack.waitFor(
      () => stack.slack.thread(CHANNEL, findings.thread_ts ?? findings.ts).length >= 3 || undefined,
      20_000,
    );

    // Refusals, malformed commands, help.
    for (const text of [
      'help',
      'diagnose',
      'strace',
      'mem сheckout -n shop',
      'frobnicate pods',
      'diagnose deploy/x -n "a b"',
    ])
      await say(text);
    await say('diagnose deploy/checkout -n shop', NOBODY);
    await say('mem mem-1a2b-c3 -n shop', NOBODY);

    // Privileged: approved (result with an artefact), self-approval refused, denied, cancelled.
    const who = { userId: REQUESTER, channelId: CHANNEL };
    const a = await requestAwaitingApproval(stack, who, 'strace strace-1a2b-c3 -n shop --duration 3s');
    await click(stack, a.root, 'poddebug_approve', REQUESTER, a.requestId);
    await click(stack, a.root, 'poddebug_approve', APPROVER, a.requestId);
    await stack.slack.waitFor(() => stack.slack.files().length > 0 || undefined, 20_000);
    await stack.slack.waitFor(
      () =>
        stack.slack
          .thread(CHANNEL, a.root.ts)
          .some((m) => /strace on shop\/strace-1a2b-c3/.test(m.text ?? '')) || undefined,
      20_000,
    );

    const m = await requestAwaitingApproval(stack, who, 'mem mem-1a2b-c3 -n shop --watch 5s');
    const views = stack.slack.views().length;
    await click(stack, m.root, 'poddebug_deny', APPROVER, m.requestId);
    const deny = await stack.slack.waitFor(() => stack.slack.views()[views]);
    await submitForm(stack, deny, APPROVER, 'use the heap dump from the APM instead');
    await stack.slack.waitFor(
      () =>
        !JSON.stringify(approvalMessage(stack, m.root)?.blocks ?? []).includes('poddebug_approve') ||
        undefined,
    );

    const p = await requestAwaitingApproval(stack, who, 'ps ps-1a2b-c3 -n shop');
    await click(stack, p.root, 'poddebug_cancel', APPROVER, p.requestId);
    await click(stack, p.root, 'poddebug_cancel', REQUESTER, p.requestId);
    await stack.slack.waitFor(
      () =>
        !JSON.stringify(approvalMessage(stack, p.root)?.blocks ?? []).includes('poddebug_approve') ||
        undefined,
    );
    // A short reason: the modal answers with errors.
    const before = stack.slack.views().length;
    await say('ps self-1a2b-c3 -n shop');
    const form = await stack.slack.waitFor(() => stack.slack.views()[before]);
    const short = await submitForm(stack, form, REQUESTER, 'x');
    acks.push(short);
  }, 240_000);

  it('renders them all', () => {
    const seen: { what: string; text?: string; blocks?: unknown[] }[] = [];
    for (const m of stack.slack.messages())
      seen.push({ what: `message ${m.ts}`, text: m.text, blocks: m.blocks });
    for (const m of stack.slack.ephemerals())
      seen.push({ what: `ephemeral ${m.ts}`, text: m.text, blocks: m.blocks });
    // Every version of every message: as posted, as updated, and each response_url post.
    for (const c of stack.slack.calls()) {
      if (!['chat.postMessage', 'chat.update', 'chat.postEphemeral', 'response_url'].includes(c.method))
        continue;
      const raw = c.args.blocks;
      const list = typeof raw === 'string' ? (JSON.parse(raw) as unknown[]) : (raw as unknown[] | undefined);
      seen.push({
        what: `${c.method} call`,
        text: typeof c.args.text === 'string' ? c.args.text : '',
        blocks: list,
      });
    }
    for (const a of acks) {
      const j = a.json as { text?: string; blocks?: unknown[] } | undefined;
      if (j && (j.text || j.blocks)) seen.push({ what: 'ack body', text: j.text, blocks: j.blocks });
    }
    const types = new Set<string>();
    const bad: string[] = [];
    for (const s of seen) {
      for (const b of s.blocks ?? []) types.add(String((b as { type?: unknown }).type));
      const html = blocks(s.blocks, s.text ?? '');
      if (html.includes(UNSUPPORTED))
        bad.push(`${s.what}: ${html.slice(html.indexOf(UNSUPPORTED), html.indexOf(UNSUPPORTED) + 80)}`);
    }
    const opened = stack.slack
      .calls()
      .filter((c) => c.method === 'views.open' || c.method === 'views.update' || c.method === 'views.push');
    for (const c of opened) {
      const v = typeof c.args.view === 'string' ? JSON.parse(c.args.view) : c.args.view;
      const html = modal(v);
      if (html.includes(UNSUPPORTED)) bad.push(`${c.method}: ${html.slice(0, 200)}`);
    }
    expect(bad).toEqual([]);
    // It did see the bot's range: the scenarios, the probe flows and the modals.
    expect(seen.length).toBeGreaterThan(150);
    expect(opened.length).toBeGreaterThanOrEqual(5);
    expect([...types].sort()).toEqual(
      expect.arrayContaining(['actions', 'context', 'divider', 'header', 'section']),
    );
  });
});
