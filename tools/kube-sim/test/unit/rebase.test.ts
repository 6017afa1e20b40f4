import { describe, expect, it } from '@jest/globals';
import { isTimestamp, rebaseOffset, rebaseTimestamps, shiftTimestamp } from '../../rebase.js';

const HOUR = 3_600_000;

describe('shiftTimestamp', () => {
  it('shifts by whole seconds and prints UTC', () => {
    expect(shiftTimestamp('2026-11-20T10:00:00Z', 2 * HOUR)).toBe('2026-11-20T12:00:00Z');
    expect(shiftTimestamp('2026-11-20T10:00:00+01:00', 0)).toBe('2026-11-20T09:00:00Z');
  });

  it('keeps the fractional digits of MicroTime values', () => {
    expect(shiftTimestamp('2026-11-20T08:00:00.123456Z', -HOUR)).toBe('2026-11-20T07:00:00.123456Z');
  });

  it('rounds the offset down to whole seconds, so ages never look younger', () => {
    expect(shiftTimestamp('2026-11-20T10:00:00Z', 1_600)).toBe('2026-11-20T10:00:01Z');
    expect(shiftTimestamp('2026-11-20T10:00:00Z', -400)).toBe('2026-11-20T09:59:59Z');
  });
});

describe('rebaseTimestamps', () => {
  it('shifts every timestamp in the tree and leaves other strings alone', () => {
    const obj = {
      metadata: { name: '2026-11-20', creationTimestamp: '2026-11-20T08:00:00Z' },
      status: {
        containerStatuses: [
          { lastState: { terminated: { finishedAt: '2026-11-20T09:55:00Z', exitCode: 137 } } },
        ],
      },
      message: 'failed at 2026-11-20T09:00:00Z',
      firstTimestamp: null,
    };
    const out = rebaseTimestamps(obj, 24 * HOUR);
    expect(out.metadata.creationTimestamp).toBe('2026-11-21T08:00:00Z');
    expect(out.status.containerStatuses[0]!.lastState.terminated.finishedAt).toBe('2026-11-21T09:55:00Z');
    expect(out.status.containerStatuses[0]!.lastState.terminated.exitCode).toBe(137);
    expect(out.metadata.name).toBe('2026-11-20');
    expect(out.message).toBe('failed at 2026-11-20T09:00:00Z');
    expect(out.firstTimestamp).toBeNull();
    expect(obj.metadata.creationTimestamp).toBe('2026-11-20T08:00:00Z');
  });
});

describe('rebaseOffset', () => {
  it('maps the reference instant onto the start time', () => {
    const start = Date.parse('2030-01-01T00:00:00Z');
    const off = rebaseOffset('2026-11-20T10:00:00Z', start);
    expect(shiftTimestamp('2026-11-20T10:00:00Z', off)).toBe('2030-01-01T00:00:00Z');
  });

  it('rejects a reference that is not a timestamp', () => {
    expect(() => rebaseOffset('yesterday', 0)).toThrow('rebaseTime');
    expect(isTimestamp('yesterday')).toBe(false);
  });
});
