/**
 * What a read points at: one pod, or an owner with the pods its own label selector lists (in its namespace,
 * never cluster-wide). Errors are the catalogue's: pod_not_found, owner_not_found, no_pods.
 */
import { CodedError, TARGET_KIND_API, type TargetRef } from '../contracts/index.js';
import { labelSelectorString } from '../diagnose/select.js';
import { isNotFound } from '../k8s/call.js';
import type { KubeReader } from '../k8s/client.js';
import { apiFailure } from '../k8s/errors.js';
import type { Pod } from '../k8s/types.js';
import type { Owner } from './describe-owner.js';

export type ReadTarget =
  | { kind: 'pod'; namespace: string; pod: Pod }
  | { kind: 'owner'; namespace: string; owner: Owner; pods: Pod[] };

export async function resolveReadTarget(
  reader: KubeReader,
  t: TargetRef & { namespace: string },
  cluster: string,
): Promise<ReadTarget> {
  const ns = t.namespace;
  if (t.kind === 'pod') {
    try {
      return { kind: 'pod', namespace: ns, pod: await reader.getPod(ns, t.name) };
    } catch (e) {
      if (isNotFound(e))
        throw new CodedError(
          'pod_not_found',
          `No pod \`${t.name}\` in namespace \`${ns}\` on \`${cluster}\`.`,
          [
            `List the namespace's pods: kubectl get pods -n ${ns}`,
            'Pod names change on every rollout: name the owner instead, e.g. deploy/NAME',
          ],
        );
      throw apiFailure(e, `get pod ${ns}/${t.name}`, cluster);
    }
  }
  const apiKind = TARGET_KIND_API[t.kind];
  let owner: Owner;
  try {
    owner = await readOwner(reader, t.kind, ns, t.name);
  } catch (e) {
    if (isNotFound(e))
      throw new CodedError(
        'owner_not_found',
        `No ${apiKind} \`${t.name}\` in namespace \`${ns}\` on \`${cluster}\`.`,
        [`List them: kubectl get ${apiKind.toLowerCase()}s -n ${ns}`],
      );
    throw apiFailure(e, `get ${apiKind.toLowerCase()} ${ns}/${t.name}`, cluster);
  }
  const selector = labelSelectorString(owner.obj.spec?.selector);
  if (!selector)
    throw new CodedError(
      'no_pods',
      `${apiKind} \`${ns}/${t.name}\` has an empty selector; refusing to list every pod.`,
      [`Name one of its pods instead: kubectl get pods -n ${ns}`],
    );
  let pods: Pod[];
  try {
    pods = await reader.listPods(ns, selector);
  } catch (e) {
    throw apiFailure(e, `list pods of ${apiKind.toLowerCase()} ${ns}/${t.name}`, cluster);
  }
  // A selector can match pods another controller owns; keep those this owner (or its ReplicaSets) controls.
  const owned = pods.filter((p) => {
    const ref = (p.metadata?.ownerReferences ?? []).find((r) => r.controller);
    if (!ref) return true;
    if (owner.kind === 'Deployment') {
      // A Deployment's ReplicaSets are named NAME-<pod-template-hash>.
      const hash = p.metadata?.labels?.['pod-template-hash'];
      return (
        ref.kind === 'ReplicaSet' &&
        (hash ? ref.name === `${t.name}-${hash}` : ref.name.startsWith(`${t.name}-`))
      );
    }
    return ref.kind === owner.kind && ref.name === t.name;
  });
  owned.sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  return { kind: 'owner', namespace: ns, owner, pods: owned };
}

async function readOwner(
  reader: KubeReader,
  kind: TargetRef['kind'],
  ns: string,
  name: string,
): Promise<Owner> {
  switch (kind) {
    case 'deploy':
      return { kind: 'Deployment', obj: await reader.getDeployment(ns, name) };
    case 'sts':
      return { kind: 'StatefulSet', obj: await reader.getStatefulSet(ns, name) };
    case 'ds':
      return { kind: 'DaemonSet', obj: await reader.getDaemonSet(ns, name) };
    case 'job':
      return { kind: 'Job', obj: await reader.getJob(ns, name) };
    default:
      throw new Error(`not an owner kind: ${kind}`);
  }
}

/** `Deployment/checkout` or `Pod/checkout-7d9f` for messages. */
export function targetLabel(t: ReadTarget): string {
  if (t.kind === 'pod') return `pod/${t.pod.metadata?.name ?? '?'}`;
  return `${t.owner.kind.toLowerCase()}/${t.owner.obj.metadata?.name ?? '?'}`;
}
