import { type Finding, finding } from '../../contracts/finding.js';
import { eventLines, eventsCommand, eventsWith, type RuleContext } from './context.js';
import { humanDuration, oneLine, toMillis } from './util.js';

/** Why nodes were filtered out, grouped the way a user fixes them. */
export type UnschedulableKind =
  | 'resources'
  | 'taint'
  | 'affinity'
  | 'volume'
  | 'unschedulable-node'
  | 'ports'
  | 'topology'
  | 'other';

/** One item of the scheduler's `0/N nodes are available: …` list. */
export interface UnschedulableReason {
  kind: UnschedulableKind;
  /** The item as the scheduler wrote it, without the count. */
  text: string;
  /** How many nodes it applies to (absent for pod-level items such as a missing PVC). */
  count?: number;
  /** `cpu`, `memory`, `pods`, `nvidia.com/gpu` … for resources. */
  resource?: string;
  /** `dedicated: gpu` for taints. */
  taint?: string;
  /** PVC name for volume items, when the message names it. */
  pvc?: string;
}

/** The parsed FailedScheduling / PodScheduled message. */
export interface UnschedulableSummary {
  available?: number;
  total?: number;
  reasons: UnschedulableReason[];
}

/** Drops the scheduler's trailing ` preemption: …` part. */
export function stripPreemption(message: string): string {
  return message.replace(/\.?\s*preemption:[\s\S]*$/, '').trim();
}

function classify(text: string, count: number | undefined): UnschedulableReason {
  const base = { text, ...(count === undefined ? {} : { count }) };
  const insufficient = /Insufficient (\S+)/.exec(text);
  if (insufficient) return { ...base, kind: 'resources', resource: insufficient[1]!.replace(/[.,]$/, '') };
  if (/Too many pods/i.test(text)) return { ...base, kind: 'resources', resource: 'pods' };
  const taint = /(?:untolerated taint|had taint) \{([^}]*)\}/.exec(text);
  if (taint) {
    const t = taint[1]!.trim();
    return {
      ...base,
      kind: t.startsWith('node.kubernetes.io/unschedulable') ? 'unschedulable-node' : 'taint',
      taint: t,
    };
  }
  if (/were unschedulable/.test(text)) return { ...base, kind: 'unschedulable-node' };
  const pvc = /persistentvolumeclaim "([^"]+)"/i.exec(text);
  if (pvc) return { ...base, kind: 'volume', pvc: pvc[1]! };
  if (/PersistentVolumeClaim|persistent volume|volume node affinity|volume count|volume/i.test(text))
    return { ...base, kind: 'volume' };
  if (/free ports/.test(text)) return { ...base, kind: 'ports' };
  if (/topology spread/i.test(text)) return { ...base, kind: 'topology' };
  if (/affinity|selector/i.test(text)) return { ...base, kind: 'affinity' };
  return { ...base, kind: 'other' };
}

/** Parses `0/N nodes are available: 3 Insufficient memory, 1 node(s) had untolerated taint {…}. preemption: …`. */
export function parseUnschedulable(message: string): UnschedulableSummary {
  const msg = stripPreemption(message);
  const head = /^(\d+)\/(\d+) nodes are available:?\s*([\s\S]*)$/.exec(msg);
  const list = (head ? head[3]! : msg).replace(/\.\s*$/, '').trim();
  const items = list === '' ? [] : list.split(/,\s+(?=\d+ )/);
  const reasons = items.map((item) => {
    const m = /^(\d+) ([\s\S]*)$/.exec(item.trim());
    return m ? classify(m[2]!.trim(), Number(m[1])) : classify(item.trim(), undefined);
  });
  return head ? { available: Number(head[1]), total: Number(head[2]), reasons } : { reasons };
}

function requestsLine(ctx: RuleContext): string[] {
  return (ctx.pod.spec?.containers ?? []).map((c) => {
    const r = c.resources?.requests ?? {};
    const parts = Object.entries(r).map(([k, v]) => `${k}=${v}`);
    return `requests of \`${c.name}\`: ${parts.length > 0 ? parts.join(' ') : 'none'}`;
  });
}

function podPvcs(ctx: RuleContext): string[] {
  return (ctx.pod.spec?.volumes ?? [])
    .map((v) => v.persistentVolumeClaim?.claimName)
    .filter((n): n is string => Boolean(n));
}

function reasonSummary(r: UnschedulableReason): string {
  return r.count === undefined ? r.text : `${r.count} ${r.text}`;
}

function unschedulableNext(ctx: RuleContext, s: UnschedulableSummary): string[] {
  const next: string[] = [];
  const kinds = new Set(s.reasons.map((r) => r.kind));
  if (kinds.has('resources')) {
    const res = [...new Set(s.reasons.filter((r) => r.kind === 'resources').map((r) => r.resource))].join(
      ', ',
    );
    next.push(
      `kubectl describe nodes | grep -A 8 'Allocated resources'  # free ${res} per node vs. the pod's requests`,
      `Lower the pod's ${res} requests or add capacity (a bigger node pool, or let the cluster autoscaler scale up)`,
    );
  }
  for (const r of s.reasons.filter((x) => x.kind === 'taint')) {
    next.push(
      `Nodes carry taint {${r.taint}}: add a matching toleration only if the pod belongs on them; else target other nodes`,
    );
  }
  if (kinds.has('taint'))
    next.push(`kubectl get nodes -o custom-columns=NAME:.metadata.name,TAINTS:.spec.taints`);
  if (kinds.has('affinity'))
    next.push(
      `kubectl get nodes --show-labels  # compare with the pod's nodeSelector/affinity`,
      `kubectl get pod ${ctx.name} -n ${ctx.ns} -o jsonpath='{.spec.nodeSelector}{"\\n"}{.spec.affinity}'`,
    );
  if (kinds.has('volume')) {
    const pvcs = [
      ...new Set([...s.reasons.map((r) => r.pvc).filter((p): p is string => Boolean(p)), ...podPvcs(ctx)]),
    ];
    for (const p of pvcs)
      next.push(
        `kubectl describe pvc ${p} -n ${ctx.ns}  # look for ProvisioningFailed, the StorageClass, the zone`,
      );
    if (pvcs.length === 0) next.push(`kubectl get pvc -n ${ctx.ns}`);
  }
  if (kinds.has('unschedulable-node'))
    next.push(
      'kubectl get nodes  # SchedulingDisabled nodes are cordoned: kubectl uncordon NODE when maintenance is over',
    );
  if (kinds.has('ports'))
    next.push(
      'Another pod holds the same hostPort on every candidate node: drop hostPort or spread the pods',
    );
  if (kinds.has('topology'))
    next.push(
      'topologySpreadConstraints cannot be met: relax maxSkew or use whenUnsatisfiable: ScheduleAnyway',
    );
  next.push(eventsCommand(ctx));
  return next;
}

/** Pending pods the scheduler could not place, with the reasons parsed. */
export function unschedulableRule(ctx: RuleContext): Finding[] {
  if (ctx.pod.spec?.nodeName) return [];
  const cond = ctx.pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  const failed = eventsWith(ctx, ['FailedScheduling']);
  if (cond?.reason !== 'Unschedulable' && failed.length === 0) return [];
  if (cond?.reason === 'SchedulingGated') return [];
  const message = cond?.message || failed[0]?.message || '';
  const s = parseUnschedulable(message);
  const ev: string[] = [];
  if (cond) ev.push(`condition PodScheduled=False reason=${cond.reason}: ${oneLine(cond.message)}`);
  ev.push(...eventLines(ctx, failed, 1));
  for (const r of s.reasons) {
    if (r.kind === 'taint') ev.push(`taint not tolerated: {${r.taint}} on ${r.count ?? '?'} node(s)`);
  }
  if (s.reasons.some((r) => r.kind === 'resources')) ev.push(...requestsLine(ctx));
  if (s.reasons.some((r) => r.kind === 'affinity')) {
    const sel = ctx.pod.spec?.nodeSelector;
    if (sel) ev.push(`nodeSelector: ${JSON.stringify(sel)}`);
    if (ctx.pod.spec?.affinity?.nodeAffinity) ev.push('affinity.nodeAffinity: set');
  }
  if (s.reasons.some((r) => r.kind === 'volume')) {
    for (const p of podPvcs(ctx)) ev.push(`volume uses PVC: ${p}`);
  }
  const head = s.total !== undefined ? `${s.available}/${s.total} nodes are available` : 'no node fits';
  const summary = s.reasons.map(reasonSummary).join('; ');
  return [
    finding(
      'unschedulable',
      'critical',
      `Pod \`${ctx.name}\` cannot be scheduled: ${head}${summary ? ` (${summary})` : ''}`,
      ev,
      unschedulableNext(ctx, s),
    ),
  ];
}

/** Pods held back on purpose by `spec.schedulingGates`. */
export function schedulingGatedRule(ctx: RuleContext): Finding[] {
  const cond = ctx.pod.status?.conditions?.find(
    (c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated',
  );
  if (!cond) return [];
  const gates = (ctx.pod.spec?.schedulingGates ?? []).map((g) => g.name);
  return [
    finding(
      'scheduling-gated',
      'info',
      `Pod \`${ctx.name}\` is held by scheduling gates: ${gates.join(', ') || '(none listed)'}`,
      [
        `condition PodScheduled=False reason=SchedulingGated: ${oneLine(cond.message)}`,
        `spec.schedulingGates: ${JSON.stringify(gates)}`,
      ],
      [
        `The controller that owns ${gates.map((g) => `\`${g}\``).join(', ')} must remove the gate before the pod is scheduled (e.g. a queue such as Kueue admitting the workload)`,
        `kubectl get pod ${ctx.name} -n ${ctx.ns} -o jsonpath='{.spec.schedulingGates}'`,
      ],
    ),
  ];
}

/** How long a pending pod may go without any scheduler activity before that is suspicious. */
export const SCHEDULER_SILENCE_MS = 60 * 1000;

/** Pending, unassigned, no PodScheduled condition and no events: no scheduler is looking at it. */
export function noSchedulerActivityRule(ctx: RuleContext): Finding[] {
  const pod = ctx.pod;
  if (pod.status?.phase !== 'Pending' || pod.spec?.nodeName) return [];
  if ((pod.status?.conditions ?? []).some((c) => c.type === 'PodScheduled')) return [];
  if (ctx.events.length > 0 || (pod.spec?.schedulingGates ?? []).length > 0) return [];
  const created = toMillis(pod.metadata?.creationTimestamp);
  if (created === undefined || ctx.now - created < SCHEDULER_SILENCE_MS) return [];
  const scheduler = pod.spec?.schedulerName ?? 'default-scheduler';
  const age = humanDuration(ctx.now - created);
  const custom = scheduler !== 'default-scheduler';
  return [
    finding(
      'no-scheduler-activity',
      'warning',
      `Pod \`${ctx.name}\` has been Pending for ${age} and no scheduler has looked at it${custom ? ` (schedulerName: ${scheduler})` : ''}`,
      [
        `spec.schedulerName: ${scheduler}`,
        'status.conditions: no PodScheduled condition',
        `events: none since creation (${age} ago)`,
        `metadata.creationTimestamp: ${pod.metadata?.creationTimestamp}`,
      ],
      custom
        ? [
            `Is the scheduler \`${scheduler}\` deployed and running? kubectl get pods -A | grep -i ${scheduler}`,
            `If the name is a typo, fix spec.schedulerName (or remove it to use default-scheduler)`,
          ]
        : [
            'kubectl get pods -n kube-system -l component=kube-scheduler',
            'kubectl logs -n kube-system -l component=kube-scheduler --tail=50',
          ],
    ),
  ];
}
