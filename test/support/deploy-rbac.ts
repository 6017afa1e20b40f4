/**
 * The simulator's RBAC mode with the RBAC objects rendered from deploy/ (`kubectl kustomize` of the
 * single-cluster overlay with the subject-access-review and debug-containers components, and the
 * debug-containers RoleBinding example for namespaces `shop` and `strict`): the worker acts as its
 * ServiceAccount and may do exactly what the manifests grant it; the bot's access reviews carry a
 * token of the bot's ServiceAccount. Without kubectl, the same RBAC files are read as they are
 * (kustomize only adds labels to them), so the mode stays on.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject, KubeSim, RbacModeOptions } from '../../tools/kube-sim/index.js';
import { DEPLOY, KUBECTL, kubeObjects, renderOverlayWith } from './kustomize.js';

/** The worker's ServiceAccount in deploy/base. */
export const WORKER_SA = 'system:serviceaccount:poddebug:poddebug-worker';
/** The bot's ServiceAccount in deploy/base. */
export const BOT_SA = 'system:serviceaccount:poddebug:poddebug-bot';
/** The bearer token that stands for the bot's ServiceAccount in the simulator. */
export const BOT_SA_TOKEN = 'kube-sim-token-poddebug-bot';

const RBAC_KINDS = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);
const RBAC_FILES = [
  'base/worker-rbac.yaml',
  'components/probes/rbac.yaml',
  'components/subject-access-review/rbac.yaml',
  'components/debug-containers/rbac.yaml',
];
/** Not part of the component (bound per namespace by the operator): the example, for namespace `shop`. */
const DEBUG_BINDING = 'components/debug-containers/rolebinding-example.yaml';

let cached: KubeObject[] | undefined;

/**
 * The (Cluster)Role(Binding)s of deploy/overlays/single-cluster + components/subject-access-review and
 * debug-containers, with debug-containers' example RoleBinding (namespaces `shop` and `strict`).
 */
export function deployRbacObjects(): KubeObject[] {
  cached ??= [
    ...(KUBECTL
      ? renderOverlayWith('single-cluster', { components: ['subject-access-review', 'debug-containers'] })
      : RBAC_FILES.flatMap((f) => kubeObjects(readFileSync(join(DEPLOY, f), 'utf8'), f))),
    // The tests debug pods in `shop` and `strict` (Pod Security baseline): the example bound in both.
    ...['shop', 'strict'].flatMap((ns) =>
      kubeObjects(readFileSync(join(DEPLOY, DEBUG_BINDING), 'utf8'), DEBUG_BINDING).map((o) => ({
        ...o,
        metadata: { ...o.metadata, namespace: ns },
      })),
    ),
  ].filter((o) => o.apiVersion === 'rbac.authorization.k8s.io/v1' && RBAC_KINDS.has(o.kind));
  return structuredClone(cached);
}

/** startKubeSim options for RBAC mode as deploy/ sets it up: acting as the worker's ServiceAccount. */
export function deployRbacMode(): { user: string; rbac: RbacModeOptions } {
  return { user: WORKER_SA, rbac: { objects: deployRbacObjects(), tokens: { [BOT_SA_TOKEN]: BOT_SA } } };
}

/** A KubeConfig for the simulator that authenticates as the bot's ServiceAccount. */
export function botKubeConfig(sim: KubeSim): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'kube-sim', server: sim.url, skipTLSVerify: true }],
    users: [{ name: 'poddebug-bot', token: BOT_SA_TOKEN }],
    contexts: [{ name: 'kube-sim', cluster: 'kube-sim', user: 'poddebug-bot' }],
    currentContext: 'kube-sim',
  });
  return kc;
}

/** The denials of a simulator in RBAC mode, one line each (for a readable failure). */
export function rbacDenialLines(sim: KubeSim): string[] {
  return sim.rbacDenials().map((d) => d.message);
}
