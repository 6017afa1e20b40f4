/**
 * Which container instance a pods/log request reads, decided as the API
 * server (container validation) and the kubelet (container state) decide it,
 * with their error messages. Pure: takes the pod, returns a decision.
 */

interface ContainerState {
  waiting?: { reason?: string };
  running?: object;
  terminated?: { reason?: string; containerID?: string };
}
interface ContainerStatus {
  name?: string;
  containerID?: string;
  state?: ContainerState;
  lastState?: ContainerState;
}
interface PodLike {
  metadata?: { name?: string };
  spec?: {
    nodeName?: string;
    containers?: { name?: string }[];
    initContainers?: { name?: string }[];
    ephemeralContainers?: { name?: string }[];
  };
  status?: {
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
    ephemeralContainerStatuses?: ContainerStatus[];
  };
}

/** Outcome of a log request: read an instance's log, an empty body, or a 400 with the server's message. */
export type LogDecision =
  | { kind: 'read'; container: string; instance: 'current' | 'previous' }
  | { kind: 'empty'; container: string }
  | { kind: 'error'; message: string };

const names = (cs: { name?: string }[] | undefined): string[] => (cs ?? []).map((c) => c.name ?? '');

/** Decides what GET pods/{name}/log?container=&previous= returns for this pod. */
export function decideLog(pod: PodLike, container: string | undefined, previous: boolean): LogDecision {
  const podName = pod.metadata?.name ?? '';
  const spec = pod.spec ?? {};
  const all = [...names(spec.initContainers), ...names(spec.containers), ...names(spec.ephemeralContainers)];
  let c = container ?? '';
  if (c === '') {
    const main = names(spec.containers);
    if (main.length === 1) c = main[0]!;
    else if (main.length === 0)
      return { kind: 'error', message: `pod ${podName} does not have a host assigned` };
    else
      return {
        kind: 'error',
        message: `a container name must be specified for pod ${podName}, choose one of: [${all.join(' ')}]`,
      };
  } else if (!all.includes(c)) {
    return { kind: 'error', message: `container ${c} is not valid for pod ${podName}` };
  }
  // Not scheduled: the API server has no kubelet to ask and streams nothing.
  if (!spec.nodeName) return { kind: 'empty', container: c };

  const st = pod.status ?? {};
  const cs = [
    ...(st.containerStatuses ?? []),
    ...(st.initContainerStatuses ?? []),
    ...(st.ephemeralContainerStatuses ?? []),
  ].find((s) => s.name === c);
  if (!cs) return { kind: 'error', message: `container "${c}" in pod "${podName}" is not available` };
  const last = cs.lastState?.terminated;
  const { waiting, running, terminated } = cs.state ?? {};
  const prevInstance: LogDecision = { kind: 'read', container: c, instance: 'previous' };
  const terminatedMsg = `container "${c}" in pod "${podName}" is terminated`;

  if (previous) {
    if (!last?.containerID)
      return { kind: 'error', message: `previous terminated container "${c}" in pod "${podName}" not found` };
    return prevInstance;
  }
  if (running) return { kind: 'read', container: c, instance: 'current' };
  if (terminated) {
    if (terminated.containerID) return { kind: 'read', container: c, instance: 'current' };
    return last?.containerID ? prevInstance : { kind: 'error', message: terminatedMsg };
  }
  if (last) return last.containerID ? prevInstance : { kind: 'error', message: terminatedMsg };
  if (waiting) {
    const reason = waiting.reason ?? '';
    const why =
      reason === 'ErrImagePull'
        ? "image can't be pulled"
        : reason === 'ImagePullBackOff'
          ? 'trying and failing to pull image'
          : reason;
    return { kind: 'error', message: `container "${c}" in pod "${podName}" is waiting to start: ${why}` };
  }
  return { kind: 'error', message: `container "${c}" in pod "${podName}" is waiting to start - no logs yet` };
}
