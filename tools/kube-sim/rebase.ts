/**
 * Time rebasing: fixtures are written against a fixed reference instant;
 * shifting every RFC 3339 timestamp by (start time − reference) makes ages
 * look right to kubectl and to a worker on the real clock. Pure.
 */

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** True for strings shaped like an RFC 3339 timestamp ("2026-11-20T10:00:00Z", with optional fraction). */
export function isTimestamp(s: string): boolean {
  return RFC3339.test(s) && !Number.isNaN(Date.parse(s));
}

/**
 * Shifts one timestamp by whole seconds of `offsetMs` (rounded down, so that
 * ages never look younger than the fixture says), keeping its
 * fractional digits as written and printing it in UTC ("Z"), as the API does.
 */
export function shiftTimestamp(s: string, offsetMs: number): string {
  const m = RFC3339.exec(s);
  if (!m) return s;
  const base = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(base)) return s;
  const shifted = new Date(base + Math.floor(offsetMs / 1000) * 1000).toISOString().slice(0, 19);
  return `${shifted}${m[2] ?? ''}Z`;
}

/** Returns a deep copy of `value` with every timestamp string shifted by `offsetMs`. */
export function rebaseTimestamps<T>(value: T, offsetMs: number): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return isTimestamp(v) ? shiftTimestamp(v, offsetMs) : v;
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x);
      return out;
    }
    return v;
  };
  return walk(value) as T;
}

/** Offset that maps `referenceIso` onto `startMs` (ms since epoch). Throws on an unparsable reference. */
export function rebaseOffset(referenceIso: string, startMs: number): number {
  const ref = Date.parse(referenceIso);
  if (Number.isNaN(ref)) throw new Error(`rebaseTime is not a valid timestamp: ${referenceIso}`);
  return startMs - ref;
}
