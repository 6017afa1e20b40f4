import {
  CodedError,
  type PodRef,
  type Sibling,
  TARGET_KIND_API,
  type TargetRef,
} from '../contracts/index.js';
import type { KubeReader } from '../k8s/client.js';
import { apiFailure, gapNote, KubeApiError } from '../k8s/errors.js';
import type { KEvent, Pod, ResourceQuota } from '../k8s/types.js';
import { eventsAbout, nodeEventsOf, summarisePods } from './lists.js';
import { type KnownOwner, readOwners, type Soft } from './owner-chain.js';
import { pickReason, siblingsOf } from './pod-summary.js';
import { labelSelectorString } from './select.js';
import type { ContainerLog, Gathered } from './types.js';

export interface GatherOptions {
  cluster: string;
  /** The clock the rules judge ages against. */
  now: () => Date;
  logTailLines: number;
  logLimitBytes: number;
}

export type Resolved =
  | {
      kind: 'pod';
      pod: Pod;
      owner?: { kind: string; name: string; reason: string };
      siblings: Sibling[];
      /** The owner target, already read (with its events): not read again. */
      known?: KnownOwner;
      /** What could not be read while resolving (owner events, a cut pod list). */
      gaps?: string[];
    }
  | { kind: 'ambiguous'; name: string; candidates: PodRef[] }
  | {
      /** The owner exists but has no pods: what its controller says is gathered instead. */
      kind: 'no-pods';
      apiKind: 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'Job';
      namespace: string;
      name: string;
      owner: Awaited<ReturnType<typeof readOwner>>;
      /** The owner's events, read with it (none for a Deployment: its ReplicaSet's are read later). */
      ownerEvents: KEvent[];
      gaps: string[];
    };

function isNotFound(e: unknown): boolean {
  return e instanceof KubeApiError && e.status === 404;
}

function podRef(p: Pod): PodRef {
  return { namespace: p.metadata?.namespace ?? '', name: p.metadata?.name ?? '' };
}

async function readOwner(reader: KubeReader, t: TargetRef & { namespace: string }) {
  switch (t.kind) {
    case 'deploy':
      return reader.getDeployment(t.namespace, t.name);
    case 'sts':
      return reader.getStatefulSet(t.namespace, t.name);
    case 'ds':
      return reader.getDaemonSet(t.namespace, t.name);
    case 'job':
      return reader.getJob(t.namespace, t.name);
    default:
      throw new Error(`not an owner kind: ${t.kind}`);
  }
}

/**
 * Finds the pod to diagnose: a named pod (in one namespace, or searched in all
 * with a field selector), or the worst pod of an owner (listed with the
 * owner's own label selector) with its siblings summarised.
 */
export async function findPodToDiagnose(
  reader: KubeReader,
  t: TargetRef,
  o: GatherOptions,
): Promise<Resolved> {
  if (t.kind === 'pod') {
    if (t.namespace) {
      try {
        return { kind: 'pod', pod: await reader.getPod(t.namespace, t.name), siblings: [] };
      } catch (e) {
        if (isNotFound(e)) {
          throw new CodedError(
            'pod_not_found',
            `No pod \`${t.name}\` in namespace \`${t.namespace}\` on \`${o.cluster}\`.`,
            [
              `List the namespace's pods: kubectl get pods -n ${t.namespace}`,
              `Search every namespace: /poddebug diagnose ${t.name}${o.cluster ? ` --cluster ${o.cluster}` : ''}`,
            ],
          );
        }
        throw apiFailure(e, `get pod ${t.namespace}/${t.name}`, o.cluster);
      }
    }
    let pods: Pod[];
    try {
      pods = await reader.findPodsByName(t.name);
    } catch (e) {
      throw apiFailure(e, `find pod ${t.name} in all namespaces`, o.cluster);
    }
    if (pods.length === 0) {
      throw new CodedError(
        'pod_not_found',
        `No pod named \`${t.name}\` in any namespace on \`${o.cluster}\`.`,
        [
          'Pod names change on every rollout: diagnose the owner instead, e.g. /poddebug diagnose deploy/NAME -n NAMESPACE',
          `Find it: kubectl get pods -A | grep ${t.name.slice(0, 40)}`,
        ],
      );
    }
    if (pods.length > 1) {
      return { kind: 'ambiguous', name: t.name, candidates: pods.map(podRef) };
    }
    return { kind: 'pod', pod: pods[0]!, siblings: [] };
  }

  const ns = t.namespace;
  if (!ns)
    throw new CodedError('invalid_args', `Say which namespace ${t.kind}/${t.name} is in: -n NAMESPACE.`);
  const apiKind = TARGET_KIND_API[t.kind] as KnownOwner['apiKind'];
  const gaps: string[] = [];
  // Step 1: the owner and (but for a Deployment, whose events no rule reads) its events, together.
  const [ownerRead, ownerEvents]: [
    { ok: true; o: Awaited<ReturnType<typeof readOwner>> } | { ok: false; e: unknown },
    { events: KEvent[]; note?: string },
  ] = await Promise.all([
    readOwner(reader, { ...t, namespace: ns }).then(
      (o) => ({ ok: true as const, o }),
      (e: unknown) => ({ ok: false as const, e }),
    ),
    apiKind === 'Deployment'
      ? { events: [] as KEvent[] }
      : eventsAbout(reader, ns, apiKind, t.name).catch((e: unknown) => {
          gaps.push(gapNote(`${apiKind.toLowerCase()} events`, e));
          return { events: [] as KEvent[] };
        }),
  ]);
  if (!ownerRead.ok) {
    const e = ownerRead.e;
    if (isNotFound(e)) {
      throw new CodedError(
        'owner_not_found',
        `No ${apiKind} \`${t.name}\` in namespace \`${ns}\` on \`${o.cluster}\`.`,
        [`List them: kubectl get ${apiKind.toLowerCase()}s -n ${ns}`],
      );
    }
    throw apiFailure(e, `get ${apiKind.toLowerCase()} ${ns}/${t.name}`, o.cluster);
  }
  const owner = ownerRead.o;
  if (ownerEvents.note) gaps.push(ownerEvents.note);
  const selector = labelSelectorString(owner.spec?.selector);
  if (!selector) {
    throw new CodedError(
      'no_pods',
      `${apiKind} \`${ns}/${t.name}\` has an empty selector; refusing to list every pod.`,
      [`Diagnose one of its pods by name: kubectl get pods -n ${ns}`],
    );
  }
  // Step 2: its pods, page by page, reduced to a summary with the worst pod kept whole.
  let listed: Awaited<ReturnType<typeof summarisePods>>;
  try {
    listed = await summarisePods(reader, ns, selector);
  } catch (e) {
    throw apiFailure(e, `list pods of ${apiKind.toLowerCase()} ${ns}/${t.name}`, o.cluster);
  }
  const { summary, cut } = listed;
  if (!summary.worst) {
    return {
      kind: 'no-pods',
      apiKind,
      namespace: ns,
      name: t.name,
      owner,
      ownerEvents: ownerEvents.events,
      gaps,
    };
  }
  if (cut) {
    gaps.push(
      `pods of ${t.kind}/${t.name}: read the first ${cut.read} in name order (the bound is ${cut.read}); pods after \`${cut.after}\`${cut.remaining !== undefined ? ` (${cut.remaining} more)` : ''} were not read and may be worse`,
    );
  }
  return {
    kind: 'pod',
    pod: summary.worst,
    owner: { kind: apiKind, name: t.name, reason: pickReason(summary, cut) },
    siblings: siblingsOf(summary),
    known: { apiKind, object: owner, events: ownerEvents.events },
    gaps,
  };
}

/** Names of ResourceQuotas that FailedCreate events or a ReplicaFailure condition say are exceeded. */
export function exceededQuotas(owners: Gathered['owners']): string[] {
  const texts = [
    ...owners.events.filter((e) => e.reason === 'FailedCreate').map((e) => e.message ?? ''),
    ...(owners.deployment?.status?.conditions ?? [])
      .filter((c) => c.type === 'ReplicaFailure')
      .map((c) => c.message ?? ''),
  ];
  const names = texts.map((t) => /exceeded quota: ([\w.-]+)/.exec(t)?.[1]).filter((n): n is string => !!n);
  return [...new Set(names)].slice(0, 3);
}

/** Reads the exceeded quotas (get by name; only when a create failure names one). */
async function readQuotas(
  reader: KubeReader,
  ns: string,
  owners: Gathered['owners'],
  soft: <T>(what: string, fn: () => Promise<T>, fallback: T) => Promise<T>,
): Promise<ResourceQuota[]> {
  const names = exceededQuotas(owners);
  const read = await Promise.all(
    names.map((n) => soft(`resourcequota ${n}`, () => reader.getResourceQuota(ns, n), undefined)),
  );
  return read.filter((q): q is ResourceQuota => q !== undefined);
}

/** The old answer for an owner without pods when nothing explains it. */
export function noPodsError(apiKind: string, ns: string, name: string): CodedError {
  return new CodedError('no_pods', `${apiKind} \`${ns}/${name}\` has no pods right now.`, [
    `See why none were created: kubectl describe ${apiKind.toLowerCase()} ${name} -n ${ns}`,
    `Events of its controller: kubectl get events -n ${ns} --sort-by=.lastTimestamp`,
  ]);
}

/**
 * For an owner without pods: the owner and its events (read while
 * resolving) and, for a Deployment, its newest ReplicaSet, named by the
 * Progressing condition, with its events; then the quotas a create failure names.
 */
export async function gatherOwner(
  reader: KubeReader,
  r: Extract<Resolved, { kind: 'no-pods' }>,
): Promise<{ owners: Gathered['owners']; quotas: ResourceQuota[]; gaps: string[] }> {
  const gaps: string[] = [...r.gaps];
  const soft = softReads(gaps);
  const ns = r.namespace;
  const owners: Gathered['owners'] = { events: [...r.ownerEvents] };
  if (r.apiKind === 'Deployment') {
    const d = r.owner as NonNullable<Gathered['owners']['deployment']>;
    owners.deployment = d;
    const progressing = d.status?.conditions?.find((c) => c.type === 'Progressing');
    const rsName = /ReplicaSet "([^"]+)"/.exec(progressing?.message ?? '')?.[1];
    if (rsName) {
      const [rs, ev] = await Promise.all([
        soft(`replicaset ${rsName}`, () => reader.getReplicaSet(ns, rsName), undefined),
        soft('replicaset events', () => eventsAbout(reader, ns, 'ReplicaSet', rsName), {
          events: [] as KEvent[],
        }),
      ]);
      owners.replicaSet = rs;
      if ('note' in ev && ev.note) gaps.push(ev.note);
      owners.events.push(...ev.events);
    }
  } else if (r.apiKind === 'StatefulSet') owners.statefulSet = r.owner as Gathered['owners']['statefulSet'];
  else if (r.apiKind === 'DaemonSet') owners.daemonSet = r.owner as Gathered['owners']['daemonSet'];
  else owners.job = r.owner as Gathered['owners']['job'];
  const quotas = await readQuotas(reader, ns, owners, soft);
  return { owners, quotas, gaps };
}

/** A read that may fail: the failure becomes a line in `gaps` and the fallback is used. */
function softReads(gaps: string[]): Soft {
  return async <T>(what: string, fn: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      gaps.push(gapNote(what, e));
      return fallback;
    }
  };
}

/**
 * Whether a rule can use the pod's metrics.k8s.io usage: cpu-throttled
 * compares it with a container's limits.cpu, oom-killed quotes it for an
 * OOMKilled container. Otherwise the read is skipped.
 */
export function metricsUseful(pod: Pod): boolean {
  const specs = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  return (
    specs.some((c) => c.resources?.limits?.cpu !== undefined) ||
    statuses.some(
      (s) => s.state?.terminated?.reason === 'OOMKilled' || s.lastState?.terminated?.reason === 'OOMKilled',
    )
  );
}

/** The container logs to read: the current instance of a started container, the previous one of a restarted container. */
function logPlan(
  pod: Pod,
  container?: string,
): { name: string; init: boolean; current: boolean; previous: boolean }[] {
  const statuses = new Map(
    [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].map((s) => [
      s.name,
      s,
    ]),
  );
  return [
    ...(pod.spec?.initContainers ?? []).map((c) => ({ name: c.name, init: true })),
    ...(pod.spec?.containers ?? []).map((c) => ({ name: c.name, init: false })),
  ]
    .filter((c) => !container || c.name === container)
    .map((c) => {
      const st = statuses.get(c.name);
      const started = Boolean(st?.state?.running || st?.state?.terminated);
      const restarted = Boolean(st?.lastState?.terminated) || (st?.restartCount ?? 0) > 0;
      return { ...c, current: started, previous: restarted };
    });
}

/**
 * Reads everything about one pod that the rules look at, in one concurrent
 * step: its events, node, node events, logs, metrics, and its owners with
 * their events (owner-chain.ts; an owner already read is not read again).
 * Only the quotas a create failure names come after. A failed non-essential
 * read becomes a gap, not a failure.
 */
export async function gatherPod(
  reader: KubeReader,
  pod: Pod,
  o: GatherOptions & { container?: string; known?: KnownOwner; gaps?: string[] },
): Promise<Gathered> {
  const ns = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  const nodeName = pod.spec?.nodeName;
  const gaps: string[] = [...(o.gaps ?? [])];
  const soft = softReads(gaps);
  const notes: string[] = [];
  const noted = (r: { events: KEvent[]; note?: string }) => {
    if (r.note) notes.push(r.note);
    return r.events;
  };

  const logOpts = { tailLines: o.logTailLines, limitBytes: o.logLimitBytes };
  const readLogs = async (c: ReturnType<typeof logPlan>[number]): Promise<ContainerLog> => {
    const read = (previous: boolean) =>
      soft(
        `${previous ? 'previous ' : ''}log of ${c.name}`,
        () => reader.podLog(ns, name, c.name, { previous, ...logOpts }),
        undefined,
      );
    const [current, previous] = await Promise.all([
      c.current ? read(false) : undefined,
      c.previous ? read(true) : undefined,
    ]);
    return { container: c.name, init: c.init, current, previous };
  };

  const [events, node, nodeEvents, logs, metrics, owners] = await Promise.all([
    soft('pod events', () => eventsAbout(reader, ns, 'Pod', name, pod.metadata?.uid), {
      events: [] as KEvent[],
    }).then(noted),
    nodeName ? soft(`node ${nodeName}`, () => reader.getNode(nodeName), undefined) : undefined,
    nodeName
      ? soft(`node ${nodeName} events`, () => nodeEventsOf(reader, nodeName), {
          events: [] as KEvent[],
        }).then(noted)
      : [],
    Promise.all(logPlan(pod, o.container).map(readLogs)),
    metricsUseful(pod) ? soft('pod metrics', () => reader.podMetrics(ns, name), undefined) : undefined,
    readOwners(reader, pod, soft, notes, o.known),
  ]);

  const quotas = await readQuotas(reader, ns, owners, soft);

  return {
    now: o.now().toISOString(),
    pod,
    events,
    node,
    nodeEvents,
    owners,
    ...(quotas.length > 0 ? { quotas } : {}),
    logs,
    metrics,
    gaps: [...gaps, ...notes],
  };
}
