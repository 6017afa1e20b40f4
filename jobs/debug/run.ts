/**
 * Runs an approved debug or connectivity request: re-reads the pod (same UID), adds the ephemeral container
 * (or creates the copy), waits for the command with a deadline, reads its output from the container's log and
 * its exit status from the pod's status, and turns them into a result: output redacted, inline when short and
 * a file when long. A copy is deleted at once with `--keep 0`, else the reaper deletes it when its
 * `delete-after` annotation passes (jobs/debug/reaper.ts); a cancelled run deletes it right away.
 */

import {
  type ArtefactMeta,
  CodedError,
  DEBUG_LIMITS,
  type ProbePlan,
  type ProbeResult,
} from '../contracts/index.js';
import type { DebugPods } from '../k8s/debug-pods.js';
import type { Pod } from '../k8s/types.js';
import { type ArtefactInput, sha256 } from '../probes/artefact-store.js';
import { labelValue } from '../probes/pod-spec.js';
import { redactText } from '../redact.js';
import { connectivityOutcome } from './connectivity-result.js';
import { ephemeralBlocker } from './plan.js';
import { debugApiRefusal, notRunningRefusal, type RefusalContext, startRefusal } from './refusals.js';
import { COPY_LABELS, COPY_START_SEC, commandText, copyPodSpec, ephemeralContainer } from './spec.js';

export interface DebugRunOptions {
  plan: ProbePlan;
  requestId: string;
  jobId: string;
  requester: string;
  /** Stores long output for the bot to upload (Redis, with a TTL). */
  storeArtefacts: (items: ArtefactInput[]) => Promise<ArtefactMeta[]>;
  abort?: AbortSignal;
  /** How often the pod's status is read while waiting (ms). Default 500. */
  pollMs?: number;
  /** Longest wait for the command after it started (ms). Default DEBUG_LIMITS.commandSec. */
  commandMs?: number;
  now?: () => Date;
}

/** Bytes of a container's log read at most. */
const LOG_LIMIT_BYTES = 1024 * 1024;

type CState = {
  running?: { startedAt?: string };
  waiting?: { reason?: string; message?: string };
  terminated?: { exitCode?: number; reason?: string; message?: string };
};

function statusOf(pod: Pod, name: string, list: 'ephemeralContainerStatuses' | 'containerStatuses') {
  return (pod.status?.[list] ?? []).find((s) => s.name === name)?.state as CState | undefined;
}

const sleep = (ms: number, abort?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    abort?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

function aborted(): CodedError {
  return new CodedError('probe_aborted', 'The debug request was cancelled while it ran.', []);
}

export async function runDebug(pods: DebugPods, o: DebugRunOptions): Promise<ProbeResult> {
  const { plan } = o;
  const d = plan.debug;
  if (!d || (plan.spec.action !== 'debug' && plan.spec.action !== 'connectivity')) {
    throw new CodedError('invalid_args', 'This job is not a debug request; nothing ran.');
  }
  const ctx: RefusalContext = {
    cluster: plan.cluster,
    namespace: plan.namespace,
    pod: plan.pod,
    container: plan.container,
    spec: plan.spec,
  };
  const started = Date.now();
  const pod = await pods.findPod(plan.namespace, plan.pod);
  if (!pod || pod.metadata?.uid !== plan.podUid) {
    throw new CodedError(
      'container_changed',
      `Pod \`${plan.namespace}/${plan.pod}\` is ${pod ? 'a different pod now (its UID changed)' : 'gone'} since the request was approved; nothing ran.`,
      ['Request it again for the pod that runs now.'],
    );
  }
  const outcome = d.copyPod ? await runInCopy(pods, pod, o, ctx) : await runEphemeral(pods, pod, o, ctx);
  const redacted = redactText(outcome.log);
  const output = redacted.text;
  const notes = [...outcome.notes];
  if (redacted.text !== outcome.log) notes.push('Secrets in the output were redacted.');
  const artefacts: ArtefactInput[] = [];
  let text = output;
  if (Buffer.byteLength(output) > DEBUG_LIMITS.inlineOutputBytes) {
    const bytes = Buffer.from(output);
    artefacts.push({
      meta: {
        name: `${plan.spec.action}-${plan.pod}.txt`.slice(0, 100).replace(/[^A-Za-z0-9._-]/g, '-'),
        contentType: 'text/plain',
        bytes: bytes.length,
        sha256: sha256(bytes),
        truncated: outcome.cut,
        ...(outcome.cut ? { note: `cut at ${LOG_LIMIT_BYTES} bytes` } : {}),
        title: `Output of ${commandText(plan.debug!.argv).slice(0, 80)}`,
      },
      bytes,
    });
    const lines = output.split('\n');
    text = `${lines.slice(-30).join('\n')}`;
    notes.push(`The output is ${bytes.length} bytes: the last 30 lines are shown; all of it is in the file.`);
  }
  const stored = artefacts.length > 0 ? await o.storeArtefacts(artefacts) : [];
  const checks = plan.spec.action === 'connectivity' ? connectivityOutcome(output, plan, ctx) : undefined;
  const findings = checks?.findings ?? [];
  const connectivityText = checks?.text;
  return {
    outcome: 'probed',
    action: plan.spec.action,
    target: {
      namespace: plan.namespace,
      pod: d.copyPod ?? plan.pod,
      container: d.containerName,
      node: outcome.node,
    },
    containerId: outcome.containerId,
    argv: [...d.argv],
    exitCode: outcome.exitCode,
    findings,
    ...(connectivityText !== undefined ? { text: connectivityText } : text ? { text } : {}),
    artefacts: stored,
    notes,
    stats: { durationMs: Date.now() - started, probePod: d.copyPod ?? `${plan.pod}/${d.containerName}` },
  };
}

interface Outcome {
  log: string;
  cut: boolean;
  exitCode: number | null;
  node: string;
  containerId: string;
  notes: string[];
}

async function readLog(
  pods: DebugPods,
  ns: string,
  pod: string,
  container: string,
): Promise<{ log: string; cut: boolean }> {
  const log = await pods.readLog(ns, pod, container, LOG_LIMIT_BYTES).catch(() => '');
  return { log, cut: Buffer.byteLength(log) >= LOG_LIMIT_BYTES };
}

async function runEphemeral(
  pods: DebugPods,
  pod: Pod,
  o: DebugRunOptions,
  ctx: RefusalContext,
): Promise<Outcome> {
  const { plan } = o;
  const d = plan.debug!;
  const blocker = ephemeralBlocker(pod, plan.container, { namespace: plan.namespace, pod: plan.pod });
  if (blocker) throw notRunningRefusal(ctx, blocker);
  if (o.abort?.aborted) throw aborted();
  try {
    await pods.addEphemeralContainer(plan.namespace, plan.pod, ephemeralContainer(plan));
  } catch (e) {
    throw debugApiRefusal(e, ctx, 'ephemeral');
  }
  const end = await waitFor(
    pods,
    plan.namespace,
    plan.pod,
    d.containerName,
    'ephemeralContainerStatuses',
    o,
    ctx,
  );
  const { log, cut } = await readLog(pods, plan.namespace, plan.pod, d.containerName);
  const notes = [
    `Ephemeral container \`${d.containerName}\` stays in pod \`${plan.namespace}/${plan.pod}\` (ephemeral containers cannot be removed).`,
  ];
  if (end.exitCode === null) {
    notes.push(
      `The command was still running after ${Math.round((o.commandMs ?? DEBUG_LIMITS.commandSec * 1000) / 1000)} s: this is its output so far, and it runs on until it exits (an ephemeral container cannot be stopped).`,
    );
  }
  return {
    log,
    cut,
    exitCode: end.exitCode,
    node: end.pod.spec?.nodeName ?? plan.node,
    containerId: end.containerId,
    notes,
  };
}

async function runInCopy(
  pods: DebugPods,
  pod: Pod,
  o: DebugRunOptions,
  ctx: RefusalContext,
): Promise<Outcome> {
  const { plan } = o;
  const d = plan.debug!;
  const copyName = d.copyPod!;
  const body = copyPodSpec(pod, plan, {
    requestId: o.requestId,
    jobId: o.jobId,
    requester: o.requester,
    now: o.now?.() ?? new Date(),
  });
  if (o.abort?.aborted) throw aborted();
  try {
    await pods.createPod(plan.namespace, body);
  } catch (e) {
    throw debugApiRefusal(e, ctx, 'copy');
  }
  try {
    const end = await waitFor(
      pods,
      plan.namespace,
      copyName,
      d.containerName,
      'containerStatuses',
      o,
      ctx,
      COPY_START_SEC * 1000,
    );
    const { log, cut } = await readLog(pods, plan.namespace, copyName, d.containerName);
    const keep = d.keepSec ?? 0;
    const notes: string[] = [];
    if (keep === 0 || o.abort?.aborted) {
      await pods.deletePod(plan.namespace, copyName);
      notes.push(`The copy \`${copyName}\` was deleted.`);
    } else {
      const until = new Date((o.now?.() ?? new Date()).getTime() + keep * 1000).toISOString().slice(11, 16);
      notes.push(
        `The copy \`${copyName}\` stays for ${Math.round(keep / 60)} min (until about ${until} UTC) for \`kubectl exec -n ${plan.namespace} ${copyName} -c ${plan.container} -- …\`; poddebug deletes it then.`,
      );
    }
    if (end.exitCode === null)
      notes.push('The command was still running when the worker stopped waiting: this is its output so far.');
    return {
      log,
      cut,
      exitCode: end.exitCode,
      node: end.pod.spec?.nodeName ?? '',
      containerId: end.containerId,
      notes,
    };
  } catch (e) {
    // Nothing to keep from a copy whose command never ran (or a cancelled one): it goes now.
    await pods.deletePod(plan.namespace, copyName).catch(() => undefined);
    throw e;
  }
}

/** Waits for the container to terminate (or the deadline); throws the refusal when it cannot start. */
async function waitFor(
  pods: DebugPods,
  ns: string,
  podName: string,
  name: string,
  list: 'ephemeralContainerStatuses' | 'containerStatuses',
  o: DebugRunOptions,
  ctx: RefusalContext,
  startMs = 30_000,
): Promise<{ pod: Pod; exitCode: number | null; containerId: string }> {
  const pollMs = o.pollMs ?? 500;
  const commandMs = o.commandMs ?? DEBUG_LIMITS.commandSec * 1000;
  const t0 = Date.now();
  let runningSince: number | undefined;
  for (;;) {
    if (o.abort?.aborted) throw aborted();
    const pod = await pods.findPod(ns, podName);
    if (!pod)
      throw new CodedError('probe_failed', `Pod \`${ns}/${podName}\` was deleted while the command ran.`, []);
    const st = statusOf(pod, name, list);
    const cid = (pod.status?.[list] ?? []).find((s) => s.name === name)?.containerID ?? '';
    if (st?.terminated) {
      const refusal = startRefusal(st, ctx, name);
      if (refusal) throw refusal;
      return { pod, exitCode: st.terminated.exitCode ?? null, containerId: cid };
    }
    if (st) {
      const refusal = startRefusal(st, ctx, name);
      if (refusal) throw refusal;
    }
    const unschedulable = (pod.status?.conditions ?? []).find(
      (c) => c.type === 'PodScheduled' && c.status === 'False',
    );
    if (unschedulable && Date.now() - t0 > Math.min(startMs, 10_000)) {
      throw new CodedError(
        'debug_refused',
        `The copy \`${podName}\` cannot be scheduled: ${unschedulable.message ?? unschedulable.reason ?? 'no node fits'}.`,
        ['Free capacity or debug the pod itself with an ephemeral container (without `--copy`).'],
      );
    }
    if (st?.running && runningSince === undefined) runningSince = Date.now();
    if (runningSince !== undefined && Date.now() - runningSince > commandMs)
      return { pod, exitCode: null, containerId: cid };
    if (runningSince === undefined && Date.now() - t0 > startMs + commandMs) {
      throw new CodedError(
        'probe_start_timeout',
        `The debug container \`${name}\` did not start within ${Math.round((startMs + commandMs) / 1000)} s (${st?.waiting?.reason ?? 'no status'}).`,
        ['Check the pod events with `/poddebug diagnose`.'],
      );
    }
    await sleep(pollMs, o.abort);
  }
}

/** Deletes a request's debug copy, wherever it is (for cancellation): true when one was deleted. */
export async function stopDebugCopy(pods: DebugPods, requestId: string): Promise<boolean> {
  const copies = await pods.listAll(
    `${COPY_LABELS.copy}=true,${COPY_LABELS.request}=${labelValue(requestId)}`,
  );
  let deleted = false;
  for (const p of copies) {
    const ns = p.metadata?.namespace;
    const name = p.metadata?.name;
    if (ns && name && (await pods.deletePod(ns, name))) deleted = true;
  }
  return deleted;
}
