import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { Progress } from '../../../../jobs/contracts/index.js';
import { progressReporter } from '../../../../jobs/diagnose/progress.js';

describe('progressReporter', () => {
  let sent: { at: number; p: Progress }[];
  const report = (p: Progress) => {
    sent.push({ at: Date.now() - t0, p });
    return Promise.resolve();
  };
  let t0: number;
  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
    t0 = Date.now();
    sent = [];
  });
  afterEach(() => {
    jest.useRealTimers();
  });
  const o = { delayMs: 1000, everyMs: 1000 };

  it('a job that ends within the delay reports nothing', () => {
    const r = progressReporter(report, o);
    r.progress({ stage: 'resolving' });
    jest.advanceTimersByTime(300);
    r.progress({ stage: 'gathering' });
    r.progress({ stage: 'analysing' });
    r.stop();
    jest.advanceTimersByTime(5000);
    expect(sent).toEqual([]);
  });

  it('a longer job reports the latest stage at the delay, then at most once per interval, only when it changed', () => {
    const r = progressReporter(report, o);
    r.progress({ stage: 'resolving' });
    jest.advanceTimersByTime(200);
    r.progress({ stage: 'gathering', detail: 'shop/a' });
    jest.advanceTimersByTime(800);
    expect(sent).toEqual([{ at: 1000, p: { stage: 'gathering', detail: 'shop/a' } }]);
    jest.advanceTimersByTime(100);
    r.progress({ stage: 'analysing', detail: 'shop/a' });
    jest.advanceTimersByTime(899);
    expect(sent).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(sent.at(-1)).toEqual({ at: 2000, p: { stage: 'analysing', detail: 'shop/a' } });
    jest.advanceTimersByTime(10_000);
    expect(sent).toHaveLength(2);
    r.stop();
  });

  it('reports at once a stage that comes after a quiet interval; nothing after stop', () => {
    const r = progressReporter(report, o);
    jest.advanceTimersByTime(5000);
    r.progress({ stage: 'gathering' });
    expect(sent).toEqual([{ at: 5000, p: { stage: 'gathering' } }]);
    r.stop();
    r.progress({ stage: 'analysing' });
    jest.advanceTimersByTime(5000);
    expect(sent).toHaveLength(1);
  });

  it('a report that fails is dropped, not thrown', async () => {
    const r = progressReporter(() => Promise.reject(new Error('redis down')), o);
    jest.advanceTimersByTime(2000);
    expect(() => r.progress({ stage: 'gathering' })).not.toThrow();
    r.stop();
  });
});
