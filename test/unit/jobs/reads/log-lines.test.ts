import { describe, expect, it } from '@jest/globals';
import { compileGrep } from '../../../../jobs/contracts/reads.js';
import { grepLines } from '../../../../jobs/reads/grep.js';
import {
  countLines,
  cutAtLine,
  mergeByTime,
  parseTimestamped,
  renderLines,
} from '../../../../jobs/reads/log-lines.js';

describe('parseTimestamped', () => {
  it('takes the runtime time off each line, keeps the text as written (an app timestamp included)', () => {
    const lines = parseTimestamped(
      '2026-11-20T09:00:00.123456789Z 2026-11-20T08:59:59Z INFO up\n2026-11-20T09:00:01Z second\n',
      'web-0',
    );
    expect(lines.map((l) => [l.time, l.text, l.source])).toEqual([
      ['2026-11-20T09:00:00.123456789Z', '2026-11-20T08:59:59Z INFO up', 'web-0'],
      ['2026-11-20T09:00:01Z', 'second', 'web-0'],
    ]);
    expect(lines[0]!.ms).toBe(Date.parse('2026-11-20T09:00:00.123Z'));
  });

  it('a line without a time (cut by limitBytes) keeps the previous one; empty body, no lines', () => {
    expect(parseTimestamped('2026-11-20T09:00:00Z a\nb').map((l) => l.time)).toEqual([
      '2026-11-20T09:00:00Z',
      '2026-11-20T09:00:00Z',
    ]);
    expect(parseTimestamped('')).toEqual([]);
  });
});

describe('mergeByTime and renderLines', () => {
  it('merges sources in time order; one source keeps its order; ties go to the first source', () => {
    const a = parseTimestamped(
      '2026-11-20T09:00:00Z a1\n2026-11-20T09:00:02Z a2\n2026-11-20T09:00:02Z a3\n',
      'a',
    );
    const b = parseTimestamped('2026-11-20T09:00:01Z b1\n2026-11-20T09:00:02Z b2\n', 'b');
    const merged = mergeByTime([a, b]);
    expect(merged.map((l) => l.text)).toEqual(['a1', 'b1', 'a2', 'a3', 'b2']);
    expect(renderLines(merged.slice(0, 2), { timestamps: false, prefix: true })).toBe('[a] a1\n[b] b1\n');
    expect(renderLines(merged.slice(0, 1), { timestamps: true, prefix: true })).toBe(
      '2026-11-20T09:00:00Z [a] a1\n',
    );
    expect(
      renderLines(parseTimestamped('2026-11-20T09:00:00Z x\n'), { timestamps: false, prefix: true }),
    ).toBe('x\n');
    expect(renderLines([], { timestamps: true, prefix: true })).toBe('');
  });
});

describe('cutAtLine', () => {
  it('cuts at a line end and counts the lines dropped', () => {
    const text = 'aaaa\nbbbb\ncccc\n';
    expect(cutAtLine(text, 100)).toEqual({ text, cut: false, droppedLines: 0 });
    expect(cutAtLine(text, 12)).toEqual({ text: 'aaaa\nbbbb\n', cut: true, droppedLines: 1 });
    expect(countLines('a\nb')).toBe(2);
  });

  it('a single line longer than the cap is cut at a UTF-8 boundary', () => {
    const r = cutAtLine('ééééé', 5);
    expect(r.cut).toBe(true);
    expect(Buffer.byteLength(r.text)).toBeLessThanOrEqual(5);
    expect(r.text).toBe('éé');
  });
});

describe('--grep', () => {
  it('RE2 syntax: refuses lookaround and backreferences with RE2’s reason', () => {
    expect(compileGrep('timeout|refused').ok).toBe(true);
    expect(compileGrep('(?i)oom').ok).toBe(true);
    const look = compileGrep('(?=x)');
    expect(look).toMatchObject({ ok: false });
    if (!look.ok) expect(look.error).toMatch(/invalid or unsupported Perl syntax/);
    expect(compileGrep('(a)\\1').ok).toBe(false);
  });

  it('a catastrophic pattern for a backtracking engine runs in linear time', () => {
    const re = compileGrep('(a+)+$');
    if (!re.ok) throw new Error(re.error);
    const items = Array.from({ length: 200 }, () => `${'a'.repeat(10_000)}!`);
    const started = performance.now();
    const out = grepLines(items, (s) => s, re.re, 60_000);
    expect(out).toEqual({ kept: [], scanned: 200, cut: false });
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('stops at its time budget and says how far it got', () => {
    const re = compileGrep('x');
    if (!re.ok) throw new Error(re.error);
    let t = 0;
    const clock = () => t;
    const items = Array.from({ length: 1000 }, (_, i) => (i % 2 ? 'x' : 'y'));
    // every item costs 1 ms on this clock
    const text = (s: string) => {
      t += 1;
      return s;
    };
    const out = grepLines(items, text, re.re, 100, clock, 10);
    expect(out.cut).toBe(true);
    expect(out.scanned).toBe(110);
    expect(out.kept).toHaveLength(55);
  });
});
