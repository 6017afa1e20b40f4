import { describe, expect, it } from '@jest/globals';
import { type Job, UnrecoverableError } from 'bullmq';
import {
  DIAGNOSE_JOB,
  type DiagnosePayload,
  decodeFailure,
  PROBE_PLAN_JOB,
  PROBE_RUN_JOB,
} from '../../../jobs/contracts/index.js';
import type { KubeReader } from '../../../jobs/k8s/client.js';
import { KubeApiError } from '../../../jobs/k8s/errors.js';
import { createLogger } from '../../../jobs/log.js';
import { makeProcessor } from '../../../jobs/worker.js';

/** The dispatch by job name and how a handler's failure becomes a retry or a final refusal. */

const payload = (over: Partial<DiagnosePayload> = {}): DiagnosePayload => ({
  version: 1,
  action: 'diagnose',
  cluster: 'prod',
  target: { kind: 'pod', name: 'api-1', namespace: 'shop' },
  requester: { userId: 'U123', channelId: 'C123' },
  requestedAt: '2026-11-20T10:00:00Z',
  ...over,
});

const job = (name: string, data: unknown, attemptsMade = 0) =>
  ({
    id: 'j1',
    name,
    data,
    attemptsMade,
    opts: { attempts: 3 },
    updateProgress: async () => {},
  }) as unknown as Job;

/** A reader whose every read fails as an unreachable API server would. */
const unreachable = (): KubeReader => {
  const fail = () => Promise.reject(new KubeApiError(0, 'ECONNREFUSED', 'connect ECONNREFUSED', 'get pods'));
  return { getPod: fail, findPodsByName: fail, requestCount: () => 1 } as unknown as KubeReader;
};

const processor = makeProcessor({
  cluster: 'prod',
  reader: unreachable,
  logger: createLogger('silent'),
  jobTimeoutMs: 5000,
  logTailLines: 10,
  logLimitBytes: 1000,
});

/** Runs the processor; returns the thrown error, whether BullMQ would retry it, and the user-facing failure. */
async function failure(j: Job) {
  const e = await processor(j).then(
    () => undefined,
    (x: unknown) => x as Error,
  );
  if (!e) throw new Error('the job did not fail');
  return { retried: !(e instanceof UnrecoverableError), failure: decodeFailure(e.message) };
}

describe('worker dispatch', () => {
  it('refuses a job name it has no handler for, without retry', async () => {
    const f = await failure(job('logs', {}));
    expect(f.retried).toBe(false);
    expect(f.failure.code).toBe('invalid_args');
    expect(f.failure.message).toContain('`logs`');
  });

  it('refuses a diagnose payload that does not parse', async () => {
    const f = await failure(job(DIAGNOSE_JOB, { ...payload(), target: { kind: 'pod', name: 'Bad Name' } }));
    expect(f).toMatchObject({ retried: false, failure: { code: 'invalid_args' } });
  });

  it("refuses a diagnose job meant for another cluster's worker", async () => {
    const f = await failure(job(DIAGNOSE_JOB, payload({ cluster: 'staging' })));
    expect(f).toMatchObject({ retried: false, failure: { code: 'unknown_cluster' } });
  });

  it('hands a diagnose job to its handler: an unreachable API server is retried, then final', async () => {
    expect(await failure(job(DIAGNOSE_JOB, payload()))).toMatchObject({
      retried: true,
      failure: { code: 'cluster_unreachable' },
    });
    expect(await failure(job(DIAGNOSE_JOB, payload(), 2))).toMatchObject({
      retried: false,
      failure: { code: 'cluster_unreachable' },
    });
  });

  it.each([PROBE_PLAN_JOB, PROBE_RUN_JOB])('refuses %s on a worker not set up for probes', async (name) => {
    const f = await failure(job(name, {}));
    expect(f.retried).toBe(false);
    expect(f.failure.code).toBe('invalid_args');
    expect(f.failure.message).toContain('not set up for privileged probes');
  });
});
