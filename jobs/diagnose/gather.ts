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
import { badness, labelSelectorString, sibling } from './select.js';
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
    }
  | { kind: 'ambiguous'; name: string; candidates: PodRef[] }
  | {
      /** The owner exists but has no pods: what its controller says is gathered instead. */
      kind: 'no-pods';
      apiKind: 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'Job';
      namespace: string;
      name: string;
      owner: Awaited<ReturnType<typeof readOwner>>;
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
  const apiKind = TARGET_KIND_API[t.kind];
  let owner: Awaited<ReturnType<typeof readOwner>>;
  try {
    owner = await readOwner(reader, { ...t, namespace: ns });
  } catch (e) {
    if (isNotFound(e)) {
      throw new CodedError(
        'owner_not_found',
        `No ${apiKind} \`${t.name}\` in namespace \`${ns}\` on \`${o.cluster}\`.`,
        [`List them: kubectl get ${apiKind.toLowerCase()}s -n ${ns}`],
      );
    }
    throw apiFailure(e, `get ${apiKind.toLowerCase()} ${ns}/${t.name}`, o.cluster);
  }
  const selector = labelSelectorString(owner.spec?.selector);
  if (!selector) {
    throw new CodedError(
      'no_pods',
      `${apiKind} \`${ns}/${t.name}\` has an empty selector; refusing to list every pod.`,
      [`Diagnose one of its pods by name: kubectl get pods -n ${ns}`],
    );
  }
  let pods: Pod[];
  try {
    pods = await reader.listPods(ns, selector);
  } catch (e) {
    throw apiFailure(e, `list pods of ${apiKind.toLowerCase()} ${ns}/${t.name}`, o.cluster);
  }
  if (pods.length === 0) {
    return {
      kind: 'no-pods',
      apiKind: apiKind as 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'Job',
      namespace: ns,
      name: t.name,
      owner,
    };
  }
  const ranked = [...pods].sort((a, b) => badness(b) - badness(a));
  const worst = ranked[0]!;
  const reason =
    pods.length === 1
      ? 'its only pod'
      : badness(worst) === 0
        ? `none of its ${pods.length} pods looks unhealthy; showing one`
        : `worst of ${pods.length} pods`;
  return {
    kind: 'pod',
    pod: worst,
    owner: { kind: apiKind, name: t.name, reason },
    siblings: ranked.slice(1).map(sibling),
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
 * For an owner without pods: the owner, its events and (for a Deployment)
 * its newest ReplicaSet, named by the Progressing condition, with its
 * events; then the quotas a create failure names.
 */
export async function gatherOwner(
  reader: KubeReader,
  r: Extract<Resolved, { kind: 'no-pods' }>,
): Promise<{ owners: Gathered['owners']; quotas: ResourceQuota[]; gaps: string[] }> {
  const gaps: string[] = [];
  const soft = async <T>(what: string, fn: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      gaps.push(gapNote(what, e));
      return fallback;
    }
  };
  const ns = r.namespace;
  const owners: Gathered['owners'] = { events: [] };
  const events: Promise<KEvent[]>[] = [
    soft(`${r.apiKind.toLowerCase()} events`, () => reader.eventsFor(ns, r.apiKind, r.name), []),
  ];
  if (r.apiKind === 'Deployment') {
    const d = r.owner as NonNullable<Gathered['owners']['deployment']>;
    owners.deployment = d;
    const progressing = d.status?.conditions?.find((c) => c.type === 'Progressing');
    const rsName = /ReplicaSet "([^"]+)"/.exec(progressing?.message ?? '')?.[1];
    if (rsName) {
      owners.replicaSet = await soft(
        `replicaset ${rsName}`,
        () => reader.getReplicaSet(ns, rsName),
        undefined,
      );
      events.push(soft('replicaset events', () => reader.eventsFor(ns, 'ReplicaSet', rsName), []));
    }
  } else if (r.apiKind === 'StatefulSet') owners.statefulSet = r.owner as Gathered['owners']['statefulSet'];
  else if (r.apiKind === 'DaemonSet') owners.daemonSet = r.owner as Gathered['owners']['daemonSet'];
  else owners.job = r.owner as Gathered['owners']['job'];
  owners.events = (await Promise.all(events)).flat();
  const quotas = await readQuotas(reader, ns, owners, soft);
  return { owners, quotas, gaps };
}

function controllerOf(obj: {
  metadata?: { ownerReferences?: { kind: string; name: string; controller?: boolean }[] };
}) {
  const refs = obj.metadata?.ownerReferences ?? [];
  return refs.find((r) => r.controller) ?? refs[0];
}

/**
 * Reads everything about one pod that the rules look at. Independent reads
 * run concurrently; only the owner chain is sequential (a ReplicaSet names
 * its Deployment). A failed non-essential read becomes a gap, not a failure.
 */
export async function gatherPod(
  reader: KubeReader,
  pod: Pod,
  o: GatherOptions & { container?: string },
): Promise<Gathered> {
  const ns = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  const nodeName = pod.spec?.nodeName;
  const gaps: string[] = [];
  const soft = async <T>(what: string, fn: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      gaps.push(gapNote(what, e));
      return fallback;
    }
  };

  const owners: Gathered['owners'] = { events: [] };
  const ownerChain = async () => {
    const ref = controllerOf(pod);
    if (!ref) return;
    const ownerEvents: Promise<KEvent[]>[] = [];
    if (ref.kind === 'ReplicaSet') {
      const rs = await soft(`replicaset ${ref.name}`, () => reader.getReplicaSet(ns, ref.name), undefined);
      if (!rs) return;
      owners.replicaSet = rs;
      ownerEvents.push(soft('replicaset events', () => reader.eventsFor(ns, 'ReplicaSet', ref.name), []));
      const up = controllerOf(rs);
      if (up?.kind === 'Deployment') {
        owners.deployment = await soft(
          `deployment ${up.name}`,
          () => reader.getDeployment(ns, up.name),
          undefined,
        );
        ownerEvents.push(soft('deployment events', () => reader.eventsFor(ns, 'Deployment', up.name), []));
      }
    } else if (ref.kind === 'StatefulSet') {
      owners.statefulSet = await soft(
        `statefulset ${ref.name}`,
        () => reader.getStatefulSet(ns, ref.name),
        undefined,
      );
      ownerEvents.push(soft('statefulset events', () => reader.eventsFor(ns, 'StatefulSet', ref.name), []));
    } else if (ref.kind === 'DaemonSet') {
      owners.daemonSet = await soft(
        `daemonset ${ref.name}`,
        () => reader.getDaemonSet(ns, ref.name),
        undefined,
      );
      ownerEvents.push(soft('daemonset events', () => reader.eventsFor(ns, 'DaemonSet', ref.name), []));
    } else if (ref.kind === 'Job') {
      owners.job = await soft(`job ${ref.name}`, () => reader.getJob(ns, ref.name), undefined);
      ownerEvents.push(soft('job events', () => reader.eventsFor(ns, 'Job', ref.name), []));
    }
    owners.events = (await Promise.all(ownerEvents)).flat();
  };

  const containers = [
    ...(pod.spec?.initContainers ?? []).map((c) => ({ name: c.name, init: true })),
    ...(pod.spec?.containers ?? []).map((c) => ({ name: c.name, init: false })),
  ].filter((c) => !o.container || c.name === o.container);
  const statuses = new Map(
    [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].map((s) => [
      s.name,
      s,
    ]),
  );
  const logOpts = { tailLines: o.logTailLines, limitBytes: o.logLimitBytes };
  const readLogs = (c: { name: string; init: boolean }): Promise<ContainerLog> => {
    const st = statuses.get(c.name);
    const started = Boolean(st?.state?.running || st?.state?.terminated);
    const restarted = Boolean(st?.lastState?.terminated) || (st?.restartCount ?? 0) > 0;
    return Promise.all([
      started
        ? soft(
            `log of ${c.name}`,
            () => reader.podLog(ns, name, c.name, { previous: false, ...logOpts }),
            undefined,
          )
        : undefined,
      restarted
        ? soft(
            `previous log of ${c.name}`,
            () => reader.podLog(ns, name, c.name, { previous: true, ...logOpts }),
            undefined,
          )
        : undefined,
    ]).then(([current, previous]) => ({ container: c.name, init: c.init, current, previous }));
  };

  const [events, node, nodeEvents, logs, metrics] = await Promise.all([
    soft('pod events', () => reader.eventsFor(ns, 'Pod', name, pod.metadata?.uid), [] as KEvent[]),
    nodeName ? soft(`node ${nodeName}`, () => reader.getNode(nodeName), undefined) : undefined,
    nodeName ? soft(`node ${nodeName} events`, () => reader.nodeEvents(nodeName), [] as KEvent[]) : [],
    Promise.all(containers.map(readLogs)),
    soft('pod metrics', () => reader.podMetrics(ns, name), undefined),
    ownerChain(),
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
    gaps,
  };
}
