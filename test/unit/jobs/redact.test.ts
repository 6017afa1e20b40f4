import { describe, expect, it } from '@jest/globals';
import { redact, redactText } from '../../../jobs/redact.js';
import { hostileLines, pathologicalInputs } from '../../../scripts/bench/redact-shapes.js';

describe('redactText on probe output', () => {
  // [what, input line, must show, must hide]
  it.each([
    [
      'bearer token in a traced write',
      'write(3, "GET /api/v1/orders HTTP/1.1\\r\\nHost: orders\\r\\nAuthorization: Bearer abcDEF123456789xyz\\r\\n"..., 128) = 128',
      'Authorization: Bearer [redacted]\\r\\n"..., 128) = 128',
      'abcDEF123456789xyz',
    ],
    [
      'cookie header in a traced sendto keeps the following headers and the syscall tail',
      'sendto(7, "GET / HTTP/1.1\\r\\nCookie: session=9f8e7d6c; csrftoken=Zx12\\r\\nAccept: */*\\r\\n", 71, MSG_NOSIGNAL, NULL, 0) = 71',
      'Cookie: [redacted]\\r\\nAccept: */*\\r\\n", 71, MSG_NOSIGNAL, NULL, 0) = 71',
      '9f8e7d6c',
    ],
    [
      'cookie as the last header, cut by strace -s',
      'read(9, "HTTP/1.1 200 OK\\r\\nSet-Cookie: sid=s3ss10nV4lue; HttpOnly"..., 128) = 512',
      'Set-Cookie: [redacted]"..., 128) = 512',
      's3ss10nV4lue',
    ],
    [
      'password in a quoted string',
      'write(5, "password=hunter2\\n", 17) = 17',
      'write(5, "password=[redacted]\\n", 17) = 17',
      'hunter2',
    ],
    [
      'env block of execve',
      'execve("/app/server", ["/app/server", "--port=8080"], ["PATH=/usr/local/bin:/usr/bin", "DB_PASSWORD=x9!kq", "STRIPE_SECRET=sk_live_abcdefghijkl", "API_TOKEN=t0k3n"]) = 0',
      '["PATH=/usr/local/bin:/usr/bin", "DB_PASSWORD=[redacted]", "STRIPE_SECRET=[redacted]", "API_TOKEN=[redacted]"]) = 0',
      'x9!kq',
    ],
    [
      'AWS secret in an env block',
      '["AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"]',
      '"AWS_SECRET_ACCESS_KEY=[redacted]"]',
      'wJalrXUtnFEMI',
    ],
    [
      'AWS key id anywhere',
      'connect to s3 with AKIAIOSFODNN7EXAMPLE failed',
      '[redacted aws key]',
      'AKIAIOSFODNN7EXAMPLE',
    ],
    [
      'private key cut by strace -s and escaped',
      'read(6, "-----BEGIN RSA PRIVATE KEY-----\\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo\\n4lgOEePzNm0tRgeLezV6ffAt0gunVTLw"..., 128) = 1679',
      'read(6, "[redacted private key]"..., 128) = 1679',
      'MIIEowIBAAKCAQEA',
    ],
    [
      'whole private key in one escaped string',
      'write(1, "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----\\n", 96) = 96',
      'write(1, "[redacted private key]\\n", 96) = 96',
      'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC',
    ],
    [
      'JWT after an escaped newline',
      'recvfrom(4, "{\\"ok\\":1}\\neyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36P", 128, 0, NULL, NULL) = 91',
      '\\n[redacted jwt]"',
      'SflKxwRJSMeKKF2QT4fw',
    ],
    [
      'GitHub token',
      'git clone https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/acme/app',
      '[redacted github token]',
      'ghp_abcdefghij',
    ],
    [
      'fine-grained GitHub token',
      'using github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz for the API',
      '[redacted github token]',
      'github_pat_11ABC',
    ],
    [
      'Slack tokens',
      'posting with xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx and xoxp-1-2-3-abcdefgh',
      '[redacted slack token] and [redacted slack token]',
      'AbCdEfGh',
    ],
    [
      'ps line with a password flag',
      '    1     1 java -Dspring.datasource.password=s3cret -jar /app.jar --db-password hunter2 --port 8080',
      '-Dspring.datasource.password=[redacted] -jar /app.jar --db-password [redacted] --port 8080',
      'hunter2',
    ],
    [
      'URL credentials in a log line',
      '2024-05-01T10:00:00Z ERROR dial redis://default:r3d1sPass@redis-master:6379/0: i/o timeout',
      'redis://default:[redacted]@redis-master:6379/0: i/o timeout',
      'r3d1sPass',
    ],
    [
      'x-api-key in a JSON log',
      '{"level":"info","headers":{"x-api-key":"k-123456789","accept":"application/json"}}',
      '"x-api-key":"[redacted]',
      'k-123456789',
    ],
    [
      'lowercase HTTP/2 authorization header',
      'h2 request headers: :path=/v1 authorization=Basic dXNlcjpwYXNzd29yZA== content-type=json',
      'authorization=Basic [redacted] content-type=json',
      'dXNlcjpwYXNzd29yZA',
    ],
  ])('%s', (_what, input, shows, hides) => {
    const out = redactText(input);
    expect(out.text).toContain(shows);
    expect(out.text).not.toContain(hides);
    expect(out.redactions).toBeGreaterThan(0);
    expect(redact(input)).toBe(out.text);
  });

  it('leaves ordinary strace, ps and log lines alone', () => {
    const lines = [
      'openat(AT_FDCWD, "/etc/ssl/certs/ca-certificates.crt", O_RDONLY|O_CLOEXEC) = 3',
      'connect(5, {sa_family=AF_INET, sin_port=htons(5432), sin_addr=inet_addr("10.0.3.7")}, 16) = -1 ECONNREFUSED (Connection refused)',
      'read(3, "# token bucket settings\\nrate=10\\n", 4096) = 32',
      'futex(0x7f3a2c0e4910, FUTEX_WAIT_PRIVATE, 0, NULL) = -1 EAGAIN (Resource temporarily unavailable)',
      '   42    42 node /app/server.js --port 8080 --log-level info',
      'level=warn msg="password reset requested" user=bob',
      'secret "db-credentials" not found',
      'loaded 3 secrets from /var/run/secrets/kubernetes.io/serviceaccount',
      '- password rotation is due tomorrow',
      '% time     seconds  usecs/call     calls    errors syscall',
    ];
    for (const line of lines) {
      expect(redactText(line)).toEqual({ text: line, redactions: 0 });
    }
  });

  it('keeps the line structure: one output line per input line, a multi-line key blanked in place', () => {
    const input = [
      '10:00:01 loading TLS material',
      '-----BEGIN EC PRIVATE KEY-----',
      'Proc-Type: 4,ENCRYPTED',
      'MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5',
      'oAoGCCqGSM49AwEHoUQDQgAE1ea0s9mDa+uSkg==',
      '-----END EC PRIVATE KEY----- next: API_TOKEN=abc123',
      '10:00:02 serving on :8443',
      '',
    ].join('\n');
    const out = redactText(input);
    const lines = out.text.split('\n');
    expect(lines).toHaveLength(8);
    expect(lines[0]).toBe('10:00:01 loading TLS material');
    expect(lines[1]).toBe('[redacted private key]');
    expect(lines.slice(2, 5)).toEqual(['', '', '']);
    expect(lines[5]).toBe(' next: API_TOKEN=[redacted]');
    expect(lines[6]).toBe('10:00:02 serving on :8443');
    expect(out.redactions).toBe(2);
  });

  it('stops a key cut off by a log tail at the first line that is not key material', () => {
    const out = redactText(
      '-----BEGIN PRIVATE KEY-----\r\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\r\npanic: tls: failed to parse private key\r\n',
    );
    expect(out.text).toBe('[redacted private key]\r\n\r\npanic: tls: failed to parse private key\r\n');
  });

  it('counts each secret once', () => {
    const out = redactText('A_TOKEN=1 B_PASSWORD=2\nAuthorization: Bearer abcdefghijkl\n');
    expect(out.redactions).toBe(3);
    expect(out.text).toBe('A_TOKEN=[redacted] B_PASSWORD=[redacted]\nAuthorization: Bearer [redacted]\n');
  });

  // Sizes here span several 64 KiB blocks, which is where a backtracking rule would show (seconds per
  // block); `npm run bench:redact` times the same shapes at 1 and 5 MiB.
  it('stays linear on half a megabyte of pathological input', () => {
    const size = 512 * 1024;
    const inputs = pathologicalInputs(size);
    for (const input of inputs) {
      const out = redactText(input);
      expect(out.text.length).toBeLessThanOrEqual(input.length + 64);
    }
  }, 120_000);

  it('processes a hostile line of two blocks for each strace-specific rule within a bound', () => {
    const size = 128 * 1024;
    const inputs = hostileLines(size);
    for (const [what, input] of inputs) {
      expect(input.length).toBeGreaterThanOrEqual(size);
      const started = performance.now();
      const out = redactText(input);
      const ms = performance.now() - started;
      // linear work takes a few milliseconds; a rule that backtracks quadratically takes many seconds per
      // 64 KiB block (and this line has two)
      expect({ what, withinBound: ms < 5_000 }).toEqual({ what, withinBound: true });
      expect(out.text.includes('\n')).toBe(false);
    }
  }, 240_000);

  it('redacts a multi-megabyte trace without changing its line count', () => {
    const line =
      'sendto(7, "POST /login HTTP/1.1\\r\\nAuthorization: Bearer abcdefghijklmnop\\r\\n", 64, 0, NULL, 0) = 64';
    const input = Array.from({ length: 50_000 }, () => line).join('\n');
    const out = redactText(input);
    expect(out.redactions).toBe(50_000);
    expect(out.text.split('\n')).toHaveLength(50_000);
    expect(out.text).not.toContain('abcdefghijklmnop');
  }, 120_000);
});
