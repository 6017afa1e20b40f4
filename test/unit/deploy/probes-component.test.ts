/**
 * deploy/components/probes (the privileged node probes), the bot's policy
 * ConfigMap, and what the image needs for probes. What a reviewer would look
 * for, asserted:
 *
 * - probe pods get a namespace of their own, labelled for the "privileged"
 *   Pod Security Standard, closed to the network and bounded by a quota;
 * - the worker may create pods THERE and nowhere else (a Role, never a
 *   ClusterRole), with exactly the verbs jobs/k8s/probe-pods.ts uses;
 * - the worker's PROBE_IMAGE is its own image, whatever overlay sets it;
 * - the probe pods the code builds (jobs/probes/pod-spec.ts) fit the
 *   namespace, the LimitRange and the quota;
 * - the bot mounts its policy ConfigMap as a directory, POLICY_FILE points
 *   into it, and the content is a policy the bot's parser accepts;
 * - the Dockerfile installs the probe tools and the build compiles the probe
 *   program. (A text check: there is no Docker engine here to build the image.)
 *
 * Overlays are rendered with `kubectl kustomize` (offline), some through a
 * temporary overlay; without kubectl those tests are skipped and the raw files
 * are still checked.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import ts from 'typescript';
import { parse } from 'yaml';
import { loadBotConfig } from '../../../bot/config.js';
import { parsePolicy } from '../../../bot/policy/parse.js';
import { loadWorkerConfig } from '../../../jobs/config.js';
import {
  PROBE_ACTIONS,
  type ProbeAction,
  type ProbePlan,
  type ProbeSpec,
} from '../../../jobs/contracts/probe.js';
import { commandLine } from '../../../jobs/contracts/probe-argv.js';
import { DEFAULT_PROBE_NAMESPACE, PROBE_PROGRAM, probePodSpec } from '../../../jobs/probes/pod-spec.js';
import { authorize, type KubeObject, ObjectStore } from '../../../tools/kube-sim/index.js';
import {
  DEPLOY,
  describeWithKubectl,
  KUBECTL_NOTE,
  kubeObjects,
  ofKind,
  one,
  ROOT,
  renderOverlay,
  renderOverlayWith,
} from '../../support/deploy.js';
import { aptPackages, dockerInstructions, dockerStages, stage } from '../../support/dockerfile.js';

const COMPONENT = join(DEPLOY, 'components', 'probes');
const PROBE_NS = 'poddebug-probes';

// ---------------------------------------------------------------------------
// Types: the parts of the objects read here.

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    configMapKeyRef?: { name: string; key: string };
    secretKeyRef?: { name: string; key: string };
  };
}
interface Container {
  name: string;
  image: string;
  env?: EnvVar[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}
interface PodSpec {
  containers: Container[];
  volumes?: { name: string; configMap?: { name: string; items?: unknown[] } }[];
}
interface Deployment extends KubeObject {
  spec: { template: { spec: PodSpec } };
}
interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
}
interface Role extends KubeObject {
  rules: Rule[];
}
interface Binding extends KubeObject {
  roleRef: { apiGroup: string; kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}
interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}
interface NetworkPolicy extends KubeObject {
  spec: {
    podSelector: Record<string, unknown>;
    policyTypes: string[];
    ingress?: unknown[];
    egress?: unknown[];
  };
}
interface ResourceQuota extends KubeObject {
  spec: { hard: Record<string, string> };
}
interface LimitRange extends KubeObject {
  spec: {
    limits: {
      type: string;
      max?: Record<string, string>;
      default?: Record<string, string>;
      defaultRequest?: Record<string, string>;
    }[];
  };
}

const env = (c: Container, name: string) => c.env?.find((e) => e.name === name);

// ---------------------------------------------------------------------------
// Kubernetes quantities (the forms used here: 500m, 1, 64Mi, 5Gi).

function quantity(q: string): number {
  const m = /^([0-9.]+)(m|Ki|Mi|Gi|Ti)?$/.exec(q);
  if (!m) throw new Error(`unsupported quantity ${q}`);
  const unit = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 }[m[2] ?? ''] ?? 1;
  return Number(m[1]) * unit;
}

// ---------------------------------------------------------------------------
// The probe pods the worker creates, for every action (jobs/probes/pod-spec.ts).

const SPECS: Record<ProbeAction, ProbeSpec> = {
  strace: { action: 'strace', durationSec: 30, full: false, failedOnly: false },
  mem: { action: 'mem', watchSec: 60 },
  ps: { action: 'ps' },
  fds: { action: 'fds' },
  netcheck: { action: 'netcheck', targets: [{ host: 'db.shop.svc', port: 5432 }] },
  tcpdump: { action: 'tcpdump', durationSec: 20, filter: ['tcp', 'port', '443'] },
};

function probePod(action: ProbeAction, o: { namespace?: string; image?: string } = {}) {
  const spec = SPECS[action];
  const plan: ProbePlan = {
    cluster: 'prod',
    namespace: 'shop',
    pod: 'checkout-7d9f8b6c5-x2kqp',
    podUid: '4f1c0c1e-8f2a-4b7e-9a31-0c3d2e1f5a6b',
    container: 'app',
    containerId: `containerd://${'a'.repeat(64)}`,
    node: 'node-1',
    image: 'registry.example/checkout:1.4.2',
    probeImage: o.image ?? 'ghcr.io/example/poddebug:0.1.0',
    capabilities: [],
    spec,
    commandLine: commandLine(spec),
    privileges: [],
    caps: [],
  };
  return probePodSpec(plan, {
    jobId: 'probe-run-1',
    requestId: 'req-1',
    requester: 'U0123ABCD',
    approvers: ['U0456EFGH'],
    image: o.image ?? 'ghcr.io/example/poddebug:0.1.0',
    ...(o.namespace ? { namespace: o.namespace } : {}),
    now: new Date('2026-01-01T00:00:00Z'),
  });
}

// ---------------------------------------------------------------------------
// RBAC, evaluated as the API server does (the simulator's authorizer).

const WORKER_SA = 'system:serviceaccount:poddebug:poddebug-worker';

function workerCan(objs: KubeObject[]) {
  const store = new ObjectStore();
  for (const o of objs) if (o.apiVersion === 'rbac.authorization.k8s.io/v1') store.put(o);
  return (verb: string, resource: string, namespace?: string, group = '') => {
    const [res, sub] = resource.split('/');
    return authorize(store, {
      user: WORKER_SA,
      groups: ['system:serviceaccounts', 'system:serviceaccounts:poddebug', 'system:authenticated'],
      verb,
      resource: {
        group,
        resource: res!,
        ...(sub ? { subresource: sub } : {}),
        ...(namespace ? { namespace } : {}),
      },
    }).allowed;
  };
}

/** Whether a rule lets its holder create pods (directly or by wildcard). */
function createsPods(rule: Rule): boolean {
  const has = (xs: string[] | undefined, x: string) => (xs ?? []).some((v) => v === '*' || v === x);
  return has(rule.verbs, 'create') && has(rule.apiGroups, '') && has(rule.resources, 'pods');
}

const PROBE_ROLE_RULES: Rule[] = [
  { apiGroups: [''], resources: ['pods'], verbs: ['create', 'get', 'list', 'delete'] },
  { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
  { apiGroups: [''], resources: ['events'], verbs: ['list'] },
];

const PROBE_OBJECTS = [
  'ConfigMap/poddebug-probes/poddebug-probe-guard',
  'LimitRange/poddebug-probes/poddebug-probes',
  'Namespace//poddebug-probes',
  'NetworkPolicy/poddebug-probes/poddebug-probes-default-deny',
  'ResourceQuota/poddebug-probes/poddebug-probes',
  'Role/poddebug-probes/poddebug-worker-probes',
  'RoleBinding/poddebug-probes/poddebug-worker-probes',
  'ValidatingAdmissionPolicy//poddebug-probe-pods',
  'ValidatingAdmissionPolicyBinding//poddebug-probe-pods',
];
const probeObjects = (objs: KubeObject[]) =>
  objs
    .filter(
      (o) =>
        o.metadata.namespace === PROBE_NS ||
        (o.kind === 'Namespace' && o.metadata.name === PROBE_NS) ||
        o.apiVersion === 'admissionregistration.k8s.io/v1',
    )
    .map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`)
    .sort();

// ---------------------------------------------------------------------------
// Checks shared by every rendering that includes the component.

function checkProbeNamespace(objs: KubeObject[]): void {
  expect(probeObjects(objs)).toEqual(PROBE_OBJECTS);
  const ns = one<KubeObject>(objs, 'Namespace', PROBE_NS);
  expect(ns.metadata.labels).toMatchObject({
    'pod-security.kubernetes.io/enforce': 'privileged',
    'pod-security.kubernetes.io/audit': 'privileged',
    'pod-security.kubernetes.io/warn': 'privileged',
  });
  // poddebug's own namespace keeps "restricted"; no other namespace is made privileged.
  expect(
    one<KubeObject>(objs, 'Namespace', 'poddebug').metadata.labels?.['pod-security.kubernetes.io/enforce'],
  ).toBe('restricted');
  const privileged = ofKind<KubeObject>(objs, 'Namespace')
    .filter((n) => n.metadata.labels?.['pod-security.kubernetes.io/enforce'] === 'privileged')
    .map((n) => n.metadata.name);
  expect(privileged).toEqual([PROBE_NS]);
}

function checkProbeRbac(objs: KubeObject[]): void {
  // The Role: in the probe namespace, exactly these verbs.
  const role = one<Role>(objs, 'Role', 'poddebug-worker-probes');
  expect(role.metadata.namespace).toBe(PROBE_NS);
  expect(role.rules).toEqual(PROBE_ROLE_RULES);
  // The only binding in the probe namespace: to that Role, for the worker alone.
  const bindings = ofKind<Binding>(objs, 'RoleBinding').filter((b) => b.metadata.namespace === PROBE_NS);
  expect(bindings).toHaveLength(1);
  expect(bindings[0]!.roleRef).toEqual({
    apiGroup: 'rbac.authorization.k8s.io',
    kind: 'Role',
    name: 'poddebug-worker-probes',
  });
  expect(bindings[0]!.subjects).toEqual([
    { kind: 'ServiceAccount', name: 'poddebug-worker', namespace: 'poddebug' },
  ]);

  // No ClusterRole grants create pods; no Role outside the probe namespace does.
  for (const r of ofKind<Role>(objs, 'ClusterRole')) {
    expect({ clusterRole: r.metadata.name, createsPods: r.rules.some(createsPods) }).toEqual({
      clusterRole: r.metadata.name,
      createsPods: false,
    });
  }
  for (const r of ofKind<Role>(objs, 'Role').filter((x) => x.metadata.namespace !== PROBE_NS)) {
    expect({
      role: `${r.metadata.namespace}/${r.metadata.name}`,
      createsPods: r.rules.some(createsPods),
    }).toEqual({
      role: `${r.metadata.namespace}/${r.metadata.name}`,
      createsPods: false,
    });
  }

  // As the API server would decide it.
  const can = workerCan(objs);
  for (const verb of ['create', 'get', 'list', 'delete'])
    expect({ verb, ok: can(verb, 'pods', PROBE_NS) }).toEqual({ verb, ok: true });
  expect(can('get', 'pods/log', PROBE_NS)).toBe(true);
  expect(can('list', 'events', PROBE_NS)).toBe(true);
  for (const ns of ['poddebug', 'default', 'kube-system', 'shop', 'team-a', undefined]) {
    for (const [verb, resource] of [
      ['create', 'pods'],
      ['delete', 'pods'],
      ['deletecollection', 'pods'],
      ['update', 'pods'],
      ['patch', 'pods'],
      ['create', 'pods/exec'],
      ['create', 'pods/attach'],
      ['patch', 'pods/ephemeralcontainers'],
    ] as const) {
      expect({ ns, verb, resource, allowed: can(verb, resource, ns) }).toEqual({
        ns,
        verb,
        resource,
        allowed: false,
      });
    }
  }
  // Nor, in the probe namespace, anything beyond the Role.
  for (const [verb, resource, group] of [
    ['update', 'pods', ''],
    ['patch', 'pods', ''],
    ['watch', 'pods', ''],
    ['deletecollection', 'pods', ''],
    ['create', 'pods/exec', ''],
    ['create', 'pods/attach', ''],
    ['patch', 'pods/ephemeralcontainers', ''],
    ['get', 'secrets', ''],
    ['create', 'serviceaccounts/token', ''],
    ['create', 'deployments', 'apps'],
    ['create', 'daemonsets', 'apps'],
    ['create', 'jobs', 'batch'],
  ] as const) {
    expect({ verb, resource, allowed: can(verb, resource, PROBE_NS, group) }).toEqual({
      verb,
      resource,
      allowed: false,
    });
  }
}

function checkWorkerProbeEnv(objs: KubeObject[]): void {
  const worker = one<Deployment>(objs, 'Deployment', 'poddebug-worker');
  const c = worker.spec.template.spec.containers.find((x) => x.name === 'worker')!;
  // The probe image: its own (the Dockerfile's `probe` target), pinned by digest, and the guard's parameter.
  const probeImage = env(c, 'PROBE_IMAGE')?.value ?? '';
  expect(probeImage).toMatch(/\/poddebug-probe@sha256:[0-9a-f]{64}$/);
  expect(probeImage).not.toBe(c.image);
  expect(one<ConfigMap>(objs, 'ConfigMap', 'poddebug-probe-guard').data?.image).toBe(probeImage);
  expect(env(c, 'PROBE_NAMESPACE')).toEqual({ name: 'PROBE_NAMESPACE', value: PROBE_NS });
  expect(PROBE_NS).toBe(DEFAULT_PROBE_NAMESPACE);
  // The bot's image is the worker's, not the probe image (which alone has strace, tcpdump, nsenter).
  const bot = ofKind<Deployment>(objs, 'Deployment', 'poddebug-bot')[0];
  if (bot) expect(bot.spec.template.spec.containers[0]!.image).toBe(c.image);
  // The worker's own config parser reads it so.
  const configMaps = ofKind<ConfigMap>(objs, 'ConfigMap');
  const values: Record<string, string> = { REDIS_URL: 'rediss://redis.example:6379' };
  for (const e of c.env ?? []) {
    if (e.value !== undefined) values[e.name] = e.value;
    const ref = e.valueFrom?.configMapKeyRef;
    if (ref) values[e.name] = configMaps.find((m) => m.metadata.name === ref.name)!.data![ref.key]!;
  }
  const cfg = loadWorkerConfig(values);
  expect(cfg.PROBE_IMAGE).toBe(probeImage);
  expect(cfg.PROBE_NAMESPACE).toBe(PROBE_NS);
  // The bot's approval public keys: a directory mounted read-only from the ConfigMap poddebug-approval-public-keys
  // (public, so not a Secret); never the private key.
  const pod = worker.spec.template.spec as {
    volumes?: { name: string; configMap?: { name: string } }[];
    containers: { name: string; volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[] }[];
  };
  const vol = pod.volumes?.find((v) => v.configMap?.name === 'poddebug-approval-public-keys');
  const mount = pod.containers
    .find((x) => x.name === 'worker')
    ?.volumeMounts?.find((m) => m.name === vol?.name);
  expect(mount?.readOnly).toBe(true);
  expect(cfg.APPROVAL_PUBLIC_KEYS_FILE).toBe(mount?.mountPath);
  expect(JSON.stringify(worker).match(/signing-key|APPROVAL_SIGNING/)).toBeNull();
}

// ---------------------------------------------------------------------------

describe('components/probes raw files', () => {
  const kustomization = parse(readFileSync(join(COMPONENT, 'kustomization.yaml'), 'utf8')) as {
    kind: string;
    resources: string[];
    configurations: string[];
    images: unknown[];
  };
  const objs = kustomization.resources.flatMap((f) => kubeObjects(readFileSync(join(COMPONENT, f), 'utf8')));

  it('is a Component holding only the probe namespace and its objects', () => {
    expect(kustomization.kind).toBe('Component');
    expect(probeObjects(objs)).toEqual(PROBE_OBJECTS);
    expect(objs).toHaveLength(PROBE_OBJECTS.length);
  });

  it('labels the namespace for the privileged Pod Security Standard (enforce, audit, warn)', () => {
    expect(one<KubeObject>(objs, 'Namespace', PROBE_NS).metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'privileged',
      'pod-security.kubernetes.io/audit': 'privileged',
      'pod-security.kubernetes.io/warn': 'privileged',
    });
  });

  it('grants the worker exactly the probe verbs, in the probe namespace only', () => {
    checkProbeRbac([
      ...objs,
      // The rest of the worker's grants, to check they add no pod creation.
      ...kubeObjects(readFileSync(join(DEPLOY, 'base', 'worker-rbac.yaml'), 'utf8')),
      {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'poddebug', labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
      },
    ]);
  });

  it('denies all traffic to and from every pod in the namespace', () => {
    const np = one<NetworkPolicy>(objs, 'NetworkPolicy', 'poddebug-probes-default-deny');
    expect(np.metadata.namespace).toBe(PROBE_NS);
    expect(np.spec.podSelector).toEqual({});
    expect([...np.spec.policyTypes].sort()).toEqual(['Egress', 'Ingress']);
    expect(np.spec.ingress ?? []).toEqual([]);
    expect(np.spec.egress ?? []).toEqual([]);
  });

  describe('admits every probe pod the code builds', () => {
    const quota = one<ResourceQuota>(objs, 'ResourceQuota', 'poddebug-probes').spec.hard;
    const range = one<LimitRange>(objs, 'LimitRange', 'poddebug-probes').spec.limits.find(
      (l) => l.type === 'Container',
    )!;

    it.each([...PROBE_ACTIONS])('%s', (action) => {
      const pod = probePod(action);
      // In the component's namespace by default, with hostPID: only "privileged" admits it.
      expect(pod.metadata?.namespace).toBe(PROBE_NS);
      expect(pod.spec?.hostPID).toBe(true);
      expect(pod.metadata?.labels).toMatchObject({
        'app.kubernetes.io/managed-by': 'poddebug',
        'poddebug.io/probe': 'true',
      });
      expect(pod.spec?.containers[0]?.command?.slice(0, 2)).toEqual(['node', PROBE_PROGRAM]);
      for (const c of pod.spec?.containers ?? []) {
        const res = c.resources!;
        for (const r of ['cpu', 'memory']) {
          // Within the LimitRange's max.
          expect({ r, fits: quantity(res.limits![r]!) <= quantity(range.max![r]!) }).toEqual({
            r,
            fits: true,
          });
          // The quota's pod count binds before its CPU and memory do.
          const pods = Number(quota.pods);
          expect({
            r,
            requests: pods * quantity(res.requests![r]!) <= quantity(quota[`requests.${r}`]!),
          }).toEqual({
            r,
            requests: true,
          });
          expect({ r, limits: pods * quantity(res.limits![r]!) <= quantity(quota[`limits.${r}`]!) }).toEqual({
            r,
            limits: true,
          });
        }
      }
    });

    it('caps the namespace at 20 pods and small CPU and memory', () => {
      expect(Number(quota.pods)).toBeLessThanOrEqual(20);
      expect(quantity(quota['requests.cpu']!)).toBeLessThanOrEqual(2);
      expect(quantity(quota['requests.memory']!)).toBeLessThanOrEqual(2 * 2 ** 30);
      expect(quantity(quota['limits.memory']!)).toBeLessThanOrEqual(8 * 2 ** 30);
    });
  });

  it('sets PROBE_IMAGE (the probe image, by digest) and PROBE_NAMESPACE on the worker', () => {
    const text = readFileSync(join(COMPONENT, 'kustomization.yaml'), 'utf8');
    expect(text).toMatch(/name: PROBE_IMAGE/);
    expect(text).toMatch(/name: PROBE_NAMESPACE\n\s+value: poddebug-probes/);
    expect(kustomization.configurations).toEqual(['image-env.yaml']);
    expect(kustomization.images).toEqual([
      {
        name: 'poddebug-probe',
        newName: 'ghcr.io/example/poddebug-probe',
        digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      },
    ]);
  });
});

describeWithKubectl(`components/probes rendered${KUBECTL_NOTE}`, () => {
  describe.each(['single-cluster', 'dev'])('in overlays/%s', (overlay) => {
    const objs = renderOverlay(overlay);

    it('creates the probe namespace with the privileged PSA labels, apart from poddebug', () =>
      checkProbeNamespace(objs));

    it('lets the worker create pods in the probe namespace only, with exactly the probe verbs', () =>
      checkProbeRbac(objs));

    it('gives the worker PROBE_IMAGE = the probe image by digest, and PROBE_NAMESPACE', () =>
      checkWorkerProbeEnv(objs));

    it('adds nothing to the bot', () => {
      const bot = one<Deployment>(objs, 'Deployment', 'poddebug-bot');
      expect(JSON.stringify(bot).match(/PROBE_|poddebug-probes/)).toBeNull();
    });
  });

  describe.each(['worker-only', 'namespaced'])('overlays/%s', (overlay) => {
    it('does not include it', () => {
      const objs = renderOverlay(overlay);
      expect(probeObjects(objs)).toEqual([]);
      const worker = one<Deployment>(objs, 'Deployment', 'poddebug-worker');
      expect(JSON.stringify(worker).match(/PROBE_/)).toBeNull();
      for (const r of [...ofKind<Role>(objs, 'ClusterRole'), ...ofKind<Role>(objs, 'Role')])
        expect(r.rules.some(createsPods)).toBe(false);
    });

    it('composes with it when an organisation opts in', () => {
      const objs = renderOverlayWith(overlay, { components: ['probes'] });
      checkProbeNamespace(objs);
      checkProbeRbac(objs);
      checkWorkerProbeEnv(objs);
      if (overlay === 'worker-only') {
        expect(objs.filter((o) => o.metadata.name.startsWith('poddebug-bot'))).toEqual([]);
        expect(objs.filter((o) => o.metadata.name === 'poddebug-policy')).toEqual([]);
        expect(JSON.stringify(objs).match(/slack/i)).toBeNull();
      }
    });
  });

  const DIGEST = `sha256:${'9a'.repeat(32)}`;

  it('an overlay on top sets the probe image in PROBE_IMAGE and the guard together', () => {
    const objs = renderOverlayWith('single-cluster', {
      images: [
        '  - name: ghcr.io/example/poddebug-probe',
        '    newName: registry.example.com/team/poddebug-probe',
        `    digest: ${DIGEST}`,
      ],
    });
    checkWorkerProbeEnv(objs);
    const worker = one<Deployment>(objs, 'Deployment', 'poddebug-worker');
    expect(env(worker.spec.template.spec.containers[0]!, 'PROBE_IMAGE')?.value).toBe(
      `registry.example.com/team/poddebug-probe@${DIGEST}`,
    );
    expect(worker.spec.template.spec.containers[0]!.image).toMatch(/^ghcr\.io\/example\/poddebug@sha256:/);
  });

  it('…and the overlay that includes the component sets the worker’s image apart from it', () => {
    const objs = renderOverlayWith('worker-only', {
      components: ['probes'],
      images: [
        '  - name: ghcr.io/example/poddebug',
        '    newName: registry.example.com/eu/poddebug',
        `    digest: ${DIGEST}`,
      ],
    });
    checkWorkerProbeEnv(objs);
    const worker = one<Deployment>(objs, 'Deployment', 'poddebug-worker');
    expect(worker.spec.template.spec.containers[0]!.image).toBe(`registry.example.com/eu/poddebug@${DIGEST}`);
    expect(env(worker.spec.template.spec.containers[0]!, 'PROBE_IMAGE')?.value).toMatch(
      /^ghcr\.io\/example\/poddebug-probe@sha256:/,
    );
  });
});

// ---------------------------------------------------------------------------

describe('the bot’s policy (base/policy.yaml → ConfigMap poddebug-policy)', () => {
  const text = readFileSync(join(DEPLOY, 'base', 'policy.yaml'), 'utf8');

  it('is a policy the bot’s parser accepts', () => {
    const r = parsePolicy(text, 'deploy/base/policy.yaml');
    if (!r.ok) throw new Error(r.errors.join('\n'));
  });

  it('grants viewer only (diagnose, logs, events): node probes need an explicit edit', () => {
    const r = parsePolicy(text, 'policy.yaml');
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect([...new Set(r.policy.grants.flatMap((g) => g.roles))]).toEqual(['viewer']);
    // Every privileged action still needs an approval once granted.
    expect([...r.policy.approvals.actions].sort()).toEqual([...PROBE_ACTIONS].sort());
    expect(r.policy.approvals.count).toBeGreaterThanOrEqual(1);
  });

  it('the reference example still parses too', () => {
    const r = parsePolicy(readFileSync(join(ROOT, 'bot', 'policy', 'example.yaml'), 'utf8'), 'example.yaml');
    expect(r.ok).toBe(true);
  });
});

describeWithKubectl(`the bot mounts its policy${KUBECTL_NOTE}`, () => {
  describe.each(['single-cluster', 'namespaced', 'dev'])('overlays/%s', (overlay) => {
    const objs = renderOverlay(overlay);
    const bot = one<Deployment>(objs, 'Deployment', 'poddebug-bot');
    const pod = bot.spec.template.spec;
    const c = pod.containers.find((x) => x.name === 'bot')!;

    it('as a directory (no subPath, so updates propagate), read-only, with POLICY_FILE inside it', () => {
      const file = env(c, 'POLICY_FILE')?.value;
      expect(file).toBe('/etc/poddebug/policy/policy.yaml');
      const mount = c.volumeMounts?.find((m) => file!.startsWith(`${m.mountPath}/`));
      expect(mount).toEqual({ name: 'policy', mountPath: '/etc/poddebug/policy', readOnly: true });
      const volume = pod.volumes?.find((v) => v.name === mount!.name);
      // The whole ConfigMap, under its unhashed name: `kubectl apply` updates it in place.
      expect(volume?.configMap).toEqual({ name: 'poddebug-policy' });
      const cm = one<ConfigMap>(objs, 'ConfigMap', 'poddebug-policy');
      expect(cm.metadata.namespace).toBe('poddebug');
      const key = file!.slice(mount!.mountPath.length + 1);
      expect(Object.keys(cm.data ?? {})).toEqual([key]);
      const r = parsePolicy(cm.data![key]!, key);
      if (!r.ok) throw new Error(r.errors.join('\n'));
    });

    it('audit lines go to stdout (AUDIT_LOG_FILE unset), and the bot’s config parser accepts its env', () => {
      expect(env(c, 'AUDIT_LOG_FILE')).toBeUndefined();
      const configMaps = ofKind<ConfigMap>(objs, 'ConfigMap');
      const values: Record<string, string> = {
        SLACK_BOT_TOKEN: 'xoxb-test',
        SLACK_SIGNING_SECRET: 'signing-secret',
        REDIS_URL: 'rediss://redis.example:6379',
      };
      for (const e of c.env ?? []) {
        if (e.value !== undefined) values[e.name] = e.value;
        const ref = e.valueFrom?.configMapKeyRef;
        const v = ref && configMaps.find((m) => m.metadata.name === ref.name)?.data?.[ref.key];
        if (v !== undefined && v !== null) values[e.name] = v;
      }
      const cfg = loadBotConfig(values);
      expect(cfg.POLICY_FILE).toBe('/etc/poddebug/policy/policy.yaml');
      expect(cfg.AUDIT_LOG_FILE).toBeUndefined();
    });
  });
});

// ---------------------------------------------------------------------------

describe('the probe image holds the probe program and tools (Dockerfile, text check: no Docker engine here)', () => {
  const instructions = dockerInstructions();
  const { stages } = dockerStages();
  const app = stage(stages, 'app');
  const probe = stage(stages, 'probe');
  const runtime = stages.at(-1)!;

  it('the probe target installs strace, tcpdump, util-linux, coreutils, without recommends, lists removed', () => {
    expect(probe.from).toBe('app');
    const runs = probe.lines.filter((l) => l.startsWith('RUN '));
    expect(runs).toHaveLength(1);
    const steps = runs[0]!
      .slice(4)
      .split('&&')
      .map((s) => s.trim());
    expect(steps[0]).toBe('apt-get update');
    expect(steps.find((s) => s.startsWith('apt-get install'))).toMatch(
      /^apt-get install -y --no-install-recommends /,
    );
    expect(aptPackages(probe).sort()).toEqual(['coreutils', 'strace', 'tcpdump', 'util-linux']);
    expect(steps.at(-1)).toBe('rm -rf /var/lib/apt/lists/*');
  });

  it('the default target (bot and worker) has none of them, and removes nsenter', () => {
    expect(runtime.name).toBe('runtime');
    expect(runtime.from).toBe('app');
    for (const s of [app, runtime]) {
      expect(aptPackages(s)).not.toEqual(expect.arrayContaining(['strace']));
      expect(aptPackages(s)).not.toEqual(expect.arrayContaining(['tcpdump']));
    }
    // The fonts are the memory chart's, which the worker draws.
    expect(aptPackages(app)).toEqual(['fonts-dejavu-core']);
    expect(runtime.lines).toContain('RUN rm -f /usr/bin/nsenter');
  });

  it('still runs as 65532 by default (probe pods set runAsUser 0 themselves), from /app', () => {
    for (const s of [app, probe, runtime]) {
      const users = s.lines.filter((l) => l.startsWith('USER '));
      expect(users.at(-1)).toBe('USER 65532:65532');
    }
    expect(app.lines).toContain('WORKDIR /app');
    expect(app.lines).toContain('COPY --from=build /app/dist ./dist');
    expect(PROBE_PROGRAM).toBe('/app/dist/jobs/probes/program/main.js');
    for (const action of PROBE_ACTIONS) {
      expect(probePod(action).spec?.containers[0]?.securityContext).toMatchObject({
        runAsUser: 0,
        privileged: false,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
      });
    }
  });

  it('documents why tcpdump needs SETUID/SETGID', () => {
    const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(text).toMatch(/tcpdump[\s\S]*drops root to its own user[\s\S]*SETUID\/SETGID/);
  });

  it('the build compiles the probe program into dist/jobs/probes/program/, netcheck-child included', () => {
    const parsed = ts.getParsedCommandLineOfConfigFile(
      join(ROOT, 'tsconfig.build.json'),
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (d) => {
          throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
        },
      },
    )!;
    const files = parsed.fileNames.map((f) => relative(ROOT, f).split('\\').join('/'));
    for (const f of ['main.ts', 'netcheck-child.ts', 'netcheck.ts', 'tcpdump.ts', 'strace.ts', 'mem.ts'])
      expect(files).toContain(`jobs/probes/program/${f}`);
    expect(relative(ROOT, parsed.options.outDir!)).toBe('dist');
    expect(relative(ROOT, parsed.options.rootDir!)).toBe('');
    expect(parsed.options.noEmit).toBe(false);
    // The build context keeps jobs/ (the Dockerfile copies it before `npm run build`).
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim());
    for (const kept of ['jobs', 'jobs/', 'jobs/probes', 'jobs/probes/program'])
      expect(ignore).not.toContain(kept);
    expect(instructions).toContain('COPY jobs ./jobs');
  });
});

// ---------------------------------------------------------------------------

describe('Slack app manifest, for probes and policy', () => {
  const text = readFileSync(join(DEPLOY, 'slack-app-manifest.yaml'), 'utf8');
  const m = parse(text) as {
    oauth_config: { scopes: { bot: string[] } };
    settings: { interactivity: { is_enabled: boolean } };
  };

  it('has interactivity on (buttons, views.open modals) and the scopes the bot calls need', () => {
    expect(m.settings.interactivity.is_enabled).toBe(true);
    for (const scope of ['chat:write', 'files:write', 'usergroups:read', 'users:read'])
      expect(m.oauth_config.scopes.bot).toContain(scope);
  });

  it('says users:read.email is only for the optional SubjectAccessReview email mapping', () => {
    const line = text.split('\n').find((l) => /-\s+users:read\.email/.test(l))!;
    const next = text.split('\n')[text.split('\n').indexOf(line) + 1]!;
    expect(`${line} ${next}`).toMatch(/only[\s\S]*subject-access-review[\s\S]*email/i);
  });
});
