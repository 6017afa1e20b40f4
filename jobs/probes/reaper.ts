/**
 * Server-side clean-up of probe pods (clients that clean up only from the
 * client leave orphans: ksniff#173, kubectl#1681). Lists the probe namespace
 * with the probe label selector only, and deletes each pod whose job is no
 * longer active or whose deadline annotation has passed. The worker runs it
 * at start-up and every 30 s.
 */

import type { ProbePods } from '../k8s/probe-pods.js';
import type { Pod } from '../k8s/types.js';
import { ANNOTATIONS, LABELS, PROBE_SELECTOR } from './pod-spec.js';

export type ReapReason = 'deadline_passed' | 'job_not_active' | 'no_job';

export interface Reaped {
  pod: string;
  jobId?: string;
  reason: ReapReason;
  /** Human-readable detail for the log. */
  detail: string;
}

export interface ReapOptions {
  /** The probe namespace (must equal pods.namespace; checked). */
  namespace: string;
  /** True while the BullMQ job that created the pod is still being worked on. */
  isJobActive(jobId: string): Promise<boolean>;
  /** Clock; default now. */
  now?: Date;
}

export interface ReapReport {
  deleted: Reaped[];
  /** Pods left alone (job active, deadline ahead). */
  kept: string[];
  /** Pods that should have gone but could not be deleted or checked. */
  errors: { pod: string; error: string }[];
}

function judge(
  pod: Pod,
  now: number,
  active: (jobId: string) => Promise<boolean>,
): Promise<Omit<Reaped, 'pod'> | undefined> {
  const a = pod.metadata?.annotations ?? {};
  const jobId = a[ANNOTATIONS.jobId] ?? pod.metadata?.labels?.[LABELS.job];
  const deadline = a[ANNOTATIONS.deadline] ? Date.parse(a[ANNOTATIONS.deadline]) : Number.NaN;
  if (Number.isFinite(deadline) && deadline <= now)
    return Promise.resolve({
      ...(jobId ? { jobId } : {}),
      reason: 'deadline_passed',
      detail: `deadline ${a[ANNOTATIONS.deadline]} passed`,
    });
  if (!jobId) return Promise.resolve({ reason: 'no_job', detail: 'no job id label or annotation' });
  return active(jobId).then((yes) =>
    yes
      ? undefined
      : { jobId, reason: 'job_not_active' as const, detail: `job ${jobId} is no longer active` },
  );
}

/** Deletes orphaned probe pods; never lists without the probe label selector. */
export async function reapProbePods(pods: ProbePods, o: ReapOptions): Promise<ReapReport> {
  if (o.namespace !== pods.namespace)
    throw new Error(`reaper namespace ${o.namespace} differs from the client's ${pods.namespace}`);
  const now = (o.now ?? new Date()).getTime();
  const report: ReapReport = { deleted: [], kept: [], errors: [] };
  for (const pod of await pods.list(PROBE_SELECTOR)) {
    const name = pod.metadata?.name ?? '';
    if (!name) continue;
    try {
      const verdict = await judge(pod, now, o.isJobActive);
      if (!verdict) {
        report.kept.push(name);
        continue;
      }
      await pods.delete(name, { gracePeriodSeconds: 0 });
      report.deleted.push({ pod: name, ...verdict });
    } catch (e) {
      report.errors.push({ pod: name, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return report;
}
