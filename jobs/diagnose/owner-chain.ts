/**
 * A pod's owners, read in the same step as everything else about the pod.
 *
 * A ReplicaSet's Deployment is not waited for: a Deployment names its
 * ReplicaSets `<deployment>-<pod-template-hash>` and stamps the hash on their
 * pods, so the Deployment is read alongside the ReplicaSet from the name
 * alone. The guess is kept only when the ReplicaSet's controller reference,
 * once read, names that Deployment (and its uid): a ReplicaSet owned by
 * something else, or by no one, gives no Deployment; one adopted by a
 * Deployment of another name gets that Deployment, read then (the one case
 * that costs a further step). Deployment events are not read: the
 * Deployment controller records only ScalingReplicaSet and the like, and no
 * rule reads them; create failures are recorded on the ReplicaSet.
 */
import type { KubeReader } from '../k8s/client.js';
import type { Deployment, KEvent, Pod, ReplicaSet } from '../k8s/types.js';
import { eventsAbout } from './lists.js';
import type { Gathered } from './types.js';

/** Reads that may fail: a failure becomes a gap line and the fallback. */
export type Soft = <T>(what: string, fn: () => Promise<T>, fallback: T) => Promise<T>;

/** An owner already read while resolving an owner target (never read twice). */
export interface KnownOwner {
  apiKind: 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'Job';
  object: NonNullable<
    | Gathered['owners']['deployment']
    | Gathered['owners']['statefulSet']
    | Gathered['owners']['daemonSet']
    | Gathered['owners']['job']
  >;
  /** Its events (none for a Deployment, see above). */
  events: KEvent[];
}

interface OwnerRef {
  kind: string;
  name: string;
  uid?: string;
  controller?: boolean;
}

export function controllerOf(obj: { metadata?: { ownerReferences?: OwnerRef[] } }): OwnerRef | undefined {
  const refs = obj.metadata?.ownerReferences ?? [];
  return refs.find((r) => r.controller) ?? refs[0];
}

/** The Deployment name a ReplicaSet's name and its pod's pod-template-hash imply, if they fit. */
export function deploymentNameFor(rsName: string, pod: Pod): string | undefined {
  const hash = pod.metadata?.labels?.['pod-template-hash'];
  if (!hash || !rsName.endsWith(`-${hash}`) || rsName.length <= hash.length + 1) return undefined;
  return rsName.slice(0, -(hash.length + 1));
}

/** Whether a Deployment read is the one a ReplicaSet's controller reference names. */
export function confirms(ref: OwnerRef | undefined, d: Deployment | undefined): boolean {
  if (!ref || !d || ref.kind !== 'Deployment') return false;
  if (ref.name !== d.metadata?.name) return false;
  return !ref.uid || !d.metadata?.uid || ref.uid === d.metadata.uid;
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };
const settle = <T>(p: Promise<T>): Promise<Settled<T>> =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

/**
 * Reads the pod's owner chain and the owners' events concurrently, using
 * `known` instead of reading it again. Fills `owners` and pushes notes of
 * events lists that were cut to `notes`.
 */
export async function readOwners(
  reader: KubeReader,
  pod: Pod,
  soft: Soft,
  notes: string[],
  known?: KnownOwner,
): Promise<Gathered['owners']> {
  const ns = pod.metadata?.namespace ?? '';
  const owners: Gathered['owners'] = { events: [] };
  const ref = controllerOf(pod);
  if (!ref) return owners;
  const events = (kind: string, name: string) =>
    soft(`${kind.toLowerCase()} events`, () => eventsAbout(reader, ns, kind, name), {
      events: [] as KEvent[],
    }).then((r) => {
      if (r.note) notes.push(r.note);
      return r.events;
    });

  if (ref.kind === 'ReplicaSet') {
    const knownDeployment = known?.apiKind === 'Deployment' ? (known.object as Deployment) : undefined;
    const guess = knownDeployment ? undefined : deploymentNameFor(ref.name, pod);
    const [rs, rsEvents, guessed] = await Promise.all([
      soft<ReplicaSet | undefined>(
        `replicaset ${ref.name}`,
        () => reader.getReplicaSet(ns, ref.name),
        undefined,
      ),
      events('ReplicaSet', ref.name),
      guess ? settle(reader.getDeployment(ns, guess)) : undefined,
    ]);
    owners.replicaSet = rs;
    owners.events = rsEvents;
    const up = rs ? controllerOf(rs) : undefined;
    if (knownDeployment && (!rs || confirms(up, knownDeployment))) {
      // The user named this Deployment and the pod matched its selector (the ReplicaSet, when read, agrees).
      owners.deployment = knownDeployment;
    } else if (up?.kind === 'Deployment') {
      // (A named Deployment whose selector overlaps another's: the pod's own Deployment is read below.)
      if (guessed?.ok && confirms(up, guessed.value)) owners.deployment = guessed.value;
      else if (guessed?.ok && guessed.value.metadata?.name === up.name) {
        // The named Deployment was read, but with another uid: it is not the ReplicaSet's owner (recreated).
      } else if (guessed && !guessed.ok && up.name === guess) {
        // The right name, but the read failed (not found, forbidden, timeout): say so instead of reading again.
        owners.deployment = await soft<Deployment | undefined>(
          `deployment ${up.name}`,
          () => Promise.reject(guessed.error),
          undefined,
        );
      } else {
        owners.deployment = await soft<Deployment | undefined>(
          `deployment ${up.name}`,
          () => reader.getDeployment(ns, up.name),
          undefined,
        );
        if (owners.deployment && !confirms(up, owners.deployment)) owners.deployment = undefined;
      }
    }
    return owners;
  }

  const kinds = {
    StatefulSet: ['statefulSet', (n: string) => reader.getStatefulSet(ns, n)],
    DaemonSet: ['daemonSet', (n: string) => reader.getDaemonSet(ns, n)],
    Job: ['job', (n: string) => reader.getJob(ns, n)],
  } as const;
  const entry = kinds[ref.kind as keyof typeof kinds];
  if (!entry) return owners;
  const [field, get] = entry;
  if (known?.apiKind === ref.kind && known.object.metadata?.name === ref.name) {
    (owners as Record<string, unknown>)[field] = known.object;
    owners.events = known.events;
    return owners;
  }
  const [obj, ev] = await Promise.all([
    soft<unknown>(`${ref.kind.toLowerCase()} ${ref.name}`, () => get(ref.name), undefined),
    events(ref.kind, ref.name),
  ]);
  (owners as Record<string, unknown>)[field] = obj;
  owners.events = ev;
  return owners;
}
