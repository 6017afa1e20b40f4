/**
 * What a plan says about the probe pod and its reach (issue 9): the image and capabilities it gets, the host
 * namespaces a hostNetwork / hostPID target makes it see, names resolved at plan time, and that the approval
 * binding covers each of them.
 */
import { describe, expect, it } from '@jest/globals';
import {
  HOST_SCOPE_BY_ACTION,
  type ProbeAction,
  type ProbePlan,
  ProbePlanSchema,
  type ProbeSpec,
  planBinding,
} from '../../../../jobs/contracts/probe.js';
import type { ProbePods } from '../../../../jobs/k8s/probe-pods.js';
import type { Pod } from '../../../../jobs/k8s/types.js';
import { planProbe, targetHostScope } from '../../../../jobs/probes/plan.js';
import { probeCapabilities, probePodSpec } from '../../../../jobs/probes/pod-spec.js';

const CID = `containerd://${'c'.repeat(64)}`;
const DIGEST_IMAGE = `ghcr.io/example/poddebug@sha256:${'e'.repeat(64)}`;

function pod(spec: { hostNetwork?: boolean; hostPID?: boolean } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'cilium-x2', namespace: 'kube-system', uid: 'uid-1' },
    spec: { nodeName: 'node-a', ...spec, containers: [{ name: 'agent', image: 'cilium:1.15' }] },
    status: {
      phase: 'Running',
      containerStatuses: [
        {
          name: 'agent',
          ready: true,
          restartCount: 0,
          image: 'cilium:1.15',
          imageID: '',
          containerID: CID,
          state: { running: { startedAt: '2026-11-20T09:00:00Z' } },
        },
      ],
    },
  } as Pod;
}

function fakePods(p: Pod): ProbePods {
  const no = () => Promise.reject(new Error('not used'));
  return {
    namespace: 'poddebug-probes',
    getTargetPod: () => Promise.resolve(p),
    create: no,
    get: no,
    readLog: no,
    delete: no,
    list: no,
    events: no,
  };
}

const SPECS: Record<ProbeAction, ProbeSpec> = {
  strace: { action: 'strace', durationSec: 10, full: false, failedOnly: false },
  mem: { action: 'mem' },
  ps: { action: 'ps' },
  fds: { action: 'fds' },
  netcheck: { action: 'netcheck', targets: [{ host: 'db.shop.svc', port: 5432 }] },
  tcpdump: { action: 'tcpdump', durationSec: 10, filter: ['tcp'] },
};

const plan = (p: Pod, spec: ProbeSpec, extra: Partial<Parameters<typeof planProbe>[1]> = {}) =>
  planProbe(fakePods(p), {
    cluster: 'prod',
    target: { namespace: 'kube-system', pod: 'cilium-x2' },
    spec,
    image: DIGEST_IMAGE,
    ...extra,
  });

describe('host-namespace scope in the plan', () => {
  it.each(Object.keys(SPECS) as ProbeAction[])(
    '%s: hostNetwork and hostPID targets put exactly the namespaces the action works in into the plan',
    async (action) => {
      const spec = SPECS[action];
      const both = await plan(pod({ hostNetwork: true, hostPID: true }), spec);
      const want = Object.fromEntries(HOST_SCOPE_BY_ACTION[action].map((ns) => [ns, true]));
      expect(both.hostScope ?? {}).toEqual(want);
      expect(ProbePlanSchema.parse(both)).toEqual(both);
      // An ordinary pod: nothing node-wide.
      expect((await plan(pod(), spec)).hostScope).toBeUndefined();
    },
  );

  it('tcpdump on a hostNetwork pod sees the network; ps on it does not unless hostPID too', () => {
    expect(targetHostScope(pod({ hostNetwork: true }), 'tcpdump')).toEqual({ network: true });
    expect(targetHostScope(pod({ hostNetwork: true }), 'ps')).toBeUndefined();
    expect(targetHostScope(pod({ hostPID: true }), 'ps')).toEqual({ pid: true });
    expect(targetHostScope(pod({ hostPID: true }), 'strace')).toBeUndefined();
  });

  it('the probe pod gets the approved scope in its input, and runs the approved image', async () => {
    const p = await plan(pod({ hostNetwork: true }), SPECS.tcpdump);
    const podSpec = probePodSpec(p, {
      jobId: 'run-1',
      requestId: 'r1',
      requester: 'U1',
      approvers: ['U2'],
      image: DIGEST_IMAGE,
      now: new Date('2026-11-20T10:00:00Z'),
    });
    const c = podSpec.spec!.containers[0]!;
    const raw = c.command![c.command!.indexOf('--input') + 1]!;
    const input = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    expect(input.hostScope).toEqual({ network: true });
    expect(c.image).toBe(DIGEST_IMAGE);
    expect(c.securityContext?.capabilities?.add).toEqual(p.capabilities);
    const plain = await plan(pod(), SPECS.tcpdump);
    const c2 = probePodSpec(plain, {
      jobId: 'run-2',
      requestId: 'r2',
      requester: 'U1',
      approvers: [],
      image: DIGEST_IMAGE,
    }).spec!.containers[0]!;
    const input2 = JSON.parse(
      Buffer.from(c2.command![c2.command!.indexOf('--input') + 1]!, 'base64url').toString(),
    );
    expect(input2.hostScope).toBeUndefined();
  });
});

describe('what the probe pod gets is in the plan and in the binding', () => {
  it('records the probe image and the per-action capabilities', async () => {
    for (const action of Object.keys(SPECS) as ProbeAction[]) {
      const p = await plan(pod(), SPECS[action]);
      expect(p.probeImage).toBe(DIGEST_IMAGE);
      expect(p.capabilities).toEqual(probeCapabilities(action));
    }
  });

  it('the binding changes when the image, the capabilities, the host scope or a resolved address change', async () => {
    const base: ProbePlan = await plan(pod(), SPECS.netcheck, {
      resolve: async () => ['10.96.4.2'],
    });
    expect(base.resolved).toEqual([{ name: 'db.shop.svc', addresses: ['10.96.4.2'] }]);
    const b = planBinding(base);
    const variants: ProbePlan[] = [
      { ...base, probeImage: 'ghcr.io/example/poddebug:latest' },
      { ...base, probeImage: `ghcr.io/example/poddebug@sha256:${'f'.repeat(64)}` },
      { ...base, capabilities: [...base.capabilities, 'NET_ADMIN'] },
      { ...base, capabilities: ['SYS_ADMIN', 'SYS_PTRACE'] },
      { ...base, hostScope: { network: true } },
      { ...base, hostScope: { pid: true } },
      { ...base, resolved: [{ name: 'db.shop.svc', addresses: ['169.254.169.254'] }] },
    ];
    const bindings = variants.map(planBinding);
    for (const v of bindings) expect(v).not.toBe(b);
    expect(new Set(bindings).size).toBe(variants.length);
    // Fields for people only are not bound: rewording them does not void an approval.
    expect(planBinding({ ...base, caps: ['reworded'] })).toBe(b);
  });

  it('resolves netcheck names (not literal addresses) with the resolver given, in the target namespace', async () => {
    const asked: Array<[string, string]> = [];
    const p = await plan(
      pod(),
      {
        action: 'netcheck',
        targets: [{ host: 'metadata' }, { host: '10.0.0.1', port: 80 }, { host: 'metadata', port: 80 }],
      },
      {
        resolve: async (name, ctx) => {
          asked.push([name, ctx.namespace]);
          return ['169.254.169.254'];
        },
      },
    );
    expect(asked).toEqual([['metadata', 'kube-system']]);
    expect(p.resolved).toEqual([{ name: 'metadata', addresses: ['169.254.169.254'] }]);
  });

  it('a name that does not resolve (or a resolver that fails) is planned with no addresses', async () => {
    const p = await plan(pod(), SPECS.netcheck, { resolve: () => Promise.reject(new Error('SERVFAIL')) });
    expect(p.resolved).toEqual([{ name: 'db.shop.svc', addresses: [] }]);
  });
});
