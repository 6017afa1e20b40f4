import { describe, expect, it } from '@jest/globals';
import { sliceLog, tailLines } from '../../log-text.js';

describe('tailLines', () => {
  it.each([
    ['a\nb\nc\n', 2, 'b\nc\n'],
    ['a\nb\nc', 2, 'b\nc'],
    ['a\nb\nc\n', 3, 'a\nb\nc\n'],
    ['a\nb\nc\n', 10, 'a\nb\nc\n'],
    ['a\nb\nc\n', 1, 'c\n'],
    ['a\nb\nc\n', 0, ''],
    ['a\nb\nc\n', undefined, 'a\nb\nc\n'],
    ['', 5, ''],
    ['only\n', 1, 'only\n'],
    ['a\n\nb\n', 2, '\nb\n'],
  ])('%j tail %s → %j', (text, n, expected) => {
    expect(tailLines(text, n)).toBe(expected);
  });
});

describe('sliceLog', () => {
  it('tails first, then cuts to limitBytes', () => {
    expect(sliceLog('one\ntwo\nthree\n', { tailLines: 2, limitBytes: 6 }).toString()).toBe('two\nth');
  });

  it('counts bytes, not characters', () => {
    expect(sliceLog('héllo', { limitBytes: 2 })).toEqual(Buffer.from('héllo').subarray(0, 2));
  });

  it('returns everything without options', () => {
    expect(sliceLog('x\ny\n', {}).toString()).toBe('x\ny\n');
  });
});
