/**
 * deploy/components/subject-access-review: the optional Kubernetes RBAC check.
 * What a reviewer of the component would look for: the bot gets `create
 * subjectaccessreviews` and nothing more, the worker is untouched, and the
 * config the bot is pointed at is one the code accepts.
 *
 * The component is rendered on top of the overlays with `kubectl kustomize`
 * (offline) from a temporary overlay; without kubectl those tests are skipped
 * and the raw files are still checked.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { accessReviewSettings } from '../../../bot/policy/access-review.js';
import { parseIdentityConfig } from '../../../bot/policy/identity.js';
import { authorize, type KubeObject, ObjectStore } from '../../../tools/kube-sim/index.js';
import {
  DEPLOY,
  describeWithKubectl,
  KUBECTL_NOTE,
  kubeObjects,
  ofKind,
  one,
  renderOverlayWith,
} from '../../support/deploy.js';

const COMPONENT = join(DEPLOY, 'components', 'subject-access-review');

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}
interface Container {
  name: string;
  env?: EnvVar[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  securityContext?: unknown;
}
interface Volume {
  name: string;
  configMap?: { name: string };
  secret?: { secretName: string; optional?: boolean };
}
interface PodSpec {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  containers: Container[];
  volumes?: Volume[];
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
interface Binding extends KubeObject {
  roleRef: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}
interface NetworkPolicy extends KubeObject {
  spec: { egress?: { ports?: { protocol?: string; port?: number }[]; to?: unknown[] }[] };
}

/** An overlay, with or without the component. */
function render(overlay: string, withComponent: boolean): KubeObject[] {
  return renderOverlayWith(overlay, withComponent ? { components: ['subject-access-review'] } : {});
}

const isBot = (s: { kind: string; name: string; namespace?: string }) =>
  s.kind === 'ServiceAccount' && s.name === 'poddebug-bot' && s.namespace === 'poddebug';

const BOT_SA = 'system:serviceaccount:poddebug:poddebug-bot';

describe('components/subject-access-review raw files', () => {
  it('grants exactly create on subjectaccessreviews.authorization.k8s.io, bound to the bot only', () => {
    const objs = kubeObjects(readFileSync(join(COMPONENT, 'rbac.yaml'), 'utf8'));
    const role = one<KubeObject & { rules: Rule[] }>(objs, 'ClusterRole', 'poddebug-bot-access-review');
    expect(role.rules).toEqual([
      { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
    ]);
    const binding = one<Binding>(objs, 'ClusterRoleBinding', 'poddebug-bot-access-review');
    expect(binding.roleRef).toMatchObject({ kind: 'ClusterRole', name: 'poddebug-bot-access-review' });
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'poddebug-bot', namespace: 'poddebug' },
    ]);
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ClusterRole/poddebug-bot-access-review',
      'ClusterRoleBinding/poddebug-bot-access-review',
    ]);
  });

  it('ships an identity.yaml the bot accepts', () => {
    const r = parseIdentityConfig(readFileSync(join(COMPONENT, 'identity.yaml'), 'utf8'), 'identity.yaml');
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect(r.config.mode).not.toBe('off');
  });
});

describeWithKubectl(`components/subject-access-review rendered${KUBECTL_NOTE}`, () => {
  describe.each(['single-cluster', 'namespaced', 'dev'])('on overlays/%s', (overlay) => {
    const plain = render(overlay, false);
    const withSar = render(overlay, true);
    const bot = one<Deployment>(withSar, 'Deployment', 'poddebug-bot');
    const pod = bot.spec.template.spec;
    const container = pod.containers.find((c) => c.name === 'bot')!;
    const env = (name: string) => container.env?.find((e) => e.name === name)?.value;

    it('adds only the RBAC pair and the identity ConfigMap', () => {
      const names = (objs: KubeObject[]) =>
        objs.map((o) => `${o.kind}/${o.metadata.name.replace(/-[a-z0-9]{10}$/, '')}`);
      const added = names(withSar).filter((n) => !names(plain).includes(n));
      expect(added.sort()).toEqual([
        'ClusterRole/poddebug-bot-access-review',
        'ClusterRoleBinding/poddebug-bot-access-review',
        'ConfigMap/poddebug-identity',
      ]);
    });

    it('leaves the worker and its RBAC exactly as they were', () => {
      const workerSide = (objs: KubeObject[]) =>
        objs.filter((o) => o.metadata.name.startsWith('poddebug-worker') || o.metadata.name === 'redis');
      expect(workerSide(withSar)).toEqual(workerSide(plain));
    });

    it('lets the bot create SubjectAccessReviews and nothing else (evaluated as RBAC does)', () => {
      const store = new ObjectStore();
      for (const o of withSar) if (o.apiVersion === 'rbac.authorization.k8s.io/v1') store.put(o);
      const groups = ['system:serviceaccounts', 'system:serviceaccounts:poddebug', 'system:authenticated'];
      const can = (verb: string, group: string, resource: string, namespace?: string) =>
        authorize(store, {
          user: BOT_SA,
          groups,
          verb,
          resource: { group, resource, ...(namespace ? { namespace } : {}) },
        }).allowed;
      expect(can('create', 'authorization.k8s.io', 'subjectaccessreviews')).toBe(true);
      expect(can('create', 'authorization.k8s.io', 'selfsubjectaccessreviews')).toBe(false);
      expect(can('create', 'authorization.k8s.io', 'localsubjectaccessreviews', 'shop')).toBe(false);
      for (const [verb, group, resource] of [
        ['get', '', 'pods'],
        ['list', '', 'secrets'],
        ['create', '', 'pods'],
        ['impersonate', '', 'users'],
        ['create', 'poddebug.io', 'probes'],
      ] as const) {
        expect({ verb, resource, allowed: can(verb, group, resource, 'poddebug') }).toEqual({
          verb,
          resource,
          allowed: false,
        });
      }
      const toBot = [
        ...ofKind<Binding>(withSar, 'RoleBinding'),
        ...ofKind<Binding>(withSar, 'ClusterRoleBinding'),
      ].filter((b) => (b.subjects ?? []).some(isBot));
      expect(toBot.map((b) => `${b.kind}/${b.metadata.name}`)).toEqual([
        'ClusterRoleBinding/poddebug-bot-access-review',
      ]);
    });

    it('mounts the bot’s token and points it at the identity config, which the code accepts', () => {
      expect(pod.serviceAccountName).toBe('poddebug-bot');
      expect(pod.automountServiceAccountToken).toBe(true);
      const file = env('ACCESS_REVIEW_CONFIG')!;
      const mount = container.volumeMounts?.find((m) => file.startsWith(`${m.mountPath}/`));
      expect(mount?.readOnly).toBe(true);
      const volume = pod.volumes?.find((v) => v.name === mount?.name);
      const cm = one<KubeObject & { data: Record<string, string> }>(
        withSar,
        'ConfigMap',
        volume!.configMap!.name,
      );
      expect(cm.metadata.namespace).toBe('poddebug');
      const key = file.slice(mount!.mountPath.length + 1);
      const parsed = parseIdentityConfig(cm.data[key]!, key);
      expect(parsed.ok).toBe(true);
    });

    it('configures the bot as the code reads it: in-cluster = the first of CLUSTERS, kubeconfigs from an optional Secret', () => {
      const cfg = ofKind<KubeObject & { data: Record<string, string> }>(withSar, 'ConfigMap').find((c) =>
        c.metadata.name.startsWith('poddebug-bot-'),
      )!;
      const clusters = cfg.data.CLUSTERS!.split(',');
      const literal = Object.fromEntries(
        (container.env ?? []).filter((e) => e.value).map((e) => [e.name, e.value]),
      );
      const r = accessReviewSettings({ ...literal, KUBERNETES_SERVICE_HOST: '10.96.0.1' }, clusters);
      if (!r.ok) throw new Error(r.errors.join('\n'));
      expect(r.settings).toEqual({
        configPath: '/etc/poddebug/identity/identity.yaml',
        kubeconfigDir: '/etc/poddebug/kubeconfigs',
        inCluster: clusters[0],
        timeoutMs: 2000,
      });
      const mount = container.volumeMounts?.find((m) => m.mountPath === r.settings!.kubeconfigDir);
      const volume = pod.volumes?.find((v) => v.name === mount?.name);
      expect(volume?.secret).toMatchObject({
        secretName: 'poddebug-access-review-kubeconfigs',
        optional: true,
      });
      expect(mount?.readOnly).toBe(true);
    });

    it('keeps the bot container’s hardening, and opens egress to the API server ports only', () => {
      const before = one<Deployment>(plain, 'Deployment', 'poddebug-bot').spec.template.spec.containers[0]!;
      expect(container.securityContext).toEqual(before.securityContext);
      const np = one<NetworkPolicy>(withSar, 'NetworkPolicy', 'poddebug-bot');
      const npBefore = one<NetworkPolicy>(plain, 'NetworkPolicy', 'poddebug-bot');
      const added = (np.spec.egress ?? []).slice((npBefore.spec.egress ?? []).length);
      expect(added).toEqual([
        {
          ports: [
            { protocol: 'TCP', port: 443 },
            { protocol: 'TCP', port: 6443 },
          ],
        },
      ]);
    });
  });
});
