import { readFileSync } from 'node:fs';

/**
 * The audit events in a bot's pino audit log (one JSON line each), in order. Checkpoint lines, which carry
 * no event, are skipped.
 */
export function readAuditLog<T = { type: string; requestId: string; actor: string }>(path: string): T[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { audit?: T }).audit)
    .filter((a): a is T => a !== undefined);
}
