import { readFileSync } from 'node:fs';
import { type AuditKey, parseAuditKeys } from './chain.js';

/** The audit chain's HMAC keys from a file (see parseAuditKeys); errors name `what` (the variable or option). */
export function loadAuditKeys(path: string, what = 'AUDIT_HMAC_KEYS_FILE'): AuditKey[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${what}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return parseAuditKeys(text);
  } catch (e) {
    throw new Error(`${what}: ${path}: ${(e as Error).message}`);
  }
}
