/**
 * The approval message shows everything the approval binds (issue 9): the probe image and whether it is pinned
 * by digest, the capabilities, node-wide scope in bold, where an unredacted capture goes, names resolved at
 * plan time, and strace's slowdown.
 */
import { describe, expect, it } from '@jest/globals';
import { renderApproval } from '../../../../bot/render/probe.js';
import type { ProbePlan, ProbeSpec } from '../../../../jobs/contracts/probe.js';
import { commandLine } from '../../../../jobs/contracts/probe-argv.js';
import { probeOverhead } from '../../../../jobs/probes/plan.js';
import { probeCapabilities } from '../../../../jobs/probes/pod-spec.js';

const PINNED = `ghcr.io/example/poddebug@sha256:${'e'.repeat(64)}`;

function plan(spec: ProbeSpec, over: Partial<ProbePlan> = {}): ProbePlan {
  const overhead = probeOverhead(spec);
  return {
    cluster: 'prod',
    namespace: 'kube-system',
    pod: 'cilium-x2',
    podUid: 'uid-1',
    container: 'agent',
    containerId: `containerd://${'c'.repeat(64)}`,
    node: 'node-a',
    image: 'cilium:1.15',
    spec,
    commandLine: commandLine(spec),
    privileges: ['hostPID (sees every process on node node-a)'],
    caps: ['10 s'],
    ...(overhead ? { overhead } : {}),
    probeImage: PINNED,
    capabilities: probeCapabilities(spec.action),
    ...over,
  };
}

/** The message as text (blocks joined) and its fallback. */
function render(p: ProbePlan, channel: string | null = 'C0INCIDENT') {
  const msg = renderApproval(
    {
      id: 'prb-1',
      cluster: p.cluster,
      requester: 'U1',
      target: { namespace: p.namespace, pod: p.pod },
      spec: p.spec,
      reason: 'INC-1',
      needed: 1,
      approvers: [],
      plan: p,
      ...(channel ? { channel } : {}),
    },
    { phase: 'pending' },
  );
  const sections = msg.blocks.flatMap((b) =>
    b.type === 'section' && b.text ? [b.text.text] : b.type === 'context' ? [JSON.stringify(b.elements)] : [],
  );
  return { text: sections.join('\n'), blocks: msg.blocks };
}

const tcpdump: ProbeSpec = { action: 'tcpdump', durationSec: 10, filter: ['tcp', 'port', '443'] };
const ps: ProbeSpec = { action: 'ps' };
const strace: ProbeSpec = { action: 'strace', durationSec: 10, full: false, failedOnly: false };

describe('approval message: what the probe pod gets', () => {
  it('shows the probe image pinned by digest, without a warning', () => {
    const { text } = render(plan(ps));
    expect(text).toContain(`*Probe image:* \`${PINNED}\``);
    expect(text).not.toMatch(/not pinned by digest/);
  });

  it('says in bold when the probe image is a tag, not a digest', () => {
    const { text } = render(plan(ps, { probeImage: 'ghcr.io/example/poddebug:0.3.0' }));
    expect(text).toContain('*Probe image:* `ghcr.io/example/poddebug:0.3.0` — *image not pinned by digest*');
  });

  it('lists the capabilities of the per-action table', () => {
    expect(render(plan(tcpdump)).text).toContain(
      '*Capabilities:* `CAP_SYS_PTRACE`, `CAP_SYS_ADMIN`, `CAP_NET_RAW`, `CAP_SETUID`, `CAP_SETGID`',
    );
    expect(render(plan(ps)).text).toContain('*Capabilities:* `CAP_SYS_PTRACE`\n');
  });
});

describe('approval message: node-wide scope', () => {
  it('a hostNetwork target: bold "this probe sees the whole NODE\'s network"', () => {
    const { text } = render(plan(tcpdump, { hostScope: { network: true } }));
    expect(text).toMatch(/🚨 \*this probe sees the whole NODE's network\*: the pod uses `hostNetwork: true`/);
    expect(text).toContain("node `node-a`'s network namespace");
    expect(text).not.toMatch(/NODE's processes/);
  });

  it('a hostPID target: bold "this probe sees the whole NODE\'s processes"', () => {
    const { text } = render(plan(ps, { hostScope: { pid: true } }));
    expect(text).toMatch(/🚨 \*this probe sees the whole NODE's processes\*: the pod uses `hostPID: true`/);
    expect(text).not.toMatch(/NODE's network/);
  });

  it('an ordinary target: no NODE warning at all', () => {
    expect(render(plan(tcpdump)).text).not.toMatch(/NODE's/);
  });
});

describe('approval message: before the run, where results go and what they cost', () => {
  it('tcpdump: "unredacted capture, posted to #channel" in bold, before anyone approves', () => {
    const { text } = render(plan(tcpdump));
    expect(text).toContain('⚠️ *unredacted capture, posted to <#C0INCIDENT>*');
    expect(render(plan(tcpdump), null).text).toContain('*unredacted capture, posted to this channel*');
    expect(render(plan(ps)).text).not.toMatch(/unredacted capture/);
  });

  it('strace: the slowdown is shown', () => {
    expect(render(plan(strace)).text).toMatch(/⚠️ \*Overhead:\* strace stops the target at every syscall/);
  });

  it('netcheck: where each name resolved at plan time', () => {
    const spec: ProbeSpec = {
      action: 'netcheck',
      targets: [{ host: 'db.shop.svc', port: 5432 }, { host: 'gone.example' }],
    };
    const { text } = render(
      plan(spec, {
        resolved: [
          { name: 'db.shop.svc', addresses: ['10.96.4.2'] },
          { name: 'gone.example', addresses: [] },
        ],
      }),
    );
    expect(text).toContain(
      '*Names resolved at plan time:* `db.shop.svc` → `10.96.4.2`; `gone.example` → did not resolve',
    );
  });

  it('stays within Slack limits with every warning at once', () => {
    const { blocks } = render(
      plan(tcpdump, { hostScope: { network: true, pid: true }, probeImage: 'x:latest' }),
    );
    expect(blocks.length).toBeLessThanOrEqual(50);
    for (const b of blocks)
      if (b.type === 'section' && b.text) expect(b.text.text.length).toBeLessThanOrEqual(3000);
  });
});
