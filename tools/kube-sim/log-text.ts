/**
 * Log slicing as the kubelet does it (pkg/kubelet/kuberuntime/logs): every line carries the time the
 * runtime wrote it; tailLines picks the last N lines first (a trailing newline does not start an empty
 * line), then lines older than sinceSeconds/sinceTime are skipped, `timestamps` puts the line's RFC 3339
 * time and a space before it, and limitBytes cuts the result to its first N bytes. Pure.
 */

/** Options honoured when reading a log. */
export interface LogSliceOptions {
  tailLines?: number;
  limitBytes?: number;
  /** Skip lines written before this instant (ms since the epoch): sinceSeconds or sinceTime. */
  sinceMs?: number;
  /** Prefix each line with its time. */
  timestamps?: boolean;
  /** The runtime's time of each line, in order (RFC 3339); lines beyond the list take `defaultTime`. */
  times?: readonly string[];
  /** Time of lines without one of their own (the container instance's start). */
  defaultTime?: string;
}

/** Last `n` lines of `text` (all of it when n is undefined). */
export function tailLines(text: string, n: number | undefined): string {
  if (n === undefined) return text;
  if (n <= 0) return '';
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  if (body === '') return text;
  let idx = body.length;
  for (let seen = 0; seen < n; seen++) {
    const nl = body.lastIndexOf('\n', idx - 1);
    if (nl < 0) return text;
    idx = nl;
  }
  return text.slice(idx + 1);
}

/** Applies tailLines, since and timestamps, then limitBytes; returns the bytes to send. */
export function sliceLog(text: string, opts: LogSliceOptions): Buffer {
  let out: string;
  if (opts.sinceMs === undefined && !opts.timestamps) out = tailLines(text, opts.tailLines);
  else {
    const body = text.endsWith('\n') ? text.slice(0, -1) : text;
    const lines = body === '' ? [] : body.split('\n');
    const timed = lines.map((l, i) => ({ text: l, time: opts.times?.[i] ?? opts.defaultTime ?? '' }));
    const n = opts.tailLines;
    const tailed = n === undefined ? timed : n <= 0 ? [] : timed.slice(-n);
    const kept = tailed.filter((l) => {
      if (opts.sinceMs === undefined) return true;
      const t = Date.parse(l.time);
      return !Number.isNaN(t) && t >= opts.sinceMs;
    });
    out = kept.map((l) => `${opts.timestamps ? `${l.time} ` : ''}${l.text}\n`).join('');
  }
  const buf = Buffer.from(out, 'utf8');
  return opts.limitBytes !== undefined && buf.length > opts.limitBytes
    ? buf.subarray(0, opts.limitBytes)
    : buf;
}
