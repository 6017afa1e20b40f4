import { describe, expect, it } from '@jest/globals';
import { extractCrash, lineText, matchLogCauses } from '../../../../jobs/diagnose/rules/log-causes.js';

/** The causes one log shows, as `id extracted…` for compact comparison. */
const causes = (log: string) =>
  matchLogCauses(log).map((c) =>
    `${c.id} ${Object.entries(c.extracted)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`.trim(),
  );

describe('log cause matchers', () => {
  describe('dependency-unreachable', () => {
    it.each<[string, string, string]>([
      [
        'Go dial (logfmt)',
        'ts=2026-11-20T09:56:51Z level=error msg="cannot connect" err="dial tcp 10.96.33.7:6379: connect: connection refused"',
        'dependency-unreachable how=connection refused target=10.96.33.7:6379',
      ],
      [
        'libpq / psycopg2',
        'psycopg2.OperationalError: connection to server at "postgres-primary" (10.96.14.20), port 5432 failed: Connection refused',
        'dependency-unreachable how=connection refused target=postgres-primary:5432',
      ],
      [
        'Python requests / urllib3',
        "requests.exceptions.ConnectionError: HTTPConnectionPool(host='inventory', port=8080): Max retries exceeded with url: /v1/stock (Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at 0x7f>: Failed to establish a new connection: [Errno 111] Connection refused'))",
        'dependency-unreachable how=connection refused target=inventory:8080',
      ],
      [
        'redis-py',
        'redis.exceptions.ConnectionError: Error 111 connecting to redis-master.cache:6379. Connection refused.',
        'dependency-unreachable how=connection refused target=redis-master.cache:6379',
      ],
      [
        'Node ECONNREFUSED',
        'Error: connect ECONNREFUSED 10.96.0.15:5672',
        'dependency-unreachable how=connection refused target=10.96.0.15:5672',
      ],
      [
        'Go i/o timeout names the service over the IP',
        'ready check: redis profile-cache.data.svc:6379 unreachable: dial tcp 10.96.201.7:6379: i/o timeout',
        'dependency-unreachable how=timed out target=profile-cache.data.svc:6379',
      ],
      [
        'JVM (HikariCP / PgJDBC)',
        'org.postgresql.util.PSQLException: Connection to orders-db.shop.svc.cluster.local:5432 refused. Check that the hostname and port are correct and that the postmaster is accepting TCP/IP connections.',
        'dependency-unreachable how=connection refused target=orders-db.shop.svc.cluster.local:5432',
      ],
      [
        'connection reset',
        '{"level":"error","msg":"upstream failed","error":"read tcp 10.244.1.9:51234->10.96.5.5:9092: read: connection reset by peer"}',
        'dependency-unreachable how=connection reset target=10.244.1.9:51234',
      ],
    ])('%s', (_what, line, want) => {
      expect(causes(line)).toEqual([want]);
    });

    it.each<[string, string]>([
      ['a successful retry', 'INFO upstream recommendations: reconnected after connection refused (1 retry)'],
      ['recovered', 'connection to 10.0.0.5:5432 re-established after connection refused'],
      ['timestamps and durations are no host:port', '2026-11-20T09:41:12Z INFO request took 12:30 minutes'],
      ['the words without a failure', 'INFO refusing connections until warm-up ends'],
    ])('not for %s', (_what, line) => {
      expect(matchLogCauses(line).filter((c) => c.id === 'dependency-unreachable')).toEqual([]);
    });
  });

  describe('dns-failure', () => {
    it.each<[string, string, string]>([
      [
        'Go resolver with the resolver address',
        'dial tcp: lookup kafka-0.kafka-headless.streaming.svc.cluster.local on 10.96.0.10:53: no such host',
        'dns-failure name=kafka-0.kafka-headless.streaming.svc.cluster.local resolver=10.96.0.10:53',
      ],
      [
        'Node',
        'Error: getaddrinfo ENOTFOUND payments-api.payment.svc',
        'dns-failure name=payments-api.payment.svc',
      ],
      [
        'Node EAI_AGAIN',
        'Error: getaddrinfo EAI_AGAIN auth.example.com',
        'dns-failure name=auth.example.com',
      ],
      [
        'JVM',
        'java.net.UnknownHostException: config-server: Name or service not known',
        'dns-failure name=config-server',
      ],
      [
        'libpq',
        'psycopg2.OperationalError: could not translate host name "pg-main" to address: Temporary failure in name resolution',
        'dns-failure name=pg-main',
      ],
      [
        'urllib3 2',
        'NameResolutionError("<urllib3.connection.HTTPSConnection object at 0x7f>: Failed to resolve \'api.partner.example\' ([Errno -3] Temporary failure in name resolution)")',
        'dns-failure name=api.partner.example',
      ],
    ])('%s', (_what, line, want) => {
      expect(causes(line)).toEqual([want]);
    });

    it('not for a Node error property line or a mention of DNS', () => {
      expect(causes("  code: 'ENOTFOUND',")).toEqual([]);
      expect(causes('INFO using DNS resolver 10.96.0.10 for service discovery')).toEqual([]);
    });
  });

  describe('tls-error', () => {
    it.each<[string, string, string]>([
      [
        'Go expired',
        'Put "https://vault.internal.acme.io:8200/v1/auth/kubernetes/login": tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time 2026-11-20T09:56:50Z is after 2026-11-19T23:59:59Z',
        'tls-error kind=expired host=vault.internal.acme.io expiry=2026-11-19T23:59:59Z',
      ],
      [
        'Go unknown authority',
        'Get "https://registry.internal:5000/v2/": x509: certificate signed by unknown authority',
        'tls-error kind=unknown-authority host=registry.internal',
      ],
      [
        'Go hostname mismatch',
        'x509: certificate is valid for ingress.local, *.ingress.local, not api.shop.example',
        'tls-error kind=hostname-mismatch host=api.shop.example',
      ],
      [
        'JVM PKIX',
        'javax.net.ssl.SSLHandshakeException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target',
        'tls-error kind=unknown-authority',
      ],
      [
        'Node altnames',
        "Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: Host: api.partner.example. is not in the cert's altnames: DNS:*.partner.example.net",
        'tls-error kind=hostname-mismatch host=api.partner.example',
      ],
      [
        'Python',
        'ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired (_ssl.c:1006)',
        'tls-error kind=expired',
      ],
    ])('%s', (_what, line, want) => {
      expect(causes(line)).toEqual([want]);
    });
  });

  describe('permission-denied', () => {
    it.each<[string, string, string]>([
      [
        'Node EACCES',
        "Error: EACCES: permission denied, open '/data/uploads/.write-test'",
        'permission-denied path=/data/uploads/.write-test readOnly=no',
      ],
      [
        'Python',
        "PermissionError: [Errno 13] Permission denied: '/var/lib/app/state.db'",
        'permission-denied path=/var/lib/app/state.db readOnly=no',
      ],
      [
        'nginx read-only',
        'nginx: [emerg] mkdir() "/var/cache/nginx/client_temp" failed (30: Read-only file system)',
        'permission-denied path=/var/cache/nginx/client_temp readOnly=yes',
      ],
      ['Go', 'open /data/db/LOCK: permission denied', 'permission-denied path=/data/db/LOCK readOnly=no'],
      [
        'JVM',
        'java.nio.file.AccessDeniedException: /opt/app/logs/app.log',
        'permission-denied path=/opt/app/logs/app.log readOnly=no',
      ],
    ])('%s', (_what, line, want) => {
      expect(causes(line)).toEqual([want]);
    });

    it('not for a database grant (no path)', () => {
      expect(causes('ERROR: pq: permission denied for table invoices')).toEqual([]);
      expect(causes('psycopg2.errors.InsufficientPrivilege: permission denied for schema audit')).toEqual([]);
    });
  });

  describe('exec-format-error and runtime-oom', () => {
    it('exec format error names the binary', () => {
      expect(causes('exec /usr/local/bin/thumbd: exec format error')).toEqual([
        'exec-format-error path=/usr/local/bin/thumbd',
      ]);
    });

    it.each<[string, string, string]>([
      ['JVM heap', 'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space', 'jvm'],
      ['JVM metaspace', 'java.lang.OutOfMemoryError: Metaspace', 'jvm'],
      ['V8', 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory', 'v8'],
      ['Go', 'fatal error: runtime: out of memory', 'go'],
      ['Python', 'MemoryError', 'python'],
    ])('%s', (_what, line, runtime) => {
      const [c] = matchLogCauses(line);
      expect([c?.id, c?.extracted.runtime]).toEqual(['runtime-oom', runtime]);
    });

    it('not for an OOM the app merely mentions', () => {
      expect(causes('INFO cache sized to avoid OutOfMemory situations (max 512MB)')).toEqual([]);
      expect(causes('WARN container was OOMKilled last week, memory limit raised')).toEqual([]);
    });
  });

  it('reads JSON log lines by their message and error fields', () => {
    expect(lineText('{"level":"error","msg":"boom","error":"dial tcp 1.2.3.4:80: i/o timeout"}')).toBe(
      'boom | dial tcp 1.2.3.4:80: i/o timeout',
    );
    expect(lineText('not json {')).toBe('not json {');
  });

  it('quotes at most three lines per cause and one finding per id', () => {
    const log = Array.from(
      { length: 6 },
      (_, i) => `attempt ${i}: dial tcp db:5432: connect: connection refused`,
    ).join('\n');
    const found = matchLogCauses(log);
    expect(found.map((c) => c.id)).toEqual(['dependency-unreachable']);
    expect(found[0]!.lines).toHaveLength(3);
    expect(found[0]!.lines[2]).toContain('attempt 5');
  });

  it('stays fast on long hostile lines (linear-time regexes)', () => {
    const hostile = `${'a.'.repeat(5000)}:${'1'.repeat(5000)} ${'/x'.repeat(5000)} connection refused ${'a:'.repeat(5000)}`;
    const started = performance.now();
    matchLogCauses(Array.from({ length: 50 }, () => hostile).join('\n'));
    extractCrash(Array.from({ length: 50 }, () => hostile).join('\n'));
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('extractCrash', () => {
  it('Python: the exception and the last frame outside site-packages', () => {
    const log = [
      'Traceback (most recent call last):',
      '  File "/app/orders/worker.py", line 88, in handle',
      '    order = Order.from_payload(msg)',
      '  File "/app/orders/model.py", line 41, in from_payload',
      "    currency = payload['currency']",
      '  File "/usr/local/lib/python3.12/site-packages/pydantic/main.py", line 10, in x',
      "KeyError: 'currency'",
    ].join('\n');
    expect(extractCrash(log)).toEqual({
      exception: "KeyError: 'currency'",
      frame: '/app/orders/model.py:41 in from_payload',
      language: 'python',
    });
  });

  it('JVM: skips library frames (with module prefixes) to the first application frame', () => {
    const log = [
      'Exception in thread "main" java.lang.IllegalStateException: ledger closed',
      '\tat java.base/java.util.Objects.requireNonNull(Objects.java:233)',
      '\tat org.springframework.beans.factory.Foo.bar(Foo.java:1)',
      '\tat com.acme.ledger.Posting.apply(Posting.java:57)',
    ].join('\n');
    expect(extractCrash(log)).toEqual({
      exception: 'java.lang.IllegalStateException: ledger closed',
      frame: 'com.acme.ledger.Posting.apply(Posting.java:57)',
      language: 'jvm',
    });
  });

  it('Go panic: the panic line and the first frame of the application', () => {
    const log = [
      'panic: runtime error: invalid memory address or nil pointer dereference',
      '[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x6b1e2a]',
      '',
      'goroutine 1 [running]:',
      'github.com/acme/cart/internal/store.(*Store).Get(0x0, {0xc0000b2000, 0x8})',
      '\t/src/internal/store/store.go:42 +0x2a',
      'main.main()',
      '\t/src/main.go:31 +0x1b4',
    ].join('\n');
    expect(extractCrash(log)).toEqual({
      exception: 'panic: runtime error: invalid memory address or nil pointer dereference',
      frame: 'github.com/acme/cart/internal/store.(*Store).Get() /src/internal/store/store.go:42',
      language: 'go',
    });
  });

  it('Node: the error and the first frame outside node_modules and node internals', () => {
    const log = [
      "TypeError: Cannot read properties of undefined (reading 'id')",
      '    at Object.handler (/app/node_modules/fastify/lib/route.js:10:3)',
      '    at processTicksAndRejections (node:internal/process/task_queues:95:5)',
      '    at getCart (/app/dist/cart.js:18:22)',
    ].join('\n');
    expect(extractCrash(log)).toEqual({
      exception: "TypeError: Cannot read properties of undefined (reading 'id')",
      frame: 'getCart (/app/dist/cart.js:18:22)',
      language: 'node',
    });
  });

  it('Go log.Fatal, logfmt and JSON error lines', () => {
    expect(extractCrash('2026/11/20 09:57:53 error: database is dirty at version 42')?.exception).toBe(
      'error: database is dirty at version 42',
    );
    expect(extractCrash('ts=1 level=fatal msg="startup failed" err="no config"')?.exception).toBe(
      'startup failed: no config',
    );
    expect(extractCrash('{"level":"error","msg":"cannot start","error":"bad flag"}')?.exception).toBe(
      'cannot start | bad flag',
    );
  });

  it('nothing for a log without a crash', () => {
    expect(extractCrash('INFO started\nINFO serving')).toBeUndefined();
    expect(extractCrash(undefined)).toBeUndefined();
  });
});
