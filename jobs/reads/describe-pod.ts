/** `kubectl describe pod`'s sections, from the pod and its events. Pure. */
import type { V1ContainerState, V1ContainerStatus } from '@kubernetes/client-node';
import type { Pod, Wire } from '../k8s/types.js';
import {
  type Container,
  containerDetails,
  containerSpec,
  describeTime,
  Lines,
  volumes,
} from './describe-common.js';
import { describeEvents, type EventRow } from './events-format.js';

const W = 17;

export function describePod(pod: Pod, events: readonly EventRow[], now: number): string {
  const w = new Lines();
  const m = pod.metadata ?? {};
  const spec = pod.spec ?? { containers: [] };
  const st = pod.status ?? {};
  w.kv(0, 'Name', m.name, W);
  w.kv(0, 'Namespace', m.namespace, W);
  w.kv(0, 'Priority', spec.priority ?? 0, W);
  if (spec.priorityClassName) w.kv(0, 'Priority Class Name', spec.priorityClassName, W);
  w.kv(0, 'Service Account', spec.serviceAccountName, W);
  w.kv(0, 'Node', spec.nodeName ? `${spec.nodeName}/${st.hostIP ?? ''}` : '<none>', W);
  w.kv(0, 'Start Time', st.startTime ? describeTime(st.startTime) : undefined, W);
  w.map(0, 'Labels', m.labels, W);
  w.map(0, 'Annotations', m.annotations, W);
  if (m.deletionTimestamp) {
    w.kv(0, 'Status', `Terminating (lasts ${describeTime(m.deletionTimestamp)})`, W);
    w.kv(0, 'Termination Grace Period', `${m.deletionGracePeriodSeconds ?? 0}s`, W);
  } else w.kv(0, 'Status', st.phase, W);
  if (st.reason) w.kv(0, 'Reason', st.reason, W);
  if (st.message) w.kv(0, 'Message', st.message, W);
  if (st.nominatedNodeName) w.kv(0, 'NominatedNodeName', st.nominatedNodeName, W);
  w.kv(0, 'IP', st.podIP, W);
  const ips = st.podIPs ?? [];
  if (ips.length > 0) {
    w.line(0, 'IPs:');
    for (const ip of ips) w.kv(1, 'IP', ip.ip, 0);
  } else w.kv(0, 'IPs', '<none>', W);
  const owner = (m.ownerReferences ?? []).find((o) => o.controller);
  if (owner) w.kv(0, 'Controlled By', `${owner.kind}/${owner.name}`, W);

  const statuses = new Map<string, Wire<V1ContainerStatus>>();
  for (const s of [...(st.initContainerStatuses ?? []), ...(st.containerStatuses ?? [])])
    statuses.set(s.name, s);
  for (const [title, cs] of [
    ['Init Containers', spec.initContainers],
    ['Containers', spec.containers],
    ['Ephemeral Containers', spec.ephemeralContainers as Container[] | undefined],
  ] as const) {
    if (!cs || cs.length === 0) continue;
    w.line(0, `${title}:`);
    for (const c of cs) {
      const s = statuses.get(c.name) ?? (st.ephemeralContainerStatuses ?? []).find((x) => x.name === c.name);
      w.line(1, `${c.name}:`);
      w.kv(2, 'Container ID', s?.containerID, W - 1);
      containerSpec(w, 2, c);
      if (s?.imageID) w.kv(2, 'Image ID', s.imageID, W - 1);
      state(w, 'State', s?.state);
      if (s?.lastState && Object.keys(s.lastState).length > 0) state(w, 'Last State', s.lastState);
      w.kv(2, 'Ready', s ? capital(String(s.ready)) : 'False', W - 1);
      w.kv(2, 'Restart Count', s?.restartCount ?? 0, W - 1);
      containerDetails(w, 2, c);
    }
  }
  const conds = st.conditions ?? [];
  if (conds.length > 0) {
    w.line(0, 'Conditions:');
    const width = Math.max(4, ...conds.map((c) => c.type.length));
    w.line(1, `${'Type'.padEnd(width)}  Status`);
    for (const c of conds) w.line(1, `${c.type.padEnd(width)}  ${c.status}`);
  }
  volumes(w, 0, spec.volumes);
  w.kv(0, 'QoS Class', st.qosClass, W);
  w.map(0, 'Node-Selectors', spec.nodeSelector, W);
  const tol = (spec.tolerations ?? []).map((t) => {
    const op = t.operator === 'Exists' ? ' op=Exists' : '';
    const key = t.key ?? '';
    const value = t.value ? `=${t.value}` : '';
    const effect = t.effect ? `:${t.effect}` : '';
    const secs = t.tolerationSeconds !== undefined ? ` for ${t.tolerationSeconds}s` : '';
    return `${key}${value}${effect}${op}${secs}`;
  });
  w.list(0, 'Tolerations', tol, W);
  w.out.push(...describeEvents(events, now));
  return `${w.out.join('\n')}\n`;
}

function state(w: Lines, key: string, s: Wire<V1ContainerState> | undefined): void {
  const W2 = W - 1;
  if (s?.running) {
    w.kv(2, key, 'Running', W2);
    w.kv(3, 'Started', describeTime(s.running.startedAt), W2 - 2);
  } else if (s?.waiting) {
    w.kv(2, key, 'Waiting', W2);
    if (s.waiting.reason) w.kv(3, 'Reason', s.waiting.reason, W2 - 2);
    if (s.waiting.message) w.kv(3, 'Message', s.waiting.message, W2 - 2);
  } else if (s?.terminated) {
    const t = s.terminated;
    w.kv(2, key, 'Terminated', W2);
    if (t.reason) w.kv(3, 'Reason', t.reason, W2 - 2);
    if (t.message) w.kv(3, 'Message', t.message, W2 - 2);
    w.kv(3, 'Exit Code', t.exitCode, W2 - 2);
    if (t.signal) w.kv(3, 'Signal', t.signal, W2 - 2);
    w.kv(3, 'Started', describeTime(t.startedAt), W2 - 2);
    w.kv(3, 'Finished', describeTime(t.finishedAt), W2 - 2);
  } else w.kv(2, key, 'Waiting', W2);
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
