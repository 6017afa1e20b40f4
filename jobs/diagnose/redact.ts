import type { Finding } from '../contracts/index.js';

/**
 * Secrets must never reach a Slack thread. Log lines and messages quoted as
 * evidence pass through here first. Each rule keeps enough context for a
 * reader to see what was there (`Authorization: Bearer [redacted]`).
 */
const RULES: [RegExp, string][] = [
  // PEM private keys, whole or cut off by the log tail
  [
    /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
    '[redacted private key]',
  ],
  // HTTP credentials in headers
  [
    /\b(authorization|proxy-authorization)(\s*[:=]\s*"?)(bearer|basic|token|digest|negotiate|aws4-hmac-sha256)\s+[^\s"',;]+/gi,
    '$1$2$3 [redacted]',
  ],
  [/\b(authorization|proxy-authorization)(\s*[:=]\s*"?)([A-Za-z0-9+/=._~-]{16,})/gi, '$1$2[redacted]'],
  [/\b(cookie|set-cookie|x-api-key|x-auth-token|api-key)(\s*[:=]\s*)[^\r\n]*/gi, '$1$2[redacted]'],
  [/\bbearer\s+[A-Za-z0-9\-._~+/]{8,}=*/gi, 'Bearer [redacted]'],
  // NAME_TOKEN=…, DB_PASSWORD: …, client_secret="…", apikey=…
  [
    /\b([A-Za-z0-9_.-]*(?:token|passw(?:or)?d|pwd|secret|api[_-]?key|access[_-]?key|private[_-]?key|credentials?))(["']?\s*[:=]\s*["']?)([^\s"',;&}]+)/gi,
    '$1$2[redacted]',
  ],
  // credentials inside URLs: scheme://user:pass@host
  [/\b([a-z][a-z0-9+.-]*:\/\/[^/\s:@]+):[^@\s/]+@/gi, '$1:[redacted]@'],
  // well-known token shapes
  [/\bxox[abposr]-[A-Za-z0-9-]{8,}/g, '[redacted slack token]'],
  [/\b(AKIA|ASIA)[A-Z0-9]{16}\b/g, '[redacted aws key]'],
  [/\bgh[pousr]_[A-Za-z0-9]{30,}\b/g, '[redacted github token]'],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, '[redacted jwt]'],
];

/** Redacts secrets from one string. */
export function redact(s: string): string {
  let out = s;
  for (const [re, sub] of RULES) out = out.replace(re, sub);
  return out;
}

/** A finding safe to post: title, evidence and next steps redacted. */
export function redactFinding(f: Finding): Finding {
  return { ...f, title: redact(f.title), evidence: f.evidence.map(redact), next: f.next.map(redact) };
}
