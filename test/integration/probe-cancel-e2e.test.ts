/**
 * `/poddebug cancel` of a real running strace: the simulator's node runs this repository's probe program,
 * which attaches strace to a real process in new namespaces (as in probe-e2e.test.ts); an approver cancels it
 * mid-run, and the worker stops the run: the probe pod is deleted, the probe program and its strace are gone
 * from the "node", the traced process keeps running untraced, and the thread says who stopped it.
 * Needs root (namespaces, cgroups, ptrace); skips and says why otherwise.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type FakeContainer, fakeContainerSupport } from '../support/fake-container.js';
import { probePolicy } from '../support/policies.js';
import { until } from '../support/poll.js';
import {
  click,
  command,
  ephemeralTexts,
  inThread,
  requestAwaitingApproval,
  startRealProbeTarget,
} from '../support/probe-flow.js';
import type { Stack } from '../support/stack.js';

const REQUESTER = 'U0ONCALL1';
const APPROVER = 'U0ALICE';
const POLICY = probePolicy(REQUESTER, APPROVER);

const skipReason =
  fakeContainerSupport() ?? (spawnSync('strace', ['-V']).status === 0 ? null : 'strace is not installed');
if (skipReason) console.warn(`probe-cancel-e2e: skipped: ${skipReason}`);
const d = skipReason ? describe.skip : describe;

/** Whether a process traces the given pid (its TracerPid). */
function tracerOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^TracerPid:\s+(\d+)/m.exec(status)?.[1] ?? '0');
}

d('cancel of a running strace, end to end', () => {
  let stack: Stack;
  let fake: FakeContainer;

  beforeAll(async () => {
    ({ stack, fake } = await startRealProbeTarget(POLICY));
  }, 30_000);
  afterAll(async () => {
    await stack?.close();
    await fake?.stop();
  });

  it('the approver stops it: strace detaches, the probe pod and its processes are gone, no result', async () => {
    const { root, requestId } = await requestAwaitingApproval(
      stack,
      { userId: REQUESTER, channelId: 'C0INCIDENT' },
      'strace checkout-7d9f-x2 -n shop --duration 60s',
      15_000,
    );
    await click(stack, root, 'poddebug_approve', APPROVER, requestId);
    // strace is attached to the container's main process on the host.
    await until(() => tracerOf(fake.pid) !== 0, 30_000, { what: 'strace attached', everyMs: 100 });
    expect(stack.sim.nodeProcesses()).toBe(1);

    const before = ephemeralTexts(stack, APPROVER).length;
    await command(stack, { userId: APPROVER, channelId: 'C0INCIDENT' }, `cancel ${requestId}`);
    const answer = await stack.slack.waitFor(() => ephemeralTexts(stack, APPROVER)[before], 10_000);
    expect(answer).toMatch(/it was running: the worker stops the probe and deletes its probe pod/);

    await until(() => stack.sim.nodeProcesses() === 0, 10_000, {
      what: 'no process on the node',
      everyMs: 100,
    });
    await until(() => tracerOf(fake.pid) === 0, 10_000, { what: 'strace detached', everyMs: 100 });
    const res = await fetch(`${stack.sim.url}/api/v1/namespaces/poddebug-probes/pods`);
    expect(((await res.json()) as { items: unknown[] }).items).toEqual([]);
    await inThread(stack, root, /^🛑 <@U0ALICE> stopped the request while it ran/);
    // The traced process itself is untouched.
    expect(readFileSync(`/proc/${fake.pid}/status`, 'utf8')).toMatch(/^State:\s+[RS]/m);
    await new Promise((r) => setTimeout(r, 1000));
    expect(
      stack.slack.thread(root.channel, root.ts).some((m) => /^\S+ strace on shop\//u.test(m.text ?? '')),
    ).toBe(false);
  }, 90_000);
});
