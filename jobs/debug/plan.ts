/**
 * Resolves a debug or connectivity request to what approvers (and the signature) see before anything is
 * added: the pod and its UID, the container whose namespaces the debug container joins, the image, the exact
 * argv, kubectl's profile as a securityContext, how many ephemeral containers the pod carries already, and for
 * a copy its name and how long it stays. Read-only: one GET of the pod.
 */
import { profileCapabilities, profileSecurityContext } from '../contracts/debug-profiles.js';
import { CodedError } from '../contracts/errors.js';
import { DEBUG_LIMITS, type ProbePlan, type ProbeSpec, type ProbeTarget } from '../contracts/probe.js';
import type { DebugPods } from '../k8s/debug-pods.js';
import { apiFailure, KubeApiError } from '../k8s/errors.js';
import type { Pod } from '../k8s/types.js';
import { notRunningRefusal } from './refusals.js';
import { commandText, copyPodName, debugArgv, debugContainerName, profileOf } from './spec.js';

const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

export interface DebugPlanOptions {
  cluster: string;
  requestId: string;
  target: ProbeTarget;
  spec: ProbeSpec;
  /** The worker's poddebug image: what connectivity runs (debug runs the image the policy listed). */
  workerImage: string;
}

export function pickContainer(pod: Pod, target: ProbeTarget): string {
  const ref = `${target.namespace}/${target.pod}`;
  const names = (pod.spec?.containers ?? []).map((c) => c.name);
  const list = names.map((c) => `\`${c}\``).join(', ');
  let name = target.container;
  if (name === undefined) {
    const dflt = pod.metadata?.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
    if (names.length === 1) name = names[0];
    else if (dflt && names.includes(dflt)) name = dflt;
    else
      throw new CodedError(
        'container_not_found',
        `Pod \`${ref}\` has ${names.length} containers (${list}); say which one the debug container should join.`,
        names.map((c) => `Add \`-c ${c}\` to the command.`),
      );
  }
  if (!name || !names.includes(name)) {
    throw new CodedError(
      'container_not_found',
      `Pod \`${ref}\` has no container \`${name}\`; its containers are ${list}.`,
      names.map((c) => `Use \`-c ${c}\`.`),
    );
  }
  return name;
}

/** Why an ephemeral container could not start in this pod now, or undefined. */
export function ephemeralBlocker(pod: Pod, container: string, target: ProbeTarget): string | undefined {
  const ref = `\`${target.namespace}/${target.pod}\``;
  if (pod.metadata?.deletionTimestamp) return `Pod ${ref} is being deleted`;
  const phase = pod.status?.phase ?? 'Unknown';
  if (!pod.spec?.nodeName) return `Pod ${ref} is not scheduled to a node yet (phase ${phase})`;
  if (phase !== 'Running') return `Pod ${ref} is not running (phase ${phase})`;
  const st = (pod.status?.containerStatuses ?? []).find((s) => s.name === container);
  if (!st?.state?.running) {
    const w = st?.state?.waiting;
    const t = st?.state?.terminated;
    const state = w
      ? `waiting (${w.reason ?? 'no reason'})`
      : t
        ? `terminated (${t.reason ?? 'no reason'}, exit ${t.exitCode})`
        : 'not started';
    return `Container \`${container}\` of pod ${ref} is ${state}, not running, and a debug container joins a running container's namespaces`;
  }
  return undefined;
}

export async function readPod(pods: DebugPods, target: ProbeTarget, cluster: string): Promise<Pod> {
  try {
    return await pods.getPod(target.namespace, target.pod);
  } catch (e) {
    if (e instanceof KubeApiError && e.status === 404)
      throw new CodedError(
        'pod_not_found',
        `No pod \`${target.pod}\` in namespace \`${target.namespace}\` on \`${cluster}\`.`,
        [`Check the name with \`kubectl get pods -n ${target.namespace}\`.`],
      );
    throw apiFailure(e, `pod ${target.namespace}/${target.pod}`, cluster);
  }
}

export async function planDebug(pods: DebugPods, o: DebugPlanOptions): Promise<ProbePlan> {
  const { spec, target } = o;
  if (spec.action !== 'debug' && spec.action !== 'connectivity')
    throw new Error(`${spec.action} is not a debug action`);
  const pod = await readPod(pods, target, o.cluster);
  const container = pickContainer(pod, target);
  const copy = spec.action === 'debug' ? spec.copy : undefined;
  if (!copy) {
    const blocker = ephemeralBlocker(pod, container, target);
    if (blocker) throw notRunningRefusal({ ...target, cluster: o.cluster, container, spec }, blocker);
  }
  const profile = profileOf(spec);
  const name = debugContainerName(o.requestId);
  const argv = debugArgv(spec);
  const sc = profileSecurityContext(profile);
  const scText = sc ? JSON.stringify(sc) : '{} (none: the runtime’s defaults)';
  const st = (pod.status?.containerStatuses ?? []).find((s) => s.name === container);
  const image = spec.action === 'debug' ? spec.image : o.workerImage;
  const copyName = copy ? copyPodName(target.pod, o.requestId) : undefined;
  const sa = pod.spec?.serviceAccountName ?? 'default';
  const privileges = copy
    ? [
        `a new pod \`${copyName}\` in namespace ${target.namespace}, copied from the pod: same service account (${sa}), volumes, secrets and environment`,
        `container \`${container}\` runs \`sleep\` instead of its command; labels and probes removed (no Service routes to it)`,
        `debug container \`${name}\` in it, securityContext ${scText} (kubectl debug profile ${profile}), sharing the process namespace`,
      ]
    : [
        `ephemeral container \`${name}\` added to the pod for good (ephemeral containers cannot be removed)`,
        `joins the namespaces of container \`${container}\` (targetContainerName)`,
        `securityContext ${scText} (kubectl debug profile ${profile})`,
      ];
  const caps = [
    `the worker waits ${DEBUG_LIMITS.commandSec} s for the command`,
    'output redacted; long output uploaded as a file',
    ...(copy
      ? [
          copy.keepSec === 0
            ? 'copy deleted when the command ends'
            : `copy deleted ${Math.round(copy.keepSec / 60)} min after the command (a reaper deletes leftovers)`,
        ]
      : []),
  ];
  const ephemeralCount = (pod.spec?.ephemeralContainers ?? []).length;
  return {
    cluster: o.cluster,
    namespace: target.namespace,
    pod: target.pod,
    podUid: pod.metadata?.uid ?? '',
    container,
    containerId: st?.containerID ?? '',
    node: copy ? '(chosen by the scheduler)' : (pod.spec?.nodeName ?? ''),
    image: (pod.spec?.containers ?? []).find((c) => c.name === container)?.image ?? '',
    spec,
    commandLine: commandText(argv),
    privileges,
    caps,
    overhead: copy
      ? `The copy runs with the workload's identity (service account ${sa}) and may reach what it reaches; it receives no Service traffic.`
      : `Ephemeral containers cannot be removed: \`${name}\` stays in the pod's spec (stopped once the command ends) until the pod is replaced. The pod carries ${ephemeralCount} already.`,
    probeImage: image,
    capabilities: profileCapabilities(profile),
    debug: {
      containerName: name,
      securityContext: scText,
      argv,
      ephemeralContainers: ephemeralCount,
      ...(copy && copyName ? { copyPod: copyName, keepSec: copy.keepSec } : {}),
    },
  };
}
