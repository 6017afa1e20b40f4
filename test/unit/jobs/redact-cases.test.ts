import { describe, expect, it } from '@jest/globals';
import { redact, redactFinding } from '../../../jobs/redact.js';

describe('redact', () => {
  it.each([
    ['Authorization: Bearer eyJhbGciOi.abc.def', 'Authorization: Bearer [redacted]', 'eyJhbGciOi'],
    ['authorization: dGhpcyBpcyBhIHNlY3JldA==', 'authorization: [redacted]', 'dGhpcyBpcyBhIHNlY3JldA'],
    ['authorization=Basic dXNlcjpwYXNz', 'authorization=Basic [redacted]', 'dXNlcjpwYXNz'],
    ['Cookie: session=abc123; csrftoken=zzz', 'Cookie: [redacted]', 'abc123'],
    ['calling API with bearer abcdefghijkl12345', 'Bearer [redacted]', 'abcdefghijkl12345'],
    ['STRIPE_API_KEY=sk_live_51H8xyz', 'STRIPE_API_KEY=[redacted]', 'sk_live_51H8xyz'],
    ['DB_PASSWORD: hunter2hunter2', 'DB_PASSWORD: [redacted]', 'hunter2'],
    ['"client_secret": "s3cr3t-v4lue"', '"client_secret": "[redacted]"', 's3cr3t-v4lue'],
    ['GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'GITHUB_TOKEN=[redacted]', 'ghp_abc'],
    ['connect postgres://app:pa55word@db:5432/shop failed', 'postgres://app:[redacted]@db', 'pa55word'],
    ['token xoxb-1234567890-abcdefghij leaked', '[redacted slack token]', 'xoxb-1234567890'],
    ['key AKIAIOSFODNN7EXAMPLE used', '[redacted aws key]', 'AKIAIOSFODNN7EXAMPLE'],
    ['jwt eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.SflKxwRJSMeKKF2QT4fw', '[redacted jwt]', 'SflKxwRJSMeKKF2QT4fw'],
    [
      '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----',
      '[redacted private key]',
      'MIIEowIBAAKCAQEA',
    ],
  ])('%s', (input, shows, hides) => {
    const out = redact(input);
    expect(out).toContain(shows);
    expect(out).not.toContain(hides);
  });

  it('leaves ordinary log lines alone', () => {
    for (const line of [
      'ERROR connection refused: dial tcp 10.0.3.7:5432',
      'java.lang.OutOfMemoryError: Java heap space',
      'Back-off restarting failed container api in pod checkout-7d9f',
      'secret "db-credentials" not found',
      "couldn't find key password in Secret shop/db",
      'pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed',
    ]) {
      expect(redact(line)).toBe(line);
    }
  });

  it('redacts every text field of a finding', () => {
    const f = redactFinding({
      id: 'app-error',
      severity: 'critical',
      title: 'Container `api` exited 1',
      evidence: ['previous log: FATAL auth failed for API_TOKEN=abc123def456'],
      next: ['kubectl logs -n shop api --previous'],
    });
    expect(f.evidence[0]).toBe('previous log: FATAL auth failed for API_TOKEN=[redacted]');
    expect(f.next).toEqual(['kubectl logs -n shop api --previous']);
  });
});
