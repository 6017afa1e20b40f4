/**
 * Server-side clean-up of debug copies: lists pods in every namespace by the copy label only, and deletes a copy
 * whose `delete-after` annotation has passed (its `--keep` is over), or whose job is neither running nor done
 * (the worker that made it was killed: no result was posted, so nobody is looking at it), or that has no job.
 * The worker runs it at start-up and every 30 s, beside the probe reaper.
 */
import type { DebugPods } from '../k8s/debug-pods.js';
import { COPY_ANNOTATIONS, COPY_SELECTOR } from './spec.js';

/** Where the job that made a copy stands: running (or queued), completed, or failed / gone. */
export type CopyJobState = 'active' | 'completed' | 'gone';

export interface CopyReaped {
  namespace: string;
  pod: string;
  reason: 'keep_over' | 'job_gone' | 'no_job';
}

export async function reapDebugCopies(
  pods: DebugPods,
  o: { jobState(jobId: string): Promise<CopyJobState>; now?: Date },
): Promise<{ deleted: CopyReaped[]; kept: string[]; errors: { pod: string; error: string }[] }> {
  const now = (o.now ?? new Date()).getTime();
  const report = {
    deleted: [] as CopyReaped[],
    kept: [] as string[],
    errors: [] as { pod: string; error: string }[],
  };
  for (const pod of await pods.listAll(COPY_SELECTOR)) {
    const ns = pod.metadata?.namespace ?? '';
    const name = pod.metadata?.name ?? '';
    if (!ns || !name) continue;
    const a = pod.metadata?.annotations ?? {};
    try {
      const after = Date.parse(a[COPY_ANNOTATIONS.deleteAfter] ?? '');
      const jobId = a[COPY_ANNOTATIONS.jobId];
      let reason: CopyReaped['reason'] | undefined;
      if (Number.isFinite(after) && after <= now) reason = 'keep_over';
      else if (!jobId) reason = 'no_job';
      else if ((await o.jobState(jobId)) === 'gone') reason = 'job_gone';
      if (!reason) {
        report.kept.push(`${ns}/${name}`);
        continue;
      }
      await pods.deletePod(ns, name);
      report.deleted.push({ namespace: ns, pod: name, reason });
    } catch (e) {
      report.errors.push({ pod: `${ns}/${name}`, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return report;
}
