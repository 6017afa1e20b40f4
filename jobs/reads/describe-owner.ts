/**
 * `kubectl describe deployment|statefulset|daemonset|job`'s sections, from the object, the pods its
 * selector lists and its events. Where kubectl reads ReplicaSets (a Deployment's NewReplicaSet), this
 * lists the owner's pods instead: what was read is what is shown. Pure.
 */
import type { DaemonSet, Deployment, Job, Pod, StatefulSet } from '../k8s/types.js';
import { describeTime, Lines, podTemplate, selectorText } from './describe-common.js';
import { describeEvents, type EventRow, humanDuration, table } from './events-format.js';

export type Owner =
  | { kind: 'Deployment'; obj: Deployment }
  | { kind: 'StatefulSet'; obj: StatefulSet }
  | { kind: 'DaemonSet'; obj: DaemonSet }
  | { kind: 'Job'; obj: Job };

const W = 24;

export function describeOwner(
  o: Owner,
  pods: readonly Pod[],
  events: readonly EventRow[],
  now: number,
): string {
  const w = new Lines();
  const m = o.obj.metadata ?? {};
  w.kv(0, 'Name', m.name, W);
  w.kv(0, 'Namespace', m.namespace, W);
  w.kv(0, 'CreationTimestamp', describeTime(m.creationTimestamp), W);
  w.kv(0, 'Selector', selectorText(o.obj.spec?.selector), W);
  w.map(0, 'Labels', m.labels, W);
  w.map(0, 'Annotations', m.annotations, W);
  switch (o.kind) {
    case 'Deployment': {
      const s = o.obj.status ?? {};
      const sp = o.obj.spec;
      w.kv(
        0,
        'Replicas',
        `${sp?.replicas ?? 1} desired | ${s.updatedReplicas ?? 0} updated | ${s.replicas ?? 0} total | ${s.availableReplicas ?? 0} available | ${s.unavailableReplicas ?? 0} unavailable`,
        W,
      );
      w.kv(0, 'StrategyType', sp?.strategy?.type ?? 'RollingUpdate', W);
      w.kv(0, 'MinReadySeconds', sp?.minReadySeconds ?? 0, W);
      const ru = sp?.strategy?.rollingUpdate;
      if ((sp?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate')
        w.kv(
          0,
          'RollingUpdateStrategy',
          `${ru?.maxUnavailable ?? '25%'} max unavailable, ${ru?.maxSurge ?? '25%'} max surge`,
          W,
        );
      break;
    }
    case 'StatefulSet': {
      w.kv(0, 'Replicas', `${o.obj.spec?.replicas ?? 1} desired | ${o.obj.status?.replicas ?? 0} total`, W);
      w.kv(0, 'Update Strategy', o.obj.spec?.updateStrategy?.type ?? 'RollingUpdate', W);
      w.kv(0, 'Pods Status', podsStatus(pods), W);
      break;
    }
    case 'DaemonSet': {
      const s = o.obj.status ?? {
        currentNumberScheduled: 0,
        desiredNumberScheduled: 0,
        numberMisscheduled: 0,
        numberReady: 0,
      };
      w.map(0, 'Node-Selector', o.obj.spec?.template?.spec?.nodeSelector, W);
      w.kv(0, 'Desired Number of Nodes Scheduled', s.desiredNumberScheduled, W);
      w.kv(0, 'Current Number of Nodes Scheduled', s.currentNumberScheduled, W);
      w.kv(0, 'Number of Nodes Scheduled with Up-to-date Pods', s.updatedNumberScheduled ?? 0, W);
      w.kv(0, 'Number of Nodes Scheduled with Available Pods', s.numberAvailable ?? 0, W);
      w.kv(0, 'Number of Nodes Misscheduled', s.numberMisscheduled, W);
      w.kv(0, 'Pods Status', podsStatus(pods), W);
      break;
    }
    case 'Job': {
      const sp = o.obj.spec;
      const s = o.obj.status ?? {};
      w.kv(0, 'Parallelism', sp?.parallelism ?? 1, W);
      w.kv(0, 'Completions', sp?.completions ?? '<unset>', W);
      w.kv(0, 'Completion Mode', sp?.completionMode ?? 'NonIndexed', W);
      w.kv(0, 'Start Time', describeTime(s.startTime), W);
      if (s.completionTime) {
        w.kv(0, 'Completed At', describeTime(s.completionTime), W);
        if (s.startTime)
          w.kv(0, 'Duration', humanDuration(Date.parse(s.completionTime) - Date.parse(s.startTime)), W);
      }
      if (sp?.activeDeadlineSeconds !== undefined)
        w.kv(0, 'Active Deadline Seconds', `${sp.activeDeadlineSeconds}s`, W);
      w.kv(0, 'Backoff Limit', sp?.backoffLimit ?? 6, W);
      w.kv(
        0,
        'Pods Statuses',
        `${s.active ?? 0} Active (${s.ready ?? 0} Ready) / ${s.succeeded ?? 0} Succeeded / ${s.failed ?? 0} Failed`,
        W,
      );
      break;
    }
  }
  podTemplate(w, o.obj.spec?.template ?? {});
  const conds = (
    o.obj.status as { conditions?: { type: string; status: string; reason?: string }[] } | undefined
  )?.conditions;
  if (conds && conds.length > 0) {
    w.line(0, 'Conditions:');
    const rows = conds.map((c) => [c.type, c.status, c.reason ?? '']);
    const [head, ...rest] = table(['Type', 'Status', 'Reason'], rows, '  ');
    w.out.push(head!, ...table(['----', '------', '------'], rows, '  ').slice(0, 1), ...rest);
  }
  w.line(0, `Pods (${pods.length}, by the selector):`);
  if (pods.length === 0) w.line(1, '<none>');
  else {
    const rows = pods.map((p) => [
      p.metadata?.name ?? '?',
      podStatusText(p),
      String((p.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0)),
      p.spec?.nodeName ?? '<none>',
      p.metadata?.creationTimestamp ? humanDuration(now - Date.parse(p.metadata.creationTimestamp)) : '?',
    ]);
    w.out.push(...table(['NAME', 'STATUS', 'RESTARTS', 'NODE', 'AGE'], rows, '  '));
  }
  w.out.push(...describeEvents(events, now));
  return `${w.out.join('\n')}\n`;
}

/** `N Running / N Waiting / N Succeeded / N Failed`, as kubectl counts pods by phase. */
export function podsStatus(pods: readonly Pod[]): string {
  const n = { Running: 0, Pending: 0, Succeeded: 0, Failed: 0 };
  for (const p of pods) {
    const ph = p.status?.phase as keyof typeof n | undefined;
    if (ph && ph in n) n[ph]++;
  }
  return `${n.Running} Running / ${n.Pending} Waiting / ${n.Succeeded} Succeeded / ${n.Failed} Failed`;
}

/** The STATUS kubectl get pods shows, simplified: a waiting or terminated reason, else the phase. */
export function podStatusText(p: Pod): string {
  if (p.metadata?.deletionTimestamp) return 'Terminating';
  for (const c of p.status?.containerStatuses ?? []) {
    if (c.state?.waiting?.reason) return c.state.waiting.reason;
    if (c.state?.terminated?.reason) return c.state.terminated.reason;
  }
  return p.status?.reason ?? p.status?.phase ?? 'Unknown';
}
