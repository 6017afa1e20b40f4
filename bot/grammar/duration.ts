/**
 * Durations as users type them: `30s`, `2m`, `1m30s`, or a bare number of
 * seconds (`90`). Whole seconds only; the caller gives the bounds. Pure.
 */
import { show } from './common.js';

export type DurationParse = { ok: true; seconds: number } | { ok: false; reason: string };

/** Longest text taken as a duration; longer is refused without arithmetic. */
const MAX_DURATION_TEXT = 16;

const FORMS = 'e.g. `30s`, `2m`, `1m30s`, or whole seconds (`90`)';

/** `120` → `120 s`, `600` → `600 s (10m)`. */
export function formatSeconds(sec: number): string {
  if (sec >= 60 && sec % 60 === 0) return `${sec} s (${sec / 60}m)`;
  return `${sec} s`;
}

/**
 * @param raw the value as typed, quotes already removed
 * @param flag the option it belongs to, for the message (`--duration`)
 * @param bounds inclusive, in seconds
 */
export function parseDuration(
  raw: string,
  flag: string,
  bounds: { min: number; max: number },
): DurationParse {
  const text = raw.toLowerCase();
  const range = `from ${formatSeconds(bounds.min)} to ${formatSeconds(bounds.max)}`;
  const bad = (why: string): DurationParse => ({ ok: false, reason: `\`${flag}\` ${why}.` });
  if (text.length === 0) return bad(`needs a duration, ${FORMS}`);
  if (text.length > MAX_DURATION_TEXT)
    return bad(`is not a duration: ${show(raw)} is far too long; ${range}`);
  if (text.startsWith('-')) return bad(`cannot be negative (${show(raw)}): give ${range}`);
  if (/^[0-9]*\.[0-9]/.test(text) && /^[0-9.]+[hms]?$/.test(text)) {
    return bad(`takes whole seconds, not ${show(raw)}: ${FORMS}`);
  }
  let seconds: number;
  const bare = /^[0-9]+$/.exec(text);
  const units = /^(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?$/.exec(text);
  if (bare) {
    seconds = Number(text);
  } else if (units && text.length > 0) {
    const [, h, m, s] = units;
    seconds = Number(h ?? 0) * 3600 + Number(m ?? 0) * 60 + Number(s ?? 0);
  } else {
    return bad(`takes a duration, not ${show(raw)}: ${FORMS}`);
  }
  if (!Number.isSafeInteger(seconds) || seconds > bounds.max) {
    return bad(`is at most ${formatSeconds(bounds.max)}: ${show(raw)} is too long`);
  }
  if (seconds < bounds.min) return bad(`is at least ${formatSeconds(bounds.min)}: ${show(raw)} is too short`);
  return { ok: true, seconds };
}
