import { type Finding, finding } from '../../contracts/finding.js';
import type { KEvent } from '../../k8s/types.js';
import { RECENT_MS, type RuleContext } from './context.js';
import { eventLastSeen, formatEvent, oneLine, sortEventsNewestFirst, toMillis } from './util.js';

/** Ready condition of the pod's node: true, false (False/Unknown), or undefined when the node was not read. */
export function nodeReady(ctx: RuleContext): boolean | undefined {
  const cond = ctx.g.node?.status?.conditions?.find((c) => c.type === 'Ready');
  if (!cond) return undefined;
  return cond.status === 'True';
}

/** Node events of some reasons, newest first. */
function nodeEvents(ctx: RuleContext, reasons: readonly string[], sinceMs?: number): KEvent[] {
  return sortEventsNewestFirst(ctx.g.nodeEvents).filter((e) => {
    if (!reasons.includes(e.reason ?? '')) return false;
    if (sinceMs === undefined) return true;
    const seen = eventLastSeen(e);
    return seen !== undefined && ctx.now - seen <= sinceMs;
  });
}

/** How close in time a SystemOOM and a container's death must be to be linked. */
export const OOM_LINK_MS = 5 * 60 * 1000;

/** SystemOOM node events within a few minutes of `at`. */
export function systemOomNear(ctx: RuleContext, at: number): KEvent[] {
  return nodeEvents(ctx, ['SystemOOM']).filter((e) => {
    const seen = eventLastSeen(e);
    return seen !== undefined && Math.abs(seen - at) <= OOM_LINK_MS;
  });
}

/** The pod's node is NotReady or Unknown. */
export function nodeNotReadyRule(ctx: RuleContext): Finding[] {
  const node = ctx.g.node;
  const cond = node?.status?.conditions?.find((c) => c.type === 'Ready');
  if (!node || !cond || cond.status === 'True') return [];
  const name = node.metadata?.name ?? '?';
  const since = toMillis(cond.lastTransitionTime);
  const ev = [
    `node ${name} condition Ready=${cond.status} reason=${cond.reason ?? ''}: ${oneLine(cond.message)}`,
    ...(since === undefined ? [] : [`lastTransitionTime: ${cond.lastTransitionTime}`]),
  ];
  for (const t of node.spec?.taints ?? []) {
    if (/not-ready|unreachable/.test(t.key))
      ev.push(`taint: ${t.key}:${t.effect}${t.timeAdded ? ` (added ${t.timeAdded})` : ''}`);
  }
  const podEv = ctx.events.filter((e) => e.reason === 'NodeNotReady').slice(0, 1);
  ev.push(...podEv.map((e) => formatEvent(e, ctx.now)));
  ev.push(
    ...nodeEvents(ctx, ['NodeNotReady'], RECENT_MS)
      .slice(0, 1)
      .map((e) => formatEvent(e, ctx.now)),
  );
  return [
    finding(
      'node-not-ready',
      'critical',
      `Node \`${name}\` is ${cond.status === 'Unknown' ? 'unreachable (Ready=Unknown)' : 'NotReady'}: pods on it are not being managed`,
      ev,
      [
        `kubectl describe node ${name}`,
        `On the node: systemctl status kubelet containerd; journalctl -u kubelet --since "-30m"`,
        'Pods are evicted once their not-ready/unreachable toleration (default 300s) runs out; controllers recreate them elsewhere',
      ],
    ),
  ];
}

const PRESSURE = ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable'];

/** Node pressure conditions, network unavailable, or cordoned. */
export function nodePressureRule(ctx: RuleContext): Finding[] {
  const node = ctx.g.node;
  if (!node) return [];
  const name = node.metadata?.name ?? '?';
  const bad = (node.status?.conditions ?? []).filter((c) => PRESSURE.includes(c.type) && c.status === 'True');
  const cordoned = node.spec?.unschedulable === true;
  if (bad.length === 0 && !cordoned) return [];
  const ev = bad.map(
    (c) => `node ${name} condition ${c.type}=True reason=${c.reason ?? ''}: ${oneLine(c.message)}`,
  );
  if (cordoned) ev.push(`node ${name} spec.unschedulable: true (cordoned, SchedulingDisabled)`);
  for (const t of node.spec?.taints ?? []) {
    if (/pressure|unschedulable|network-unavailable/.test(t.key)) ev.push(`taint: ${t.key}:${t.effect}`);
  }
  ev.push(
    ...nodeEvents(
      ctx,
      ['EvictionThresholdMet', 'NodeHasInsufficientMemory', 'NodeHasDiskPressure', 'FreeDiskSpaceFailed'],
      RECENT_MS,
    )
      .slice(0, 2)
      .map((e) => formatEvent(e, ctx.now)),
  );
  const what = [...bad.map((c) => c.type), ...(cordoned ? ['cordoned'] : [])].join(', ');
  const next = [
    `kubectl describe node ${name}`,
    `kubectl get pods -A -o wide --field-selector spec.nodeName=${name}  # who runs there`,
  ];
  if (bad.some((c) => c.type === 'DiskPressure'))
    next.push(
      `kubectl debug node/${name} -it --image=busybox -- df -h /host/var/lib  # images, logs, emptyDirs`,
    );
  if (cordoned) next.push(`kubectl uncordon ${name}  # only once the maintenance/drain is finished`);
  return [finding('node-pressure', 'warning', `Node \`${name}\` is under pressure: ${what}`, ev, next)];
}

/** The kernel's global OOM killer fired on the node (SystemOOM). */
export function nodeOomRule(ctx: RuleContext): Finding[] {
  const events = nodeEvents(ctx, ['SystemOOM'], RECENT_MS);
  if (events.length === 0) return [];
  const name = ctx.g.node?.metadata?.name ?? ctx.pod.spec?.nodeName ?? '?';
  const victims = [
    ...new Set(events.map((e) => /victim process: ([^,]+)/.exec(e.message ?? '')?.[1]).filter(Boolean)),
  ];
  const hit = ctx.containers.filter((c) => {
    const t = c.status?.lastState?.terminated ?? c.status?.state?.terminated;
    const fin = toMillis(t?.finishedAt);
    return (
      t &&
      (t.exitCode === 137 || t.reason === 'OOMKilled') &&
      fin !== undefined &&
      systemOomNear(ctx, fin).length > 0
    );
  });
  const ev = events.slice(0, 3).map((e) => formatEvent(e, ctx.now));
  for (const c of hit) {
    const t = c.status?.lastState?.terminated ?? c.status?.state?.terminated;
    ev.push(
      `container ${c.name}: terminated reason=${t?.reason ?? ''} exitCode=${t?.exitCode} finishedAt=${t?.finishedAt}`,
    );
    ev.push(`container ${c.name} limits.memory: ${c.spec?.resources?.limits?.memory ?? 'none'}`);
  }
  const mem = ctx.g.node?.status?.conditions?.find((c) => c.type === 'MemoryPressure');
  if (mem) ev.push(`node ${name} condition MemoryPressure=${mem.status}`);
  return [
    finding(
      'node-oom',
      hit.length > 0 ? 'critical' : 'warning',
      `Node \`${name}\` ran out of memory (SystemOOM${victims.length > 0 ? `, victim ${victims.join(', ')}` : ''})${hit.length > 0 ? `: it killed \`${hit.map((c) => c.name).join('`, `')}\`` : ''}`,
      ev,
      [
        `kubectl describe node ${name}  # Allocated resources: memory limits over 100% mean the node is over-committed`,
        'Set memory requests = realistic usage and a memory limit on every container on the node, so the kubelet evicts before the kernel kills',
        `kubectl get pods -A -o wide --field-selector spec.nodeName=${name}  # what else runs there`,
      ],
    ),
  ];
}
