/**
 * Checks on deploy/ (Slack app manifest, kustomize base and overlays, RBAC) and
 * on the Dockerfile: what a reviewer of a deployment would look for, asserted.
 *
 * The overlays are rendered with `kubectl kustomize` (offline). Without kubectl
 * those tests are skipped, and the same security checks still run on the raw
 * YAML files of deploy/.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import {
  DEPLOY,
  describeWithKubectl,
  KUBECTL_NOTE,
  kubeObjects,
  ofKind,
  one,
  parseDocs,
  ROOT,
  renderOverlay,
} from '../../support/deploy.js';
import { dockerStages, stage } from '../../support/dockerfile.js';

// ---------------------------------------------------------------------------
// Types: the parts of Kubernetes objects these checks read.

interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
}
interface KObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
}
interface KeyRef {
  name: string;
  key: string;
  optional?: boolean;
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: KeyRef; configMapKeyRef?: KeyRef };
}
interface SecurityContext {
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  runAsNonRoot?: boolean;
  runAsUser?: number;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type: string };
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  command?: string[];
  env?: EnvVar[];
  envFrom?: Array<{ secretRef?: { name: string }; configMapRef?: { name: string } }>;
  securityContext?: SecurityContext;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  ports?: Array<{ name?: string; containerPort: number }>;
}
interface Volume {
  name: string;
  hostPath?: unknown;
  secret?: { secretName: string; defaultMode?: number; items?: { key: string; path: string }[] };
  configMap?: { name: string };
  projected?: { sources: Array<{ serviceAccountToken?: unknown; secret?: { name: string } }> };
}
interface PodSpec {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  securityContext?: SecurityContext;
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
}
interface Deployment extends KObject {
  spec: {
    replicas?: number;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
}
interface ServiceAccount extends KObject {
  automountServiceAccountToken?: boolean;
}
interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}
interface Role extends KObject {
  rules: PolicyRule[];
}
interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}
interface Binding extends KObject {
  roleRef: { apiGroup: string; kind: 'Role' | 'ClusterRole'; name: string };
  subjects?: Subject[];
}
interface NetworkPolicyPort {
  protocol?: string;
  port?: number | string;
}
interface NetworkPolicy extends KObject {
  spec: {
    podSelector: { matchLabels?: Record<string, string> };
    policyTypes: string[];
    ingress?: Array<{ ports?: NetworkPolicyPort[] }>;
    egress?: Array<{
      ports?: NetworkPolicyPort[];
      to?: Array<{ ipBlock?: { cidr: string; except?: string[] } }>;
    }>;
  };
}
interface PodDisruptionBudget extends KObject {
  spec: { minAvailable?: number; selector: { matchLabels: Record<string, string> } };
}
interface ConfigMap extends KObject {
  data?: Record<string, string>;
}
interface Secret extends KObject {
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

// ---------------------------------------------------------------------------
// Loading.

function yamlFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) out.push(...yamlFilesUnder(p));
    else if (/\.ya?ml$/.test(entry)) out.push(p);
  }
  return out.sort();
}

/** Every Kubernetes object written in deploy/ (not rendered: patches not applied). */
function rawObjects(): KObject[] {
  return (
    yamlFilesUnder(DEPLOY)
      .filter((f) => !f.endsWith('slack-app-manifest.yaml'))
      // Opt-in: gives the bot a SubjectAccessReview-only grant on purpose; checked in sar-component.test.ts.
      .filter((f) => !relative(DEPLOY, f).startsWith(join('components', 'subject-access-review')))
      .flatMap((f) => kubeObjects(readFileSync(f, 'utf8'), f))
  );
}

// ---------------------------------------------------------------------------
// Helpers over object lists.

/** Generated ConfigMaps and Secrets carry a content hash suffix. */
function baseName(o: KObject): string {
  return o.kind === 'ConfigMap' || o.kind === 'Secret'
    ? o.metadata.name.replace(/-[a-z0-9]{10}$/, '')
    : o.metadata.name;
}

function inventory(objs: KObject[]): string[] {
  return objs
    .map((o) => `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${baseName(o)}`)
    .sort();
}

function allContainers(spec: PodSpec): Container[] {
  return [...(spec.initContainers ?? []), ...spec.containers];
}

function envNames(c: Container): string[] {
  return (c.env ?? []).map((e) => e.name);
}

function secretNamesReferenced(spec: PodSpec): string[] {
  const names = new Set<string>();
  for (const c of allContainers(spec)) {
    for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef) names.add(e.valueFrom.secretKeyRef.name);
    for (const e of c.envFrom ?? []) if (e.secretRef) names.add(e.secretRef.name);
  }
  for (const v of spec.volumes ?? []) {
    if (v.secret) names.add(v.secret.secretName);
    for (const s of v.projected?.sources ?? []) if (s.secret) names.add(s.secret.name);
  }
  return [...names].map((n) => n.replace(/-[a-z0-9]{10}$/, '')).sort();
}

/**
 * The probe namespace (components/probes): the one place the worker may create
 * and delete pods. Its Role is checked exactly in probes-component.test.ts; the
 * read-only checks here cover every other grant.
 */
const PROBE_NAMESPACE = 'poddebug-probes';
const inProbeNamespace = (o: KObject) => o.metadata.namespace === PROBE_NAMESPACE;

const BOT_LABELS = { 'app.kubernetes.io/name': 'poddebug', 'app.kubernetes.io/component': 'bot' };
const WORKER_LABELS = { 'app.kubernetes.io/name': 'poddebug', 'app.kubernetes.io/component': 'worker' };

// ---------------------------------------------------------------------------
// Security checks, applied to the raw files and to every rendered overlay.

function checkPodHardening(d: Deployment): void {
  const pod = d.spec.template.spec;
  const where = `Deployment ${d.metadata.name}`;
  expect({ where, hostNetwork: pod.hostNetwork ?? false }).toEqual({ where, hostNetwork: false });
  expect({ where, hostPID: pod.hostPID ?? false, hostIPC: pod.hostIPC ?? false }).toEqual({
    where,
    hostPID: false,
    hostIPC: false,
  });
  expect({ where, hostPath: (pod.volumes ?? []).filter((v) => v.hostPath).map((v) => v.name) }).toEqual({
    where,
    hostPath: [],
  });
  for (const c of allContainers(pod)) {
    const sc = c.securityContext ?? {};
    const podSc = pod.securityContext ?? {};
    const id = `${where} container ${c.name}`;
    expect({ id, privileged: sc.privileged ?? false }).toEqual({ id, privileged: false });
    expect({ id, allowPrivilegeEscalation: sc.allowPrivilegeEscalation }).toEqual({
      id,
      allowPrivilegeEscalation: false,
    });
    expect({ id, readOnlyRootFilesystem: sc.readOnlyRootFilesystem }).toEqual({
      id,
      readOnlyRootFilesystem: true,
    });
    expect({ id, runAsNonRoot: sc.runAsNonRoot ?? podSc.runAsNonRoot }).toEqual({ id, runAsNonRoot: true });
    const uid = sc.runAsUser ?? podSc.runAsUser;
    expect({ id, uidIsRoot: uid === 0 }).toEqual({ id, uidIsRoot: false });
    expect({ id, drop: sc.capabilities?.drop }).toEqual({ id, drop: ['ALL'] });
    expect({ id, add: sc.capabilities?.add ?? [] }).toEqual({ id, add: [] });
    expect({ id, seccomp: (sc.seccompProfile ?? podSc.seccompProfile)?.type }).toEqual({
      id,
      seccomp: 'RuntimeDefault',
    });
    expect({ id, memoryLimit: typeof c.resources?.limits?.memory }).toEqual({ id, memoryLimit: 'string' });
    expect({ id, cpuRequest: typeof c.resources?.requests?.cpu }).toEqual({ id, cpuRequest: 'string' });
  }
}

function checkBotHasNoClusterCredentials(objs: KObject[]): void {
  const bot = one<Deployment>(objs, 'Deployment', 'poddebug-bot');
  const pod = bot.spec.template.spec;
  expect(pod.serviceAccountName).toBe('poddebug-bot');
  expect(pod.automountServiceAccountToken).toBe(false);
  expect(one<ServiceAccount>(objs, 'ServiceAccount', 'poddebug-bot').automountServiceAccountToken).toBe(
    false,
  );
  // No token projected by hand, no kubeconfig in any form.
  const projectedTokens = (pod.volumes ?? []).filter((v) =>
    v.projected?.sources.some((s) => s.serviceAccountToken),
  );
  expect(projectedTokens).toEqual([]);
  for (const c of allContainers(pod)) expect(envNames(c)).not.toContain('KUBECONFIG');
  const botJson = JSON.stringify(bot);
  expect(botJson.match(/kubeconfig/i)).toBeNull();
  expect(botJson.match(/"serviceAccountToken"/)).toBeNull();
  // Secrets: Slack's, Redis's and the approval signing key only.
  expect(secretNamesReferenced(pod)).toEqual([
    'poddebug-approval-signing-key',
    'poddebug-audit-keys',
    'poddebug-redis',
    'poddebug-slack',
  ]);
  // Nothing is bound to the bot's ServiceAccount.
  const boundToBot = [
    ...ofKind<Binding>(objs, 'RoleBinding'),
    ...ofKind<Binding>(objs, 'ClusterRoleBinding'),
  ].filter((b) => (b.subjects ?? []).some((s) => s.kind === 'ServiceAccount' && s.name === 'poddebug-bot'));
  expect(boundToBot).toEqual([]);
}

function checkWorkerHasNoSlackCredentials(objs: KObject[]): void {
  const worker = one<Deployment>(objs, 'Deployment', 'poddebug-worker');
  const pod = worker.spec.template.spec;
  expect(pod.serviceAccountName).toBe('poddebug-worker');
  expect(secretNamesReferenced(pod)).toEqual(['poddebug-redis']);
  for (const c of allContainers(pod)) expect(envNames(c).filter((n) => n.startsWith('SLACK_'))).toEqual([]);
  expect(JSON.stringify(worker).match(/poddebug-slack/)).toBeNull();
  // Never the bot's approval signing key: a worker holding it could approve its own probes.
  expect(JSON.stringify(worker).match(/signing-key|APPROVAL_SIGNING/)).toBeNull();
}

/**
 * The approval signing key (issue 9): the bot reads APPROVAL_SIGNING_KEY_FILE from the Secret
 * poddebug-approval-signing-key, mounted read-only into the bot alone; no other workload references it.
 */
function checkSigningKeyOnlyInBot(objs: KObject[]): void {
  const bot = one<Deployment>(objs, 'Deployment', 'poddebug-bot');
  const pod = bot.spec.template.spec;
  const vol = (pod.volumes ?? []).find((v) => v.secret?.secretName === 'poddebug-approval-signing-key');
  expect(vol?.secret).toMatchObject({
    defaultMode: 0o440,
    items: [{ key: 'private.pem', path: 'private.pem' }],
  });
  const c = pod.containers[0]!;
  const mount = (
    c as { volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[] }
  ).volumeMounts?.find((m) => m.name === vol?.name);
  expect(mount?.readOnly).toBe(true);
  // 0440 root:fsGroup: readable by the bot's group (its runAsGroup) and nobody else.
  expect((pod as { securityContext?: { fsGroup?: number } }).securityContext?.fsGroup).toBe(65532);
  expect(c.env?.find((e) => e.name === 'APPROVAL_SIGNING_KEY_FILE')?.value).toBe(
    `${mount?.mountPath}/private.pem`,
  );
  const others = ofKind<Deployment>(objs, 'Deployment').filter((d) => d.metadata.name !== 'poddebug-bot');
  for (const d of others) {
    expect(JSON.stringify(d).match(/approval-signing-key|APPROVAL_SIGNING|audit-keys|AUDIT_HMAC/)).toBeNull();
  }
  // The audit chain's HMAC keys: the same way, from poddebug-audit-keys.
  const audit = (pod.volumes ?? []).find((v) => v.secret?.secretName === 'poddebug-audit-keys');
  expect(audit?.secret).toMatchObject({
    defaultMode: 0o440,
    items: [{ key: 'audit-keys', path: 'audit-keys' }],
  });
  const auditMount = (
    c as { volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[] }
  ).volumeMounts?.find((m) => m.name === audit?.name);
  expect(auditMount?.readOnly).toBe(true);
  expect(c.env?.find((e) => e.name === 'AUDIT_HMAC_KEYS_FILE')?.value).toBe(
    `${auditMount?.mountPath}/audit-keys`,
  );
}

/**
 * The worker's roles, but for the probe namespace's (see PROBE_NAMESPACE) and the debug-containers grant (bound
 * per namespace; its writes are checked in debug-component.test.ts).
 */
function workerRoles(objs: KObject[]): Role[] {
  const bindings = [
    ...ofKind<Binding>(objs, 'RoleBinding').filter(
      (b) => !inProbeNamespace(b) && b.roleRef.name !== 'poddebug-worker-debug',
    ),
    ...ofKind<Binding>(objs, 'ClusterRoleBinding'),
  ].filter((b) => (b.subjects ?? []).some((s) => s.name === 'poddebug-worker'));
  return bindings.map((b) =>
    b.roleRef.kind === 'ClusterRole'
      ? one<Role>(objs, 'ClusterRole', b.roleRef.name)
      : (ofKind<Role>(objs, 'Role').find(
          (r) => r.metadata.name === b.roleRef.name && r.metadata.namespace === b.metadata.namespace,
        ) ?? one<Role>(objs, 'Role', `${b.roleRef.name} (missing in ${b.metadata.namespace})`)),
  );
}

function checkWorkerRbacReadOnly(objs: KObject[]): void {
  const roles = workerRoles(objs);
  expect(roles.length).toBeGreaterThan(0);
  for (const role of roles) {
    for (const rule of role.rules) {
      const id = `${role.kind} ${role.metadata.namespace ?? ''}/${role.metadata.name}`;
      expect({ id, extraVerbs: rule.verbs.filter((v) => v !== 'get' && v !== 'list') }).toEqual({
        id,
        extraVerbs: [],
      });
      expect({
        id,
        wildcards: [...(rule.apiGroups ?? []), ...(rule.resources ?? [])].filter((x) => x.includes('*')),
      }).toEqual({
        id,
        wildcards: [],
      });
      const forbidden = (rule.resources ?? []).filter((r) =>
        [
          'secrets',
          'pods/exec',
          'pods/attach',
          'pods/portforward',
          'configmaps',
          'serviceaccounts/token',
        ].includes(r),
      );
      expect({ id, forbidden }).toEqual({ id, forbidden: [] });
      expect({ id, nonResourceURLs: rule.nonResourceURLs ?? [] }).toEqual({ id, nonResourceURLs: [] });
    }
  }
  // Every binding grants to the worker's ServiceAccount only (no groups, no users).
  for (const b of [...ofKind<Binding>(objs, 'RoleBinding'), ...ofKind<Binding>(objs, 'ClusterRoleBinding')]) {
    expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: 'poddebug-worker', namespace: 'poddebug' }]);
  }
}

// ---------------------------------------------------------------------------

describe('deploy/ YAML', () => {
  const files = yamlFilesUnder(DEPLOY);

  it('has the expected files', () => {
    const rel = files.map((f) => relative(DEPLOY, f));
    for (const f of [
      'slack-app-manifest.yaml',
      'base/kustomization.yaml',
      'overlays/single-cluster/kustomization.yaml',
      'overlays/worker-only/kustomization.yaml',
      'overlays/namespaced/kustomization.yaml',
      'overlays/dev/kustomization.yaml',
    ]) {
      expect(rel).toContain(f);
    }
  });

  it.each(files.map((f) => [relative(ROOT, f), f]))('%s parses (all documents)', (_name, file) => {
    const docs = parseDocs(readFileSync(file, 'utf8'), file);
    expect(docs.length).toBeGreaterThan(0);
    for (const d of docs) {
      expect(typeof d).toBe('object');
      expect(d).not.toBeNull();
    }
  });

  it('every Kubernetes object has apiVersion, kind and a name', () => {
    for (const o of rawObjects()) {
      expect(typeof o.apiVersion).toBe('string');
      expect(typeof o.kind).toBe('string');
      expect(typeof o.metadata.name).toBe('string');
    }
  });
});

describe('raw manifests (checked without kustomize)', () => {
  const objs = rawObjects();

  it('every Deployment is hardened (non-root, read-only root fs, drop ALL, no privilege)', () => {
    const deployments = ofKind<Deployment>(objs, 'Deployment');
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual([
      'poddebug-bot',
      'poddebug-worker',
      'redis',
    ]);
    for (const d of deployments) checkPodHardening(d);
  });

  it('the bot holds no cluster credentials', () => checkBotHasNoClusterCredentials(objs));

  it('the approval signing key is mounted by the bot only, read-only', () => checkSigningKeyOnlyInBot(objs));

  it('the worker holds no Slack credentials', () => checkWorkerHasNoSlackCredentials(objs));

  it('the worker RBAC is read-only, without secrets, exec or wildcards', () => checkWorkerRbacReadOnly(objs));

  it('the probe-pod follow-up is noted beside the RBAC', () => {
    expect(readFileSync(join(DEPLOY, 'base/worker-rbac.yaml'), 'utf8')).toMatch(/probe pods/i);
  });
});

/** What components/probes adds to an overlay. */
const PROBE_OBJECTS = [
  'ConfigMap/poddebug-probes/poddebug-probe-guard',
  'LimitRange/poddebug-probes/poddebug-probes',
  'Namespace/poddebug-probes',
  'NetworkPolicy/poddebug-probes/poddebug-probes-default-deny',
  'ResourceQuota/poddebug-probes/poddebug-probes',
  'Role/poddebug-probes/poddebug-worker-probes',
  'RoleBinding/poddebug-probes/poddebug-worker-probes',
  'ValidatingAdmissionPolicy/poddebug-probe-pods',
  'ValidatingAdmissionPolicyBinding/poddebug-probe-pods',
];

const OVERLAY_INVENTORY: Record<string, string[]> = {
  'single-cluster': [
    'ClusterRole/poddebug-worker',
    'ClusterRoleBinding/poddebug-worker',
    'ConfigMap/poddebug/poddebug-bot',
    'ConfigMap/poddebug/poddebug-policy',
    'ConfigMap/poddebug/poddebug-worker',
    'Deployment/poddebug/poddebug-bot',
    'Deployment/poddebug/poddebug-worker',
    'Namespace/poddebug',
    'NetworkPolicy/poddebug/poddebug-bot',
    'NetworkPolicy/poddebug/poddebug-worker',
    'PodDisruptionBudget/poddebug/poddebug-bot',
    'Service/poddebug/poddebug-bot',
    'ServiceAccount/poddebug/poddebug-bot',
    'ServiceAccount/poddebug/poddebug-worker',
    ...PROBE_OBJECTS,
  ].sort(),
  'worker-only': [
    'ClusterRole/poddebug-worker',
    'ClusterRoleBinding/poddebug-worker',
    'ConfigMap/poddebug/poddebug-worker',
    'Deployment/poddebug/poddebug-worker',
    'Namespace/poddebug',
    'NetworkPolicy/poddebug/poddebug-worker',
    'ServiceAccount/poddebug/poddebug-worker',
  ],
  namespaced: [
    'ClusterRole/poddebug-worker',
    'ClusterRoleBinding/poddebug-worker',
    'ConfigMap/poddebug/poddebug-bot',
    'ConfigMap/poddebug/poddebug-policy',
    'ConfigMap/poddebug/poddebug-worker',
    'Deployment/poddebug/poddebug-bot',
    'Deployment/poddebug/poddebug-worker',
    'Namespace/poddebug',
    'NetworkPolicy/poddebug/poddebug-bot',
    'NetworkPolicy/poddebug/poddebug-worker',
    'PodDisruptionBudget/poddebug/poddebug-bot',
    'Role/team-a/poddebug-worker',
    'Role/team-b/poddebug-worker',
    'RoleBinding/team-a/poddebug-worker',
    'RoleBinding/team-b/poddebug-worker',
    'Service/poddebug/poddebug-bot',
    'ServiceAccount/poddebug/poddebug-bot',
    'ServiceAccount/poddebug/poddebug-worker',
  ],
  dev: [
    'ClusterRole/poddebug-worker',
    'ClusterRoleBinding/poddebug-worker',
    'ConfigMap/poddebug/poddebug-bot',
    'ConfigMap/poddebug/poddebug-policy',
    'ConfigMap/poddebug/poddebug-worker',
    'Deployment/poddebug/poddebug-bot',
    'Deployment/poddebug/poddebug-worker',
    'Deployment/poddebug/redis',
    'Namespace/poddebug',
    'NetworkPolicy/poddebug/poddebug-bot',
    'NetworkPolicy/poddebug/poddebug-worker',
    'NetworkPolicy/poddebug/redis',
    'PersistentVolumeClaim/poddebug/redis-data',
    'PodDisruptionBudget/poddebug/poddebug-bot',
    'Secret/poddebug/poddebug-redis',
    'Service/poddebug/poddebug-bot',
    'Service/poddebug/redis',
    'ServiceAccount/poddebug/poddebug-bot',
    'ServiceAccount/poddebug/poddebug-worker',
    ...PROBE_OBJECTS,
  ].sort(),
};
const OVERLAYS = Object.keys(OVERLAY_INVENTORY);
const WITH_BOT = ['single-cluster', 'namespaced', 'dev'];
/** Overlays that include components/probes (the worker then also gets PROBE_IMAGE and PROBE_NAMESPACE). */
const WITH_PROBES = ['single-cluster', 'dev'];

describeWithKubectl(`kustomize overlays${KUBECTL_NOTE}`, () => {
  it('the overlays on disk are the ones checked here', () => {
    expect(readdirSync(join(DEPLOY, 'overlays')).sort()).toEqual([...OVERLAYS].sort());
  });

  describe.each(OVERLAYS)('overlays/%s', (overlay) => {
    it('builds and yields exactly the expected objects', () => {
      expect(inventory(renderOverlay(overlay))).toEqual(OVERLAY_INVENTORY[overlay]);
    });

    it('hardens every Deployment', () => {
      for (const d of ofKind<Deployment>(renderOverlay(overlay), 'Deployment')) checkPodHardening(d);
    });

    it('runs the namespace under the restricted Pod Security Standard', () => {
      const ns = one<KObject>(renderOverlay(overlay), 'Namespace', 'poddebug');
      expect(ns.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    });

    it('selectors match their pod templates', () => {
      for (const d of ofKind<Deployment>(renderOverlay(overlay), 'Deployment')) {
        expect(d.spec.template.metadata.labels).toMatchObject(d.spec.selector.matchLabels);
      }
    });

    it('every ConfigMap/Secret key a container needs exists (or is external and documented)', () => {
      const objs = renderOverlay(overlay);
      const external = [
        'poddebug-slack',
        'poddebug-redis',
        'poddebug-approval-signing-key',
        'poddebug-audit-keys',
      ];
      for (const d of ofKind<Deployment>(objs, 'Deployment')) {
        for (const c of allContainers(d.spec.template.spec)) {
          for (const e of c.env ?? []) {
            const cm = e.valueFrom?.configMapKeyRef;
            if (cm && !cm.optional) {
              expect({
                env: e.name,
                data: one<ConfigMap>(objs, 'ConfigMap', cm.name).data?.[cm.key],
              }).toEqual({
                env: e.name,
                data: expect.any(String),
              });
            }
            const sk = e.valueFrom?.secretKeyRef;
            if (sk && !sk.optional) {
              const s = ofKind<Secret>(objs, 'Secret').find((x) => x.metadata.name === sk.name);
              if (s) expect(Object.keys({ ...s.data, ...s.stringData })).toContain(sk.key);
              else expect(external).toContain(sk.name);
            }
          }
        }
      }
    });

    it('uses one image for bot and worker, set by kustomize, pinned by digest', () => {
      const images = ofKind<Deployment>(renderOverlay(overlay), 'Deployment')
        .filter((d) => d.metadata.name.startsWith('poddebug-'))
        .map((d) => d.spec.template.spec.containers[0]!.image);
      expect(new Set(images).size).toBe(1);
      expect(images[0]).toMatch(/^[^/]+\/.+\/poddebug@sha256:[0-9a-f]{64}$/);
    });

    it('the worker: no Slack credentials, read-only RBAC, its cluster name from a ConfigMap', () => {
      const objs = renderOverlay(overlay);
      checkWorkerHasNoSlackCredentials(objs);
      checkWorkerRbacReadOnly(objs);
      const worker = one<Deployment>(objs, 'Deployment', 'poddebug-worker').spec.template.spec;
      expect(worker.automountServiceAccountToken).toBe(true);
      const c = worker.containers[0]!;
      expect(c.args).toEqual(['dist/jobs/worker-main.js']);
      const cluster = c.env?.find((e) => e.name === 'CLUSTER')?.valueFrom?.configMapKeyRef;
      expect(cluster?.key).toBe('CLUSTER');
      const value = one<ConfigMap>(objs, 'ConfigMap', cluster!.name).data?.CLUSTER;
      expect(value).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      expect(envNames(c).sort()).toEqual(
        [
          'CLUSTER',
          'JOB_TIMEOUT_MS',
          'LOG_LEVEL',
          'LOG_LIMIT_BYTES',
          'LOG_TAIL_LINES',
          'REDIS_URL',
          // From the Redis Secret when it holds it (a Redis Cluster), else unset.
          'REDIS_CLUSTER',
          'WORKER_CONCURRENCY',
          ...(WITH_PROBES.includes(overlay)
            ? ['PROBE_IMAGE', 'PROBE_NAMESPACE', 'APPROVAL_PUBLIC_KEYS_FILE']
            : []),
          // The dev overlay's in-namespace Redis is plain redis://, allowed explicitly.
          ...(overlay === 'dev' ? ['REDIS_ALLOW_PLAINTEXT'] : []),
        ].sort(),
      );
      const cm = one<ConfigMap>(objs, 'ConfigMap', cluster!.name).data;
      expect(cm).toMatchObject({
        WORKER_CONCURRENCY: '4',
        JOB_TIMEOUT_MS: '60000',
        LOG_TAIL_LINES: '200',
        LOG_LIMIT_BYTES: '65536',
      });
    });

    it('the worker NetworkPolicy: no ingress; egress to DNS, Redis and the API server only', () => {
      const np = one<NetworkPolicy>(renderOverlay(overlay), 'NetworkPolicy', 'poddebug-worker');
      expect(np.spec.podSelector.matchLabels).toEqual(WORKER_LABELS);
      expect(np.spec.policyTypes.sort()).toEqual(['Egress', 'Ingress']);
      expect(np.spec.ingress ?? []).toEqual([]);
      const ports = (np.spec.egress ?? []).flatMap((r) => {
        expect(r.ports?.length).toBeGreaterThan(0); // no allow-everything rule
        return (r.ports ?? []).map((p) => `${p.protocol ?? 'TCP'}/${p.port}`);
      });
      expect(ports.sort()).toEqual(['TCP/443', 'TCP/53', 'TCP/6379', 'TCP/6443', 'UDP/53'].sort());
    });

    if (WITH_BOT.includes(overlay)) {
      it('the bot: no cluster credentials, 2 replicas, probes, PDB, Slack env from the Secret', () => {
        const objs = renderOverlay(overlay);
        checkBotHasNoClusterCredentials(objs);
        checkSigningKeyOnlyInBot(objs);
        const bot = one<Deployment>(objs, 'Deployment', 'poddebug-bot');
        expect(bot.spec.replicas).toBe(2);
        expect(bot.spec.template.metadata.labels).toMatchObject(BOT_LABELS);
        const c = bot.spec.template.spec.containers[0]!;
        expect(c.args).toEqual(['dist/bot/main.js']);
        expect(c.livenessProbe?.httpGet?.path).toBe('/healthz');
        expect(c.readinessProbe?.httpGet?.path).toBe('/readyz');
        expect(c.ports).toEqual([expect.objectContaining({ containerPort: 3000 })]);
        const env = new Map((c.env ?? []).map((e) => [e.name, e]));
        expect(env.get('SLACK_BOT_TOKEN')?.valueFrom?.secretKeyRef).toEqual({
          name: 'poddebug-slack',
          key: 'SLACK_BOT_TOKEN',
        });
        for (const optional of ['SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN']) {
          expect(env.get(optional)?.valueFrom?.secretKeyRef).toEqual({
            name: 'poddebug-slack',
            key: optional,
            optional: true,
          });
        }
        for (const fromConfig of ['PORT', 'CLUSTERS', 'LOG_LEVEL', 'SLACK_API_URL']) {
          expect(env.get(fromConfig)?.valueFrom?.configMapKeyRef?.key).toBe(fromConfig);
        }
        expect(env.get('REDIS_URL')?.valueFrom?.secretKeyRef?.key).toBe('REDIS_URL');
        expect(env.get('REDIS_CLUSTER')?.valueFrom?.secretKeyRef).toEqual({
          name: env.get('REDIS_URL')?.valueFrom?.secretKeyRef?.name,
          key: 'REDIS_CLUSTER',
          optional: true,
        });
        // The bot's CLUSTERS names this cluster's worker first.
        const botCm = one<ConfigMap>(
          objs,
          'ConfigMap',
          env.get('CLUSTERS')!.valueFrom!.configMapKeyRef!.name,
        ).data;
        const workerCm = ofKind<ConfigMap>(objs, 'ConfigMap').find(
          (m) => baseName(m) === 'poddebug-worker',
        )!.data;
        expect(botCm?.CLUSTERS?.split(',')[0]).toBe(workerCm?.CLUSTER);
        expect(botCm?.PORT).toBe('3000');

        const pdb = one<PodDisruptionBudget>(objs, 'PodDisruptionBudget', 'poddebug-bot');
        expect(pdb.spec.selector.matchLabels).toEqual(BOT_LABELS);
        expect(pdb.spec.minAvailable).toBe(1);
      });

      it('the bot NetworkPolicy: egress to DNS, Redis and HTTPS to public addresses only', () => {
        const np = one<NetworkPolicy>(renderOverlay(overlay), 'NetworkPolicy', 'poddebug-bot');
        expect(np.spec.podSelector.matchLabels).toEqual(BOT_LABELS);
        expect(np.spec.policyTypes.sort()).toEqual(['Egress', 'Ingress']);
        const egress = np.spec.egress ?? [];
        const ports = egress.flatMap((r) => {
          expect(r.ports?.length).toBeGreaterThan(0);
          return (r.ports ?? []).map((p) => `${p.protocol ?? 'TCP'}/${p.port}`);
        });
        expect(ports.sort()).toEqual(['TCP/443', 'TCP/53', 'TCP/6379', 'UDP/53'].sort());
        const https = egress.find((r) => r.ports?.some((p) => p.port === 443));
        expect(https?.to?.[0]?.ipBlock?.except).toEqual(
          expect.arrayContaining(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']),
        );
        expect((np.spec.ingress ?? []).flatMap((r) => (r.ports ?? []).map((p) => p.port))).toEqual([3000]);
      });
    } else {
      it('has no bot and nothing of Slack', () => {
        const objs = renderOverlay(overlay);
        expect(objs.filter((o) => o.metadata.name.startsWith('poddebug-bot'))).toEqual([]);
        expect(JSON.stringify(objs).match(/slack/i)).toBeNull();
      });
    }
  });
});

// ---------------------------------------------------------------------------

interface SlackManifest {
  _metadata?: { major_version?: number; minor_version?: number };
  display_information: { name: string; description?: string };
  features: {
    bot_user: { display_name: string; always_online?: boolean };
    slash_commands: Array<{
      command: string;
      description: string;
      usage_hint?: string;
      url?: string;
      should_escape?: boolean;
    }>;
  };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    interactivity: { is_enabled: boolean; request_url?: string };
    socket_mode_enabled?: boolean;
    org_deploy_enabled?: boolean;
    token_rotation_enabled?: boolean;
  };
}

describe('deploy/slack-app-manifest.yaml', () => {
  const text = readFileSync(join(DEPLOY, 'slack-app-manifest.yaml'), 'utf8');
  const m = parse(text) as SlackManifest;
  const URL_ = 'https://poddebug.example.com/slack/events';

  it('uses only keys of the manifest schema v1 (additionalProperties: false there)', () => {
    const keys = (o: object) => Object.keys(o).sort();
    for (const k of keys(m)) {
      expect(['_metadata', 'display_information', 'features', 'oauth_config', 'settings']).toContain(k);
    }
    for (const k of keys(m.features)) {
      expect(['app_home', 'bot_user', 'shortcuts', 'slash_commands', 'unfurl_domains']).toContain(k);
    }
    for (const c of m.features.slash_commands) {
      for (const k of keys(c))
        expect(['command', 'url', 'description', 'usage_hint', 'should_escape']).toContain(k);
    }
    for (const k of keys(m.settings)) {
      expect([
        'allowed_ip_address_ranges',
        'event_subscriptions',
        'incoming_webhooks',
        'interactivity',
        'org_deploy_enabled',
        'socket_mode_enabled',
        'token_rotation_enabled',
      ]).toContain(k);
    }
    for (const k of keys(m.settings.interactivity)) {
      expect(['is_enabled', 'request_url', 'message_menu_options_url']).toContain(k);
    }
    expect(keys(m.oauth_config.scopes)).toEqual(['bot']);
  });

  it('names the app and its bot user poddebug', () => {
    expect(m.display_information.name).toBe('poddebug');
    expect(m.display_information.description?.length).toBeLessThanOrEqual(140);
    expect(m.features.bot_user.display_name).toBe('poddebug');
  });

  it('declares /poddebug with its usage hint and request URL', () => {
    expect(m.features.slash_commands).toEqual([
      {
        command: '/poddebug',
        description: expect.any(String),
        usage_hint: 'diagnose <pod> [-n ns]',
        url: URL_,
        should_escape: false,
      },
    ]);
    expect(m.features.slash_commands[0]!.description.length).toBeGreaterThan(0);
  });

  it('enables interactivity on the same URL, in HTTP mode', () => {
    expect(m.settings.interactivity).toEqual({ is_enabled: true, request_url: URL_ });
    expect(m.settings.socket_mode_enabled).toBe(false);
  });

  it('says how to switch to Socket Mode', () => {
    const comments = text
      .split('\n')
      .filter((l) => l.trimStart().startsWith('#'))
      .join('\n');
    expect(comments).toMatch(/socket_mode_enabled/);
    expect(comments).toMatch(/SLACK_APP_TOKEN/);
    expect(comments).toMatch(/connections:write/);
  });

  it('requests exactly the bot scopes poddebug uses', () => {
    expect([...m.oauth_config.scopes.bot].sort()).toEqual(
      [
        'commands',
        'chat:write',
        'chat:write.public',
        'files:write',
        'users:read',
        'users:read.email',
        'usergroups:read',
        'channels:history',
        'groups:history',
      ].sort(),
    );
  });
});

// ---------------------------------------------------------------------------

describe('Dockerfile', () => {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const froms = lines.map((l, i) => [l, i] as const).filter(([l]) => /^FROM\s/i.test(l));
  const finalStage = lines.slice(froms.at(-1)![1]);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };

  it('is multi-stage on node:24-bookworm-slim, pinned by digest', () => {
    const { stages } = dockerStages();
    expect(stages.map((x) => x.name)).toEqual(['build', 'app', 'probe', 'runtime']);
    const bases = stages.filter((x) => !stages.some((y) => y.name === x.from)).map((x) => x.from);
    expect(bases.length).toBeGreaterThan(0);
    for (const b of bases) expect(b).toMatch(/^node:24-bookworm-slim@sha256:[a-f0-9]{64}$/);
    // The base comes from one ARG, so that both stages move together.
    expect(froms.filter(([l]) => l.includes('NODE_IMAGE'))).toHaveLength(2);
  });

  it('labels both images with the OCI annotations', () => {
    const { stages } = dockerStages();
    for (const name of ['probe', 'runtime']) {
      const labels = stage(stages, name)
        .lines.filter((l) => l.startsWith('LABEL '))
        .join(' ');
      for (const key of ['title', 'description', 'source', 'licenses', 'version', 'revision', 'base.name'])
        expect(labels).toContain(`org.opencontainers.image.${key}=`);
      expect(labels).toContain(
        `org.opencontainers.image.title="${name === 'probe' ? 'poddebug-probe' : 'poddebug'}"`,
      );
    }
  });

  it('builds from the lock file without install scripts, then drops dev dependencies', () => {
    const run = lines.filter((l) => l.startsWith('RUN') || l.startsWith('&&')).join(' ');
    expect(lines).toContain('COPY package.json package-lock.json ./');
    expect(run).toMatch(/npm ci --ignore-scripts/);
    expect(run).toMatch(/npm run build/);
    expect(run).toMatch(/npm prune --omit=dev/);
    expect(run.indexOf('npm run build')).toBeLessThan(run.indexOf('npm prune'));
  });

  it('runtime images: only runtime files, non-root 65532, production, node entrypoint, bot by default', () => {
    const { stages } = dockerStages();
    const app = stage(stages, 'app');
    const copies = app.lines.filter((l) => l.startsWith('COPY'));
    expect(copies.every((l) => l.startsWith('COPY --from=build'))).toBe(true);
    expect(copies.map((l) => l.split(/\s+/).at(-1)).sort()).toEqual(
      ['./bin', './dist', './node_modules', './package.json'].sort(),
    );
    // One RUN in the shared stage (the chart's font), as root before USER.
    const runs = app.lines.map((l, i) => [l, i] as const).filter(([l]) => /^RUN\s/.test(l));
    expect(runs).toHaveLength(1);
    expect(runs[0]![1]).toBeLessThan(app.lines.indexOf('USER 65532:65532'));
    expect(app.lines).toContain('ENV NODE_ENV=production');
    expect(app.lines).toContain('ENTRYPOINT ["node"]');
    // The default target is the last stage: the bot's.
    expect(finalStage).toContain('CMD ["dist/bot/main.js"]');
    expect(finalStage.filter((l) => l.startsWith('USER ')).at(-1)).toBe('USER 65532:65532');
  });

  it('agrees with package.json on the two entry points', () => {
    expect(pkg.scripts.bot).toBe('node dist/bot/main.js');
    expect(pkg.scripts.worker).toBe('node dist/jobs/worker-main.js');
  });

  it('.dockerignore keeps build outputs, tests, scripts and git out of the context', () => {
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim());
    for (const entry of ['node_modules', 'dist', 'test/', 'scripts/', '.git'])
      expect(ignore).toContain(entry);
    // ...but not what the build copies.
    for (const kept of [
      'package.json',
      'package-lock.json',
      'bot',
      'jobs',
      'bin',
      'tsconfig.json',
      'tsconfig.build.json',
    ]) {
      expect(ignore).not.toContain(kept);
    }
  });
});
