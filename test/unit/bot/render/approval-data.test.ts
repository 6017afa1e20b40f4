/** What approvers see of a strace request with and without `--data`: the exact command and the warning. */
import { describe, expect, it } from '@jest/globals';
import { parseProbe } from '../../../../bot/grammar/probes.js';
import { renderApproval } from '../../../../bot/render/probe.js';
import type { ProbePlan, ProbeSpec } from '../../../../jobs/contracts/probe.js';
import { commandLine } from '../../../../jobs/contracts/probe-argv.js';
import { probeOverhead } from '../../../../jobs/probes/plan.js';

/** The spec the grammar makes of `strace ARGS…`. */
function specOf(args: string): ProbeSpec {
  const parsed = parseProbe('strace', args.split(' '), undefined, {
    clusters: ['prod'],
    defaultCluster: 'prod',
  });
  if (!parsed.ok || parsed.help) throw new Error(`not a strace request: ${args}`);
  return parsed.spec;
}

/** The approval message's text as a reader sees it, every block joined. */
function approvalText(spec: ProbeSpec): string {
  const overhead = probeOverhead(spec);
  const plan: ProbePlan = {
    cluster: 'prod',
    namespace: 'shop',
    pod: 'checkout-7d9f8b6c5-x2kqp',
    podUid: '4f1c0c1e-8f2a-4b7e-9a31-0c3d2e1f5a6b',
    container: 'app',
    containerId: `containerd://${'c'.repeat(64)}`,
    node: 'node-a',
    image: 'registry.example/app:1.4.2',
    spec,
    commandLine: commandLine(spec),
    privileges: ['hostPID (sees every process on node node-a)', 'CAP_SYS_PTRACE'],
    caps: ['30 s'],
    probeImage: `ghcr.io/example/poddebug@sha256:${'d'.repeat(64)}`,
    capabilities: ['SYS_PTRACE'],
    ...(overhead ? { overhead } : {}),
  };
  const msg = renderApproval(
    {
      id: 'r1',
      cluster: 'prod',
      requester: 'U1',
      target: { namespace: 'shop', pod: plan.pod },
      spec,
      reason: 'login failures',
      needed: 1,
      approvers: [],
      plan,
    },
    { phase: 'pending' },
  );
  return JSON.stringify(msg.blocks);
}

describe('approval of strace with and without --data', () => {
  it('without --data: the command prints no buffers and the warning says nothing about them', () => {
    const text = approvalText(specOf('checkout-7d9f8b6c5-x2kqp -n shop --full'));
    expect(text).toContain('strace -f -C -T -s 0 -p &lt;PID&gt;');
    expect(text).toContain('Overhead:');
    expect(text).not.toMatch(/buffers are captured/i);
  });

  it('with --data: the command prints 128 bytes of each buffer and the warning says buffers are captured', () => {
    const text = approvalText(specOf('checkout-7d9f8b6c5-x2kqp -n shop --full --data'));
    expect(text).toContain('strace -f -C -T -s 128 -p &lt;PID&gt;');
    expect(text).toMatch(
      /Overhead:\*.*Data buffers are captured: up to 128 bytes of everything the process reads, writes, sends and receives/,
    );
  });
});
