import { describe, expect, it } from '@jest/globals';
import { DeadlineExceeded, withDeadline } from '../../../../jobs/contracts/index.js';
import { withTimeout } from '../../../../jobs/timeout.js';

const never = () => new Promise<never>(() => {});
const later = <T>(v: T, ms: number) => new Promise<T>((r) => setTimeout(() => r(v), ms));

describe('withDeadline', () => {
  it('answers with the value when it comes in time', async () => {
    await expect(withDeadline(later('ok', 5), 1000)).resolves.toBe('ok');
  });

  it('rejects with a DeadlineExceeded that says how long it waited', async () => {
    const e = await withDeadline(never(), 20).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DeadlineExceeded);
    expect((e as DeadlineExceeded).message).toBe('no answer within 20 ms');
    expect((e as DeadlineExceeded).ms).toBe(20);
  });

  it("passes the promise's own failure through unchanged", async () => {
    const boom = new Error('boom');
    const e = await withDeadline(Promise.reject(boom), 1000).catch((x: unknown) => x);
    expect(e).toBe(boom);
    expect(e).not.toBeInstanceOf(DeadlineExceeded);
  });
});

describe('withTimeout (the worker side)', () => {
  it('turns the deadline into the error the caller builds', async () => {
    const e = await withTimeout(never(), 20, () => new Error('diagnose took too long')).catch(
      (x: unknown) => x,
    );
    expect((e as Error).message).toBe('diagnose took too long');
  });

  it("keeps the promise's own failure", async () => {
    const boom = new Error('boom');
    await expect(withTimeout(Promise.reject(boom), 1000, () => new Error('late'))).rejects.toBe(boom);
  });
});
