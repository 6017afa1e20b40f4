import { ProbePlanSchema, type ProbeSpec, planBinding } from '../../../../jobs/contracts/probe.js';
import { KubeApiError } from '../../../../jobs/k8s/errors.js';
import type { ProbePods } from '../../../../jobs/k8s/probe-pods.js';
import type { Pod } from '../../../../jobs/k8s/types.js';
import { planProbe, STRACE_DATA_WARNING, STRACE_OVERHEAD } from '../../../../jobs/probes/plan.js';

const CID = `containerd://${'c'.repeat(64)}`;

/** A pod as the API returns it, two containers unless told otherwise. */
function pod(
  over: {
    containers?: string[];
    annotations?: Record<string, string>;
    nodeName?: string | null;
    statuses?: unknown[];
  } = {},
): Pod {
  const containers = over.containers ?? ['app', 'envoy'];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'checkout-7d9f8b6c5-x2kqp',
      namespace: 'shop',
      uid: '4f1c0c1e-8f2a-4b7e-9a31-0c3d2e1f5a6b',
      ...(over.annotations ? { annotations: over.annotations } : {}),
    },
    spec: {
      ...(over.nodeName === null ? {} : { nodeName: over.nodeName ?? 'node-a' }),
      initContainers: [{ name: 'migrate', image: 'registry.example/migrate:1' }],
      containers: containers.map((n) => ({ name: n, image: `registry.example/${n}:1.4.2` })),
    },
    status: {
      phase: 'Running',
      containerStatuses:
        (over.statuses as never) ??
        containers.map((n, i) => ({
          name: n,
          ready: true,
          restartCount: 0,
          image: `registry.example/${n}:1.4.2`,
          imageID: '',
          containerID: i === 0 ? CID : `containerd://${'d'.repeat(64)}`,
          state: { running: { startedAt: '2026-11-20T09:00:00Z' } },
        })),
    },
  } as Pod;
}

function fakePods(p: Pod | Error): ProbePods {
  const no = () => Promise.reject(new Error('not used'));
  return {
    namespace: 'poddebug-probes',
    getTargetPod: () => (p instanceof Error ? Promise.reject(p) : Promise.resolve(p)),
    create: no,
    get: no,
    readLog: no,
    delete: no,
    list: no,
    events: no,
  };
}

const strace: ProbeSpec = { action: 'strace', durationSec: 30, full: false, failedOnly: false };
const target = { namespace: 'shop', pod: 'checkout-7d9f8b6c5-x2kqp' };

describe('planProbe', () => {
  it('resolves the named container into a complete plan', async () => {
    const plan = await planProbe(fakePods(pod()), {
      cluster: 'prod',
      target: { ...target, container: 'app' },
      spec: strace,
      image: 'poddebug:1',
    });
    expect(ProbePlanSchema.parse(plan)).toEqual(plan);
    expect(plan).toMatchObject({
      cluster: 'prod',
      namespace: 'shop',
      pod: 'checkout-7d9f8b6c5-x2kqp',
      podUid: '4f1c0c1e-8f2a-4b7e-9a31-0c3d2e1f5a6b',
      container: 'app',
      containerId: CID,
      node: 'node-a',
      image: 'registry.example/app:1.4.2',
      commandLine: 'timeout -s INT -k 5 30 strace -f -C -T -s 0 -p <PID>',
      overhead: STRACE_OVERHEAD,
    });
    expect(plan.privileges).toEqual(
      expect.arrayContaining([
        'hostPID (sees every process on node node-a)',
        'CAP_SYS_PTRACE',
        'seccomp Unconfined',
      ]),
    );
    // The probe image is its own field now (bound by the approval), no longer a privileges line.
    expect(plan.probeImage).toBe('poddebug:1');
    expect(plan.capabilities).toEqual(['SYS_PTRACE']);
    expect(plan.caps).toEqual(expect.arrayContaining(['30 s']));
    expect(planBinding(plan)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('prints no data buffers unless asked; with --data the plan says buffers are captured', async () => {
    const plain = await planProbe(fakePods(pod()), {
      cluster: 'prod',
      target: { ...target, container: 'app' },
      spec: strace,
      image: 'poddebug:1',
    });
    expect(plain.caps).toContain('no data buffers (calls, paths, addresses and errors only)');
    expect(plain.overhead).toBe(STRACE_OVERHEAD);
    expect(plain.overhead).not.toMatch(/buffers/i);

    const spec: ProbeSpec = { ...strace, full: true, data: true };
    const withData = await planProbe(fakePods(pod()), {
      cluster: 'prod',
      target: { ...target, container: 'app' },
      spec,
      image: 'poddebug:1',
    });
    expect(ProbePlanSchema.parse(withData)).toEqual(withData);
    expect(withData.commandLine).toBe('timeout -s INT -k 5 30 strace -f -C -T -s 128 -p <PID>');
    expect(withData.caps).toContain('data buffers cut at 128 bytes');
    expect(withData.overhead).toBe(`${STRACE_OVERHEAD}. ${STRACE_DATA_WARNING}`);
    expect(withData.overhead).toMatch(
      /Data buffers are captured: up to 128 bytes of everything the process reads, writes, sends and receives/,
    );
    // the approval is bound to the choice
    expect(planBinding(withData)).not.toBe(planBinding({ ...withData, spec: { ...spec, data: false } }));
  });

  it('takes the only container, or the default-container annotation', async () => {
    expect(
      (
        await planProbe(fakePods(pod({ containers: ['web'] })), {
          cluster: 'prod',
          target,
          spec: { action: 'ps' },
          image: 'poddebug:1',
        })
      ).container,
    ).toBe('web');
    const annotated = pod({ annotations: { 'kubectl.kubernetes.io/default-container': 'envoy' } });
    const plan = await planProbe(fakePods(annotated), {
      cluster: 'prod',
      target,
      spec: { action: 'ps' },
      image: 'poddebug:1',
    });
    expect(plan.container).toBe('envoy');
    expect(plan.overhead).toBeUndefined();
  });

  const refusals: [string, Pod | Error, string | undefined, string, RegExp][] = [
    [
      'pod not found',
      new KubeApiError(404, 'NotFound', 'pods "x" not found', 'get pods'),
      undefined,
      'pod_not_found',
      /No pod `checkout-7d9f8b6c5-x2kqp` in namespace `shop` on `prod`/,
    ],
    [
      'ambiguous container',
      pod(),
      undefined,
      'container_not_found',
      /has 2 containers \(`app`, `envoy`\); say which one/,
    ],
    [
      'unknown container',
      pod(),
      'sidecar',
      'container_not_found',
      /no container `sidecar`; its containers are `app`, `envoy`/,
    ],
    ['init container', pod(), 'migrate', 'container_not_found', /it is an init container/],
    ['no node', pod({ nodeName: null }), 'app', 'not_running', /not bound to a node/],
    [
      'waiting container',
      pod({
        statuses: [
          {
            name: 'app',
            ready: false,
            restartCount: 5,
            image: 'x',
            imageID: '',
            state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s' } },
          },
        ],
      }),
      'app',
      'not_running',
      /is waiting \(CrashLoopBackOff: back-off 5m0s\), not running/,
    ],
    [
      'terminated container',
      pod({
        statuses: [
          {
            name: 'app',
            ready: false,
            restartCount: 0,
            image: 'x',
            imageID: '',
            containerID: CID,
            state: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
          },
        ],
      }),
      'app',
      'not_running',
      /terminated \(OOMKilled, exit code 137\)/,
    ],
    ['no status yet', pod({ statuses: [] }), 'app', 'not_running', /without status/],
    [
      'forbidden',
      new KubeApiError(
        403,
        'Forbidden',
        'pods "x" is forbidden: User "system:serviceaccount:poddebug:worker" cannot get resource "pods" in API group "" in the namespace "shop"',
        'get pods',
      ),
      'app',
      'forbidden',
      /may not `get` `pods` in namespace `shop`/,
    ],
  ];
  it.each(refusals)('refuses: %s', async (_, p, container, code, re) => {
    const err = await planProbe(fakePods(p), {
      cluster: 'prod',
      target: { ...target, ...(container ? { container } : {}) },
      spec: strace,
      image: 'poddebug:1',
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'CodedError', code });
    expect((err as Error).message).toMatch(re);
  });
});
