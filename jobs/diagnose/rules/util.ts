import type { KEvent, Pod } from '../../k8s/types.js';

/** A container status (main or init) as the API sends it. */
export type ContainerStatus = NonNullable<NonNullable<Pod['status']>['containerStatuses']>[number];
/** A container spec (main or init). */
export type Container = NonNullable<Pod['spec']>['containers'][number];
/** `state.terminated` / `lastState.terminated` of a container status. */
export type Terminated = NonNullable<NonNullable<ContainerStatus['state']>['terminated']>;

/** Milliseconds since the epoch for an API time (`string` on the wire, `Date` if a caller skipped normalising). */
export function toMillis(t: string | Date | null | undefined): number | undefined {
  if (t === null || t === undefined) return undefined;
  const ms = t instanceof Date ? t.getTime() : Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

/** RFC 3339 text of an API time, for evidence lines. */
export function isoOf(t: string | Date | null | undefined): string {
  if (t === null || t === undefined) return '?';
  return t instanceof Date ? t.toISOString().replace('.000Z', 'Z') : t;
}

/**
 * kubectl's HumanDuration (k8s.io/apimachinery/pkg/util/duration): `45s`,
 * `3m20s`, `12m`, `5h7m`, `2d3h`.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${hours / 24}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  return `${Math.floor(hours / 24 / 365)}y`;
}

/** When an event was last seen: the latest of series.lastObservedTime, eventTime, lastTimestamp (then first/creation). */
export function eventLastSeen(e: KEvent): number | undefined {
  const candidates = [e.series?.lastObservedTime, e.eventTime, e.lastTimestamp]
    .map((t) => toMillis(t))
    .filter((t): t is number => t !== undefined);
  if (candidates.length > 0) return Math.max(...candidates);
  return toMillis(e.firstTimestamp) ?? toMillis(e.metadata?.creationTimestamp);
}

/** When an event was first seen. */
export function eventFirstSeen(e: KEvent): number | undefined {
  return toMillis(e.firstTimestamp) ?? toMillis(e.eventTime) ?? eventLastSeen(e);
}

/** How many times the event happened (events API series count, else core count). */
export function eventCount(e: KEvent): number {
  return e.series?.count ?? e.count ?? 1;
}

/** Events newest first. */
export function sortEventsNewestFirst(events: readonly KEvent[]): KEvent[] {
  return [...events].sort((a, b) => (eventLastSeen(b) ?? 0) - (eventLastSeen(a) ?? 0));
}

/** The event's source component as kubectl describe prints it. */
export function eventSource(e: KEvent): string {
  return e.reportingComponent || e.source?.component || e.reportingInstance || '';
}

/**
 * One event as a `kubectl describe` line:
 * `Warning  BackOff  10s (x12 over 10m)  kubelet  Back-off restarting failed container api …`.
 */
export function formatEvent(e: KEvent, now: number): string {
  const last = eventLastSeen(e);
  const first = eventFirstSeen(e);
  const count = eventCount(e);
  let age = last === undefined ? '<unknown>' : humanDuration(now - last);
  if (count > 1 && first !== undefined) age += ` (x${count} over ${humanDuration(now - first)})`;
  const msg = (e.message ?? '').trim();
  return [e.type ?? 'Normal', e.reason ?? '', age, eventSource(e), msg].join('  ');
}

/** The container an event is about, from `involvedObject.fieldPath` (`spec.containers{api}`). */
export function eventContainer(e: KEvent): string | undefined {
  const m = /\{([^}]+)\}/.exec(e.involvedObject?.fieldPath ?? '');
  return m?.[1];
}

const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** A Kubernetes quantity (`256Mi`, `1.5Gi`, `500m`, `1e3`, `92436Ki`) as a number (bytes, cores, …). */
export function parseQuantity(q: string | number | undefined | null): number | undefined {
  if (q === undefined || q === null) return undefined;
  if (typeof q === 'number') return q;
  const m = /^([+-]?\d+(?:\.\d+)?|[+-]?\.\d+)(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/.exec(
    q.trim(),
  );
  if (!m) return undefined;
  const base = Number(m[1]);
  if (m[2]) return base * 10 ** Number(m[2].slice(1));
  const suffix = m[3] ?? '';
  const mult = BINARY[suffix] ?? DECIMAL[suffix];
  return mult === undefined ? undefined : base * mult;
}

/** Bytes in the binary units kubectl users think in: `256Mi`, `1.5Gi`. */
export function formatBytes(bytes: number): string {
  const units = ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki'] as const;
  for (const u of units) {
    const size = BINARY[u]!;
    if (bytes >= size) {
      const v = bytes / size;
      return `${Number.isInteger(v) ? v : v.toFixed(1)}${u}`;
    }
  }
  return `${bytes}`;
}

const ERROR_LINE = /error|exception|fatal|panic|traceback/i;

/** Up to `max` error-looking lines of a log (error|exception|fatal|panic|traceback); else its last 3 lines. */
export function errorLines(log: string | undefined, max = 5): string[] {
  if (!log) return [];
  const lines = log
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '');
  const errs = lines.filter((l) => ERROR_LINE.test(l));
  const picked = errs.length > 0 ? errs.slice(-max) : lines.slice(-3);
  return picked.map((l) => (l.length > 300 ? `${l.slice(0, 297)}...` : l));
}

/** Is this init container a native sidecar (`restartPolicy: Always`)? */
export function isSidecar(c: Container | undefined): boolean {
  return c?.restartPolicy === 'Always';
}

function terminatedReason(t: Terminated, prefix: string): string {
  if (t.reason) return `${prefix}${t.reason}`;
  if (t.signal) return `${prefix}Signal:${t.signal}`;
  return `${prefix}ExitCode:${t.exitCode}`;
}

/**
 * The STATUS column of `kubectl get pod`, derived as kubectl's printer does
 * (`Init:CrashLoopBackOff`, `Completed`, `Terminating`, `ExitCode:1`, …).
 */
export function podStatusString(pod: Pod): string {
  const status = pod.status ?? {};
  let reason = status.reason || status.phase || 'Unknown';
  if ((status.conditions ?? []).some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) {
    reason = 'SchedulingGated';
  }
  const initSpecs = pod.spec?.initContainers ?? [];
  const initStatuses = status.initContainerStatuses ?? [];
  let initializing = false;
  for (const [i, c] of initStatuses.entries()) {
    const spec = initSpecs.find((s) => s.name === c.name);
    const term = c.state?.terminated;
    const waiting = c.state?.waiting;
    if (term && term.exitCode === 0) continue;
    if (isSidecar(spec) && c.started) continue;
    if (term) reason = terminatedReason(term, 'Init:');
    else if (waiting?.reason && waiting.reason !== 'PodInitializing') reason = `Init:${waiting.reason}`;
    else reason = `Init:${i}/${initSpecs.length}`;
    initializing = true;
    break;
  }
  const initializedTrue = (status.conditions ?? []).some(
    (c) => c.type === 'Initialized' && c.status === 'True',
  );
  if (!initializing || initializedTrue) {
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i]!;
      if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
      else if (c.state?.terminated) reason = terminatedReason(c.state.terminated, '');
      else if (c.ready && c.state?.running) hasRunning = true;
    }
    if (reason === 'Completed' && hasRunning) {
      reason = (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
        ? 'Running'
        : 'NotReady';
    }
  }
  const terminal = status.phase === 'Succeeded' || status.phase === 'Failed';
  if (pod.metadata?.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata?.deletionTimestamp && !terminal) reason = 'Terminating';
  return reason;
}

/** READY column: `1/2`. */
export function readyString(pod: Pod): string {
  const statuses = pod.status?.containerStatuses ?? [];
  const total = pod.spec?.containers.length ?? statuses.length;
  return `${statuses.filter((c) => c.ready).length}/${total}`;
}

/** Shell-quote a value for a copy-pasteable command, only when needed. */
export function shq(s: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Collapse a possibly multi-line message into one evidence line. */
export function oneLine(s: string | undefined, max = 400): string {
  const flat = (s ?? '').replace(/\s*\n\s*/g, ' ⏎ ').trim();
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}
