import { describe, expect, it } from '@jest/globals';
import { type Job, UnrecoverableError } from 'bullmq';
import pino from 'pino';
import {
  CodedError,
  DIAGNOSE_JOB,
  DIAGNOSE_JOB_OPTIONS,
  PROBE_PLAN_JOB_OPTIONS,
  TIMEOUT_ATTEMPTS,
} from '../../../../jobs/contracts/index.js';
import type { KubeReader } from '../../../../jobs/k8s/client.js';
import { makeProcessor } from '../../../../jobs/worker.js';

/**
 * Which failures the queue retries, and how often: the worker throws a plain Error to have BullMQ
 * retry (after the backoff) and UnrecoverableError to fail the job for good.
 */

/** A reader whose every call fails with `err`, or never answers when `err` is undefined. */
function reader(err?: Error): KubeReader {
  return new Proxy({} as KubeReader, {
    get: (_, prop) =>
      prop === 'requestCount' ? () => 0 : () => (err ? Promise.reject(err) : new Promise(() => undefined)),
  });
}

function job(attemptsMade: number): Job {
  return {
    id: 'diag-test',
    name: DIAGNOSE_JOB,
    data: {
      version: 1,
      action: 'diagnose',
      requestedAt: '2026-11-20T10:00:00.000Z',
      cluster: 'prod',
      target: { kind: 'pod', name: 'checkout-7d9f-x2', namespace: 'shop' },
      requester: { userId: 'U0TESTUSER', channelId: 'C0TESTCHAN' },
    },
    attemptsMade,
    opts: { ...DIAGNOSE_JOB_OPTIONS },
    updateProgress: async () => undefined,
  } as unknown as Job;
}

function processor(err?: Error) {
  return makeProcessor({
    cluster: 'prod',
    reader: () => reader(err),
    logger: pino({ level: 'silent' }),
    jobTimeoutMs: 50,
    logTailLines: 10,
    logLimitBytes: 1024,
  });
}

/** 'retry' when the processor asks BullMQ for another attempt, 'final' when it fails the job for good. */
async function outcome(run: ReturnType<typeof processor>, attemptsMade: number): Promise<string> {
  try {
    await run(job(attemptsMade));
    return 'succeeded';
  } catch (e) {
    const code = (JSON.parse((e as Error).message) as { code: string }).code;
    return `${e instanceof UnrecoverableError ? 'final' : 'retry'} ${code}`;
  }
}

describe('retries of a read-only job', () => {
  it('diagnose and probe plans retry transient failures 5 times, the waits doubling from 1 s (31 s in all)', () => {
    for (const o of [DIAGNOSE_JOB_OPTIONS, PROBE_PLAN_JOB_OPTIONS]) {
      expect(o.attempts).toBe(6);
      expect(o.backoff).toEqual({ type: 'exponential', delay: 1000 });
    }
  });

  it('an unreachable API server is retried on every attempt but the last', async () => {
    const run = processor(new CodedError('cluster_unreachable', 'Could not reach the API server.'));
    for (let made = 0; made < 5; made++) expect(await outcome(run, made)).toBe('retry cluster_unreachable');
    expect(await outcome(run, 5)).toBe('final cluster_unreachable');
  });

  it(`a timeout (the whole job time limit spent) is retried up to ${TIMEOUT_ATTEMPTS} attempts only`, async () => {
    const run = processor();
    for (let made = 0; made < TIMEOUT_ATTEMPTS - 1; made++)
      expect(await outcome(run, made)).toBe('retry timeout');
    expect(await outcome(run, TIMEOUT_ATTEMPTS - 1)).toBe('final timeout');
  });

  it('a refusal is never retried', async () => {
    const run = processor(new CodedError('forbidden', 'The API refused to get pods.'));
    expect(await outcome(run, 0)).toBe('final forbidden');
  });
});
