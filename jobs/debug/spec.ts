/**
 * What a debug request adds to the cluster, as API objects: the ephemeral container (`poddebug-<id>`, kubectl
 * debug's profile, the exact argv, targeting the container's namespaces), and the copy of a pod (labels and
 * probes removed, the target container's command replaced by a sleep, the debug container beside it). Pure.
 */
import type { V1Container, V1EphemeralContainer, V1Pod } from '@kubernetes/client-node';
import { profileSecurityContext } from '../contracts/debug-profiles.js';
import { DEBUG_LIMITS, type ProbePlan, type ProbeSpec } from '../contracts/probe.js';
import { parseRequestId } from '../contracts/request-id.js';
import type { Pod } from '../k8s/types.js';
import { labelValue } from '../probes/pod-spec.js';

/** Labels and annotations of debug copies; the reaper lists by COPY_SELECTOR (never without a selector). */
export const COPY_LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  copy: 'poddebug.io/debug-copy',
  request: 'poddebug.io/request',
} as const;
export const COPY_ANNOTATIONS = {
  copiedFrom: 'poddebug.io/copied-from',
  deleteAfter: 'poddebug.io/delete-after',
  jobId: 'poddebug.io/job-id',
  requester: 'poddebug.io/requester',
} as const;
export const COPY_SELECTOR = `${COPY_LABELS.copy}=true`;

/** Where the connectivity program lives in the poddebug image (built from jobs/debug/program/connectivity.ts). */
export const CONNECTIVITY_PROGRAM = '/app/dist/jobs/debug/program/connectivity.js';

/** Seconds a copy's debug container and sleeping target may take to start. */
export const COPY_START_SEC = 120;

/**
 * `poddebug-<the first 10 of the request id's 24 hex digits>`: recognisable in `kubectl get pod -o yaml`,
 * unique per request (the cluster named in the id is left out: it is the same for every request there).
 */
export function debugContainerName(requestId: string): string {
  return `poddebug-${idHex(requestId).slice(0, 10) || 'x'}`;
}

/** The 24 hex digits that tell a request from the others of its cluster. */
function idHex(requestId: string): string {
  return parseRequestId(requestId) ? requestId.slice(-24) : requestId.replace(/[^0-9a-f]/g, '');
}

/** `<pod>-debug-<8 hex>`, at most 63 characters (a DNS label, so it is also a valid hostname). */
export function copyPodName(pod: string, requestId: string): string {
  const hex = idHex(requestId).slice(0, 8) || 'x';
  const base = pod
    .slice(0, 63 - 7 - hex.length)
    .replace(/\./g, '-')
    .replace(/-+$/, '');
  return `${base}-debug-${hex}`;
}

/** The argv the debug container runs: the user's for debug, the connectivity program for connectivity. */
export function debugArgv(spec: ProbeSpec): string[] {
  if (spec.action === 'debug') return [...spec.argv];
  if (spec.action === 'connectivity') {
    const input = {
      names: [...new Set(spec.targets.map((t) => t.host))],
      tcp: spec.targets.filter((t) => t.port !== undefined).map((t) => ({ host: t.host, port: t.port! })),
      timeoutMs: 3000,
    };
    return ['node', CONNECTIVITY_PROGRAM, Buffer.from(JSON.stringify(input)).toString('base64url')];
  }
  throw new Error(`${spec.action} is not run in a debug container`);
}

/** The profile a request runs under: connectivity always with `general`. */
export function profileOf(spec: ProbeSpec) {
  return spec.action === 'debug' ? spec.profile : 'general';
}

/** The argv as a person reads it (each word quoted only when it needs to be). */
export function commandText(argv: readonly string[]): string {
  return argv.map((w) => (/^[A-Za-z0-9_./:=,@%+-]+$/.test(w) ? w : JSON.stringify(w))).join(' ');
}

/** The ephemeral container the plan describes, as `kubectl debug --target … --profile …` would send it. */
export function ephemeralContainer(plan: ProbePlan): V1EphemeralContainer {
  const d = plan.debug!;
  const sc = profileSecurityContext(profileOf(plan.spec));
  return {
    name: d.containerName,
    image: plan.probeImage,
    imagePullPolicy: 'IfNotPresent',
    command: [...d.argv],
    targetContainerName: plan.container,
    stdin: false,
    tty: false,
    terminationMessagePolicy: 'File',
    ...(sc ? { securityContext: sc } : {}),
  };
}

/**
 * The copy of `pod` (kubectl debug --copy-to): same namespace and spec, but no labels (no Service or owner
 * selects it), no owner references, no probes, `restartPolicy: Never`, the target container's command replaced
 * by a sleep (so a crash-looping container stays up to be looked at), and a debug container `poddebug-<id>`
 * with the profile's securityContext running the command, sharing the process namespace. The annotation
 * `poddebug.io/delete-after` tells the reaper when to delete it at the latest.
 */
export function copyPodSpec(
  pod: Pod,
  plan: ProbePlan,
  o: { requestId: string; jobId: string; requester: string; now: Date },
): V1Pod {
  const d = plan.debug!;
  const keepSec = d.keepSec ?? DEBUG_LIMITS.defaultKeepSec;
  const lifetimeSec = COPY_START_SEC + DEBUG_LIMITS.commandSec + keepSec;
  const spec = structuredClone(pod.spec ?? { containers: [] }) as NonNullable<V1Pod['spec']>;
  const containers: V1Container[] = spec.containers.map((c) => {
    const copy: V1Container = { ...c };
    delete copy.livenessProbe;
    delete copy.readinessProbe;
    delete copy.startupProbe;
    if (c.name === plan.container) {
      copy.command = ['sleep', String(lifetimeSec)];
      delete copy.args;
    }
    return copy;
  });
  const sc = profileSecurityContext(profileOf(plan.spec));
  containers.push({
    name: d.containerName,
    image: plan.probeImage,
    imagePullPolicy: 'IfNotPresent',
    command: [...d.argv],
    terminationMessagePolicy: 'File',
    ...(sc ? { securityContext: sc } : {}),
  });
  delete spec.ephemeralContainers;
  delete spec.nodeName;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: d.copyPod!,
      namespace: plan.namespace,
      labels: {
        [COPY_LABELS.managedBy]: 'poddebug',
        [COPY_LABELS.copy]: 'true',
        // A label value is at most 63 characters; an id with a long cluster name becomes its hash.
        [COPY_LABELS.request]: labelValue(o.requestId),
      },
      annotations: {
        [COPY_ANNOTATIONS.copiedFrom]: `${plan.namespace}/${plan.pod}`,
        [COPY_ANNOTATIONS.jobId]: o.jobId,
        [COPY_ANNOTATIONS.requester]: o.requester,
        [COPY_ANNOTATIONS.deleteAfter]: new Date(o.now.getTime() + lifetimeSec * 1000).toISOString(),
      },
    },
    spec: {
      ...spec,
      containers,
      restartPolicy: 'Never',
      shareProcessNamespace: true,
      activeDeadlineSeconds: lifetimeSec,
    },
  };
}
