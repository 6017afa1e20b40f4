/**
 * Events as `kubectl get events` / `kubectl describe` show them, from either shape the API serves: core/v1
 * (`involvedObject`, `message`, `count`, `firstTimestamp`, `lastTimestamp`, `source`) and events.k8s.io/v1
 * (`regarding`, `note`, `deprecatedCount`, `deprecatedFirstTimestamp`, `deprecatedLastTimestamp`, `series`,
 * `reportingController`). The same event read through both APIs (same uid) counts once; events that differ
 * only in their times are aggregated like kubectl's recorder does: counts added, first and last seen kept.
 * Pure.
 */

/** An event of either API group, as the wire gives it (only the fields read here). */
export interface AnyEvent {
  metadata?: { uid?: string; name?: string; creationTimestamp?: string };
  // core/v1
  involvedObject?: ObjectRef;
  message?: string;
  count?: number;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  source?: { component?: string; host?: string };
  // events.k8s.io/v1
  regarding?: ObjectRef;
  note?: string;
  deprecatedCount?: number;
  deprecatedFirstTimestamp?: string | null;
  deprecatedLastTimestamp?: string | null;
  deprecatedSource?: { component?: string; host?: string };
  reportingController?: string;
  // both
  reportingComponent?: string;
  type?: string;
  reason?: string;
  eventTime?: string | null;
  series?: { count?: number; lastObservedTime?: string | null; lastObservedTimestamp?: string | null };
}

interface ObjectRef {
  kind?: string;
  name?: string;
  namespace?: string;
  uid?: string;
  fieldPath?: string;
}

/** One aggregated line. Times are ms since the epoch (NaN when the event carries none). */
export interface EventRow {
  type: string;
  reason: string;
  /** `Pod/checkout-7d9f` (kind/name of the object it is about). */
  object: string;
  fieldPath?: string;
  from: string;
  message: string;
  count: number;
  first: number;
  last: number;
}

function t(s: string | null | undefined): number {
  return s ? Date.parse(s) : Number.NaN;
}
const firstNum = (...xs: number[]): number => xs.find((x) => !Number.isNaN(x)) ?? Number.NaN;

/** Reads one event of either shape into a row (count ≥ 1). */
export function normaliseEvent(e: AnyEvent): EventRow {
  const ref = e.involvedObject ?? e.regarding ?? {};
  const created = t(e.metadata?.creationTimestamp);
  const eventTime = t(e.eventTime);
  const first = firstNum(t(e.firstTimestamp), t(e.deprecatedFirstTimestamp), eventTime, created);
  const last = firstNum(
    t(e.series?.lastObservedTime ?? e.series?.lastObservedTimestamp),
    t(e.lastTimestamp),
    t(e.deprecatedLastTimestamp),
    eventTime,
    created,
  );
  const count = e.series?.count ?? e.count ?? e.deprecatedCount ?? 1;
  const src = e.source ?? e.deprecatedSource;
  const from =
    [src?.component || e.reportingController || e.reportingComponent, src?.host].filter(Boolean).join(', ') ||
    '';
  return {
    type: e.type ?? '',
    reason: e.reason ?? '',
    object: `${ref.kind ?? '?'}/${ref.name ?? '?'}`,
    ...(ref.fieldPath ? { fieldPath: ref.fieldPath } : {}),
    from,
    message: (e.message ?? e.note ?? '').trim(),
    count: Math.max(1, count),
    first,
    last,
  };
}

export interface EventFilter {
  /** Keep events last seen at or after this time (ms). */
  sinceMs?: number;
  warningsOnly?: boolean;
}

/**
 * Dedups by uid across both API groups, aggregates rows that differ only in their times, filters, and sorts
 * oldest first by last seen (as kubectl describe lists them).
 */
export function aggregateEvents(events: readonly AnyEvent[], f: EventFilter = {}): EventRow[] {
  const seen = new Set<string>();
  const groups = new Map<string, EventRow>();
  for (const e of events) {
    const uid = e.metadata?.uid;
    if (uid) {
      if (seen.has(uid)) continue;
      seen.add(uid);
    }
    const r = normaliseEvent(e);
    const key = [r.type, r.reason, r.object, r.fieldPath ?? '', r.from, r.message].join('\u0000');
    const g = groups.get(key);
    if (!g) {
      groups.set(key, { ...r });
      continue;
    }
    g.count += r.count;
    g.first = Number.isNaN(g.first) ? r.first : Math.min(g.first, Number.isNaN(r.first) ? g.first : r.first);
    g.last = Number.isNaN(g.last) ? r.last : Math.max(g.last, Number.isNaN(r.last) ? g.last : r.last);
  }
  return [...groups.values()]
    .filter((r) => !f.warningsOnly || r.type === 'Warning')
    .filter((r) => f.sinceMs === undefined || (!Number.isNaN(r.last) && r.last >= f.sinceMs))
    .sort((a, b) => (Number.isNaN(a.last) ? 0 : a.last) - (Number.isNaN(b.last) ? 0 : b.last));
}

/** apimachinery's duration.HumanDuration: `45s`, `3m20s`, `12m`, `5h3m`, `20h`, `3d4h`, `15d`, `2y`. */
export function humanDuration(ms: number): string {
  const sec = Math.floor(ms / 1000);
  if (sec < -1) return '<invalid>';
  if (sec < 0) return '0s';
  if (sec < 120) return `${sec}s`;
  const min = Math.floor(sec / 60);
  if (min < 10) return sec % 60 === 0 ? `${min}m` : `${min}m${sec % 60}s`;
  const hours = Math.floor(sec / 3600);
  if (min < 180) return `${min}m`;
  if (hours < 8) return min % 60 === 0 ? `${hours}h` : `${hours}h${min % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 192)
    return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  return `${Math.floor(hours / 24 / 365)}y`;
}

const ago = (ms: number, now: number): string => (Number.isNaN(ms) ? '<unknown>' : humanDuration(now - ms));

/** kubectl describe's Age column: `3m`, or `3m (x5 over 10m)` for a repeated event. */
export function ageColumn(r: EventRow, now: number): string {
  const last = ago(r.last, now);
  if (r.count > 1 && !Number.isNaN(r.first)) return `${last} (x${r.count} over ${ago(r.first, now)})`;
  return last;
}

/** Columns padded to their widest cell, two spaces apart (kubectl's tabwriter). */
export function table(header: string[], rows: string[][], indent = ''): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    `${indent}${cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')}`.trimEnd();
  return [line(header), ...rows.map(line)];
}

/** `kubectl get events`-like table: LAST SEEN, TYPE, REASON, OBJECT, COUNT, FIRST SEEN, MESSAGE. */
export function eventsTable(rows: readonly EventRow[], now: number): string {
  if (rows.length === 0) return 'No events found.\n';
  const body = rows.map((r) => [
    ago(r.last, now),
    r.type,
    r.reason,
    r.fieldPath ? `${r.object} (${r.fieldPath})` : r.object,
    String(r.count),
    ago(r.first, now),
    oneLine(r.message),
  ]);
  return `${table(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'COUNT', 'FIRST SEEN', 'MESSAGE'], body).join('\n')}\n`;
}

/** kubectl describe's `Events:` section. */
export function describeEvents(rows: readonly EventRow[], now: number): string[] {
  if (rows.length === 0) return ['Events:  <none>'];
  const body = rows.map((r) => [r.type, r.reason, ageColumn(r, now), r.from, oneLine(r.message)]);
  const [head, ...rest] = table(['Type', 'Reason', 'Age', 'From', 'Message'], body, '  ');
  const dashes = table(
    ['Type', 'Reason', 'Age', 'From', 'Message'].map((h) => '-'.repeat(h.length)),
    body,
    '  ',
  )[0]!;
  return ['Events:', head!, dashes, ...rest];
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ');
}
