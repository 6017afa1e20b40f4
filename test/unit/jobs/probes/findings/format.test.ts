import { describe, expect, it } from '@jest/globals';
import { capLines, clean, columns, humanSeconds } from '../../../../../jobs/probes/findings/format.js';
import { probeText } from '../../../../../jobs/probes/findings/index.js';

describe('humanSeconds', () => {
  it.each([
    [0.85, '850 ms'],
    [2.3, '2.3 s'],
    [91.4, '91 s'],
    [125, '2m5s'],
  ])('%d → %s', (n, want) => expect(humanSeconds(n)).toBe(want));
});

describe('columns', () => {
  it('pads left-aligned and right-aligned columns, two spaces apart, no trailing spaces', () => {
    expect(
      columns(
        [
          ['name', 'n', 'note'],
          ['futex', '12040', ''],
          ['epoll_pwait', '6', 'x'],
        ],
        ['l', 'r', 'l'],
      ),
    ).toEqual(['name             n  note', 'futex        12040', 'epoll_pwait      6  x']);
  });
});

describe('clean', () => {
  it('removes control characters and breaks code fences', () => {
    expect(clean('a\tb\u001b[31m```rm -rf```')).toBe("a b [31m'''rm -rf'''");
    expect(clean('x'.repeat(300), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});

describe('capLines', () => {
  it('keeps whole lines and says how many were cut', () => {
    const lines = Array.from({ length: 200 }, (_, i) => `line ${i} ${'.'.repeat(20)}`);
    const out = capLines(lines, 500);
    expect(out.length).toBeLessThanOrEqual(500);
    const kept = out.split('\n');
    expect(kept[kept.length - 1]).toBe(`… ${200 - (kept.length - 1)} more line(s) cut`);
    expect(kept.slice(0, -1)).toEqual(lines.slice(0, kept.length - 1));
  });
  it('leaves short text alone', () => {
    expect(capLines(['a', 'b'], 500)).toBe('a\nb');
  });
});

describe('probeText cap', () => {
  it('never exceeds 2,500 characters, whatever the data', () => {
    const text = probeText(
      {
        action: 'fds',
        open: 5000,
        softLimit: 1024,
        hardLimit: 4096,
        byType: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`type${i}`, i])),
        top: Array.from({ length: 30 }, (_, i) => ({ fd: i, target: `/very/long/path/${'y'.repeat(200)}` })),
        sockets: [],
      },
      { action: 'fds' },
    );
    expect(text.length).toBeLessThanOrEqual(2500);
  });
});
