/** Redaction moved to `jobs/redact.ts` (shared by diagnose and the probes); kept so existing imports work. */
export { type RedactedText, redact, redactFinding, redactText } from '../redact.js';
