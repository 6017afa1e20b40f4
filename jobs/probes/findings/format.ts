/**
 * Shared helpers of the probe findings and texts: human units (bytes: jobs/contracts/units.ts), aligned
 * columns, the context every rule reads, and the follow-up commands (built in
 * one place so the wording matches the command grammar).
 */
import type { ProbeAction, ProbeSpec } from '../../contracts/probe.js';

/** Where the probe ran, as the result reports it. */
export interface ProbeTargetView {
  namespace: string;
  pod: string;
  container: string;
  node: string;
}

/** What every probe rule reads besides the data. */
export interface ProbeFindingContext {
  spec: ProbeSpec;
  target: ProbeTargetView;
  cluster: string;
  /** The container's `resources.limits.memory` from the pod spec, when the cgroup did not report one. */
  memoryLimitBytes?: number;
}

/** `/poddebug ACTION POD -n NS -c CONTAINER --cluster NAME [extra]`: a follow-up on the same container. */
export function probeCommand(ctx: ProbeFindingContext, action: ProbeAction, extra: string[] = []): string {
  const t = ctx.target;
  return [
    '/poddebug',
    action,
    t.pod,
    '-n',
    t.namespace,
    '-c',
    t.container,
    '--cluster',
    ctx.cluster,
    ...extra,
  ]
    .join(' ')
    .trim();
}

/** `kubectl -n NS …` prefix for the target's namespace. */
export function kubectlNs(ctx: ProbeFindingContext, rest: string): string {
  return `kubectl -n ${ctx.target.namespace} ${rest}`;
}

/** `1,234,567`. */
export function int(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** `80.5%` of `part / whole`. */
export function pct(part: number, whole: number): string {
  if (whole <= 0) return '?%';
  return `${((part / whole) * 100).toFixed(1)}%`;
}

/** `1 process`, `3 processes`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${int(n)} ${n === 1 ? one : many}`;
}

/** `850 ms`, `2.3 s`, `91 s`, `2m5s`. */
export function humanSeconds(seconds: number): string {
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 10) return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`;
  if (seconds < 120) return `${Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return s === 0 ? `${m}m` : `${m}m${s}s`;
}

/**
 * Text from the probe (process arguments, paths, tool output) made safe for a
 * Slack code block: control characters become spaces, backtick runs that could
 * close the block are broken, and the result is cut to `max` characters.
 */
export function clean(s: string, max = 200): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is removed
  const flat = s.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/`{3,}/g, (m) => "'".repeat(m.length));
  return cut(flat, max);
}

/** Cut to `max` characters, marking the cut with `…`. */
export function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  return max <= 1 ? '…'.slice(0, max) : `${s.slice(0, max - 1)}…`;
}

export type Align = 'l' | 'r';

/**
 * Rows as aligned columns separated by two spaces; `align` per column
 * (default left). Trailing spaces are trimmed; the last column is never padded.
 */
export function columns(rows: readonly (readonly string[])[], align: readonly Align[] = []): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) => {
        const w = widths[i] ?? 0;
        if (align[i] === 'r') return cell.padStart(w);
        return i === row.length - 1 ? cell : cell.padEnd(w);
      })
      .join('  ')
      .trimEnd(),
  );
}

/** The text cap of a probe's thread block. */
export const TEXT_MAX_CHARS = 2500;

/**
 * Join lines into one block of at most `max` characters: whole lines are kept
 * while they fit, then one closing line says how many were left out.
 */
export function capLines(lines: readonly string[], max = TEXT_MAX_CHARS): string {
  const full = lines.join('\n');
  if (full.length <= max) return full;
  const kept: string[] = [];
  let used = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = cut(lines[i]!, max);
    const note = `… ${lines.length - i} more line(s) cut`;
    const add = (kept.length > 0 ? 1 : 0) + line.length;
    // keep room for the note unless this is the last line
    const room = i === lines.length - 1 ? max : max - note.length - 1;
    if (used + add > room) {
      kept.push(note);
      break;
    }
    kept.push(line);
    used += add;
  }
  return kept.join('\n');
}
