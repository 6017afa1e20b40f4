/**
 * The probe pod, as a pure function of the approved plan (no I/O, no clock
 * unless none is given).
 *
 * A bare Pod rather than a Job: a Job would add a controller that re-creates
 * the pod (backoffLimit), a second object to clean up and `ttlSecondsAfterFinished`
 * that only removes *finished* Jobs. We want exactly one attempt, removed the
 * moment we have its log: the runner deletes it in `finally`, the kubelet
 * kills it at `activeDeadlineSeconds`, and the reaper (labels + the deadline
 * annotation) removes whatever a killed worker left behind.
 *
 * Least privilege, per action (all run as uid 0 so /proc of other users'
 * processes is reachable; every capability is dropped, then only these added):
 *
 * | action   | capabilities                                    | why |
 * |----------|-------------------------------------------------|-----|
 * | strace   | SYS_PTRACE                                      | ptrace attach; seccomp Unconfined (RuntimeDefault filters ptrace on some runtimes/kernels) |
 * | mem      | SYS_PTRACE                                      | /proc/PID/smaps_rollup needs ptrace read access; host cgroup fs mounted read-only |
 * | ps       | SYS_PTRACE                                      | /proc/PID/{cmdline,status,exe} of other users' processes |
 * | fds      | SYS_PTRACE                                      | /proc/PID/fd needs ptrace read access |
 * | netcheck | SYS_PTRACE, SYS_ADMIN                           | open /proc/PID/ns/net (ptrace read) and setns (SYS_ADMIN) |
 * | tcpdump  | SYS_PTRACE, SYS_ADMIN, NET_RAW, SETUID, SETGID  | nsenter as netcheck; a packet socket (NET_RAW); tcpdump drops root to its own user after opening the capture (SETUID/SETGID) |
 *
 * tcpdump gets no NET_ADMIN: it captures with `-p` (no promiscuous mode) on
 * `any`, which needs only NET_RAW. Nothing is `privileged`, nothing may
 * escalate, the root filesystem is read-only, no service account token is
 * mounted and no service links are injected.
 */
import { createHash } from 'node:crypto';
import type { V1Pod, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { ProbeInput, ProbePlan, ProbeSpec } from '../contracts/probe.js';

type ProbeAction = ProbeSpec['action'];

import { probeDurationSec } from '../contracts/probe-argv.js';

export const DEFAULT_PROBE_NAMESPACE = 'poddebug-probes';
export const PROBE_PROGRAM = '/app/dist/jobs/probes/program/main.js';
export const PROBE_CONTAINER = 'probe';
/** Where the host's cgroup filesystem is mounted (read-only) for mem. */
export const HOST_CGROUP_MOUNT = '/host/sys/fs/cgroup';
export const WORK_DIR = '/tmp';
/** Seconds added to the action's own duration for start-up, PID resolution and streaming the output. */
export const DEADLINE_MARGIN_SEC = 45;

export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  probe: 'poddebug.io/probe',
  job: 'poddebug.io/job',
  action: 'poddebug.io/action',
} as const;
export const ANNOTATIONS = {
  jobId: 'poddebug.io/job-id',
  requestId: 'poddebug.io/request',
  requester: 'poddebug.io/requester',
  approvers: 'poddebug.io/approvers',
  thread: 'poddebug.io/thread',
  target: 'poddebug.io/target',
  containerId: 'poddebug.io/container-id',
  deadline: 'poddebug.io/deadline',
} as const;
/** The selector every probe pod matches (the reaper's list). */
export const PROBE_SELECTOR = `${LABELS.probe}=true`;

const CAPS: Record<ProbeAction, string[]> = {
  strace: ['SYS_PTRACE'],
  mem: ['SYS_PTRACE'],
  ps: ['SYS_PTRACE'],
  fds: ['SYS_PTRACE'],
  netcheck: ['SYS_PTRACE', 'SYS_ADMIN'],
  tcpdump: ['SYS_PTRACE', 'SYS_ADMIN', 'NET_RAW', 'SETUID', 'SETGID'],
  // Not node probes: a probe pod never runs these (jobs/debug/ adds a container to the pod instead).
  debug: [],
  connectivity: [],
};

/** Capabilities added (after dropping ALL) for an action. */
export function probeCapabilities(action: ProbeAction): string[] {
  return [...CAPS[action]];
}

/** seccomp profile type for an action. */
export function probeSeccomp(action: ProbeAction): 'Unconfined' | 'RuntimeDefault' {
  return action === 'strace' ? 'Unconfined' : 'RuntimeDefault';
}

/** What the probe pod is given, for approvers. */
export function probePrivileges(
  plan: Pick<ProbePlan, 'node' | 'spec'>,
  opts: { criSocket?: string } = {},
): string[] {
  const action = plan.spec.action;
  const out = [
    `hostPID (sees every process on node ${plan.node})`,
    ...probeCapabilities(action).map((c) => `CAP_${c}`),
    'root (uid 0), every other capability dropped, no privilege escalation',
    `seccomp ${probeSeccomp(action)}`,
    'read-only root filesystem, no service account token',
  ];
  if (action === 'mem') out.push('/sys/fs/cgroup (read-only)');
  if (opts.criSocket) out.push(`CRI socket ${opts.criSocket} (mounted read-only; the runtime API is not)`);
  return out;
}

/** activeDeadlineSeconds of the probe pod for this plan. */
export function probeDeadlineSec(plan: Pick<ProbePlan, 'spec'>): number {
  return probeDurationSec(plan.spec) + DEADLINE_MARGIN_SEC;
}

/** `poddebug-<action>-<10 hex of sha256(jobId)>`: DNS-1123, ≤ 63 chars, the same for every attempt of a job. */
export function probePodName(action: ProbeAction, jobId: string): string {
  return `poddebug-${action}-${createHash('sha256').update(jobId).digest('hex').slice(0, 10)}`;
}

/** A label value for any string: itself when valid, else a hash. */
export function labelValue(s: string): string {
  return s.length <= 63 && /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(s)
    ? s
    : `h-${createHash('sha256').update(s).digest('hex').slice(0, 40)}`;
}

/** The program's `--input`: base64url of the JSON ProbeInput. */
export function encodeProbeInput(input: ProbeInput): string {
  return Buffer.from(JSON.stringify(input), 'utf8').toString('base64url');
}

export interface ProbePodOptions {
  jobId: string;
  requestId: string;
  /** Slack user ID (and name, when known) of the requester. */
  requester: string;
  /** Slack user IDs of the approvers. */
  approvers: string[];
  threadTs?: string;
  channel?: string;
  /** The dedicated probe namespace (default poddebug-probes). */
  namespace?: string;
  /**
   * The worker's configured poddebug image. The pod runs the plan's `probeImage` (what was approved); the
   * runner refuses a plan whose image differs from this one.
   */
  image: string;
  /** activeDeadlineSeconds; default probeDeadlineSec(plan). */
  deadlineSec?: number;
  /** Host path of the CRI socket, mounted read-only at the same path when set. */
  criSocket?: string;
  /** How long the worker waits for the pod to start, in seconds (counted into the deadline annotation). */
  startTimeoutSec?: number;
  /** The creation time the deadline annotation counts from; default now. */
  now?: Date;
}

/** The probe pod for an approved plan. Pure (given `now`). */
export function probePodSpec(plan: ProbePlan, o: ProbePodOptions): V1Pod {
  const action = plan.spec.action;
  const namespace = o.namespace ?? DEFAULT_PROBE_NAMESPACE;
  const deadlineSec = o.deadlineSec ?? probeDeadlineSec(plan);
  const now = o.now ?? new Date();
  // After this the pod is an orphan whatever happened: start-up wait + the kubelet's deadline + slack.
  const reapAfterMs = ((o.startTimeoutSec ?? 30) + deadlineSec + 30) * 1000;
  const input: ProbeInput = {
    spec: plan.spec,
    containerId: plan.containerId,
    podUid: plan.podUid,
    procRoot: '/proc',
    cgroupRoot: action === 'mem' ? HOST_CGROUP_MOUNT : '/sys/fs/cgroup',
    workDir: WORK_DIR,
    ...(o.criSocket ? { criSocket: o.criSocket } : {}),
    // The approved node-wide scope, if any: without it the program refuses a target sharing the host's namespaces.
    ...(plan.hostScope ? { hostScope: plan.hostScope } : {}),
  };
  const volumes: V1Volume[] = [{ name: 'work', emptyDir: { sizeLimit: '64Mi' } }];
  const mounts: V1VolumeMount[] = [{ name: 'work', mountPath: WORK_DIR }];
  if (action === 'mem') {
    volumes.push({ name: 'host-cgroup', hostPath: { path: '/sys/fs/cgroup', type: 'Directory' } });
    mounts.push({ name: 'host-cgroup', mountPath: HOST_CGROUP_MOUNT, readOnly: true });
  }
  if (o.criSocket) {
    volumes.push({ name: 'cri-socket', hostPath: { path: o.criSocket, type: 'Socket' } });
    mounts.push({ name: 'cri-socket', mountPath: o.criSocket, readOnly: true });
  }
  const thread = o.channel || o.threadTs ? [o.channel, o.threadTs].filter(Boolean).join('/') : '';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: probePodName(action, o.jobId),
      namespace,
      labels: {
        [LABELS.managedBy]: 'poddebug',
        [LABELS.probe]: 'true',
        [LABELS.job]: labelValue(o.jobId),
        [LABELS.action]: action,
      },
      annotations: {
        [ANNOTATIONS.jobId]: o.jobId,
        [ANNOTATIONS.requestId]: o.requestId,
        [ANNOTATIONS.requester]: o.requester,
        [ANNOTATIONS.approvers]: o.approvers.join(','),
        ...(thread ? { [ANNOTATIONS.thread]: thread } : {}),
        [ANNOTATIONS.target]: `${plan.cluster}/${plan.namespace}/${plan.pod}/${plan.container}`,
        [ANNOTATIONS.containerId]: plan.containerId,
        [ANNOTATIONS.deadline]: new Date(now.getTime() + reapAfterMs).toISOString(),
      },
    },
    spec: {
      nodeName: plan.node,
      hostPID: true,
      hostNetwork: false,
      hostIPC: false,
      restartPolicy: 'Never',
      activeDeadlineSeconds: deadlineSec,
      terminationGracePeriodSeconds: 5,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      tolerations: [{ operator: 'Exists' }],
      securityContext: { seccompProfile: { type: probeSeccomp(action) } },
      volumes,
      containers: [
        {
          name: PROBE_CONTAINER,
          // The image approved with the plan (bound by the approval), not whatever the worker is configured with now.
          image: plan.probeImage,
          imagePullPolicy: 'IfNotPresent',
          command: ['node', PROBE_PROGRAM, '--input', encodeProbeInput(input)],
          securityContext: {
            runAsUser: 0,
            runAsGroup: 0,
            runAsNonRoot: false,
            privileged: false,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'], add: probeCapabilities(action) },
            seccompProfile: { type: probeSeccomp(action) },
          },
          resources: {
            requests: { cpu: '50m', memory: '64Mi' },
            limits: { cpu: '500m', memory: '256Mi' },
          },
          volumeMounts: mounts,
          terminationMessagePolicy: 'FallbackToLogsOnError',
        },
      ],
    },
  };
}
