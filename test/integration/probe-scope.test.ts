/**
 * Probes that would widen to the node, and network targets the policy denies (issue 9), through the real
 * receiver, the worker and the API simulator: a hostNetwork target is refused at plan time by default and,
 * once the policy allows it, asks for approval with the bold NODE warning; a netcheck to the metadata
 * address is refused in the ack, queues nothing and is audited.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KEYS } from '../../jobs/contracts/index.js';
import { readAuditLog } from '../support/audit-log.js';
import {
  approvalMessage,
  command,
  fakeProbeExecutor,
  hasButtons,
  inThread,
  putTargetPod,
  requestAwaitingApproval,
  requestProbe,
} from '../support/probe-flow.js';
import { type Stack, startStack } from '../support/stack.js';

const REQUESTER = 'U0ONCALL1';
const APPROVER = 'U0ALICE';

const POLICY = `
version: 1
contact: "#sre-platform"
channels:
  ids: [C0INCIDENT]
grants:
  - users: [${REQUESTER}]
    roles: [viewer, privileged]
    clusters: ["*"]
    namespaces: [shop, kube-system]
  - users: [${APPROVER}]
    roles: [approver]
    clusters: ["*"]
    namespaces: ["*"]
# tcpdump needs no approval here: a node-wide one must ask for one all the same.
approvals:
  actions: [strace]
rateLimits:
  commands:
    perUser: { max: 1000, windowSeconds: 60 }
    perChannel: { max: 1000, windowSeconds: 60 }
  privileged:
    perUser: { max: 1000, windowSeconds: 60 }
    perChannel: { max: 1000, windowSeconds: 60 }
`;
const ALLOW_HOST_NETWORK = `probes:
  hostNamespaces:
    - clusters: ["*"]
      namespaces: [kube-system]
      allow: [network]
`;

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    fixtures: [],
    policy: POLICY,
    probes: { executor: fakeProbeExecutor() },
    sweepMs: 300,
  });
  putTargetPod(stack, { namespace: 'kube-system', name: 'cilium-agent-x2', hostNetwork: true });
  putTargetPod(stack, { namespace: 'shop', name: 'checkout-7d9f-x2' });
}, 30_000);
afterAll(async () => {
  await stack?.close();
});

interface AuditLine {
  type: string;
  requestId: string;
  actor?: string;
  action?: string;
  reason?: string;
  decision?: string;
  details?: { code?: string; message?: string };
}
function auditLines(): AuditLine[] {
  return readAuditLog<AuditLine>(stack.auditLogPath);
}

async function jobIds(): Promise<string[]> {
  const q = stack.queue();
  const jobs = await q.getJobs(['waiting', 'active', 'completed', 'failed', 'delayed']);
  await q.close();
  return jobs.map((j) => j.id ?? '');
}

describe('host-namespace targets', () => {
  it('a hostNetwork target is refused at plan time by default, saying which namespace and what would allow it', async () => {
    const { root, requestId } = await requestProbe(
      stack,
      { userId: REQUESTER },
      'tcpdump cilium-agent-x2 -n kube-system --duration 10s',
    );
    const failure = await inThread(stack, root, /network namespace/, 15_000);
    expect(failure.text).toMatch(/shares the node's network namespace \(`hostNetwork: true`\)/);
    expect(failure.text).toMatch(/tcpdump would see the whole node's network/);
    expect(failure.text).toMatch(/`probes\.hostNamespaces` rule with `allow: \[network\]`/);
    // Nothing to approve, nothing ran.
    expect(hasButtons(approvalMessage(stack, root))).toBe(false);
    expect(await jobIds()).not.toContain(`run-${requestId}`);
    const mine = await stack.slack.waitFor(() => {
      const l = auditLines().filter((e) => e.requestId === requestId);
      return l.some((e) => e.type === 'failed') ? l : undefined;
    });
    const failed = mine.find((e) => e.type === 'failed');
    expect(failed?.details?.code).toBe('forbidden');
    expect(failed?.details?.message).toMatch(/hostNetwork: true/);
  }, 30_000);

  it('with the policy setting it asks for approval, with the bold NODE warning, though tcpdump needs none here', async () => {
    stack.writePolicy(POLICY + ALLOW_HOST_NETWORK);
    await new Promise((r) => setTimeout(r, 600));
    const { approval, requestId } = await requestAwaitingApproval(
      stack,
      { userId: REQUESTER },
      'tcpdump cilium-agent-x2 -n kube-system --duration 10s',
      15_000,
    );
    const text = JSON.stringify(approval.blocks);
    expect(text).toContain("*this probe sees the whole NODE's network*");
    expect(text).toContain('*unredacted capture, posted to <#C0INCIDENT>*');
    expect(text).toMatch(/\*Capabilities:\* `CAP_SYS_PTRACE`, `CAP_SYS_ADMIN`, `CAP_NET_RAW`/);
    expect(text).toMatch(/\*Needs:\* 1 approval /);
    expect(await jobIds()).not.toContain(`run-${requestId}`);
    // The probe run would carry the scope: it is in the plan the approval binds.
    const rec = await stack.redis.hget(KEYS.request(requestId), 'plan');
    expect(JSON.parse(rec ?? '{}').hostScope).toEqual({ network: true });
  }, 30_000);
});

describe('network targets', () => {
  it('a netcheck to 169.254.169.254 is refused in the ack, queues nothing, and is audited as refused', async () => {
    const viewsBefore = stack.slack.views().length;
    const before = (await jobIds()).length;
    const ack = await command(
      stack,
      { userId: REQUESTER },
      'netcheck checkout-7d9f-x2 -n shop 169.254.169.254:80',
    );
    expect(ack.status).toBe(200);
    const body = ack.json as { response_type?: string; text?: string };
    expect(body.response_type).toBe('ephemeral');
    expect(body.text).toMatch(
      /Probe network target refused: `169\.254\.169\.254` is in 169\.254\.169\.254\/32 \(cloud metadata/,
    );
    expect(body.text).toMatch(/Nothing was requested/);
    expect(body.text).toMatch(/`probes\.networkTargets\.allow`/);
    await new Promise((r) => setTimeout(r, 300));
    expect(stack.slack.views().length).toBe(viewsBefore);
    expect((await jobIds()).length).toBe(before);
    const refused = await stack.slack.waitFor(() =>
      auditLines().find(
        (e) => e.type === 'refused' && e.action === 'netcheck' && /169\.254\.169\.254/.test(e.reason ?? ''),
      ),
    );
    expect(refused.actor).toBe(REQUESTER);
  }, 20_000);

  it('the metadata name and the kubelet port are refused the same way; a tcpdump host name asks for an IP', async () => {
    for (const [text, re] of [
      ['netcheck checkout-7d9f-x2 -n shop metadata.google.internal', /GCP metadata service/],
      ['netcheck checkout-7d9f-x2 -n shop 127.0.0.1:10250', /loopback.*port 10250 is the kubelet API/],
      ['tcpdump checkout-7d9f-x2 -n shop --filter host db.shop.svc', /take addresses, not names/],
    ] as const) {
      const ack = await command(stack, { userId: REQUESTER }, text);
      expect((ack.json as { text?: string }).text).toMatch(re);
    }
  }, 20_000);
});
