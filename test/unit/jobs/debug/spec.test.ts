import { describe, expect, it } from '@jest/globals';
import { profileSecurityContext } from '../../../../jobs/contracts/debug-profiles.js';
import { type ProbePlan, ProbePlanSchema, planBinding } from '../../../../jobs/contracts/probe.js';
import { debugApiRefusal, startRefusal } from '../../../../jobs/debug/refusals.js';
import {
  commandText,
  copyPodName,
  copyPodSpec,
  debugContainerName,
  ephemeralContainer,
} from '../../../../jobs/debug/spec.js';
import { KubeApiError } from '../../../../jobs/k8s/errors.js';
import type { Pod } from '../../../../jobs/k8s/types.js';

const REQ = 'prb-prod-0123456789abcdef01234567';
const IMAGE = `registry.example/tools/busybox:1.36@sha256:${'b'.repeat(64)}`;

function plan(o: Partial<ProbePlan> = {}, copy = false): ProbePlan {
  return {
    cluster: 'prod',
    namespace: 'shop',
    pod: 'checkout-7d9f',
    podUid: 'uid-1',
    container: 'app',
    containerId: 'containerd://abc',
    node: 'node-a',
    image: 'registry.example/shop/checkout:1',
    spec: {
      action: 'debug',
      profile: 'netadmin',
      image: IMAGE,
      argv: ['ip', 'route'],
      ...(copy ? { copy: { keepSec: 600 } } : {}),
    },
    commandLine: 'ip route',
    privileges: [],
    caps: [],
    probeImage: IMAGE,
    capabilities: ['NET_ADMIN', 'NET_RAW'],
    debug: {
      containerName: debugContainerName(REQ),
      securityContext: '{}',
      argv: ['ip', 'route'],
      ephemeralContainers: 0,
      ...(copy ? { copyPod: copyPodName('checkout-7d9f', REQ), keepSec: 600 } : {}),
    },
    ...o,
  };
}

const POD: Pod = {
  metadata: {
    name: 'checkout-7d9f',
    namespace: 'shop',
    uid: 'uid-1',
    labels: { app: 'checkout', 'pod-template-hash': '7d9f' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'checkout-7d9f', uid: 'rs' }],
  },
  spec: {
    nodeName: 'node-a',
    serviceAccountName: 'checkout',
    containers: [
      {
        name: 'app',
        image: 'registry.example/shop/checkout:1',
        command: ['/app/server'],
        args: ['--port', '8080'],
        livenessProbe: { httpGet: { path: '/healthz', port: 8080 } },
        readinessProbe: { httpGet: { path: '/ready', port: 8080 } },
      },
      { name: 'sidecar', image: 'envoy', startupProbe: { tcpSocket: { port: 15000 } } },
    ],
    ephemeralContainers: [{ name: 'old', image: 'busybox' }],
  },
};

describe('names', () => {
  it('the container is poddebug-<10 hex of the request id>, the copy <pod>-debug-<8 hex>, both DNS labels', () => {
    expect(debugContainerName(REQ)).toBe('poddebug-0123456789');
    expect(copyPodName('checkout-7d9f', REQ)).toBe('checkout-7d9f-debug-01234567');
    const long = copyPodName(`a.${'x'.repeat(250)}`, REQ);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });
  it('two requests of a cluster whose name holds hex letters get different names (the cluster is left out)', () => {
    const a = 'prb-dead-beef-0123456789abcdef01234567';
    const b = 'prb-dead-beef-fedcba9876543210fedcba98';
    expect(debugContainerName(a)).toBe('poddebug-0123456789');
    expect(debugContainerName(b)).not.toBe(debugContainerName(a));
    expect(copyPodName('web', b)).toBe('web-debug-fedcba98');
  });
  it('the command reads as typed, quoting only words that need it', () => {
    expect(commandText(['ls', '-la', '/app'])).toBe('ls -la /app');
    expect(commandText(['echo', 'a b'])).toBe('echo "a b"');
  });
});

describe('the ephemeral container', () => {
  it('is what kubectl debug --target --profile sends: the profile’s securityContext, the exact argv, no shell', () => {
    const p = plan();
    expect(ephemeralContainer(p)).toEqual({
      name: 'poddebug-0123456789',
      image: IMAGE,
      imagePullPolicy: 'IfNotPresent',
      command: ['ip', 'route'],
      targetContainerName: 'app',
      stdin: false,
      tty: false,
      terminationMessagePolicy: 'File',
      securityContext: profileSecurityContext('netadmin'),
    });
  });
  it('has no securityContext at all with baseline (kubectl clears it)', () => {
    const p = plan({ spec: { action: 'debug', profile: 'baseline', image: IMAGE, argv: ['id'] } });
    expect(ephemeralContainer(p)).not.toHaveProperty('securityContext');
  });
  it('the plan with its debug part parses, and changing the argv changes the binding', () => {
    const p = ProbePlanSchema.parse(plan());
    const other = { ...p, debug: { ...p.debug!, argv: ['ip', 'link'] } };
    expect(planBinding(other)).not.toBe(planBinding(p));
  });
});

describe('the copy', () => {
  const copy = copyPodSpec(POD, plan({}, true), {
    requestId: REQ,
    jobId: `run-${REQ}`,
    requester: 'U1',
    now: new Date('2026-12-06T10:00:00Z'),
  });
  const app = copy.spec!.containers.find((c) => c.name === 'app')!;

  it('has none of the original labels, no owner, only poddebug’s labels', () => {
    expect(copy.metadata?.labels).toEqual({
      'app.kubernetes.io/managed-by': 'poddebug',
      'poddebug.io/debug-copy': 'true',
      'poddebug.io/request': REQ,
    });
    expect(copy.metadata?.ownerReferences).toBeUndefined();
    expect(copy.metadata?.name).toBe('checkout-7d9f-debug-01234567');
  });
  it('replaces the target container’s command by a sleep, keeps the other containers’ commands', () => {
    expect(app.command?.[0]).toBe('sleep');
    expect(app.args).toBeUndefined();
    expect(Number(app.command?.[1])).toBeGreaterThan(600);
  });
  it('removes every probe, restarts nothing, shares the process namespace, drops ephemeral containers and the node', () => {
    for (const c of copy.spec!.containers) {
      expect(c.livenessProbe).toBeUndefined();
      expect(c.readinessProbe).toBeUndefined();
      expect(c.startupProbe).toBeUndefined();
    }
    expect(copy.spec?.restartPolicy).toBe('Never');
    expect(copy.spec?.shareProcessNamespace).toBe(true);
    expect(copy.spec?.ephemeralContainers).toBeUndefined();
    expect(copy.spec?.nodeName).toBeUndefined();
    expect(copy.spec?.serviceAccountName).toBe('checkout');
  });
  it('adds the debug container with the profile and the argv, and says when it is deleted at the latest', () => {
    const dbg = copy.spec!.containers.at(-1)!;
    expect(dbg).toMatchObject({
      name: 'poddebug-0123456789',
      image: IMAGE,
      command: ['ip', 'route'],
      securityContext: profileSecurityContext('netadmin'),
    });
    const after = Date.parse(copy.metadata!.annotations!['poddebug.io/delete-after']!);
    expect(after - Date.parse('2026-12-06T10:00:00Z')).toBe((120 + 60 + 600) * 1000);
    expect(copy.spec?.activeDeadlineSeconds).toBe(120 + 60 + 600);
  });
  it('leaves the original pod object unchanged', () => {
    expect(POD.spec?.containers[0]?.command).toEqual(['/app/server']);
    expect(POD.spec?.containers[0]?.livenessProbe).toBeDefined();
  });
});

describe('refusals say exactly why, with the node probe that works', () => {
  const ctx = {
    cluster: 'prod',
    namespace: 'shop',
    pod: 'checkout-7d9f',
    container: 'app',
    spec: plan().spec,
  };
  it.each([
    [
      new KubeApiError(404, 'NotFound', 'the server could not find the requested resource', 'patch'),
      /does not serve ephemeral containers/,
    ],
    [
      new KubeApiError(
        403,
        'Forbidden',
        'pods "checkout-7d9f" is forbidden: violates PodSecurity "restricted:latest": unrestricted capabilities',
        'patch',
      ),
      /level restricted.*forbids the `netadmin` profile/,
    ],
    [
      new KubeApiError(
        403,
        'Forbidden',
        'User "system:serviceaccount:poddebug:poddebug-worker" cannot patch resource "pods/ephemeralcontainers"',
        'patch',
      ),
      /may not patch pods\/ephemeralcontainers/,
    ],
    [
      new KubeApiError(422, 'Invalid', 'spec.ephemeralContainers[1].name: Duplicate value', 'patch'),
      /refused the debug container/,
    ],
  ])('%s', (e, message) => {
    const err = debugApiRefusal(e, ctx, 'ephemeral');
    expect(err.message).toMatch(message);
    expect(err.message).not.toMatch(/\n/);
    expect(JSON.stringify(err.next)).toMatch(
      /\/poddebug ps checkout-7d9f -n shop -c app|--profile restricted/,
    );
  });
  it('the runtime that cannot join the target, and an image that cannot be pulled', () => {
    const target = startRefusal(
      {
        terminated: {
          exitCode: 128,
          reason: 'StartError',
          message: 'error joining the namespaces of target container "app": container is not running',
        },
      },
      ctx,
      'poddebug-0123456789',
    );
    expect(target?.message).toMatch(
      /could not put `poddebug-0123456789` into the namespaces of container `app`/,
    );
    expect(
      startRefusal({ waiting: { reason: 'ImagePullBackOff', message: 'not found' } }, ctx, 'x')?.message,
    ).toMatch(/ImagePullBackOff/);
    expect(startRefusal({ waiting: { reason: 'ContainerCreating' } }, ctx, 'x')).toBeUndefined();
    expect(startRefusal({ terminated: { exitCode: 2, reason: 'Error' } }, ctx, 'x')).toBeUndefined();
  });
});
