import { type DiagnosePayload, formatTarget, jobIdFor, type TargetRef } from '../jobs/contracts/index.js';
import { type Queues, queueUnavailable, withDeadline } from './queues.js';
import type { RequestStore } from './store.js';

export interface DiagnoseRequest {
  cluster: string;
  target: TargetRef;
  userId: string;
  channelId: string;
  teamId?: string;
  /** Unique per Slack interaction: the job id derives from it, so a redelivered request makes no second job. */
  triggerId: string;
  /** Post into this thread (a re-run clicked inside a thread) instead of starting one. */
  threadTs?: string;
}

/**
 * Records a request and queues its job. Both go to Redis before the handler
 * acks, so an acknowledged request cannot be lost; if Redis does not answer,
 * nothing is queued and a queue_unavailable error says so. A redelivered
 * request (same trigger) finds its record and job and is reported as a duplicate.
 */
export async function submitDiagnose(
  d: { queues: Queues; store: RequestStore; enqueueTimeoutMs: number },
  r: DiagnoseRequest,
): Promise<{ jobId: string; duplicate: boolean }> {
  const jobId = jobIdFor({
    teamId: r.teamId,
    channelId: r.channelId,
    userId: r.userId,
    triggerId: r.triggerId,
  });
  const payload: DiagnosePayload = {
    version: 1,
    action: 'diagnose',
    cluster: r.cluster,
    target: r.target,
    requester: { userId: r.userId, channelId: r.channelId, ...(r.teamId ? { teamId: r.teamId } : {}) },
    requestedAt: new Date().toISOString(),
  };
  let duplicate = false;
  try {
    duplicate = Boolean(await withDeadline(d.store.get(jobId), d.enqueueTimeoutMs));
    if (!duplicate) {
      await withDeadline(
        d.store.create({
          jobId,
          cluster: r.cluster,
          channel: r.channelId,
          user: r.userId,
          target: formatTarget(r.target),
          targetRef: r.target,
          threadTs: r.threadTs,
        }),
        d.enqueueTimeoutMs,
      );
    }
  } catch (e) {
    throw queueUnavailable(e);
  }
  try {
    await d.queues.addDiagnose(jobId, payload);
  } catch (e) {
    if (!duplicate) await d.store.drop({ jobId, cluster: r.cluster }).catch(() => undefined);
    throw e;
  }
  return { jobId, duplicate };
}
