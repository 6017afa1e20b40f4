/**
 * Job control for the kinds of request on this branch: diagnose and privileged probes. A kind added later
 * (a debug container, a debug copy) registers its own CancelKind with `requests.jobs.register(kind, …)`;
 * `jobs` then lists it and `cancel` stops it through the same flag and message its worker watches.
 */
import { jobIdOf, KEYS } from '../../jobs/contracts/index.js';
import type { Logger } from '../log.js';
import type { Queues } from '../queues.js';
import { describeSpec } from '../render/probe.js';
import type { CancelKind, JobControl } from './job-control.js';
import type { PrivilegedRequests } from './privileged.js';
import type { Req } from './store.js';
import type { RequestThreads } from './thread.js';

/** What a diagnose-kind request does: `diagnose`, or a read (`logs`, `events`, `describe`). */
function actionOf(r: Req): string {
  return r.kind === 'diagnose' ? (r.read?.action ?? 'diagnose') : 'diagnose';
}

/**
 * A diagnose (or a read: logs, events, describe, which run on the same kind) is cancellable while queued or
 * running; a running one finishes its reads and is not posted.
 */
export function diagnoseCancelKind(
  jc: JobControl,
  d: { threads: RequestThreads; logger: Logger },
): CancelKind {
  /** What the status message and the note say happened. */
  const wasText = (running: boolean) => (running ? 'it was running; its result is discarded' : 'nothing ran');
  const final = (running: boolean) => JSON.stringify({ phase: 'cancelled', verdict: wasText(running) });
  return {
    row(r) {
      if (r.kind !== 'diagnose' || !(r.state === 'queued' || r.state === 'running')) return undefined;
      return {
        id: r.id,
        action: actionOf(r),
        target: r.target,
        cluster: r.cluster,
        requester: r.requester,
        createdAt: r.createdAt,
        state: r.state,
      };
    },
    scope(r) {
      return { action: actionOf(r), namespace: r.kind === 'diagnose' ? (r.targetRef?.namespace ?? '') : '' };
    },
    async cancel(r, by) {
      if (r.kind !== 'diagnose') return { status: 'finished', state: r.state };
      const m = await jc.mark(r, ['queued', 'running'], 'replied', by, {
        final: final(r.state === 'running'),
      });
      if (!m.previous) return { status: 'finished', state: m.state ?? r.state };
      const started = await jc.takeBack(r, 'diagnose', m.previous, { final: final(true) });
      if (started) await jc.signalWorkers(r, by);
      const threadTs = r.threadTs ?? r.statusTs;
      if (threadTs) {
        const text = `🚫 <@${by}> cancelled this ${actionOf(r)} with \`/poddebug cancel\`: ${wasText(started)}.`;
        await d.threads
          .postOnce(r, 'note-cancelled', { text }, { threadTs })
          .catch((err: unknown) => d.logger.warn({ err, id: r.id }, 'cancel note not posted'));
      }
      return {
        status: 'cancelled',
        from: started ? 'running' : m.previous,
        said: started
          ? 'it was already reading the cluster (read only); its result will not be posted.'
          : 'it was still queued, so nothing ran.',
      };
    },
  };
}

const PRIVILEGED_OPEN = ['planning', 'pending', 'approved', 'running'] as const;

/**
 * A privileged request is cancellable until it ends: before approval (like the requester's Cancel button,
 * but also by an approver), once approved (the run is taken back and the signed approval marked used, so it
 * can never run), and while it runs (the worker aborts the run, which deletes the probe pod).
 */
export function privilegedCancelKind(
  jc: JobControl,
  d: { queues: Queues; privileged: PrivilegedRequests; redis: import('ioredis').Redis; logger: Logger },
): CancelKind {
  return {
    row(r) {
      if (r.kind !== 'privileged' || !(PRIVILEGED_OPEN as readonly string[]).includes(r.state))
        return undefined;
      const state =
        r.state === 'planning'
          ? 'preparing (the worker resolves the target)'
          : r.state === 'pending'
            ? `waiting for approval (${r.approvers.length} of ${r.needed})`
            : r.state === 'approved'
              ? 'approved, starting'
              : 'running';
      return {
        id: r.id,
        action: describeSpec(r.spec),
        target: `${r.target.namespace}/${r.target.pod}`,
        cluster: r.cluster,
        requester: r.requester,
        createdAt: r.createdAt,
        state,
      };
    },
    scope(r) {
      return r.kind === 'privileged'
        ? { action: r.spec.action, namespace: r.target.namespace }
        : { action: 'probe', namespace: '' };
    },
    async cancel(r, by) {
      if (r.kind !== 'privileged') return { status: 'finished', state: r.state };
      const m = await jc.mark(r, PRIVILEGED_OPEN, 'cancelled', by, {
        decidedBy: by,
        decisionReason: 'cancelled with /poddebug cancel',
        decidedAt: String(jc.now()),
      });
      if (!m.previous) return { status: 'finished', state: m.state ?? r.state };
      if (m.previous === 'planning') {
        await d.queues.removeIfWaiting(r.cluster, jobIdOf(r.id, 'plan')).catch(() => undefined);
      }
      let started = false;
      if (m.previous === 'approved' || m.previous === 'running') {
        started = await jc.takeBack(r, 'run', m.previous);
        // The signed approval is single-use: mark it used, so no worker starts this run afterwards.
        await d.redis.set(KEYS.approvalUsed(r.id), 'cancelled', 'EX', 30 * 24 * 3600, 'NX');
        await jc.signalWorkers(r, by);
      }
      // Not awaited: the thread's final status waits for the request's lock (a running probe's thread may
      // hold it), and the canceller is answered now; the sweep retries a final status that did not land.
      void d.privileged.thread
        .finish(r.id)
        .catch((err: unknown) => d.logger.warn({ err, id: r.id }, 'thread not final yet; the sweep retries'));
      return {
        status: 'cancelled',
        from: started ? 'running' : m.previous,
        said: started
          ? 'it was running: the worker stops the probe and deletes its probe pod; no result will be posted.'
          : m.previous === 'approved'
            ? 'it was approved but had not started: it will not start, and its approval can no longer be used.'
            : 'it had not been approved, so nothing ran.',
      };
    },
  };
}
