/**
 * Log text as the worker handles it: the API server's lines with their timestamps (`timestamps=true` puts
 * an RFC 3339 time and a space before each line), merged across the pods and containers of an owner in
 * time order with a `[pod/container]` prefix, and turned back into text with or without the times. Pure.
 */

export interface LogLine {
  /** RFC 3339 time as the kubelet wrote it; '' when the line had none. */
  time: string;
  /** Milliseconds since the epoch, for ordering (NaN when unknown). */
  ms: number;
  text: string;
  /** `pod` or `pod/container`; empty for a single source. */
  source: string;
  /** Position within its source, to keep lines of one source in their order. */
  seq: number;
}

const TS = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})) (.*)$/s;

/**
 * Splits a log read with `timestamps=true` into lines. A trailing newline does not make an empty line; a
 * line without a timestamp (possible when limitBytes cut the first one) keeps the previous line's time.
 */
export function parseTimestamped(body: string, source = ''): LogLine[] {
  if (body === '') return [];
  const raw = (body.endsWith('\n') ? body.slice(0, -1) : body).split('\n');
  const out: LogLine[] = [];
  let last = { time: '', ms: Number.NaN };
  raw.forEach((line, seq) => {
    const m = TS.exec(line);
    if (m) last = { time: m[1]!, ms: Date.parse(m[1]!) };
    out.push({ time: last.time, ms: last.ms, text: m ? m[2]! : line, source, seq });
  });
  return out;
}

/**
 * Merges the lines of several sources in time order; lines of one source keep their order, ties go to
 * the source listed first. Each source is already bounded by the caller (tail and bytes per pod).
 */
export function mergeByTime(sources: readonly LogLine[][]): LogLine[] {
  const all = sources.flatMap((lines, i) => lines.map((l) => ({ l, i })));
  all.sort((a, b) => {
    const am = Number.isNaN(a.l.ms) ? 0 : a.l.ms;
    const bm = Number.isNaN(b.l.ms) ? 0 : b.l.ms;
    if (am !== bm) return am - bm;
    if (a.i !== b.i) return a.i - b.i;
    return a.l.seq - b.l.seq;
  });
  return all.map((x) => x.l);
}

/** The text a user reads: `[source] ` before each line when merged, the time first when asked for. */
export function renderLines(lines: readonly LogLine[], o: { timestamps: boolean; prefix: boolean }): string {
  if (lines.length === 0) return '';
  return `${lines
    .map((l) => {
      const parts: string[] = [];
      if (o.timestamps && l.time) parts.push(l.time);
      if (o.prefix && l.source) parts.push(`[${l.source}]`);
      parts.push(l.text);
      return parts.join(' ');
    })
    .join('\n')}\n`;
}

/**
 * Cuts text to at most `maxBytes` at a line end (a single longer line is cut at a UTF-8 boundary). Returns
 * the text kept and how many lines were dropped, so the cut can be said.
 */
export function cutAtLine(
  text: string,
  maxBytes: number,
): { text: string; cut: boolean; droppedLines: number } {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= maxBytes) return { text, cut: false, droppedLines: 0 };
  let end = buf.lastIndexOf(0x0a, maxBytes - 1) + 1;
  if (end <= 0) {
    end = maxBytes;
    while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--;
  }
  const kept = buf.subarray(0, end).toString('utf8');
  const total = countLines(text);
  return { text: kept, cut: true, droppedLines: total - countLines(kept) };
}

export function countLines(text: string): number {
  if (text === '') return 0;
  let n = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return text.endsWith('\n') ? n : n + 1;
}
