/**
 * The cluster-side guard of deploy/components/probes (admission-policy.yaml):
 * the ValidatingAdmissionPolicy, its binding and parameters, rendered by
 * kustomize, loaded into the API simulator, which evaluates them on pod
 * creation as the API server does. The probe pods the worker builds
 * (jobs/probes/pod-spec.ts) for every action are admitted; a pod that strays
 * in any pinned field is refused with that rule's message.
 *
 * Rendered with `kubectl kustomize` (offline); skipped without kubectl.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import {
  PROBE_ACTIONS,
  type ProbeAction,
  type ProbePlan,
  type ProbeSpec,
} from '../../../jobs/contracts/probe.js';
import { PROBE_PROGRAM, probeCapabilities, probePodSpec } from '../../../jobs/probes/pod-spec.js';
import { type KubeObject, type KubeSim, startKubeSim } from '../../../tools/kube-sim/index.js';
import { describeWithKubectl, KUBECTL_NOTE, one, renderOverlayWith } from '../../support/deploy.js';

const PROBE_NS = 'poddebug-probes';
const WORKER = 'system:serviceaccount:poddebug:poddebug-worker';
const DIGEST = `sha256:${'3f'.repeat(32)}`;
const IMAGE = `ghcr.io/example/poddebug-probe@${DIGEST}`;
const POLICY = 'poddebug-probe-pods';

const SPECS: Record<ProbeAction, ProbeSpec> = {
  strace: { action: 'strace', durationSec: 30, full: false, failedOnly: false },
  mem: { action: 'mem' },
  ps: { action: 'ps' },
  fds: { action: 'fds' },
  netcheck: { action: 'netcheck', targets: [{ host: 'db.shop.svc', port: 5432 }] },
  tcpdump: { action: 'tcpdump', durationSec: 20, filter: ['tcp', 'port', '443'] },
};

function probePod(action: ProbeAction, o: { image?: string; criSocket?: string } = {}): V1Pod {
  const plan: ProbePlan = {
    cluster: 'prod',
    namespace: 'shop',
    pod: 'checkout-7d9f',
    podUid: '1f0e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
    container: 'app',
    containerId: 'containerd://abc123',
    node: 'node-a',
    spec: SPECS[action],
    // The pod runs the image approved with the plan (the worker refuses a plan for another image).
    probeImage: o.image ?? IMAGE,
  } as ProbePlan;
  return probePodSpec(plan, {
    jobId: `job-${action}`,
    requestId: 'req-1',
    requester: 'U0REQUESTER',
    approvers: ['U0APPROVER'],
    image: o.image ?? IMAGE,
    ...(o.criSocket ? { criSocket: o.criSocket } : {}),
    now: new Date('2026-11-20T10:00:00Z'),
  });
}

/** The guard's objects of an overlay with the probe image set by `images:` (digest or tag). */
function guardObjects(image: string[]): KubeObject[] {
  const objs = renderOverlayWith('single-cluster', { images: image });
  return [
    one<KubeObject>(objs, 'Namespace', PROBE_NS),
    one<KubeObject>(objs, 'ValidatingAdmissionPolicy', POLICY),
    one<KubeObject>(objs, 'ValidatingAdmissionPolicyBinding', POLICY),
    one<KubeObject>(objs, 'ConfigMap', 'poddebug-probe-guard'),
  ];
}

const refusal = (name: string, message: string) =>
  `pods "${name}" is forbidden: ValidatingAdmissionPolicy '${POLICY}' with binding '${POLICY}' denied request: ${message}`;

describeWithKubectl(`the probe-pod admission policy in the API simulator${KUBECTL_NOTE}`, () => {
  let sim: KubeSim;
  let dir: string;
  let params: KubeObject;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'probe-guard-'));
    sim = await startKubeSim({ fixtures: dir, user: WORKER });
    const objs = guardObjects(['  - name: ghcr.io/example/poddebug-probe', `    digest: ${DIGEST}`]);
    for (const o of objs) sim.put(o);
    params = one<KubeObject>(objs, 'ConfigMap', 'poddebug-probe-guard');
  });
  afterAll(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function create(pod: V1Pod, o: { as?: string; namespace?: string } = {}) {
    const res = await fetch(`${sim.url}/api/v1/namespaces/${o.namespace ?? PROBE_NS}/pods?dryRun=All`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(o.as ? { 'Impersonate-User': o.as } : {}) },
      body: JSON.stringify(pod),
    });
    return { code: res.status, body: (await res.json()) as { reason?: string; message?: string } };
  }
  async function expectRefused(pod: V1Pod, message: string | RegExp, o: { as?: string } = {}) {
    const r = await create(pod, o);
    expect(r.code).toBe(422);
    expect(r.body.reason).toBe('Invalid');
    if (typeof message === 'string') expect(r.body.message).toBe(refusal(pod.metadata!.name!, message));
    else expect(r.body.message).toMatch(message);
  }
  const stray = (action: ProbeAction, edit: (p: V1Pod) => void): V1Pod => {
    const p = probePod(action);
    edit(p);
    return p;
  };
  const c0 = (p: V1Pod) => p.spec!.containers[0]!;

  it('takes the probe image, by digest, and names the worker’s ServiceAccount', () => {
    expect(params.data).toMatchObject({ image: IMAGE, worker: WORKER, criSocket: '' });
  });

  it.each([...PROBE_ACTIONS])('admits the %s pod the worker builds', async (action) => {
    const r = await create(probePod(action));
    expect({ code: r.code, message: r.body.message }).toEqual({ code: 201, message: undefined });
  });

  it('refuses a pod created by anyone but the worker’s ServiceAccount', async () => {
    await expectRefused(
      probePod('ps'),
      `only the poddebug worker (${WORKER}) may create pods in the probe namespace, not system:serviceaccount:poddebug-probes:default`,
      { as: 'system:serviceaccount:poddebug-probes:default' },
    );
  });

  it.each([
    ['another image', `ghcr.io/example/evil@${DIGEST}`],
    ['the tag instead of the digest', 'ghcr.io/example/poddebug-probe:0.1.0'],
    ['the bot and worker image', `ghcr.io/example/poddebug@${DIGEST}`],
  ])('refuses %s', async (_what, image) => {
    await expectRefused(
      probePod('ps', { image }),
      `a probe pod runs only the image ${IMAGE} (pinned by digest), not ${image}`,
    );
  });

  it('refuses a privileged container', async () => {
    await expectRefused(
      stray('ps', (p) => {
        c0(p).securityContext!.privileged = true;
      }),
      'a probe container is never privileged (securityContext.privileged must be false or unset)',
    );
  });

  it('refuses privilege escalation and a container that keeps the runtime’s default capabilities', async () => {
    await expectRefused(
      stray('ps', (p) => {
        c0(p).securityContext!.allowPrivilegeEscalation = true;
      }),
      'a probe container sets securityContext.allowPrivilegeEscalation to false',
    );
    await expectRefused(
      stray('ps', (p) => {
        delete c0(p).securityContext!.capabilities!.drop;
      }),
      'a probe container drops every capability (securityContext.capabilities.drop includes ALL)',
    );
  });

  describe('adds only its own action’s capabilities', () => {
    const all = [
      ...new Set([...PROBE_ACTIONS.flatMap((a) => probeCapabilities(a)), 'SYS_MODULE', 'NET_ADMIN']),
    ];
    it.each([...PROBE_ACTIONS])('%s', async (action) => {
      const own = probeCapabilities(action);
      for (const extra of all.filter((c) => !own.includes(c)))
        await expectRefused(
          stray(action, (p) => {
            c0(p).securityContext!.capabilities!.add = [...own, extra];
          }),
          `a ${action} probe adds only the capabilities [${own.join(', ')}]`,
        );
    });
  });

  it('refuses an extra hostPath, and the cgroup mount on any action but mem', async () => {
    await expectRefused(
      stray('mem', (p) => {
        p.spec!.volumes!.push({ name: 'host-root', hostPath: { path: '/' } });
        c0(p).volumeMounts!.push({ name: 'host-root', mountPath: '/host', readOnly: true });
      }),
      'a mem probe mounts only emptyDir volumes and the host paths /sys/fs/cgroup; refused: volume host-root',
    );
    const mem = probePod('mem');
    await expectRefused(
      stray('ps', (p) => {
        p.spec!.volumes = mem.spec!.volumes;
        c0(p).volumeMounts = c0(mem).volumeMounts;
      }),
      'a ps probe mounts only emptyDir volumes; refused: volume host-cgroup',
    );
    await expectRefused(
      stray('mem', (p) => {
        c0(p).volumeMounts!.find((m) => m.name === 'host-cgroup')!.readOnly = false;
      }),
      'a probe container mounts host paths read-only',
    );
    await expectRefused(
      stray('ps', (p) => {
        p.spec!.volumes!.push({
          name: 'token',
          projected: { sources: [{ serviceAccountToken: { path: 't' } }] },
        });
      }),
      'a ps probe mounts only emptyDir volumes; refused: volume token',
    );
  });

  it('admits the CRI socket mount only when its parameter names that socket', async () => {
    const sock = '/run/containerd/containerd.sock';
    await expectRefused(
      probePod('fds', { criSocket: sock }),
      'a fds probe mounts only emptyDir volumes; refused: volume cri-socket',
    );
    sim.put({ ...params, data: { ...(params.data as object), criSocket: sock } });
    try {
      for (const action of PROBE_ACTIONS)
        expect((await create(probePod(action, { criSocket: sock }))).code).toBe(201);
      await expectRefused(
        probePod('fds', { criSocket: '/run/docker.sock' }),
        `a fds probe mounts only emptyDir volumes and the host paths ${sock}; refused: volume cri-socket`,
      );
    } finally {
      sim.put(params);
    }
  });

  it('refuses another command, or extra args', async () => {
    const msg = `a probe pod runs only the probe program: command node ${PROBE_PROGRAM} --input <input>, and no args`;
    await expectRefused(
      stray('ps', (p) => {
        c0(p).command = ['sh', '-c', 'cat /proc/1/environ'];
      }),
      msg,
    );
    await expectRefused(
      stray('ps', (p) => {
        c0(p).command = ['node', '/tmp/other.js', '--input', 'x'];
      }),
      msg,
    );
    await expectRefused(
      stray('ps', (p) => {
        c0(p).args = ['--eval', 'x'];
      }),
      msg,
    );
  });

  it('refuses a pod that mounts a service account token (or leaves the default on)', async () => {
    const msg = 'a probe pod mounts no service account token (automountServiceAccountToken must be false)';
    await expectRefused(
      stray('ps', (p) => {
        p.spec!.automountServiceAccountToken = true;
      }),
      msg,
    );
    await expectRefused(
      stray('ps', (p) => {
        delete p.spec!.automountServiceAccountToken;
      }),
      msg,
    );
  });

  it.each(['hostNetwork', 'hostIPC'] as const)('refuses %s', async (field) => {
    await expectRefused(
      stray('netcheck', (p) => {
        p.spec![field] = true;
      }),
      'a probe pod shares no host namespace but the PID one (hostNetwork and hostIPC must be false)',
    );
  });

  it('refuses a pod without a known action label, or with a second container', async () => {
    await expectRefused(
      stray('ps', (p) => {
        p.metadata!.labels!['poddebug.io/action'] = 'shell';
      }),
      'a probe pod is labelled poddebug.io/action with one of strace, mem, ps, fds, netcheck, tcpdump',
    );
    await expectRefused(
      stray('ps', (p) => {
        p.spec!.initContainers = [{ ...c0(p), name: 'init' }];
      }),
      'a probe pod has exactly one container and no init or ephemeral containers',
    );
  });

  it('guards the probe namespace only', async () => {
    sim.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
    const pod = stray('ps', (p) => {
      p.metadata!.namespace = 'shop';
      c0(p).image = 'busybox:latest';
    });
    expect((await create(pod, { namespace: 'shop', as: 'someone' })).code).toBe(201);
  });
});

describeWithKubectl(`the admission policy when the probe image is a tag${KUBECTL_NOTE}`, () => {
  let sim: KubeSim;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'probe-guard-tag-'));
    sim = await startKubeSim({ fixtures: dir, user: WORKER });
    // An overlay that sets a tag over the component's digest.
    for (const o of guardObjects(['  - name: ghcr.io/example/poddebug-probe', '    newTag: 0.1.0']))
      sim.put(o);
  });
  afterAll(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses every probe pod, saying the image must be pinned by digest', async () => {
    const pod = probePod('ps', { image: 'ghcr.io/example/poddebug-probe:0.1.0' });
    const res = await fetch(`${sim.url}/api/v1/namespaces/${PROBE_NS}/pods`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(pod),
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { message: string }).message).toBe(
      refusal(
        pod.metadata!.name!,
        'the allowed probe image ghcr.io/example/poddebug-probe:0.1.0 is not pinned by digest: set the probe image with a digest (images: digest: sha256:...) in your overlay',
      ),
    );
  });
});
