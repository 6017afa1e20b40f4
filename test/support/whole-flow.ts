/**
 * One pass through everything the product does with Redis, as users would do it: a diagnose answered in its
 * thread; a privileged probe requested, approved, signed, run; a second one listed by `/poddebug jobs` and
 * cancelled. Used where what matters is the Redis traffic of a whole run (Redis Cluster, slot checks).
 */
import { expect } from '@jest/globals';
import { approver, policyYaml, requester, viewer } from './policies.js';
import {
  click,
  command,
  ephemeralTexts,
  inThread,
  putTargetPod,
  requestAwaitingApproval,
} from './probe-flow.js';
import type { Stack } from './stack.js';

export const FLOW_REQUESTER = 'U0ONCALL1';
export const FLOW_APPROVER = 'U0ALICE';
const VIEWER = 'U0TESTUSER';
const DIAGNOSE_CHANNEL = 'C0TESTCHAN';
const TARGET_POD = 'web-4d5e-f6';

/** The policy the flow needs: the requester and a viewer anywhere, an approver, both channels. */
export const WHOLE_FLOW_POLICY = policyYaml({
  channels: { ids: ['C0INCIDENT', DIAGNOSE_CHANNEL], names: ['*'] },
  grants: [requester([FLOW_REQUESTER], ['*']), viewer([VIEWER]), approver([FLOW_APPROVER])],
});

/** Puts the probe's target pod in the stack's simulator (call once, before the flow). */
export function putFlowTarget(stack: Stack): void {
  putTargetPod(stack, { namespace: 'shop', name: TARGET_POD });
}

/**
 * Runs the flow on a stack started with {@link WHOLE_FLOW_POLICY}, the scenario fixtures and a probe
 * executor; asserts each step as a user would see it. Resolves to the two requests' ids.
 */
export async function runWholeFlow(stack: Stack): Promise<{ approvedId: string; cancelledId: string }> {
  // A diagnose, answered in its thread.
  const ack = await command(
    stack,
    { userId: VIEWER, channelId: DIAGNOSE_CHANNEL },
    'diagnose orders-worker-5b7d9c8f6-lk4vn -n crash-loop',
  );
  expect(ack.status).toBe(200);
  const status = await stack.slack.waitFor(
    () => stack.slack.messages(DIAGNOSE_CHANNEL).find((m) => !m.thread_ts && /— done\b/.test(m.text ?? '')),
    20_000,
  );
  expect(stack.slack.thread(DIAGNOSE_CHANNEL, status.ts)[0]?.text ?? '').toMatch(/CrashLoopBackOff|crash/i);

  // A privileged probe: plan, approval, signed run, artefacts, audit entries.
  const approved = await requestAwaitingApproval(
    stack,
    { userId: FLOW_REQUESTER },
    `ps ${TARGET_POD} -n shop`,
  );
  await click(stack, approved.root, 'poddebug_approve', FLOW_APPROVER, approved.requestId);
  await inThread(stack, approved.root, new RegExp(`^\\S+ ps on shop/${TARGET_POD} \\(`, 'u'), 20_000);

  // Job control: a second request listed by `jobs` (the channel's indexes), then cancelled (the cancel
  // script, the flag and the close of its indexes).
  const second = await requestAwaitingApproval(stack, { userId: FLOW_REQUESTER }, `ps ${TARGET_POD} -n shop`);
  const listed = await command(stack, { userId: FLOW_REQUESTER }, 'jobs');
  expect(JSON.stringify(listed.json)).toContain(second.requestId);
  const before = ephemeralTexts(stack, FLOW_REQUESTER).length;
  expect((await command(stack, { userId: FLOW_REQUESTER }, `cancel ${second.requestId}`)).status).toBe(200);
  expect(await stack.slack.waitFor(() => ephemeralTexts(stack, FLOW_REQUESTER)[before], 10_000)).toMatch(
    /Cancelled/,
  );
  await inThread(stack, second.root, /cancel/iu, 20_000);
  return { approvedId: approved.requestId, cancelledId: second.requestId };
}
