import { type Finding, finding } from '../../contracts/finding.js';
import { eventLines, eventsWith, type RuleContext, templateTarget } from './context.js';
import { formatBytes, humanDuration, oneLine, parseQuantity, toMillis } from './util.js';

/** One container's usage named in an eviction message. */
export interface EvictedContainer {
  name: string;
  usage: string;
  request?: string;
}

/** What the kubelet's eviction message says. */
export interface EvictionInfo {
  /** `memory`, `ephemeral-storage`, `nodefs`, `pids`… */
  resource?: string;
  threshold?: string;
  available?: string;
  containers: EvictedContainer[];
  /** The container using the most of the resource. */
  heaviest?: EvictedContainer;
}

/**
 * Parses `The node was low on resource: memory. Threshold quantity: 100Mi, available: 92436Ki. Container api was
 * using 1532Mi, request is 512Mi, has larger consumption of memory.` (and the older `…, which exceeds its request of M.`).
 */
export function parseEviction(message: string): EvictionInfo {
  const resource = /low on resource: ([^.\s]+)/.exec(message)?.[1];
  const thr = /Threshold quantity: ([^,\s]+), available: ([^.\s]+)/.exec(message);
  const containers: EvictedContainer[] = [];
  for (const m of message.matchAll(
    /Container (\S+) was using (\S+?),? (?:request is (\S+?),|which exceeds its request of (\S+?)\.?(?:\s|$))/g,
  )) {
    const request = m[3] ?? m[4];
    containers.push({ name: m[1]!, usage: m[2]!, ...(request ? { request } : {}) });
  }
  let heaviest: EvictedContainer | undefined;
  for (const c of containers) {
    if (!heaviest || (parseQuantity(c.usage) ?? 0) > (parseQuantity(heaviest.usage) ?? 0)) heaviest = c;
  }
  return {
    ...(resource ? { resource } : {}),
    ...(thr ? { threshold: thr[1]!, available: thr[2]! } : {}),
    containers,
    ...(heaviest ? { heaviest } : {}),
  };
}

function humanQuantity(q: string, resource: string): string {
  const n = parseQuantity(q);
  return n !== undefined && /memory|storage|nodefs|imagefs/.test(resource) && n >= 1024 ? formatBytes(n) : q;
}

/** Pods the kubelet evicted under node pressure. */
export function evictedRule(ctx: RuleContext): Finding[] {
  const st = ctx.pod.status;
  if (st?.reason !== 'Evicted') return [];
  const info = parseEviction(st.message ?? '');
  const ev = [
    `status.phase: ${st.phase}`,
    'status.reason: Evicted',
    `status.message: ${oneLine(st.message)}`,
  ];
  for (const c of info.containers)
    ev.push(`container ${c.name}: using ${c.usage}, request ${c.request ?? 'none'}`);
  ev.push(...eventLines(ctx, eventsWith(ctx, ['Evicted']), 1));
  const h = info.heaviest;
  const res = info.resource ?? 'a resource';
  const next: string[] = [];
  if (h) {
    const key =
      res === 'memory' ? 'memory' : res.includes('storage') || res === 'nodefs' ? 'ephemeral-storage' : res;
    const usage = parseQuantity(h.usage);
    const suggest =
      usage !== undefined && key === 'memory' ? formatBytes(Math.ceil(usage / 2 ** 26) * 2 ** 26) : '…';
    next.push(
      `kubectl set resources ${templateTarget(ctx)} -n ${ctx.ns} -c ${h.name} --requests=${key}=${suggest}  # request what it really uses, so the scheduler and the eviction order see it`,
    );
  }
  if (ctx.pod.spec?.nodeName)
    next.push(
      `kubectl describe node ${ctx.pod.spec.nodeName}  # pressure conditions and allocated resources`,
    );
  next.push(`kubectl delete pods -n ${ctx.ns} --field-selector=status.phase=Failed  # clean up evicted pods`);
  return [
    finding(
      'evicted',
      'warning',
      `Pod \`${ctx.name}\` was evicted: node \`${ctx.pod.spec?.nodeName ?? '?'}\` was low on ${res}${h ? `; \`${h.name}\` used ${humanQuantity(h.usage, res)} (request ${h.request ?? 'none'})` : ''}`,
      ev,
      next,
    ),
  ];
}

const DISRUPTION_TEXT: Record<string, string> = {
  PreemptionByScheduler: 'preempted by the scheduler to make room for a higher-priority pod',
  DeletionByTaintManager:
    'deleted by the taint manager (its node got a NoExecute taint it does not tolerate)',
  EvictionByEvictionAPI: 'evicted through the Eviction API (a drain, or an autoscaler scaling the node down)',
  DeletionByPodGC: 'deleted by the pod garbage collector (its node is gone)',
  TerminationByKubelet: 'terminated by the kubelet (node pressure or node shutdown)',
};

/** Pods disrupted on purpose (DisruptionTarget) or by a node shutdown. */
export function disruptedRule(ctx: RuleContext): Finding[] {
  const cond = ctx.pod.status?.conditions?.find((c) => c.type === 'DisruptionTarget' && c.status === 'True');
  const shutdown =
    /node shutdown/i.test(ctx.pod.status?.message ?? '') ||
    ctx.pod.status?.reason === 'Shutdown' ||
    ctx.pod.status?.reason === 'Terminated';
  if (!cond && !shutdown) return [];
  if (ctx.pod.status?.reason === 'Evicted') return []; // evicted rule names the resource
  const reason = cond?.reason ?? 'NodeShutdown';
  const byShutdown = shutdown || /node shutdown/i.test(cond?.message ?? '');
  const what = byShutdown ? 'terminated because its node shut down' : (DISRUPTION_TEXT[reason] ?? reason);
  const ev: string[] = [];
  if (cond) ev.push(`condition DisruptionTarget=True reason=${reason}: ${oneLine(cond.message)}`);
  if (ctx.pod.status?.reason) ev.push(`status.reason: ${ctx.pod.status.reason}`);
  if (ctx.pod.status?.message) ev.push(`status.message: ${oneLine(ctx.pod.status.message)}`);
  ev.push(...eventLines(ctx, eventsWith(ctx, ['Killing', 'Preempted', 'TaintManagerEviction']), 2));
  const node = ctx.pod.spec?.nodeName;
  const next =
    ctx.workload && !ctx.workload.startsWith('job/')
      ? [
          `kubectl get pods -n ${ctx.ns} -o wide | grep ${ctx.workload.split('/')[1]}  # did the replacement start?`,
        ]
      : ['This pod is not managed by a controller: recreate it if it is still needed'];
  if (reason === 'EvictionByEvictionAPI')
    next.push(`kubectl get pdb -n ${ctx.ns}  # a PodDisruptionBudget limits how many go at once`);
  if (reason === 'PreemptionByScheduler')
    next.push(
      'kubectl get priorityclass  # give this workload a higher priority if it must not be preempted',
    );
  if (node) next.push(`kubectl describe node ${node}`);
  return [finding('disrupted', 'warning', `Pod \`${ctx.name}\` was ${what}`, ev, next)];
}

/** The pod ran longer than `activeDeadlineSeconds`. */
export function deadlineRule(ctx: RuleContext): Finding[] {
  if (ctx.pod.status?.reason !== 'DeadlineExceeded') return [];
  const secs = ctx.pod.spec?.activeDeadlineSeconds;
  const ev = [
    `status.phase: ${ctx.pod.status.phase}`,
    'status.reason: DeadlineExceeded',
    `status.message: ${oneLine(ctx.pod.status.message)}`,
  ];
  if (secs !== undefined) ev.push(`spec.activeDeadlineSeconds: ${secs} (${humanDuration(secs * 1000)})`);
  if (ctx.pod.status.startTime) ev.push(`status.startTime: ${ctx.pod.status.startTime}`);
  ev.push(...eventLines(ctx, eventsWith(ctx, ['DeadlineExceeded']), 1));
  return [
    finding(
      'deadline-exceeded',
      'warning',
      `Pod \`${ctx.name}\` was stopped after its active deadline${secs !== undefined ? ` of ${humanDuration(secs * 1000)}` : ''}`,
      ev,
      [
        `Raise spec.activeDeadlineSeconds in ${templateTarget(ctx)} if the work legitimately takes longer; else find why it was slow`,
        `kubectl logs -n ${ctx.ns} ${ctx.name} --all-containers --tail=100`,
      ],
    ),
  ];
}

/** Rejected by the kubelet at admission (OutOfcpu, OutOfmemory, OutOfpods, UnexpectedAdmissionError …). */
export function admissionRule(ctx: RuleContext): Finding[] {
  const st = ctx.pod.status;
  const reason = st?.reason ?? '';
  if (st?.phase !== 'Failed') return [];
  if (
    !/^OutOf|UnexpectedAdmissionError|NodeAffinity|NodeSelectorMismatching|InvalidNodeInfo|PodOSNotSupported/.test(
      reason,
    )
  )
    return [];
  const node = ctx.pod.spec?.nodeName ?? '?';
  const byHand = !ctx.pod.spec?.schedulerName || !ctx.events.some((e) => e.reason === 'Scheduled');
  const ev = [`status.phase: Failed`, `status.reason: ${reason}`, `status.message: ${oneLine(st.message)}`];
  ev.push(...eventLines(ctx, eventsWith(ctx, [reason]), 1));
  if (byHand) ev.push(`spec.nodeName: ${node} (no Scheduled event: set directly, bypassing the scheduler)`);
  return [
    finding(
      'kubelet-admission-rejected',
      'warning',
      `Pod \`${ctx.name}\` was rejected by the kubelet on \`${node}\` (${reason})`,
      ev,
      [
        byHand
          ? 'Remove spec.nodeName and let the scheduler pick a node with room (use nodeSelector/affinity to constrain it)'
          : 'The node was over-committed when the pod arrived: recreate the pod (a controller does this by itself)',
        `kubectl describe node ${node}  # Allocated resources`,
        `kubectl delete pod ${ctx.name} -n ${ctx.ns}  # Failed pods are not restarted`,
      ],
    ),
  ];
}

/** How much past the deletion deadline a pod may still exist before it counts as stuck. */
export const TERMINATING_SLACK_MS = 30 * 1000;

/** Pods past their deletion deadline: finalizers, or a node that is gone. */
export function stuckTerminatingRule(ctx: RuleContext, nodeReady: boolean | undefined): Finding[] {
  const del = toMillis(ctx.pod.metadata?.deletionTimestamp);
  if (del === undefined || ctx.now - del < TERMINATING_SLACK_MS) return [];
  const finalizers = ctx.pod.metadata?.finalizers ?? [];
  const node = ctx.pod.spec?.nodeName;
  const ev = [
    `metadata.deletionTimestamp: ${ctx.pod.metadata?.deletionTimestamp} (${humanDuration(ctx.now - del)} past the deadline)`,
    `metadata.deletionGracePeriodSeconds: ${ctx.pod.metadata?.deletionGracePeriodSeconds ?? '?'}`,
  ];
  if (finalizers.length > 0) ev.push(`metadata.finalizers: ${finalizers.join(', ')}`);
  if (node && nodeReady === false)
    ev.push(`node ${node} is not Ready: its kubelet cannot confirm the containers stopped`);
  const next: string[] = [];
  if (node && nodeReady === false)
    next.push(
      `If ${node} is really gone or powered off: kubectl delete pod ${ctx.name} -n ${ctx.ns} --grace-period=0 --force`,
    );
  for (const f of finalizers)
    next.push(
      `Finalizer \`${f}\`: find the controller that should remove it; only if it is gone: kubectl patch pod ${ctx.name} -n ${ctx.ns} --type=json -p '[{"op":"remove","path":"/metadata/finalizers"}]'`,
    );
  if (next.length === 0)
    next.push(
      `kubectl describe pod -n ${ctx.ns} ${ctx.name}  # preStop hook or a container ignoring SIGTERM?`,
    );
  const why = [
    finalizers.length > 0 ? `finalizer ${finalizers.map((f) => `\`${f}\``).join(', ')}` : '',
    node && nodeReady === false ? `node \`${node}\` not Ready` : '',
  ]
    .filter(Boolean)
    .join('; ');
  return [
    finding(
      'stuck-terminating',
      'warning',
      `Pod \`${ctx.name}\` has been Terminating for ${humanDuration(ctx.now - del)} past its grace period${why ? ` (${why})` : ''}`,
      ev,
      next,
    ),
  ];
}
