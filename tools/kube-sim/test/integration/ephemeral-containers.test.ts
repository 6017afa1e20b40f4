/**
 * pods/{name}/ephemeralcontainers against kube-sim: the patch formats kubectl and client-node send, the
 * API server's validation errors, Pod Security, the feature switch, and the simulated kubelet's status,
 * log and exit code of the ephemeral container (container-runtime.ts).
 *
 * Longer than 400 lines on purpose: one table of refusals plus one test per behaviour of the subresource.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { type KubeSim, startKubeSim } from '../../index.js';

const NS = 'dbg';
const NODE = process.execPath;
const SMP = 'application/strategic-merge-patch+json';
const MERGE = 'application/merge-patch+json';
const JSONPATCH = 'application/json-patch+json';

function runningPod(name: string, over: { phase?: string; targetRunning?: boolean; ns?: string } = {}) {
  const running = over.targetRunning !== false;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: over.ns ?? NS, labels: { app: name } },
    spec: {
      nodeName: 'node-a',
      containers: [{ name: 'app', image: 'nginx:1.27' }],
      volumes: [{ name: 'data', emptyDir: {} }],
    },
    status: {
      phase: over.phase ?? 'Running',
      containerStatuses: [
        {
          name: 'app',
          image: 'nginx:1.27',
          imageID: '',
          ready: running,
          restartCount: running ? 0 : 4,
          state: running
            ? { running: { startedAt: '2026-12-01T10:00:00Z' } }
            : { waiting: { reason: 'CrashLoopBackOff' } },
        },
      ],
    },
  };
}

const debugContainer = (name: string, command: string[], extra: Record<string, unknown> = {}) => ({
  name,
  image: 'busybox',
  command,
  targetContainerName: 'app',
  ...extra,
});

let sim: KubeSim;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kube-sim-eph-'));
  sim = await startKubeSim({ fixtures: dir, containerRuntime: { startDelayMs: 5, timeoutMs: 1500 } });
  sim.put({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a' } });
  sim.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
});
afterAll(async () => {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

async function api(method: string, path: string, body?: unknown, type = 'application/json') {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: { 'Content-Type': type },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
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
const eph = (pod: string, ns = NS) => `/api/v1/namespaces/${ns}/pods/${pod}/ephemeralcontainers`;
const addSmp = (pod: string, c: object, ns = NS) =>
  api('PATCH', eph(pod, ns), { spec: { ephemeralContainers: [c] } }, SMP);
const getPod = async (name: string) => (await api('GET', `/api/v1/namespaces/${NS}/pods/${name}`)).json;

/** Polls the pod until the ephemeral container's status matches. */
async function waitEph(pod: string, name: string, state: 'waiting' | 'running' | 'terminated', ms = 8000) {
  const t0 = Date.now();
  for (;;) {
    const p = await getPod(pod);
    // biome-ignore lint/suspicious/noExplicitAny: pod status from the API
    const s = (p.status.ephemeralContainerStatuses ?? []).find((x: any) => x.name === name);
    if (s?.state?.[state]) return s;
    if (Date.now() - t0 > ms) throw new Error(`${name} in ${pod}: ${JSON.stringify(s?.state)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('pods/ephemeralcontainers', () => {
  it('GET returns the pod; a missing pod is 404 naming it', async () => {
    sim.put(runningPod('get'));
    const r = await api('GET', eph('get'));
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ kind: 'Pod', metadata: { name: 'get', namespace: NS } });
    const missing = await addSmp('nope', debugContainer('d', ['true']));
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({
      reason: 'NotFound',
      message: 'pods "nope" not found',
      details: { name: 'nope', kind: 'pods' },
    });
  });

  it('a strategic merge patch adds the container, defaulted; it runs, logs, and ends with its exit code', async () => {
    sim.put(runningPod('smp'));
    const cmd = [NODE, '-e', 'console.log("from debug"); console.error("to stderr"); process.exit(3)'];
    const r = await addSmp('smp', debugContainer('dbg-1', cmd, { securityContext: { runAsUser: 0 } }));
    expect(r.status).toBe(200);
    expect(r.json.spec.ephemeralContainers).toEqual([
      {
        ...debugContainer('dbg-1', cmd, { securityContext: { runAsUser: 0 } }),
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        imagePullPolicy: 'Always',
      },
    ]);
    // The patch changes nothing but the ephemeral containers.
    expect(r.json.spec.containers).toEqual(runningPod('smp').spec.containers);
    const done = await waitEph('smp', 'dbg-1', 'terminated');
    expect(done.state.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(done.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
    const log = await api('GET', `/api/v1/namespaces/${NS}/pods/smp/log?container=dbg-1`);
    expect(log.status).toBe(200);
    expect(log.text.split('\n').sort()).toEqual(['', 'from debug', 'to stderr']);
  });

  it('the process sees the container’s env and the pod’s name, not the simulator’s environment', async () => {
    sim.put(runningPod('envs'));
    process.env.KUBE_SIM_SECRET_FOR_TEST = 'leak';
    try {
      const show =
        'console.log([process.env.MODE, process.env.HOSTNAME, process.env.KUBE_SIM_SECRET_FOR_TEST ?? "-"].join(" "))';
      await addSmp(
        'envs',
        debugContainer('env', [NODE, '-e', show], { env: [{ name: 'MODE', value: 'debug' }] }),
      );
      await waitEph('envs', 'env', 'terminated');
    } finally {
      delete process.env.KUBE_SIM_SECRET_FOR_TEST;
    }
    expect((await api('GET', `/api/v1/namespaces/${NS}/pods/envs/log?container=env`)).text).toBe(
      'debug envs -\n',
    );
  });

  it('dryRun=All answers the pod as it would be and changes nothing', async () => {
    sim.put(runningPod('dry'));
    const r = await api(
      'PATCH',
      `${eph('dry')}?dryRun=All`,
      { spec: { ephemeralContainers: [debugContainer('d', ['true'])] } },
      SMP,
    );
    expect(r.status).toBe(200);
    expect(r.json.spec.ephemeralContainers[0].name).toBe('d');
    await new Promise((res) => setTimeout(res, 100));
    const p = await getPod('dry');
    expect(p.spec.ephemeralContainers).toBeUndefined();
    expect(p.status.ephemeralContainerStatuses).toBeUndefined();
  });

  it('goes Running while the command runs, then Terminated Completed', async () => {
    sim.put(runningPod('phases'));
    await addSmp(
      'phases',
      debugContainer('slow', [NODE, '-e', 'setTimeout(() => console.log("done"), 400)']),
    );
    const running = await waitEph('phases', 'slow', 'running');
    expect(running).toMatchObject({
      ready: false,
      restartCount: 0,
      state: { running: { startedAt: expect.any(String) } },
    });
    expect(sim.containerProcesses()).toBeGreaterThan(0);
    const done = await waitEph('phases', 'slow', 'terminated');
    expect(done.state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect((await api('GET', `/api/v1/namespaces/${NS}/pods/phases/log?container=slow`)).text).toBe('done\n');
  });

  it('kills a command still running at the runtime timeout (137)', async () => {
    sim.put(runningPod('timeout'));
    await addSmp('timeout', debugContainer('hang', [NODE, '-e', 'setInterval(() => {}, 1000)']));
    const done = await waitEph('timeout', 'hang', 'terminated', 6000);
    expect(done.state.terminated).toMatchObject({ exitCode: 137, reason: 'Error' });
  });

  it('an executable that does not exist is a StartError (128)', async () => {
    sim.put(runningPod('noexe'));
    await addSmp('noexe', debugContainer('x', ['/nonexistent/tool', '--flag']));
    const done = await waitEph('noexe', 'x', 'terminated');
    expect(done.state.terminated).toMatchObject({ exitCode: 128, reason: 'StartError' });
    expect(done.state.terminated.message).toContain(
      'exec: "/nonexistent/tool": executable file not found in $PATH',
    );
  });

  it('JSON merge patch and JSON patch (client-node’s default) add containers too; order is kept', async () => {
    sim.put(runningPod('formats'));
    const first = debugContainer('m1', [NODE, '-e', '']);
    expect(
      (await api('PATCH', eph('formats'), { spec: { ephemeralContainers: [first] } }, MERGE)).status,
    ).toBe(200);
    await waitEph('formats', 'm1', 'terminated');
    const second = debugContainer('j2', [NODE, '-e', 'console.log(2)']);
    const r = await api(
      'PATCH',
      eph('formats'),
      [{ op: 'add', path: '/spec/ephemeralContainers/-', value: second }],
      JSONPATCH,
    );
    expect(r.status).toBe(200);
    // biome-ignore lint/suspicious/noExplicitAny: API body
    expect(r.json.spec.ephemeralContainers.map((c: any) => c.name)).toEqual(['m1', 'j2']);
    await waitEph('formats', 'j2', 'terminated');
    expect((await api('GET', `/api/v1/namespaces/${NS}/pods/formats/log?container=j2`)).text).toBe('2\n');
    // A merge patch replaces the whole list: leaving m1 out removes it, which the server refuses.
    const drop = await api('PATCH', eph('formats'), { spec: { ephemeralContainers: [second] } }, MERGE);
    expect(drop.status).toBe(422);
    expect(drop.json.message).toBe(
      'Pod "formats" is invalid: spec.ephemeralContainers: Forbidden: existing ephemeral containers "m1" may not be removed\n',
    );
  });

  it('client-node’s patch and read calls work (JSON patch by default)', async () => {
    sim.put(runningPod('client'));
    const kc = new KubeConfig();
    kc.loadFromFile(sim.kubeconfigPath);
    const core = kc.makeApiClient(CoreV1Api);
    const pod = await core.patchNamespacedPodEphemeralcontainers({
      name: 'client',
      namespace: NS,
      body: [
        {
          op: 'add',
          path: '/spec/ephemeralContainers',
          value: [debugContainer('cn', [NODE, '-e', 'console.log("cn")'])],
        },
      ],
    });
    expect(pod.spec?.ephemeralContainers?.[0]?.name).toBe('cn');
    await waitEph('client', 'cn', 'terminated');
    const read = await core.readNamespacedPodEphemeralcontainers({ name: 'client', namespace: NS });
    expect(read.status?.ephemeralContainerStatuses?.[0]?.state?.terminated?.exitCode).toBe(0);
    expect(await core.readNamespacedPodLog({ name: 'client', namespace: NS, container: 'cn' })).toBe('cn\n');
  });

  it('PUT replaces the list; an existing container may not be changed', async () => {
    sim.put(runningPod('put'));
    const pod = await getPod('put');
    pod.spec.ephemeralContainers = [debugContainer('p1', [NODE, '-e', ''])];
    const r = await api('PUT', eph('put'), pod);
    expect(r.status).toBe(200);
    await waitEph('put', 'p1', 'terminated');
    // Re-read: the kubelet's status updates moved the resourceVersion on.
    const again = await getPod('put');
    again.spec.ephemeralContainers[0].image = 'alpine';
    const changed = await api('PUT', eph('put'), again);
    expect(changed.status).toBe(422);
    expect(changed.json.message).toMatch(
      /^Pod "put" is invalid: spec\.ephemeralContainers: Forbidden: existing ephemeral containers "p1" may not be changed\n/,
    );
    expect(changed.json.details.causes[0]).toMatchObject({
      field: 'spec.ephemeralContainers',
      reason: 'FieldValueForbidden',
    });
    // A stale resourceVersion is a conflict, as for any update.
    const stale = await api('PUT', eph('put'), {
      ...pod,
      metadata: { ...pod.metadata, resourceVersion: '1' },
    });
    expect(stale.status).toBe(409);
  });

  it.each([
    [
      'ports',
      { ports: [{ containerPort: 80 }] },
      'spec.ephemeralContainers[0].ports',
      'Forbidden: cannot be set for an Ephemeral Container',
    ],
    [
      'resources',
      { resources: { limits: { cpu: '1' } } },
      'spec.ephemeralContainers[0].resources',
      'Forbidden: cannot be set for an Ephemeral Container',
    ],
    [
      'a liveness probe',
      { livenessProbe: { exec: { command: ['true'] } } },
      'spec.ephemeralContainers[0].livenessProbe',
      'Forbidden: cannot be set for an Ephemeral Container',
    ],
    [
      'a readiness probe',
      { readinessProbe: { tcpSocket: { port: 80 } } },
      'spec.ephemeralContainers[0].readinessProbe',
      'Forbidden: cannot be set for an Ephemeral Container',
    ],
    [
      'lifecycle',
      { lifecycle: { preStop: { exec: { command: ['true'] } } } },
      'spec.ephemeralContainers[0].lifecycle',
      'Forbidden: cannot be set for an Ephemeral Container',
    ],
    [
      'a name taken by a container',
      { name: 'app' },
      'spec.ephemeralContainers[0].name',
      'Duplicate value: "app"',
    ],
    [
      'a target that is not a container',
      { targetContainerName: 'sidecar' },
      'spec.ephemeralContainers[0].targetContainerName',
      'Not found: "sidecar"',
    ],
    ['no image', { image: '' }, 'spec.ephemeralContainers[0].image', 'Required value'],
    [
      'a subPath mount',
      { volumeMounts: [{ name: 'data', mountPath: '/d', subPath: 'x' }] },
      'spec.ephemeralContainers[0].volumeMounts[0].subPath',
      'Forbidden: cannot be set for an Ephemeral Container',
    ],
    [
      'a mount of a missing volume',
      { volumeMounts: [{ name: 'nope', mountPath: '/d' }] },
      'spec.ephemeralContainers[0].volumeMounts[0].name',
      'Not found: "nope"',
    ],
    [
      'an invalid name',
      { name: 'Debug_1' },
      'spec.ephemeralContainers[0].name',
      'Invalid value: "Debug_1": a lowercase RFC 1123 label',
    ],
  ])('refuses %s with 422 and the field path', async (_what, extra, field, message) => {
    const name = `v-${Math.random().toString(36).slice(2, 8)}`;
    sim.put(runningPod(name));
    const r = await addSmp(name, debugContainer('d', ['true'], extra));
    expect(r.status).toBe(422);
    expect(r.json).toMatchObject({
      kind: 'Status',
      reason: 'Invalid',
      code: 422,
      details: { name, kind: 'Pod' },
    });
    expect(r.json.details.causes).toEqual([
      expect.objectContaining({ field, message: expect.stringContaining(message) }),
    ]);
    expect(r.json.message).toContain(`Pod "${name}" is invalid: ${field}: ${message}`);
    // Nothing was stored.
    expect((await getPod(name)).spec.ephemeralContainers).toBeUndefined();
  });

  it('lists every error of one request, as the server does', async () => {
    sim.put(runningPod('many'));
    const r = await addSmp(
      'many',
      debugContainer('app', ['true'], { ports: [{ containerPort: 1 }], targetContainerName: 'x' }),
    );
    expect(r.status).toBe(422);
    expect(r.json.message).toBe(
      'Pod "many" is invalid: [spec.ephemeralContainers[0].name: Duplicate value: "app", spec.ephemeralContainers[0].targetContainerName: Not found: "x", spec.ephemeralContainers[0].ports: Forbidden: cannot be set for an Ephemeral Container]',
    );
  });

  it('in a pod that is not running the container stays Waiting', async () => {
    sim.put(runningPod('pending', { phase: 'Pending' }));
    expect((await addSmp('pending', debugContainer('w', [NODE, '-e', '']))).status).toBe(200);
    const s = await waitEph('pending', 'w', 'waiting');
    expect(s.state.waiting).toEqual({ reason: 'ContainerCreating' });
    await new Promise((r) => setTimeout(r, 150));
    expect((await waitEph('pending', 'w', 'waiting')).state.waiting.reason).toBe('ContainerCreating');
  });

  it('targeting a container that is not running fails to start (StartError)', async () => {
    sim.put(runningPod('crashing', { targetRunning: false }));
    await addSmp('crashing', debugContainer('t', [NODE, '-e', '']));
    const s = await waitEph('crashing', 't', 'terminated');
    expect(s.state.terminated).toMatchObject({ exitCode: 128, reason: 'StartError' });
    expect(s.state.terminated.message).toContain('target container "app"');
  });

  it('applies the namespace’s Pod Security level to the ephemeral container (403)', async () => {
    sim.put({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'locked', labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } },
    });
    sim.put(runningPod('guarded', { ns: 'locked' }));
    const r = await addSmp(
      'guarded',
      debugContainer('sys', ['true'], { securityContext: { privileged: true } }),
      'locked',
    );
    expect(r.status).toBe(403);
    expect(r.json).toMatchObject({ reason: 'Forbidden', code: 403 });
    expect(r.json.message).toBe(
      'pods "guarded" is forbidden: violates PodSecurity "baseline:latest": privileged (container "sys" must not set securityContext.privileged=true)',
    );
    const net = await addSmp(
      'guarded',
      debugContainer('net', ['true'], {
        securityContext: { capabilities: { add: ['NET_ADMIN', 'NET_RAW'] } },
      }),
      'locked',
    );
    expect(net.status).toBe(403);
    expect(net.json.message).toContain(
      'non-default capabilities (container "net" must not include "NET_ADMIN", "NET_RAW"',
    );
    // kubectl's general profile adds SYS_PTRACE, which baseline does not allow either.
    const general = await addSmp(
      'guarded',
      debugContainer('gen', ['true'], { securityContext: { capabilities: { add: ['SYS_PTRACE'] } } }),
      'locked',
    );
    expect(general.json.message).toBe(
      'pods "guarded" is forbidden: violates PodSecurity "baseline:latest": non-default capabilities (container "gen" must not include "SYS_PTRACE" in securityContext.capabilities.add)',
    );
    // An unprivileged container passes.
    const ok = await addSmp('guarded', debugContainer('plain', ['true']), 'locked');
    expect(ok.status).toBe(200);
  });

  it('a pod may not be created with ephemeral containers', async () => {
    const pod = runningPod('born');
    const r = await api('POST', `/api/v1/namespaces/${NS}/pods`, {
      ...pod,
      status: undefined,
      spec: { ...pod.spec, ephemeralContainers: [debugContainer('e', ['true'])] },
    });
    expect(r.status).toBe(422);
    expect(r.json.message).toBe(
      'Pod "born" is invalid: spec.ephemeralContainers: Forbidden: cannot be set on create',
    );
  });

  it('with the feature off the subresource is 404 with empty details, and discovery drops it', async () => {
    sim.put(runningPod('off'));
    const listed = async () =>
      // biome-ignore lint/suspicious/noExplicitAny: discovery document
      (await api('GET', '/api/v1')).json.resources.map((r: any) => r.name);
    expect(await listed()).toContain('pods/ephemeralcontainers');
    sim.setEphemeralContainers(false);
    try {
      const r = await addSmp('off', debugContainer('d', ['true']));
      expect(r.status).toBe(404);
      expect(r.json).toMatchObject({
        reason: 'NotFound',
        message: 'the server could not find the requested resource',
        details: {},
      });
      expect(r.json.details.name).toBeUndefined();
      expect(await listed()).not.toContain('pods/ephemeralcontainers');
    } finally {
      sim.setEphemeralContainers(true);
    }
  });

  it('without the runtime the container goes Running and stays Running', async () => {
    await sim.setContainerRuntime(undefined);
    try {
      sim.put(runningPod('idle'));
      await addSmp('idle', debugContainer('i', [NODE, '-e', 'process.exit(0)']));
      await waitEph('idle', 'i', 'running');
      await new Promise((r) => setTimeout(r, 200));
      expect((await waitEph('idle', 'i', 'running')).state.running.startedAt).toEqual(expect.any(String));
      expect(sim.containerProcesses()).toBe(0);
    } finally {
      await sim.setContainerRuntime({ startDelayMs: 5, timeoutMs: 1500 });
    }
  });
});

describe('pods created from a copied spec (debug copies)', () => {
  const copy = (name: string, command: string[], restartPolicy = 'Always') => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS },
    spec: {
      restartPolicy,
      containers: [
        { name: 'app', image: 'busybox', command },
        { name: 'side', image: 'envoy:1' },
      ],
    },
  });

  it('is scheduled to a node, runs its command until deleted; deleting kills the process', async () => {
    const before = sim.containerProcesses();
    const r = await api(
      'POST',
      `/api/v1/namespaces/${NS}/pods`,
      copy('copy-1', [NODE, '-e', 'console.log("up"); setInterval(() => {}, 1000)']),
    );
    expect(r.status).toBe(201);
    const t0 = Date.now();
    let p = await getPod('copy-1');
    while (p.status.phase !== 'Running' && Date.now() - t0 < 5000) {
      await new Promise((res) => setTimeout(res, 20));
      p = await getPod('copy-1');
    }
    expect(p.spec.nodeName).toBe('node-a');
    expect(p.status.phase).toBe('Running');
    // biome-ignore lint/suspicious/noExplicitAny: pod status
    const byName = Object.fromEntries(p.status.containerStatuses.map((s: any) => [s.name, s]));
    expect(byName.app.state.running).toBeDefined();
    expect(byName.side.state.running).toBeDefined(); // no command: the image's entrypoint, not run
    const logged = async () =>
      (await api('GET', `/api/v1/namespaces/${NS}/pods/copy-1/log?container=app`)).text;
    while ((await logged()) === '' && Date.now() - t0 < 5000) await new Promise((res) => setTimeout(res, 20));
    expect(await logged()).toBe('up\n');
    expect(sim.containerProcesses()).toBe(before + 1);
    expect((await api('DELETE', `/api/v1/namespaces/${NS}/pods/copy-1`)).status).toBe(200);
    await new Promise((res) => setTimeout(res, 300));
    expect(sim.containerProcesses()).toBe(before);
    expect((await api('GET', `/api/v1/namespaces/${NS}/pods/copy-1`)).status).toBe(404);
  });

  it('a command that exits under restartPolicy Never ends the pod with its exit code', async () => {
    const pod = copy('copy-2', [NODE, '-e', 'process.exit(4)'], 'Never');
    pod.spec.containers = [pod.spec.containers[0]!];
    await api('POST', `/api/v1/namespaces/${NS}/pods`, pod);
    const t0 = Date.now();
    let p = await getPod('copy-2');
    while (!['Succeeded', 'Failed'].includes(p.status.phase) && Date.now() - t0 < 5000) {
      await new Promise((res) => setTimeout(res, 20));
      p = await getPod('copy-2');
    }
    expect(p.status.phase).toBe('Failed');
    expect(p.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 4, reason: 'Error' });
  });
});
