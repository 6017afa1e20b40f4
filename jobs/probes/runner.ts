/**
 * Runs one approved probe: re-checks the target, takes the slots, creates the
 * probe pod, waits for it to finish, reads and verifies its output, and
 * ALWAYS deletes the pod and releases the slots, whatever happened (success,
 * failure, start timeout, deadline, abort). A worker killed mid-run leaves a
 * pod the kubelet stops at its deadline and the reaper deletes, and slots
 * that expire on their own.
 */
import type { Logger } from 'pino';
import type { CodedError } from '../contracts/errors.js';
import type { ProbePlan, ProbeResultLine } from '../contracts/probe.js';
import { apiFailure, KubeApiError } from '../k8s/errors.js';
import type { ProbePods } from '../k8s/probe-pods.js';
import type { Pod } from '../k8s/types.js';
import { probeError } from './errors.js';
import { ProbeOutputError, parseProbeOutput } from './output.js';
import { pickProbeContainer, readTargetPod } from './plan.js';
import { PROBE_CONTAINER, probeDeadlineSec, probePodName, probePodSpec } from './pod-spec.js';
import type { ProbeSlots } from './slots.js';

export interface RunProbePodOptions {
  plan: ProbePlan;
  jobId: string;
  requestId: string;
  /** Slack user ID of the requester. */
  requester: string;
  /** Slack user IDs of the approvers. */
  approvers: string[];
  threadTs?: string;
  channel?: string;
  /** The poddebug image (probe program and tools). */
  image: string;
  /** The dedicated probe namespace; default `pods.namespace`. */
  namespace?: string;
  /** Host path of the CRI socket to mount read-only, when configured. */
  criSocket?: string;
  /** Cancels the run; the probe pod is deleted. */
  abort?: AbortSignal;
  /** How long the pod may stay Pending. Default 30 000. */
  startTimeoutMs?: number;
  /** activeDeadlineSeconds of the probe pod; default probeDeadlineSec(plan). */
  deadlineSec?: number;
  /** First poll interval, growing ×1.5 up to maxPollIntervalMs. Defaults 250 / 2000. */
  pollIntervalMs?: number;
  maxPollIntervalMs?: number;
  /** limitBytes of the log read (artefacts travel base64 through it). Default 64 MiB. */
  logLimitBytes?: number;
  logger: Logger;
}

export interface ProbeRun {
  /** The program's result line (ok, or its own refusal with a code). */
  line: ProbeResultLine;
  /** Verified artefact bytes by name. */
  artefacts: Map<string, Buffer>;
  probePod: string;
  durationMs: number;
  /** The pod's phase when it ended and its container's exit code. */
  phase: 'Succeeded' | 'Failed';
  exitCode: number | null;
}

const DEFAULT_LOG_LIMIT = 64 * 1024 * 1024;

function aborted(): CodedError {
  return probeError('probe_aborted', 'The probe was cancelled before it finished; its pod was removed.');
}

/** Sleeps, waking early (and rejecting) when the signal aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(aborted());
    const onAbort = () => {
      clearTimeout(t);
      reject(aborted());
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Awaits `p` unless the signal aborts first. */
async function unlessAborted<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) throw aborted();
  let onAbort!: () => void;
  const a = new Promise<never>((_, reject) => {
    onAbort = () => reject(aborted());
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([p, a]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** Why a pod has not started, from its status, conditions and events. */
async function whyPending(pods: ProbePods, pod: Pod): Promise<string> {
  const parts: string[] = [];
  for (const s of pod.status?.containerStatuses ?? []) {
    const w = s.state?.waiting;
    if (w?.reason) parts.push(`${w.reason}${w.message ? `: ${w.message}` : ''}`);
  }
  for (const c of pod.status?.conditions ?? [])
    if (c.status === 'False' && (c.reason || c.message))
      parts.push(`${c.type} ${c.reason ?? ''}${c.message ? `: ${c.message}` : ''}`.trim());
  if (pod.status?.reason)
    parts.push(`${pod.status.reason}${pod.status.message ? `: ${pod.status.message}` : ''}`);
  try {
    const events = await pods.events(pod.metadata?.name ?? '', pod.metadata?.uid);
    const warn = events.filter((e) => e.type === 'Warning').slice(-2);
    for (const e of warn) parts.push(`${e.reason ?? 'Warning'}: ${e.message ?? ''}`);
  } catch {
    // Events are a hint; their absence is not the failure.
  }
  if (parts.length === 0)
    return pod.status?.phase === undefined || !pod.status?.conditions?.length
      ? 'no kubelet picked it up (is the node up and Ready?)'
      : `still ${pod.status?.phase}`;
  return [...new Set(parts)].join('; ');
}

function mapCreateError(e: unknown, namespace: string, node: string, cluster: string): CodedError {
  if (e instanceof KubeApiError) {
    if (e.status === 403 && /PodSecurity/i.test(e.message))
      return probeError(
        'probe_forbidden',
        `The probe namespace's Pod Security level forbids privileged probes: label namespace \`${namespace}\` with pod-security.kubernetes.io/enforce=privileged.`,
        [
          `kubectl label namespace ${namespace} pod-security.kubernetes.io/enforce=privileged --overwrite`,
          `The API said: ${e.message}`,
        ],
        { cause: e },
      );
    // The cluster-side guard (deploy/components/probes/admission-policy.yaml): `pods "x" is forbidden:
    // ValidatingAdmissionPolicy 'p' with binding 'b' denied request: <the rule's message>` (422 Invalid by default).
    const vap = /ValidatingAdmissionPolicy '([^']+)'(?: with binding '([^']+)')? denied request: (.*)$/s.exec(
      e.message,
    );
    if (vap)
      return probeError(
        'probe_forbidden',
        `The cluster's admission policy \`${vap[1]}\` refused the probe pod in \`${namespace}\`: ${vap[3]}`,
        [
          `The worker's probe pod must match the guard of deploy/components/probes (admission-policy.yaml): check that its parameters (ConfigMap poddebug-probe-guard in \`${namespace}\`) name this worker's image, pinned by digest, and its ServiceAccount, and criSocket when CRI_SOCKET is set.`,
          `The API said: ${e.message}`,
        ],
        { cause: e },
      );
    if (e.status === 403 && /exceeded quota|quota/i.test(e.message))
      return probeError(
        'probe_forbidden',
        `A ResourceQuota in the probe namespace \`${namespace}\` refused the probe pod: ${e.message}`,
        [
          `Raise the quota of \`${namespace}\` (a probe pod requests 50m CPU / 64Mi, limits 500m / 256Mi), or wait for other probes to end.`,
        ],
        { cause: e },
      );
    if (e.status === 404)
      return probeError(
        'probe_forbidden',
        `The probe namespace \`${namespace}\` does not exist on \`${cluster}\`.`,
        [`Create it (see deploy/) with the label pod-security.kubernetes.io/enforce=privileged.`],
        { cause: e },
      );
    if (e.status === 403 && !/cannot create resource/.test(e.message))
      return probeError(
        'probe_forbidden',
        `The cluster refused the probe pod on node \`${node}\`: ${e.message}`,
        [],
        {
          cause: e,
        },
      );
  }
  return apiFailure(e, `creating the probe pod in ${namespace}`, cluster);
}

/** Runs a probe to the end; see the file comment. */
export async function runProbePod(
  pods: ProbePods,
  slots: ProbeSlots,
  o: RunProbePodOptions,
): Promise<ProbeRun> {
  const t0 = Date.now();
  const { plan, abort, logger } = o;
  const namespace = o.namespace ?? pods.namespace;
  const startTimeoutMs = o.startTimeoutMs ?? 30_000;
  const deadlineSec = o.deadlineSec ?? probeDeadlineSec(plan);
  const log = logger.child({ probe: plan.spec.action, node: plan.node });
  if (abort?.aborted) throw aborted();

  // 0. The image approved is the one this worker runs (a redeployed worker does not run another image).
  if (plan.probeImage !== o.image)
    throw probeError(
      'approval_mismatch',
      `The probe image approved (\`${plan.probeImage}\`) is not the one this worker runs (\`${o.image}\`): the worker was redeployed since approval; nothing ran.`,
      ['Request the probe again so it can be approved with the current probe image.'],
    );

  // 1. The container approved is still the one running.
  const target = { namespace: plan.namespace, pod: plan.pod, container: plan.container };
  const live = pickProbeContainer(
    await unlessAborted(readTargetPod(pods, target, plan.cluster), abort),
    target,
  );
  const changed: string[] = [];
  if (live.podUid !== plan.podUid) changed.push('pod UID');
  if (live.containerId !== plan.containerId) changed.push('container ID');
  if (live.node !== plan.node) changed.push('node');
  if (changed.length > 0)
    throw probeError(
      'container_changed',
      `The ${changed.join(', ')} of \`${plan.namespace}/${plan.pod}\` container \`${plan.container}\` changed since the probe was approved (the container restarted or the pod was replaced); nothing ran.`,
      ['Request the probe again so it can be approved for the container running now.'],
    );

  // 2. Slots: one probe per container, maxPerNode per node.
  const release = await slots.acquire({
    cluster: plan.cluster,
    node: plan.node,
    containerId: plan.containerId,
    jobId: o.jobId,
    action: plan.spec.action,
    requester: o.requester,
    ttlMs: startTimeoutMs + deadlineSec * 1000 + 60_000,
  });
  const name = probePodName(plan.spec.action, o.jobId);
  let attempted = false;
  try {
    if (abort?.aborted) throw aborted();
    const podSpec = probePodSpec(plan, {
      jobId: o.jobId,
      requestId: o.requestId,
      requester: o.requester,
      approvers: o.approvers,
      ...(o.threadTs ? { threadTs: o.threadTs } : {}),
      ...(o.channel ? { channel: o.channel } : {}),
      namespace,
      image: o.image,
      deadlineSec,
      startTimeoutSec: Math.ceil(startTimeoutMs / 1000),
      ...(o.criSocket ? { criSocket: o.criSocket } : {}),
    });

    // 3. Create (a stale pod of an earlier attempt of this same job is removed first).
    attempted = true;
    try {
      await pods.create(podSpec);
    } catch (e) {
      if (!(e instanceof KubeApiError && e.status === 409))
        throw mapCreateError(e, namespace, plan.node, plan.cluster);
      log.warn({ pod: name }, 'a probe pod of an earlier attempt of this job exists: replacing it');
      await pods.delete(name, { gracePeriodSeconds: 0 });
      for (let i = 0; i < 40 && (await pods.get(name)); i++) await sleep(250, abort);
      try {
        await pods.create(podSpec);
      } catch (e2) {
        throw mapCreateError(e2, namespace, plan.node, plan.cluster);
      }
    }
    log.info({ pod: name, namespace }, 'probe pod created');

    // 4. Wait until it ends, honouring the start timeout, the deadline and abort.
    const created = Date.now();
    let runningSince: number | undefined;
    let interval = o.pollIntervalMs ?? 250;
    const maxInterval = o.maxPollIntervalMs ?? 2000;
    let pod: Pod | undefined;
    for (;;) {
      await sleep(interval, abort);
      interval = Math.min(maxInterval, Math.ceil(interval * 1.5));
      pod = await unlessAborted(pods.get(name), abort);
      if (!pod)
        throw probeError(
          'probe_failed',
          `The probe pod \`${name}\` was deleted before it finished (by someone else, or the reaper); no result.`,
        );
      const phase = pod.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') break;
      const now = Date.now();
      if (phase === 'Running') {
        runningSince ??= now;
        // The kubelet enforces activeDeadlineSeconds; this catches a node that stopped reporting.
        if (now - runningSince > deadlineSec * 1000 + 15_000)
          throw probeError(
            'probe_deadline',
            `The probe pod \`${name}\` ran past its deadline of ${deadlineSec} s and was removed.`,
          );
      } else if (now - created > startTimeoutMs) {
        const why = await whyPending(pods, pod);
        throw probeError(
          'probe_start_timeout',
          `The probe pod could not start on node \`${plan.node}\` within ${Math.round(startTimeoutMs / 1000)} s: ${why}.`,
          ['Check the node with `/poddebug diagnose` on a pod there, or `kubectl describe node`.'],
        );
      }
    }
    const phase = pod.status?.phase as 'Succeeded' | 'Failed';
    const cs = (pod.status?.containerStatuses ?? []).find((c) => c.name === PROBE_CONTAINER);
    const exitCode = cs?.state?.terminated?.exitCode ?? null;
    if (phase === 'Failed' && pod.status?.reason === 'DeadlineExceeded')
      throw probeError(
        'probe_deadline',
        `The probe ran past its deadline of ${deadlineSec} s and was stopped by the kubelet; no result.`,
        ['Try a shorter duration; if it keeps happening, the node may be overloaded.'],
      );

    // 5. Output.
    const text = await unlessAborted(
      pods.readLog(name, { container: PROBE_CONTAINER, limitBytes: o.logLimitBytes ?? DEFAULT_LOG_LIMIT }),
      abort,
    );
    try {
      const out = parseProbeOutput(text);
      log.info({ pod: name, phase, exitCode, ok: out.line.ok }, 'probe finished');
      return {
        line: out.line,
        artefacts: out.artefacts,
        probePod: name,
        durationMs: Date.now() - t0,
        phase,
        exitCode,
      };
    } catch (e) {
      if (!(e instanceof ProbeOutputError)) throw e;
      const how = phase === 'Failed' ? `exited with code ${exitCode ?? 'unknown'}` : 'finished';
      throw probeError(
        'probe_failed',
        `The probe program ${how} without a usable result: ${e.message}.`,
        [],
        {
          cause: e,
        },
      );
    }
  } finally {
    if (attempted) {
      try {
        const gone = await pods.delete(name, { gracePeriodSeconds: 0 });
        log.info({ pod: name, deleted: gone }, 'probe pod removed');
      } catch (e) {
        log.error({ err: e, pod: name }, 'could not delete the probe pod; the reaper will');
      }
    }
    try {
      await release();
    } catch (e) {
      log.error({ err: e }, 'could not release the probe slots; they expire on their own');
    }
  }
}
