/**
 * The whole privileged path for real: `/poddebug strace` typed in Slack →
 * reason → approval by a second person → run job → probe pod created in the
 * API simulator → the simulator's node runs this repository's probe program
 * locally, which finds a real process in new PID/UTS/net/mount namespaces by
 * its container ID in /proc/*\/cgroup and straces it → findings and the
 * uploaded trace reach the Slack Web API double → the probe pod is gone.
 * Needs root (namespaces, cgroups, ptrace); skips and says why otherwise.
 */

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type FakeContainer, fakeContainerSupport } from '../support/fake-container.js';
import { probePolicy } from '../support/policies.js';
import { click, requestAwaitingApproval, startRealProbeTarget } from '../support/probe-flow.js';
import type { Stack } from '../support/stack.js';

const REQUESTER = 'U0ONCALL1';
const APPROVER = 'U0ALICE';
const POLICY = probePolicy(REQUESTER, APPROVER);

const skipReason =
  fakeContainerSupport() ?? (spawnSync('strace', ['-V']).status === 0 ? null : 'strace is not installed');
if (skipReason) console.warn(`probe-e2e: skipped: ${skipReason}`);
const d = skipReason ? describe.skip : describe;

d('strace, end to end, against a real namespaced process', () => {
  let stack: Stack;
  let fake: FakeContainer;

  beforeAll(async () => {
    ({ stack, fake } = await startRealProbeTarget(POLICY));
  }, 30_000);
  afterAll(async () => {
    await stack?.close();
    await fake?.stop();
  });

  it('requested → approved → probe pod → findings and trace in the thread → probe pod gone', async () => {
    const { root, requestId, approval } = await requestAwaitingApproval(
      stack,
      { userId: REQUESTER, channelId: 'C0INCIDENT' },
      'strace checkout-7d9f-x2 -n shop --duration 3s --full',
      15_000,
    );
    expect(JSON.stringify(approval.blocks)).toContain(fake.containerId);

    await click(stack, root, 'poddebug_approve', APPROVER, requestId);
    const result = await stack.slack.waitFor(
      () =>
        stack.slack
          .thread(root.channel, root.ts)
          .find((m) => /^\S+ strace on shop\/checkout-7d9f-x2 \(/u.test(m.text ?? '')),
      40_000,
    );
    const shown = JSON.stringify(result.blocks);
    // The test process opens a missing file in a loop: the summary and the findings say so.
    expect(shown).toContain('openat');
    expect(shown).toMatch(/ENOENT/);
    expect(shown).toContain(fake.missingFile);
    // The pid the probe attached to is the container's main process on the host.
    expect(shown).toContain(`pid ${fake.pid}`);

    // The full trace was uploaded into the thread; its hash is the one stated in the message.
    const file = await stack.slack.waitFor(() =>
      stack.slack.files().find((f) => f.thread_ts === root.ts && f.filename.endsWith('.txt')),
    );
    const text = file.bytes.toString('utf8');
    expect(text).toContain(fake.missingFile);
    const sha = createHash('sha256').update(file.bytes).digest('hex');
    expect(shown).toContain(sha);

    // The probe pod is gone, and it was created on the target's node with the right privileges.
    const res = await fetch(`${stack.sim.url}/api/v1/namespaces/poddebug-probes/pods`);
    expect(((await res.json()) as { items: unknown[] }).items).toEqual([]);
    const created = stack.sim.requests().filter((r) => r.method === 'POST' && r.path.endsWith('/pods'));
    expect(created).toHaveLength(1);
    expect(
      stack.sim.requests().some((r) => r.method === 'DELETE' && r.path.includes('/poddebug-probes/pods/')),
    ).toBe(true);
    // Nothing of the probe is left running on the "node".
    expect(stack.sim.nodeProcesses()).toBe(0);
  }, 90_000);
});
