import type { KEvent, Pod } from '../../k8s/types.js';
import type { ContainerLog, Gathered } from '../types.js';
import {
  type Container,
  type ContainerStatus,
  eventContainer,
  eventLastSeen,
  formatEvent,
  isSidecar,
  sortEventsNewestFirst,
  toMillis,
} from './util.js';

/** How far back a termination or event counts as "now" rather than history. */
export const RECENT_MS = 60 * 60 * 1000;

/** One container of the pod: spec, status and logs side by side. */
export interface ContainerView {
  name: string;
  init: boolean;
  /** Native sidecar: an init container with `restartPolicy: Always`. */
  sidecar: boolean;
  spec?: Container;
  status?: ContainerStatus;
  log?: ContainerLog;
}

/** What every rule reads: the gathered objects plus derived lookups. */
export interface RuleContext {
  g: Gathered;
  pod: Pod;
  now: number;
  ns: string;
  name: string;
  /** Events about the pod, newest first. */
  events: KEvent[];
  /** Containers to judge (all, or just the one asked for). */
  containers: ContainerView[];
  /** `deploy/checkout`, `sts/db`, `ds/agent`, `job/x`, or undefined for a bare pod. */
  workload?: string;
}

function views(g: Gathered, init: boolean): ContainerView[] {
  const specs = (init ? g.pod.spec?.initContainers : g.pod.spec?.containers) ?? [];
  const statuses = (init ? g.pod.status?.initContainerStatuses : g.pod.status?.containerStatuses) ?? [];
  return specs.map((spec) => ({
    name: spec.name,
    init,
    sidecar: init && isSidecar(spec),
    spec,
    status: statuses.find((s) => s.name === spec.name),
    log: g.logs.find((l) => l.container === spec.name && l.init === init),
  }));
}

function workloadOf(g: Gathered): string | undefined {
  const o = g.owners;
  if (o.deployment?.metadata?.name) return `deploy/${o.deployment.metadata.name}`;
  if (o.statefulSet?.metadata?.name) return `sts/${o.statefulSet.metadata.name}`;
  if (o.daemonSet?.metadata?.name) return `ds/${o.daemonSet.metadata.name}`;
  if (o.job?.metadata?.name) return `job/${o.job.metadata.name}`;
  if (o.replicaSet?.metadata?.name) return `rs/${o.replicaSet.metadata.name}`;
  const ref =
    g.pod.metadata?.ownerReferences?.find((r) => r.controller) ?? g.pod.metadata?.ownerReferences?.[0];
  const short: Record<string, string> = {
    Deployment: 'deploy',
    ReplicaSet: 'rs',
    StatefulSet: 'sts',
    DaemonSet: 'ds',
    Job: 'job',
  };
  return ref && short[ref.kind] ? `${short[ref.kind]}/${ref.name}` : undefined;
}

/** Builds the shared rule context from the gathered input. */
export function buildContext(g: Gathered, opts: { container?: string } = {}): RuleContext {
  const all = [...views(g, true), ...views(g, false)];
  return {
    g,
    pod: g.pod,
    now: toMillis(g.now) ?? 0,
    ns: g.pod.metadata?.namespace ?? 'default',
    name: g.pod.metadata?.name ?? '?',
    events: sortEventsNewestFirst(g.events),
    containers: opts.container ? all.filter((c) => c.name === opts.container) : all,
    workload: workloadOf(g),
  };
}

/** Pod events with this reason (any of), newest first, optionally only about one container. */
export function eventsWith(
  ctx: RuleContext,
  reasons: readonly string[],
  opts: { container?: string; message?: RegExp; sinceMs?: number } = {},
): KEvent[] {
  return ctx.events.filter((e) => {
    if (!reasons.includes(e.reason ?? '')) return false;
    if (opts.container) {
      const c = eventContainer(e);
      if (c !== undefined && c !== opts.container) return false;
    }
    if (opts.message && !opts.message.test(e.message ?? '')) return false;
    if (opts.sinceMs !== undefined) {
      const seen = eventLastSeen(e);
      if (seen === undefined || ctx.now - seen > opts.sinceMs) return false;
    }
    return true;
  });
}

/** Event lines for evidence, at most `max`. */
export function eventLines(ctx: RuleContext, events: readonly KEvent[], max = 3): string[] {
  return events.slice(0, max).map((e) => formatEvent(e, ctx.now));
}

/** `-n NS POD` spelled out for kubectl commands. */
export function podArgs(ctx: RuleContext): string {
  return `-n ${ctx.ns} ${ctx.name}`;
}

/** `kubectl get events` for this pod. */
export function eventsCommand(ctx: RuleContext): string {
  return `kubectl get events -n ${ctx.ns} --field-selector involvedObject.name=${ctx.name}`;
}

/** `kubectl logs` for a container, previous instance or current. */
export function logsCommand(ctx: RuleContext, c: ContainerView, previous: boolean): string {
  return `kubectl logs -n ${ctx.ns} ${ctx.name} -c ${c.name}${previous ? ' --previous' : ''}`;
}

/** Where to change the pod template: the workload when there is one, else the pod. */
export function templateTarget(ctx: RuleContext): string {
  return ctx.workload && !ctx.workload.startsWith('rs/') ? ctx.workload : `pod/${ctx.name}`;
}
