import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type KubeSim, startKubeSim } from '../../index.js';
import { podSecurityDenial, podSecurityViolations } from '../../pod-security.js';

const NS = 'probes';
const node = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name },
  status: { conditions: [{ type: 'Ready', status: 'True' }] },
});

function probePod(
  name: string,
  command: string[],
  over: { nodeName?: string; deadline?: number; probe?: boolean } = {},
) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: over.probe === false ? {} : { 'poddebug.io/probe': 'true' } },
    spec: {
      nodeName: over.nodeName ?? 'node-a',
      restartPolicy: 'Never',
      ...(over.deadline ? { activeDeadlineSeconds: over.deadline } : {}),
      containers: [{ name: 'probe', image: 'poddebug:test', command }],
    },
  };
}

let sim: KubeSim;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kube-sim-node-'));
  sim = await startKubeSim({
    fixtures: dir,
    nodeExecutor: {
      // The "image" path maps to a local script, as a test maps /app/dist/... into the repository.
      rewriteArgv: (argv) => argv.map((a) => (a === '/app/hello.js' ? '-e' : a)),
      startDelayMs: 5,
    },
  });
  sim.put(node('node-a'));
  sim.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
});
afterAll(async () => {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  // biome-ignore lint/suspicious/noExplicitAny: API bodies of several shapes, checked by the assertions
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}
const getPod = async (name: string) => (await api('GET', `/api/v1/namespaces/${NS}/pods/${name}`)).json;
async function waitPhase(name: string, phases: string[], ms = 10_000) {
  const t0 = Date.now();
  for (;;) {
    const p = await getPod(name);
    if (p?.status && phases.includes(p.status.phase)) return p;
    if (Date.now() - t0 > ms) throw new Error(`pod ${name} still ${p?.status?.phase}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('kube-sim node executor', () => {
  it('runs the command: Pending → Running → Succeeded, stdout and stderr as the log', async () => {
    const created = await api(
      'POST',
      `/api/v1/namespaces/${NS}/pods`,
      probePod('ok', [
        'node',
        '/app/hello.js',
        'console.log("out 1"); console.error("err 1"); setTimeout(() => console.log("out 2"), 300)',
      ]),
    );
    expect(created.status).toBe(201);
    const running = await waitPhase('ok', ['Running']);
    expect(running.status.containerStatuses[0].state.running.startedAt).toEqual(expect.any(String));
    expect(running.status.containerStatuses[0].containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
    expect(running.status.startTime).toEqual(expect.any(String));
    const done = await waitPhase('ok', ['Succeeded', 'Failed']);
    expect(done.status.phase).toBe('Succeeded');
    expect(done.status.containerStatuses[0].state.terminated).toMatchObject({
      exitCode: 0,
      reason: 'Completed',
    });
    const log = await api('GET', `/api/v1/namespaces/${NS}/pods/ok/log?container=probe`);
    expect(log.text.split('\n').sort()).toEqual(['', 'err 1', 'out 1', 'out 2']);
  });

  it('a non-zero exit is Failed with the exit code', async () => {
    await api('POST', `/api/v1/namespaces/${NS}/pods`, probePod('bad', ['node', '-e', 'process.exit(3)']));
    const done = await waitPhase('bad', ['Succeeded', 'Failed']);
    expect(done.status.phase).toBe('Failed');
    expect(done.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
  });

  it('a command that does not exist is a StartError', async () => {
    await api('POST', `/api/v1/namespaces/${NS}/pods`, probePod('nocmd', ['/nonexistent/binary']));
    const done = await waitPhase('nocmd', ['Failed']);
    expect(done.status.containerStatuses[0].state.terminated).toMatchObject({
      exitCode: 128,
      reason: 'StartError',
    });
  });

  it('enforces activeDeadlineSeconds', async () => {
    await api(
      'POST',
      `/api/v1/namespaces/${NS}/pods`,
      probePod('slow', ['node', '-e', 'setTimeout(() => {}, 60000)'], { deadline: 1 }),
    );
    const done = await waitPhase('slow', ['Failed', 'Succeeded'], 5000);
    expect(done.status).toMatchObject({ phase: 'Failed', reason: 'DeadlineExceeded' });
    expect(sim.nodeProcesses()).toBe(0);
  });

  it('deleting the pod kills its process and nothing brings the pod back', async () => {
    await api(
      'POST',
      `/api/v1/namespaces/${NS}/pods`,
      probePod('del', ['node', '-e', 'setInterval(() => console.log("tick"), 50)']),
    );
    await waitPhase('del', ['Running']);
    expect(sim.nodeProcesses()).toBeGreaterThan(0);
    expect((await api('DELETE', `/api/v1/namespaces/${NS}/pods/del`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(sim.nodeProcesses()).toBe(0);
    expect((await api('GET', `/api/v1/namespaces/${NS}/pods/del`)).status).toBe(404);
  });

  it('a pod pinned to a node that does not exist stays Pending with no status from a kubelet', async () => {
    await api(
      'POST',
      `/api/v1/namespaces/${NS}/pods`,
      probePod('lost', ['node', '-e', ''], { nodeName: 'node-gone' }),
    );
    await new Promise((r) => setTimeout(r, 200));
    const p = await getPod('lost');
    expect(p.status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
  });

  it('leaves pods without the probe label alone (default behaviour)', async () => {
    await api('POST', `/api/v1/namespaces/${NS}/pods`, probePod('app', ['node', '-e', ''], { probe: false }));
    await new Promise((r) => setTimeout(r, 200));
    expect((await getPod('app')).status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
  });

  it('refuses a hostPID pod in a baseline namespace with the real PodSecurity 403', async () => {
    sim.put({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'locked', labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } },
    });
    const pod = { ...probePod('x', ['node']), metadata: { name: 'x', namespace: 'locked' } };
    (pod.spec as Record<string, unknown>).hostPID = true;
    const r = await api('POST', '/api/v1/namespaces/locked/pods', pod);
    expect(r.status).toBe(403);
    expect(r.json).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403 });
    expect(r.json.message).toBe(
      'pods "x" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostPID=true)',
    );
    expect((await api('GET', '/api/v1/namespaces/locked/pods/x')).status).toBe(404);
  });

  it('setNodeExecutor(undefined) switches the kubelet off', async () => {
    await sim.setNodeExecutor(undefined);
    await api('POST', `/api/v1/namespaces/${NS}/pods`, probePod('off', ['node', '-e', '']));
    await new Promise((r) => setTimeout(r, 150));
    expect((await getPod('off')).status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
  });
});

describe('pod security (pure)', () => {
  const probe = {
    metadata: { name: 'poddebug-strace-1' },
    spec: {
      hostPID: true,
      securityContext: { seccompProfile: { type: 'Unconfined' } },
      volumes: [
        { name: 'work', emptyDir: {} },
        { name: 'host-cgroup', hostPath: { path: '/sys/fs/cgroup' } },
      ],
      containers: [
        {
          name: 'probe',
          securityContext: {
            runAsUser: 0,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'], add: ['SYS_PTRACE', 'SETUID'] },
            seccompProfile: { type: 'Unconfined' },
          },
        },
      ],
    },
  };
  it('baseline', () => {
    expect(podSecurityViolations(probe, 'baseline')).toEqual([
      'host namespaces (hostPID=true)',
      'non-default capabilities (container "probe" must not include "SYS_PTRACE" in securityContext.capabilities.add)',
      'hostPath volumes (volume "host-cgroup")',
      'seccompProfile (pod and container "probe" must not set securityContext.seccompProfile.type to "Unconfined")',
    ]);
  });
  it('restricted adds its own checks', () => {
    const v = podSecurityViolations(probe, 'restricted');
    expect(v).toEqual(
      expect.arrayContaining([
        'unrestricted capabilities (container "probe" must not include "SYS_PTRACE", "SETUID" in securityContext.capabilities.add)',
        'runAsNonRoot != true (pod or container "probe" must set securityContext.runAsNonRoot=true)',
        'runAsUser=0 (container "probe" must not set runAsUser=0)',
      ]),
    );
    expect(v.some((x) => x.startsWith('allowPrivilegeEscalation'))).toBe(false);
  });
  it('privileged or unlabelled namespaces admit it', () => {
    expect(podSecurityDenial(probe, { 'pod-security.kubernetes.io/enforce': 'privileged' })).toBeUndefined();
    expect(podSecurityDenial(probe, undefined)).toBeUndefined();
    expect(
      podSecurityDenial(probe, {
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'v1.30',
      })?.message,
    ).toMatch(
      /^pods "poddebug-strace-1" is forbidden: violates PodSecurity "restricted:v1.30": host namespaces/,
    );
  });
});
