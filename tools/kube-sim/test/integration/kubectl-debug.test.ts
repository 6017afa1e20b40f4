/**
 * The real kubectl's `debug` against kube-sim: an ephemeral container with a profile and a target
 * (strategic merge patch on pods/ephemeralcontainers), `get -o yaml` showing it, its log, the API
 * server's refusals as kubectl prints them, and a debug copy (`--copy-to`, a Pod posted as protobuf)
 * that runs under the simulator's container runtime and is deleted with `kubectl delete`.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { type KubeSim, startKubeSim } from '../../index.js';

const KUBECTL = '/usr/bin/kubectl';
const describeKubectl = existsSync(KUBECTL) ? describe : describe.skip;
if (!existsSync(KUBECTL)) console.warn(`skipping kubectl debug tests: ${KUBECTL} is absent`);

const NS = 'shop';

/** A running pod with most of what real pod specs carry, so the protobuf copy is checked field by field. */
const webPod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'web',
    namespace: NS,
    uid: '7e57c0de-0000-4000-8000-000000000001',
    labels: { app: 'web', tier: 'front' },
    annotations: { 'example.com/owner': 'team-a' },
  },
  spec: {
    nodeName: 'node-a',
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    dnsPolicy: 'ClusterFirst',
    schedulerName: 'default-scheduler',
    serviceAccountName: 'web',
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    enableServiceLinks: false,
    imagePullSecrets: [{ name: 'regcred' }],
    securityContext: {
      runAsUser: 1000,
      runAsGroup: 3000,
      fsGroup: 2000,
      supplementalGroups: [4000, 5000],
      seccompProfile: { type: 'RuntimeDefault' },
    },
    tolerations: [
      {
        key: 'node.kubernetes.io/not-ready',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
    ],
    initContainers: [
      {
        name: 'init',
        image: 'busybox:1.36',
        command: ['true'],
        resources: {},
        terminationMessagePolicy: 'File',
      },
    ],
    containers: [
      {
        name: 'app',
        image: 'registry.example/web:2.1',
        command: ['sleep', '1d'],
        args: ['--port', '8080'],
        workingDir: '/srv',
        ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
        env: [
          { name: 'MODE', value: 'prod' },
          { name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
          {
            name: 'TOKEN',
            valueFrom: { secretKeyRef: { name: 'web-secrets', key: 'token', optional: false } },
          },
        ],
        envFrom: [{ configMapRef: { name: 'web-config' }, prefix: 'CFG_' }],
        resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
        volumeMounts: [
          { name: 'data', mountPath: '/data' },
          { name: 'config', mountPath: '/etc/web', readOnly: true },
        ],
        livenessProbe: {
          httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' },
          initialDelaySeconds: 5,
          periodSeconds: 10,
          timeoutSeconds: 1,
          successThreshold: 1,
          failureThreshold: 3,
        },
        readinessProbe: {
          tcpSocket: { port: 8080 },
          periodSeconds: 5,
          timeoutSeconds: 1,
          successThreshold: 1,
          failureThreshold: 3,
        },
        lifecycle: { preStop: { exec: { command: ['sh', '-c', 'sleep 5'] } } },
        securityContext: {
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        },
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        imagePullPolicy: 'IfNotPresent',
      },
    ],
    volumes: [
      { name: 'data', emptyDir: { sizeLimit: '1Gi' } },
      {
        name: 'config',
        configMap: { name: 'web-config', defaultMode: 420, items: [{ key: 'app.yaml', path: 'app.yaml' }] },
      },
      { name: 'creds', secret: { secretName: 'web-secrets', defaultMode: 256 } },
      { name: 'claim', persistentVolumeClaim: { claimName: 'web-data' } },
      { name: 'host', hostPath: { path: '/var/log', type: 'Directory' } },
      {
        name: 'kube-api-access',
        projected: {
          defaultMode: 420,
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            {
              downwardAPI: {
                items: [
                  { path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } },
                ],
              },
            },
          ],
        },
      },
    ],
  },
  status: {
    phase: 'Running',
    containerStatuses: [
      {
        name: 'app',
        image: 'registry.example/web:2.1',
        imageID: '',
        ready: true,
        restartCount: 0,
        started: true,
        state: { running: { startedAt: '2026-12-01T10:00:00Z' } },
      },
    ],
  },
};

describeKubectl('kubectl debug against kube-sim', () => {
  let sim: KubeSim;
  let dir: string;
  const run = promisify(execFile);
  const kubectl = async (...args: string[]) =>
    run(KUBECTL, ['--kubeconfig', sim.kubeconfigPath, '--cache-dir', join(dir, 'cache'), ...args]);
  /** Runs kubectl expecting it to fail; returns its stderr. */
  const kubectlFails = async (...args: string[]): Promise<string> => {
    try {
      await kubectl(...args);
    } catch (e) {
      return (e as { stderr: string }).stderr;
    }
    throw new Error(`kubectl ${args.join(' ')} succeeded`);
  };
  /** The start of kubectl's argv that debugs pod web in a namespace with busybox; the flags follow it. */
  const debugWeb = (ns: string) => ['debug', 'web', '-n', ns, '--image=busybox'];
  // biome-ignore lint/suspicious/noExplicitAny: pod documents from kubectl's output
  const podYaml = async (name: string): Promise<any> =>
    parse((await kubectl('get', 'pod', name, '-n', NS, '-o', 'yaml')).stdout);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kube-sim-kubectl-debug-'));
    sim = await startKubeSim({ fixtures: dir, containerRuntime: { startDelayMs: 5, timeoutMs: 5000 } });
    sim.put({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a' } });
    sim.put(webPod);
  });
  afterAll(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('adds an ephemeral container with the general profile and the target; get -o yaml shows it', async () => {
    const { stdout } = await kubectl(
      ...debugWeb(NS),
      '--target=app',
      '--profile=general',
      '--attach=false',
      '--container=dbg-general',
      '--',
      'echo',
      'hello from debug',
    );
    expect(stdout).not.toContain('error');
    const pod = await podYaml('web');
    expect(pod.spec.ephemeralContainers).toHaveLength(1);
    const ec = pod.spec.ephemeralContainers[0];
    expect(ec).toMatchObject({
      name: 'dbg-general',
      image: 'busybox',
      command: ['echo', 'hello from debug'],
      targetContainerName: 'app',
      // kubectl's general profile: SYS_PTRACE added, nothing else.
      securityContext: { capabilities: { add: ['SYS_PTRACE'] } },
      terminationMessagePolicy: 'File',
      imagePullPolicy: 'Always',
    });
    // The container ran `echo` locally: its status and log.
    const t0 = Date.now();
    let status = (await podYaml('web')).status.ephemeralContainerStatuses?.[0];
    while (!status?.state?.terminated && Date.now() - t0 < 8000) {
      await new Promise((r) => setTimeout(r, 50));
      status = (await podYaml('web')).status.ephemeralContainerStatuses?.[0];
    }
    expect(status.state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect((await kubectl('logs', 'web', '-n', NS, '-c', 'dbg-general')).stdout).toBe('hello from debug\n');
  });

  it.each([
    [
      'restricted',
      {
        allowPrivilegeEscalation: false,
        runAsNonRoot: true,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      },
    ],
    ['netadmin', { capabilities: { add: ['NET_ADMIN', 'NET_RAW'] } }],
    ['sysadmin', { privileged: true }],
  ])('stores the securityContext of the %s profile as kubectl sent it', async (profile, sc) => {
    await kubectl(
      ...debugWeb(NS),
      '--target=app',
      `--profile=${profile}`,
      '--attach=false',
      `--container=dbg-${profile}`,
      '--',
      'true',
    );
    const pod = await podYaml('web');
    // biome-ignore lint/suspicious/noExplicitAny: pod from YAML
    const ec = pod.spec.ephemeralContainers.find((c: any) => c.name === `dbg-${profile}`);
    expect(ec.securityContext).toEqual(sc);
  });

  it('prints the API server’s refusals: duplicate name, unknown target, missing pod, feature off', async () => {
    expect(
      await kubectlFails(
        ...debugWeb(NS),
        '--attach=false',
        '--profile=general',
        '--container=app',
        '--',
        'true',
      ),
    ).toContain('The Pod "web" is invalid: spec.ephemeralContainers[4].name: Duplicate value: "app"');
    expect(
      await kubectlFails(
        ...debugWeb(NS),
        '--attach=false',
        '--profile=general',
        '--target=nope',
        '--container=x1',
        '--',
        'true',
      ),
    ).toContain('spec.ephemeralContainers[4].targetContainerName: Not found: "nope"');
    expect(
      await kubectlFails('debug', 'gone', '-n', NS, '--image=busybox', '--attach=false', '--profile=general'),
    ).toContain('pods "gone" not found');
    sim.setEphemeralContainers(false);
    try {
      expect(
        await kubectlFails(...debugWeb(NS), '--attach=false', '--profile=general', '--container=x2'),
      ).toContain('ephemeral containers are disabled for this cluster');
    } finally {
      sim.setEphemeralContainers(true);
    }
  });

  it('refuses a sysadmin container in a baseline namespace with the PodSecurity message', async () => {
    sim.put({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'locked', labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } },
    });
    sim.put({
      ...webPod,
      metadata: { ...webPod.metadata, namespace: 'locked', uid: '7e57c0de-0000-4000-8000-000000000002' },
    });
    const err = await kubectlFails(
      ...debugWeb('locked'),
      '--attach=false',
      '--profile=sysadmin',
      '--container=sys',
      '--',
      'true',
    );
    expect(err).toContain(
      'pods "web" is forbidden: violates PodSecurity "baseline:latest": privileged (container "sys" must not set securityContext.privileged=true)',
    );
  });

  it('creates a debug copy (--copy-to) that keeps the spec, runs the sleep, and is deleted', async () => {
    const before = sim.containerProcesses();
    await kubectl(
      'debug',
      'web',
      '-n',
      NS,
      '--copy-to=web-debug',
      '--container=app',
      '--image=busybox',
      '--attach=false',
      '--',
      'sleep',
      '1d',
    );
    const copy = await podYaml('web-debug');
    // kubectl's copy: annotations kept, labels dropped (kubectl 1.32 sends none, so no Service routes to it),
    // the node cleared (then scheduled by the runtime), the container's image and command changed.
    expect(copy.metadata.annotations).toEqual(webPod.metadata.annotations);
    expect(copy.metadata.labels).toBeUndefined();
    expect(copy.spec.ephemeralContainers).toBeUndefined();
    const app = copy.spec.containers[0];
    expect(app).toMatchObject({ name: 'app', image: 'busybox', command: ['sleep', '1d'] });
    expect(app.args).toBeUndefined();
    // Everything else arrived intact through protobuf.
    const { command: _c, args: _a, image: _i, ...appRest } = webPod.spec.containers[0]!;
    const { command: _c2, args: _a2, image: _i2, stdin: _s, tty: _t, ...copyRest } = app;
    expect(copyRest).toEqual(appRest);
    const { nodeName: _n, containers: _cs, ...specRest } = webPod.spec;
    const { nodeName: _n2, containers: _cs2, ...copySpecRest } = copy.spec;
    expect(copySpecRest).toEqual(specRest);
    // The runtime scheduled it and runs `sleep 1d` until it is deleted.
    const t0 = Date.now();
    let phase = copy.status.phase;
    while (phase !== 'Running' && Date.now() - t0 < 8000) {
      await new Promise((r) => setTimeout(r, 50));
      phase = (await podYaml('web-debug')).status.phase;
    }
    expect(phase).toBe('Running');
    expect((await podYaml('web-debug')).spec.nodeName).toBe('node-a');
    expect(sim.containerProcesses()).toBe(before + 1);
    const del = await kubectl('delete', 'pod', 'web-debug', '-n', NS);
    expect(del.stdout).toContain('pod "web-debug" deleted');
    await new Promise((r) => setTimeout(r, 300));
    expect(sim.containerProcesses()).toBe(before);
    expect(await kubectlFails('get', 'pod', 'web-debug', '-n', NS)).toContain('pods "web-debug" not found');
  });
});
