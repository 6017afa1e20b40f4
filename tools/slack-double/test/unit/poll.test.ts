import { describe, expect, it } from '@jest/globals';
import { type PollFailure, pollUntil } from '../../poll.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The message SlackDouble.waitFor gives, less its dump of calls and messages. */
const describeFailure = (f: PollFailure) =>
  [
    `SlackDouble.waitFor: condition not met within ${f.timeoutMs} ms`,
    ...(f.lastError
      ? [`last predicate error (poll ${f.lastError.poll} of ${f.polls}): ${String(f.lastError.error)}`]
      : []),
    ...(f.pending ? ['still pending'] : []),
  ].join('\n');

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('pollUntil (SlackDouble.waitFor)', () => {
  it('a synchronous predicate: resolves with its first truthy value, after polling while it was falsy', async () => {
    let calls = 0;
    const got: { n: number } = await pollUntil(
      () => (++calls >= 3 ? { n: calls } : undefined),
      2000,
      describeFailure,
    );
    expect(got).toEqual({ n: 3 });
    expect(calls).toBe(3);
  });

  it('an async predicate that becomes truthy later: waits for the resolved value, not the Promise', async () => {
    let ready: string | undefined;
    setTimeout(() => {
      ready = 'posted';
    }, 150);
    const t0 = Date.now();
    let calls = 0;
    const got: string = await pollUntil(
      async () => {
        calls++;
        await sleep(1);
        return ready;
      },
      5000,
      describeFailure,
    );
    expect(got).toBe('posted');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(calls).toBeGreaterThan(1);
  });

  it('an async predicate that resolves false is not done: a boolean condition waits for true', async () => {
    let flag = false;
    setTimeout(() => {
      flag = true;
    }, 100);
    const got: true = await pollUntil(async () => flag, 5000, describeFailure);
    expect(got).toBe(true);
    expect(flag).toBe(true);
  });

  it('an async predicate that never holds: rejects after the timeout with the message, having kept polling', async () => {
    let calls = 0;
    const t0 = Date.now();
    const err = await rejection(
      pollUntil(
        async () => {
          calls++;
          return false;
        },
        200,
        describeFailure,
      ),
    );
    expect(err.message).toBe('SlackDouble.waitFor: condition not met within 200 ms');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(195);
    expect(calls).toBeGreaterThan(3);
  });

  it('an async predicate that always rejects: the wait fails at the timeout and reports the rejection', async () => {
    const boom = new Error('redis: connection refused');
    let calls = 0;
    const t0 = Date.now();
    const err = await rejection(
      pollUntil(
        async () => {
          calls++;
          throw boom;
        },
        200,
        describeFailure,
      ),
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(195);
    expect(err.message).toMatch(/^SlackDouble\.waitFor: condition not met within 200 ms\n/);
    expect(err.message).toContain(
      `last predicate error (poll ${calls} of ${calls}): Error: redis: connection refused`,
    );
    expect(err.cause).toBe(boom);
  });

  it('a predicate that rejects, then holds: the rejection is retried, not fatal', async () => {
    let calls = 0;
    const got = await pollUntil(
      async () => {
        if (++calls < 3) throw new Error('not written yet');
        return 'line';
      },
      2000,
      describeFailure,
    );
    expect(got).toBe('line');
    expect(calls).toBe(3);
  });

  it('a synchronous predicate that throws every time is reported the same way', async () => {
    const err = await rejection(
      pollUntil(
        () => {
          throw new TypeError('bad json');
        },
        50,
        describeFailure,
      ),
    );
    expect(err.message).toMatch(/last predicate error \(poll \d+ of \d+\): TypeError: bad json/);
    expect(err.cause).toBeInstanceOf(TypeError);
  });

  it('a call that never settles does not hold the wait past its timeout', async () => {
    const t0 = Date.now();
    const err = await rejection(pollUntil(() => new Promise<string>(() => {}), 150, describeFailure));
    expect(err.message).toBe('SlackDouble.waitFor: condition not met within 150 ms\nstill pending');
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});
