/**
 * Log slicing as the kubelet does it: tailLines counts lines from the end
 * (a trailing newline does not start an empty line), then limitBytes cuts
 * the result to its first N bytes. Pure.
 */

/** Options honoured when reading a log. */
export interface LogSliceOptions {
  tailLines?: number;
  limitBytes?: number;
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

/** Applies tailLines then limitBytes; returns the bytes to send. */
export function sliceLog(text: string, opts: LogSliceOptions): Buffer {
  const buf = Buffer.from(tailLines(text, opts.tailLines), 'utf8');
  return opts.limitBytes !== undefined && buf.length > opts.limitBytes
    ? buf.subarray(0, opts.limitBytes)
    : buf;
}
