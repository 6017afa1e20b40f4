import { CodedError, type DiagnoseResult, type Progress, type TargetRef } from '../contracts/index.js';
import type { KubeReader } from '../k8s/client.js';
import { redactFinding } from '../redact.js';
import { findPodToDiagnose, type GatherOptions, gatherOwner, gatherPod, noPodsError } from './gather.js';
import { runRules } from './rules/index.js';
import { createFailedFindings } from './rules/owner.js';

export interface DiagnoseDeps extends GatherOptions {
  reader: KubeReader;
  progress?: (p: Progress) => Promise<void> | void;
}

/**
 * diagnose, in one place for the worker and the CLI: resolve the target,
 * gather, run the rules.
 */
export async function diagnose(target: TargetRef, deps: DiagnoseDeps): Promise<DiagnoseResult> {
  const started = performance.now();
  const before = deps.reader.requestCount();
  await deps.progress?.({ stage: 'resolving' });
  const resolved = await findPodToDiagnose(deps.reader, target, deps);
  if (resolved.kind === 'ambiguous') {
    return { outcome: 'ambiguous', name: resolved.name, candidates: resolved.candidates };
  }
  if (resolved.kind === 'no-pods') {
    // No pod to judge: what the owner's controller says is the answer, when it says why.
    await deps.progress?.({ stage: 'gathering', detail: `${resolved.namespace}/${resolved.name}` });
    const o = await gatherOwner(deps.reader, resolved);
    const findings = createFailedFindings({
      owners: o.owners,
      quotas: o.quotas,
      ns: resolved.namespace,
      now: deps.now().getTime(),
    }).map(redactFinding);
    if (findings.length === 0) throw noPodsError(resolved.apiKind, resolved.namespace, resolved.name);
    return {
      outcome: 'diagnosed',
      target: { kind: resolved.apiKind, namespace: resolved.namespace, name: resolved.name },
      owner: { kind: resolved.apiKind, name: resolved.name, reason: 'it has no pods' },
      siblings: [],
      findings,
      gaps: o.gaps,
      stats: {
        apiRequests: deps.reader.requestCount() - before,
        durationMs: Math.round(performance.now() - started),
      },
    };
  }
  const pod = resolved.pod;
  const podName = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
  if (target.container) {
    const names = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => c.name);
    if (!names.includes(target.container)) {
      throw new CodedError('invalid_args', `Pod \`${podName}\` has no container \`${target.container}\`.`, [
        `Its containers: ${names.join(', ')}. Pick one with -c NAME, or leave -c out.`,
      ]);
    }
  }
  await deps.progress?.({ stage: 'gathering', detail: podName });
  const gathered = await gatherPod(deps.reader, pod, {
    ...deps,
    container: target.container,
    known: resolved.known,
    gaps: resolved.gaps,
  });
  await deps.progress?.({ stage: 'analysing', detail: podName });
  // Evidence quotes logs and messages: secrets are redacted before anything leaves the worker.
  const findings = runRules(gathered, { container: target.container }).map(redactFinding);
  return {
    outcome: 'diagnosed',
    target: { kind: 'Pod', namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '' },
    owner: resolved.owner,
    siblings: resolved.siblings,
    findings,
    gaps: gathered.gaps,
    stats: {
      apiRequests: deps.reader.requestCount() - before,
      durationMs: Math.round(performance.now() - started),
    },
  };
}
