/**
 * Helpers for tests of privileged requests through the whole product: a
 * target pod on a node the simulator runs probe pods on, the slash command →
 * reason modal → approval message sequence, and button clicks, all through the
 * real Bolt receiver with signed requests.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { expect } from '@jest/globals';
import type { NodeExecutorOptions } from '../../tools/kube-sim/index.js';
import type { PostedMessage, RecordedView, SendOptions, SendResult } from '../../tools/slack-double/index.js';
import {
  newTriggerId,
  SLACK_TEST_DEFAULTS,
  sendBlockAction,
  sendViewSubmission,
} from '../../tools/slack-double/index.js';
import { ackBody, sendCommand } from './commands.js';
import { type FakeContainer, startFakeContainer } from './fake-container.js';
import { SIGNING_SECRET, type Stack, startStack } from './stack.js';

export const NODE = 'node-a';

/** A running pod with one container `app` on NODE, its container ID random (or given). */
export function putTargetPod(
  stack: Stack,
  o: {
    namespace: string;
    name: string;
    containerId?: string;
    node?: string;
    uid?: string;
    /** Share the node's network / PID namespace (a node-wide target). */
    hostNetwork?: boolean;
    hostPID?: boolean;
  },
): { containerId: string; uid: string } {
  const containerId = o.containerId ?? `containerd://${randomBytes(32).toString('hex')}`;
  const uid = o.uid ?? randomUUID();
  stack.sim.put({ apiVersion: 'v1', kind: 'Node', metadata: { name: o.node ?? NODE } });
  stack.sim.put({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: o.name, namespace: o.namespace, uid },
    spec: {
      nodeName: o.node ?? NODE,
      ...(o.hostNetwork ? { hostNetwork: true } : {}),
      ...(o.hostPID ? { hostPID: true } : {}),
      containers: [{ name: 'app', image: 'registry.example/shop/checkout:1.4.2' }],
    },
    status: {
      phase: 'Running',
      containerStatuses: [
        {
          name: 'app',
          ready: true,
          restartCount: 0,
          image: 'registry.example/shop/checkout:1.4.2',
          imageID: '',
          containerID: containerId,
          state: { running: { startedAt: '2026-11-20T09:00:00Z' } },
        },
      ],
    },
  });
  return { containerId, uid };
}

/**
 * A stand-in for the probe program for tests of the request flow (the real
 * program is tested against real namespaces in probe-program.test.ts and the
 * real end-to-end test): prints a valid strace result for the container it was
 * given, with one small artefact.
 */
const FAKE_PROGRAM = String.raw`
const raw = process.argv[process.argv.indexOf('--input') + 1];
const input = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
const M = 'PODDEBUG1 ';
const out = (o) => process.stdout.write(M + JSON.stringify(o) + '\n');
if (input.spec.action === 'mem') {
  const MiB = 1048576;
  const samples = [0, 1000, 2000, 3000].map((t, i) => ({ t, rssBytes: (200 + 10 * i) * MiB, cgroupUsageBytes: (220 + 10 * i) * MiB }));
  out({ type: 'result', ok: true, pid: 4242, containerId: input.containerId, resolvedVia: 'cgroup',
    argv: ['poddebug-probe', 'mem', '--pid', '4242', '--watch', String(input.spec.watchSec ?? 0)], exitCode: 0, durationMs: 3000,
    data: { action: 'mem', status: { VmRSS: 230 * MiB, VmSize: 900 * MiB, VmData: 400 * MiB, VmSwap: 0 }, threads: 12,
      smapsRollup: { Rss: 230 * MiB }, cgroup: { version: 1, path: '/kubepods/x', usageBytes: 250 * MiB, limitBytes: 256 * MiB, oomEvents: null, oomKills: 0 },
      samples },
    artefacts: [], notes: [] });
  process.exit(0);
}
const trace = Buffer.from('openat(AT_FDCWD, "/etc/app/missing.yaml", O_RDONLY) = -1 ENOENT (No such file or directory)\n'.repeat(20));
const sha256 = require('node:crypto').createHash('sha256').update(trace).digest('hex');
out({ type: 'chunk', name: 'strace-trace.txt', seq: 0, data: trace.toString('base64') });
out({ type: 'result', ok: true, pid: 4242, containerId: input.containerId, resolvedVia: 'cgroup',
  argv: ['timeout', '-s', 'INT', '30', 'strace', '-f', '-c', '-p', '4242'], exitCode: 0, durationMs: 12,
  data: { action: 'strace', summary: [{ syscall: 'openat', calls: 20, errors: 20, seconds: 0.002, usecsPerCall: 100, pctTime: 100 }],
    errors: [{ errno: 'ENOENT', count: 20, syscalls: ['openat'], examples: ['/etc/app/missing.yaml'] }],
    slowCalls: [], threads: 1, summaryText: '% time calls errors syscall\n100.00 20 20 openat' },
  artefacts: [{ name: 'strace-trace.txt', contentType: 'text/plain', bytes: trace.length, sha256, truncated: false }],
  notes: [] });
`;

/** The simulator's node runs the fake program above for every probe pod. */
export function fakeProbeExecutor(): NodeExecutorOptions {
  // `--` keeps node from reading the program's `--input` as one of its own options.
  return {
    rewriteArgv: (argv) => [process.execPath, '-e', FAKE_PROGRAM, '--', ...argv.slice(2)],
    startDelayMs: 10,
  };
}

/** The simulator's node runs this repository's real probe program (TypeScript, through tsx). */
export function realProbeExecutor(): NodeExecutorOptions {
  return {
    rewriteArgv: (argv) => [
      process.execPath,
      '--import',
      'tsx',
      join(process.cwd(), 'jobs/probes/program/main.ts'),
      ...argv.slice(2),
    ],
    startDelayMs: 10,
  };
}

export interface Asker {
  userId: string;
  channelId?: string;
  channelName?: string;
}

/** Types the slash command as `who` (default: the incident channel); returns the HTTP ack. */
export async function command(stack: Stack, who: Asker, text: string): Promise<SendResult> {
  const { res } = await sendCommand(stack, text, {
    userId: who.userId,
    channelId: who.channelId ?? 'C0INCIDENT',
    channelName: who.channelName ?? 'inc-2031-checkout',
    teamId: SLACK_TEST_DEFAULTS.teamId,
    triggerId: newTriggerId(),
  });
  return res;
}

/** The ephemeral answer in a command's ack (help, jobs, refusals), text and blocks; fails on any other ack. */
export async function ackText(stack: Stack, who: Asker, text: string): Promise<string> {
  const ack = await command(stack, who, text);
  expect(ack.status).toBe(200);
  const body = ackBody(ack);
  expect(body.response_type).toBe('ephemeral');
  return `${body.text ?? ''}\n${JSON.stringify(body.blocks ?? [])}`;
}

/**
 * Types a privileged command and submits the reason modal; resolves to the
 * thread root (the request message) once the bot posted it.
 */
export async function requestProbe(
  stack: Stack,
  who: Asker,
  text: string,
  reason = 'INC-2031: checkout p99 at 8 s, suspect a missing config file',
): Promise<{ root: PostedMessage; requestId: string }> {
  const channel = who.channelId ?? 'C0INCIDENT';
  const before = stack.slack.views().length;
  const lastTs = stack.slack.messages(channel).at(-1)?.ts ?? '0';
  const pod = text.split(/\s+/)[1] ?? '';
  const ack = await command(stack, who, text);
  expect(ack.status).toBe(200);
  expect(ack.body).toBe('');
  const view = await stack.slack.waitFor(() => stack.slack.views()[before]);
  expect(view.view.callback_id).toBe('poddebug_probe_reason');
  const sub = await submitForm(stack, view, who.userId, reason);
  expect(sub.status).toBe(200);
  expect(sub.body).toBe('');
  const root = await stack.slack.waitFor(
    () =>
      stack.slack
        .messages(channel)
        .find((m) => !m.thread_ts && m.text?.startsWith('🔐') && m.ts > lastTs && m.text.includes(pod)),
    10_000,
  );
  const requestId = /request `(prb-[a-z0-9-]+-[0-9a-f]{24})`/.exec(JSON.stringify(root.blocks))?.[1];
  expect(requestId).toBeDefined();
  return { root, requestId: requestId! };
}

/** The approval message (with or without buttons) in the request's thread. */
export function approvalMessage(stack: Stack, root: PostedMessage): PostedMessage | undefined {
  return stack.slack.thread(root.channel, root.ts).find((m) => (m.text ?? '').startsWith('Approval needed'));
}

export function hasButtons(m: PostedMessage | undefined): boolean {
  return JSON.stringify(m?.blocks ?? []).includes('poddebug_approve');
}

/** Clicks a button of the approval message as `userId`. */
export function click(
  stack: Stack,
  root: PostedMessage,
  actionId: 'poddebug_approve' | 'poddebug_deny' | 'poddebug_cancel',
  userId: string,
  value: string,
) {
  const approval = approvalMessage(stack, root);
  return sendBlockAction(stack.eventsUrl, SIGNING_SECRET, {
    actionId,
    value,
    userId,
    channelId: root.channel,
    messageTs: approval?.ts ?? root.ts,
    threadTs: root.ts,
    triggerId: newTriggerId(),
    responseUrl: stack.slack.responseUrl({ channel: root.channel, user: userId, messageTs: approval?.ts }),
  });
}

/** Ephemeral replies `userId` got, texts only. */
export function ephemeralTexts(stack: Stack, userId: string): string[] {
  return stack.slack.ephemerals(userId).map((m) => m.text ?? '');
}

/** Submits a modal's `reason` input (the reason form, or the deny form) as `userId`. */
export function submitForm(
  stack: Stack,
  view: RecordedView,
  userId: string,
  reason: string,
  opts?: SendOptions,
) {
  return sendViewSubmission(
    stack.eventsUrl,
    SIGNING_SECRET,
    {
      callbackId: String(view.view.callback_id),
      userId,
      privateMetadata: String(view.view.private_metadata),
      viewId: view.id,
      values: { reason: { reason: { type: 'plain_text_input', value: reason } } },
    },
    opts,
  );
}

/** requestProbe, then waits until the approval message with its buttons is in the thread. */
export async function requestAwaitingApproval(
  stack: Stack,
  who: Asker,
  text: string,
  ms = 10_000,
): Promise<{ root: PostedMessage; requestId: string; approval: PostedMessage }> {
  const r = await requestProbe(stack, who, text);
  const approval = await stack.slack.waitFor(() => {
    const m = approvalMessage(stack, r.root);
    return hasButtons(m) ? m : undefined;
  }, ms);
  return { ...r, approval };
}

/** Waits for a reply in the request's thread whose text matches. */
export function inThread(
  stack: Stack,
  root: PostedMessage,
  pattern: RegExp,
  ms = 10_000,
): Promise<PostedMessage> {
  return stack.slack.waitFor(
    () => stack.slack.thread(root.channel, root.ts).find((m) => pattern.test(m.text ?? '')),
    ms,
  );
}

/**
 * A stack with the real probe executor and a fake container (a real process in its own namespaces and
 * cgroup) as the pod `shop/checkout-7d9f-x2`: what the end-to-end probe suites run against.
 */
export async function startRealProbeTarget(policy: string): Promise<{ stack: Stack; fake: FakeContainer }> {
  const fake = await startFakeContainer({ layout: 'containerd-systemd' });
  try {
    const stack = await startStack({ fixtures: [], policy, probes: { executor: realProbeExecutor() } });
    putTargetPod(stack, {
      namespace: 'shop',
      name: 'checkout-7d9f-x2',
      containerId: fake.containerId,
      uid: fake.podUid,
    });
    return { stack, fake };
  } catch (e) {
    await fake.stop();
    throw e;
  }
}
