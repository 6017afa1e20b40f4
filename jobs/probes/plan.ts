/**
 * Resolves a probe request to the exact container, node and command before
 * anyone approves it. Read-only: one GET of the target pod.
 */

import { isIP } from 'node:net';
import {
  HOST_SCOPE_BY_ACTION,
  type HostScope,
  PROBE_LIMITS,
  type ProbePlan,
  type ProbeSpec,
  type ProbeTarget,
} from '../contracts/probe.js';
import { commandLine, probeDurationSec } from '../contracts/probe-argv.js';
import { apiFailure, KubeApiError } from '../k8s/errors.js';
import type { ProbePods } from '../k8s/probe-pods.js';
import type { Pod } from '../k8s/types.js';
import { probeError } from './errors.js';
import { probeCapabilities, probeDeadlineSec, probePrivileges } from './pod-spec.js';

export const STRACE_OVERHEAD =
  'strace stops the target at every syscall: expect it to run many times slower while traced';

/** Added to the overhead warning when the trace prints data buffers (`--data`). */
export const STRACE_DATA_WARNING = `Data buffers are captured: up to ${PROBE_LIMITS.straceStringLength} bytes of everything the process reads, writes, sends and receives, and the arguments of programs it starts, go into the results posted to this channel. Known secret shapes are redacted; others (personal data, unknown tokens) are not.`;

/** The overhead (and privacy) warning approvers see, for actions that have one. */
export function probeOverhead(spec: ProbeSpec): string | undefined {
  if (spec.action !== 'strace') return undefined;
  return spec.data ? `${STRACE_OVERHEAD}. ${STRACE_DATA_WARNING}` : STRACE_OVERHEAD;
}

const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

/** The parts of a plan read from the live pod. */
export interface ResolvedTarget {
  podUid: string;
  container: string;
  containerId: string;
  node: string;
  image: string;
}

/** Picks the container and checks it can be probed; throws a CodedError saying why not. */
export function pickProbeContainer(pod: Pod, target: ProbeTarget): ResolvedTarget {
  const ref = `${target.namespace}/${target.pod}`;
  const containers = (pod.spec?.containers ?? []).map((c) => c.name);
  const list = containers.map((c) => `\`${c}\``).join(', ');
  let name = target.container;
  if (name === undefined) {
    const dflt = pod.metadata?.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
    if (containers.length === 1) name = containers[0];
    else if (dflt && containers.includes(dflt)) name = dflt;
    else
      throw probeError(
        'container_not_found',
        `Pod \`${ref}\` has ${containers.length} containers (${list}); say which one to probe.`,
        containers.map((c) => `Add \`-c ${c}\` to the command.`),
      );
  }
  if (!name || !containers.includes(name)) {
    const initOnly = (pod.spec?.initContainers ?? []).some((c) => c.name === name);
    throw probeError(
      'container_not_found',
      `Pod \`${ref}\` has no container \`${name}\`${initOnly ? ' (it is an init container: only regular containers can be probed)' : ''}; its containers are ${list}.`,
      containers.map((c) => `Use \`-c ${c}\`.`),
    );
  }
  const node = pod.spec?.nodeName;
  if (!node)
    throw probeError(
      'not_running',
      `Pod \`${ref}\` is not bound to a node yet (phase ${pod.status?.phase ?? 'unknown'}), so there is nothing to probe.`,
      [`Run \`/poddebug diagnose ${target.pod} -n ${target.namespace}\` to see why it is not scheduled.`],
    );
  const st = (pod.status?.containerStatuses ?? []).find((s) => s.name === name);
  const running = st?.state?.running;
  if (!st || !running || !st.containerID) {
    const w = st?.state?.waiting;
    const t = st?.state?.terminated;
    const state = w
      ? `waiting (${w.reason ?? 'no reason'}${w.message ? `: ${w.message}` : ''})`
      : t
        ? `terminated (${t.reason ?? 'no reason'}, exit code ${t.exitCode})`
        : st
          ? 'not started'
          : 'without status';
    throw probeError(
      'not_running',
      `Container \`${name}\` of pod \`${ref}\` is ${state}, not running: a probe needs a running process.`,
      [`Run \`/poddebug diagnose ${target.pod} -n ${target.namespace}\` to see why.`],
    );
  }
  const spec = (pod.spec?.containers ?? []).find((c) => c.name === name);
  return {
    podUid: pod.metadata?.uid ?? '',
    container: name,
    containerId: st.containerID,
    node,
    image: spec?.image ?? st.image ?? '',
  };
}

/** Reads the target pod; 404 → pod_not_found, other API failures as diagnose maps them. */
export async function readTargetPod(pods: ProbePods, target: ProbeTarget, cluster: string): Promise<Pod> {
  try {
    return await pods.getTargetPod(target.namespace, target.pod);
  } catch (e) {
    if (e instanceof KubeApiError && e.status === 404)
      throw probeError(
        'pod_not_found',
        `No pod \`${target.pod}\` in namespace \`${target.namespace}\` on \`${cluster}\`.`,
        [`Check the name with \`kubectl get pods -n ${target.namespace}\`.`],
        { cause: e },
      );
    throw apiFailure(e, `pod ${target.namespace}/${target.pod}`, cluster);
  }
}

function caps(spec: ProbeSpec, deadlineSec: number): string[] {
  const out: string[] = [];
  const dur = probeDurationSec(spec);
  switch (spec.action) {
    case 'strace':
      out.push(
        `${dur} s`,
        spec.data
          ? `data buffers cut at ${PROBE_LIMITS.straceStringLength} bytes`
          : 'no data buffers (calls, paths, addresses and errors only)',
      );
      if (spec.full) out.push(`full trace ≤ ${PROBE_LIMITS.maxArtefactBytes / 1048576} MiB`);
      break;
    case 'tcpdump':
      out.push(
        `${dur} s`,
        'snap length 128 bytes',
        '≤ 10000 packets',
        `pcap ≤ ${PROBE_LIMITS.maxArtefactBytes / 1048576} MiB`,
      );
      break;
    case 'mem':
      if (spec.watchSec) out.push(`${spec.watchSec} s of samples`);
      break;
    default:
      break;
  }
  out.push(`probe pod killed after ${deadlineSec} s and deleted when done`);
  return out;
}

/**
 * The host namespaces this action would see whole on this target: those the pod shares with the node
 * (`hostNetwork`, `hostPID`) among those the action works in. Undefined when none. Pure.
 */
export function targetHostScope(pod: Pod, action: ProbeSpec['action']): HostScope | undefined {
  const shared: Record<keyof HostScope, boolean> = {
    network: pod.spec?.hostNetwork === true,
    pid: pod.spec?.hostPID === true,
  };
  const scope: HostScope = {};
  for (const ns of HOST_SCOPE_BY_ACTION[action]) if (shared[ns]) scope[ns] = true;
  return Object.keys(scope).length > 0 ? scope : undefined;
}

/** Resolves a name as the target pod would (its namespace's search path); [] when it does not resolve. */
export type PlanResolver = (name: string, ctx: { namespace: string; pod: Pod }) => Promise<string[]>;

export interface PlanOptions {
  cluster: string;
  target: ProbeTarget;
  spec: ProbeSpec;
  /** The poddebug image the probe pod runs (shown to approvers, bound by the approval). */
  image: string;
  /** netcheck: resolve the target names at plan time (the bot checks the addresses against its policy). */
  resolve?: PlanResolver;
  /** CRI socket mounted into the probe pod, when configured. */
  criSocket?: string;
}

/** Resolves target, node and command line into the plan approvers see. */
export async function planProbe(pods: ProbePods, o: PlanOptions): Promise<ProbePlan> {
  const pod = await readTargetPod(pods, o.target, o.cluster);
  const r = pickProbeContainer(pod, o.target);
  const overhead = probeOverhead(o.spec);
  const privileges = probePrivileges(
    { node: r.node, spec: o.spec },
    o.criSocket ? { criSocket: o.criSocket } : {},
  );
  const hostScope = targetHostScope(pod, o.spec.action);
  const resolved =
    o.spec.action === 'netcheck' && o.resolve
      ? await resolveTargets(o.spec.targets, o.resolve, { namespace: o.target.namespace, pod })
      : undefined;
  return {
    cluster: o.cluster,
    namespace: o.target.namespace,
    pod: o.target.pod,
    podUid: r.podUid,
    container: r.container,
    containerId: r.containerId,
    node: r.node,
    image: r.image,
    spec: o.spec,
    commandLine: commandLine(o.spec),
    privileges,
    caps: caps(o.spec, probeDeadlineSec({ spec: o.spec })),
    ...(overhead ? { overhead } : {}),
    probeImage: o.image,
    capabilities: probeCapabilities(o.spec.action),
    ...(hostScope ? { hostScope } : {}),
    ...(resolved ? { resolved } : {}),
  };
}

async function resolveTargets(
  targets: Array<{ host: string }>,
  resolve: PlanResolver,
  ctx: { namespace: string; pod: Pod },
): Promise<NonNullable<ProbePlan['resolved']>> {
  const names = [...new Set(targets.map((t) => t.host).filter((h) => isIP(h) === 0))];
  return Promise.all(
    names.map(async (name) => ({
      name,
      addresses: (await resolve(name, ctx).catch(() => [])).slice(0, 32),
    })),
  );
}
