/**
 * Causes read from a container's log tail: pure functions from log text to
 * what it says (a dependency refused the connection, a name did not resolve,
 * a certificate failed, a path is not writable, the binary is for another CPU,
 * the runtime ran out of heap) and to the exception or panic with its top
 * application frame. Every regex here is linear: no nested or adjacent
 * unbounded quantifiers over the same characters, and lines are cut to 2000
 * characters before matching.
 */

export type LogCauseId =
  | 'dns-failure'
  | 'tls-error'
  | 'dependency-unreachable'
  | 'permission-denied'
  | 'exec-format-error'
  | 'runtime-oom';

/** One cause found in a log: the id, the lines that show it, and what was extracted from them. */
export interface LogCause {
  id: LogCauseId;
  /** The log lines quoted as evidence (as written, cut to 300 characters). */
  lines: string[];
  /** What was extracted: `target` (host:port), `name`, `resolver`, `host`, `kind`, `expiry`, `path`, `runtime`, `detail`. */
  extracted: Record<string, string>;
}

const MAX_LINE = 2000;

/** Lines of a log with JSON lines flattened to their message/error fields. */
export function logLines(log: string | undefined): string[] {
  if (!log) return [];
  return log
    .split('\n')
    .map((l) => l.trimEnd().slice(0, MAX_LINE))
    .filter((l) => l.trim() !== '');
}

const JSON_TEXT_FIELDS = ['msg', 'message', 'error', 'err', 'exception', 'stack', 'stack_trace', 'cause'];

/** The text to match in one line: for a JSON log line its message and error fields, else the line. */
export function lineText(line: string): string {
  const t = line.trim();
  if (!t.startsWith('{')) return line;
  try {
    const o = JSON.parse(t) as Record<string, unknown>;
    const parts: string[] = [];
    const take = (v: unknown) => {
      if (typeof v === 'string') parts.push(v);
      else if (v && typeof v === 'object') {
        const inner = v as Record<string, unknown>;
        for (const k of ['message', 'msg', 'type', 'class', 'stack', 'stack_trace']) take(inner[k]);
      }
    };
    for (const k of JSON_TEXT_FIELDS) take(o[k]);
    return parts.length > 0 ? parts.join(' | ') : line;
  } catch {
    return line;
  }
}

/** Words that mean the line reports a recovery, not a failure ("reconnected after connection refused"). */
const RECOVERED =
  /\b(reconnected|re-established|recovered|succeeded|successfully|connection established|is now reachable|back online)\b/i;

/** A host:port: a DNS name (with a letter) or an IPv4 address, then a port. */
const HOST_PORT =
  /(?<![\w.-])((?:[a-z][a-z0-9-]*(?:\.[a-z0-9-]+)*|\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[[0-9a-f:]+\]):(\d{1,5}))(?!\w|:\d)/gi;

/** host:port tokens of a line, names before IP addresses (a name says which Service). */
function hostPorts(text: string): string[] {
  const names: string[] = [];
  const ips: string[] = [];
  for (const m of text.matchAll(HOST_PORT)) {
    const host = m[1]!.slice(0, m[1]!.lastIndexOf(':'));
    if (/^(https?|tcp|udp|tls|grpc|dns|redis|postgres|postgresql|mysql|amqp|mongodb)$/i.test(host)) continue;
    (/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$|^\[/.test(host) ? ips : names).push(m[1]!);
  }
  return [...names, ...ips];
}

// ---- dependency-unreachable -------------------------------------------------

const UNREACHABLE =
  /connection refused|ECONNREFUSED|connection reset by peer|ECONNRESET|i\/o timeout|connection timed out|connect timed out|ETIMEDOUT|no route to host|EHOSTUNREACH|Connection to \S+ refused|ConnectTimeoutException|Connect to \S+ failed/i;

function unreachableHow(text: string): string {
  if (/refused|ECONNREFUSED/i.test(text)) return 'connection refused';
  if (/reset|ECONNRESET/i.test(text)) return 'connection reset';
  if (/no route|EHOSTUNREACH/i.test(text)) return 'no route to host';
  return 'timed out';
}

/** host:port a connection failure names: Python's host=/port=, libpq's `"host" (ip), port N`, or the first host:port. */
export function unreachableTarget(text: string): string | undefined {
  const kw = /host='([^']+)', port=(\d+)/.exec(text);
  if (kw) return `${kw[1]}:${kw[2]}`;
  const pq = /server at "([^"]+)"[^,]{0,60}, port (\d+)/.exec(text);
  if (pq) return `${pq[1]}:${pq[2]}`;
  const redis = /connecting to ([\w.-]+):(\d+)/i.exec(text);
  if (redis) return `${redis[1]}:${redis[2]}`;
  return hostPorts(text)[0];
}

// ---- dns-failure -------------------------------------------------------------

const DNS =
  /no such host|NXDOMAIN|Temporary failure in name resolution|getaddrinfo (?:ENOTFOUND|EAI_AGAIN)|Name or service not known|UnknownHostException|could not translate host name|nodename nor servname|Failed to resolve|server misbehaving/i;

/** The name that did not resolve and the resolver, when the line shows them. */
export function dnsTarget(text: string): { name?: string; resolver?: string } {
  const go = /lookup ([\w.-]+) on ([\w.:[\]-]+?): /.exec(text);
  if (go) return { name: go[1], resolver: go[2] };
  const goNoResolver = /lookup ([\w.-]+)(?::| on)/.exec(text);
  const node = /(?:ENOTFOUND|EAI_AGAIN) ([\w.-]+)/.exec(text);
  const java = /UnknownHostException: ([\w.-]+)/.exec(text);
  const pq = /could not translate host name "([^"]+)"/.exec(text);
  const py = /Failed to resolve '([^']+)'/.exec(text);
  const name = (node ?? java ?? pq ?? py ?? goNoResolver)?.[1];
  return name ? { name } : {};
}

// ---- tls-error ---------------------------------------------------------------

const TLS =
  /x509: |certificate has expired|CERT_HAS_EXPIRED|CertificateExpiredException|certificate verify failed|CERTIFICATE_VERIFY_FAILED|unknown authority|UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|unable to get local issuer certificate|PKIX path building failed|unable to find valid certification path|ERR_TLS_CERT_ALTNAME_INVALID|does not match certificate's altnames|No subject alternative (?:DNS )?names? matching|Hostname mismatch|tls: failed to verify certificate/i;

/** expired / unknown-authority / hostname-mismatch, the host, and the expiry when shown. */
export function tlsDetails(text: string): { kind: string; host?: string; expiry?: string } {
  const kind = /expired|NotAfter|CERT_HAS_EXPIRED|not yet valid/i.test(text)
    ? 'expired'
    : /valid for|altnames|ALTNAME|subject alternative|Hostname mismatch|doesn't contain any IP SANs/i.test(
          text,
        )
      ? 'hostname-mismatch'
      : 'unknown-authority';
  const host =
    /https?:\/\/([\w.-]+)/.exec(text)?.[1] ??
    /Host: ([\w.-]+?)\.? is not in/.exec(text)?.[1] ??
    /not valid for '([\w.-]+)'/.exec(text)?.[1] ??
    /, not ([\w.-]+)\b/.exec(text)?.[1] ??
    /matching ([\w.-]+) found/.exec(text)?.[1] ??
    /(?:dial|connect(?:ing)? to|handshake with) (?:tcp )?([\w.-]+:\d+)/i.exec(text)?.[1];
  const expiry =
    /is after (\S+)/.exec(text)?.[1] ??
    /NotAfter: ([^;,)]+?)(?:\s*$|[;,)])/.exec(text)?.[1]?.trim() ??
    /expired on (\S+)/.exec(text)?.[1];
  return { kind, ...(host ? { host } : {}), ...(expiry ? { expiry } : {}) };
}

// ---- permission-denied -------------------------------------------------------

const PERMISSION =
  /EACCES|EPERM|EROFS|Permission denied|permission denied|Read-only file system|read-only file system|AccessDeniedException|operation not permitted/;

/** The first absolute path on the line (`/data/db`, `'/var/cache/nginx'`). */
export function pathIn(text: string): string | undefined {
  const m = /(?:^|[\s'"(=])(\/[\w.@+-]+(?:\/[\w.@+-]*)*)/.exec(text);
  return m?.[1];
}

// ---- exec-format-error -------------------------------------------------------

const EXEC_FORMAT = /exec format error|cannot execute binary file/i;

// ---- runtime-oom -------------------------------------------------------------

/** The runtime whose own heap ran out, from its out-of-memory message. */
export function runtimeOom(text: string): { runtime: string; detail: string } | undefined {
  const java = /java\.lang\.OutOfMemoryError: ?([^\n]*)/.exec(text);
  if (java) return { runtime: 'jvm', detail: `java.lang.OutOfMemoryError: ${java[1]!.trim()}`.trim() };
  if (/JavaScript heap out of memory|Reached heap limit/.test(text))
    return { runtime: 'v8', detail: 'JavaScript heap out of memory' };
  if (/fatal error: runtime: out of memory|runtime: cannot allocate memory/.test(text))
    return { runtime: 'go', detail: 'fatal error: runtime: out of memory' };
  if (/^\s*MemoryError\b/.test(text)) return { runtime: 'python', detail: 'MemoryError' };
  return undefined;
}

/** Node prints an error's properties under it (`  code: 'EACCES',`): the error line itself is the one to quote. */
const ERROR_PROPERTY = /^\s+(?:code|errno|syscall|path|hostname|address|port|dest): /;

function isIpTarget(t: string): boolean {
  return /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}:|^\[/.test(t);
}

function cut(line: string): string {
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

/**
 * Every cause one log shows, each id once, with the lines that show it (the
 * last three) and what was extracted from the last of them. A line counts
 * for at most one id, tried in order: DNS, TLS, runtime OOM, exec format,
 * unreachable, permission. Lines reporting a recovery never count.
 */
export function matchLogCauses(log: string | undefined): LogCause[] {
  const found = new Map<LogCauseId, LogCause>();
  const add = (id: LogCauseId, line: string, extracted: Record<string, string>) => {
    const c = found.get(id) ?? { id, lines: [], extracted: {} };
    if (!c.lines.includes(cut(line))) c.lines.push(cut(line));
    if (c.lines.length > 3) c.lines.shift();
    // Later lines refine what earlier ones gave, but a host name is never replaced by a bare IP.
    const keep =
      c.extracted.target &&
      extracted.target &&
      !isIpTarget(c.extracted.target) &&
      isIpTarget(extracted.target);
    c.extracted = { ...c.extracted, ...extracted, ...(keep ? { target: c.extracted.target } : {}) };
    found.set(id, c);
  };
  for (const line of logLines(log)) {
    const text = lineText(line);
    if (RECOVERED.test(text) || ERROR_PROPERTY.test(text)) continue;
    if (DNS.test(text)) {
      const d = dnsTarget(text);
      add('dns-failure', line, {
        ...(d.name ? { name: d.name } : {}),
        ...(d.resolver ? { resolver: d.resolver } : {}),
      });
      continue;
    }
    if (TLS.test(text)) {
      const t = tlsDetails(text);
      add('tls-error', line, {
        kind: t.kind,
        ...(t.host ? { host: t.host } : {}),
        ...(t.expiry ? { expiry: t.expiry } : {}),
      });
      continue;
    }
    const oom = runtimeOom(text);
    if (oom) {
      add('runtime-oom', line, oom);
      continue;
    }
    if (EXEC_FORMAT.test(text)) {
      const p = pathIn(text);
      add('exec-format-error', line, p ? { path: p } : {});
      continue;
    }
    if (UNREACHABLE.test(text)) {
      const target = unreachableTarget(text);
      add('dependency-unreachable', line, {
        how: unreachableHow(text),
        ...(target ? { target } : {}),
      });
      continue;
    }
    if (PERMISSION.test(text)) {
      const p = pathIn(text);
      // "permission denied for table x" (a database grant) has no path: not a file-system cause.
      if (!p && !/EACCES|EROFS|Read-only file system/i.test(text)) continue;
      add('permission-denied', line, {
        ...(p ? { path: p } : {}),
        readOnly: /read-only file system|EROFS/i.test(text) ? 'yes' : 'no',
      });
    }
  }
  return [...found.values()];
}

// ---- exceptions and panics ---------------------------------------------------

/** The exception or panic a log ends with, and its top application frame. */
export interface Crash {
  /** `KeyError: 'currency'`, `java.lang.IllegalStateException: …`, `panic: runtime error: …`, `TypeError: …`. */
  exception: string;
  /** `worker.py:88 in handle`, `com.acme.Billing.charge(Billing.java:42)`, `main.main() /app/main.go:31`, … */
  frame?: string;
  language: 'python' | 'jvm' | 'go' | 'node' | 'log';
}

const JVM_LIB =
  /^(java|javax|jdk|sun|com\.sun|kotlin|kotlinx|scala|org\.springframework|org\.apache|org\.hibernate|io\.netty|com\.zaxxer|org\.postgresql|com\.mysql|reactor|io\.grpc|okhttp3|com\.fasterxml)\./;

function lastPython(lines: string[]): Crash | undefined {
  const tb = lines.map((l) => l.trim()).lastIndexOf('Traceback (most recent call last):');
  if (tb < 0) return undefined;
  let frame: string | undefined;
  let exception: string | undefined;
  for (let i = tb + 1; i < lines.length; i++) {
    const l = lines[i]!.trim();
    const f = /^File "([^"]+)", line (\d+), in (\S+)/.exec(l);
    if (f) {
      if (!/site-packages|dist-packages|\/lib\/python\d/.test(f[1]!)) frame = `${f[1]}:${f[2]} in ${f[3]}`;
      continue;
    }
    if (/^[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Failure|Warning)\b/.test(l)) {
      exception = l;
      break;
    }
  }
  return exception
    ? { exception: cut(exception), ...(frame ? { frame } : {}), language: 'python' }
    : undefined;
}

function lastJvm(lines: string[]): Crash | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const m =
      /^(?:Exception in thread "[^"]*" )?((?:[a-z_$][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error)(?::[^\n]*)?)$/.exec(
        lines[i]!.trim(),
      );
    if (!m) continue;
    if (!lines[i + 1] || !/^\s+at /.test(lines[i + 1]!)) continue;
    let frame: string | undefined;
    for (let j = i + 1; j < lines.length; j++) {
      const at = /^\s+at (?:[\w.$-]+\/)?([\w$.<>]+)\(([^)]*)\)/.exec(lines[j]!);
      if (!at) break;
      if (!JVM_LIB.test(at[1]!)) {
        frame = `${at[1]}(${at[2]})`;
        break;
      }
    }
    return { exception: cut(m[1]!), ...(frame ? { frame } : {}), language: 'jvm' };
  }
  return undefined;
}

function lastGoPanic(lines: string[]): Crash | undefined {
  const p = lines.findLastIndex((l) => /^(panic: |fatal error: )/.test(l));
  if (p < 0) return undefined;
  let frame: string | undefined;
  for (let j = p + 1; j < lines.length - 1; j++) {
    const fn = /^([\w./-]+\.[\w.*()]+)\(/.exec(lines[j]!);
    if (!fn || fn[1]!.startsWith('runtime.') || fn[1]!.startsWith('panic(')) continue;
    const isStd = !fn[1]!.startsWith('main.') && !/^[\w-]+\.[\w-]+\//.test(fn[1]!);
    if (isStd) continue;
    const file = /^\s+(\S+\.go:\d+)/.exec(lines[j + 1]!)?.[1];
    frame = `${fn[1]}()${file ? ` ${file}` : ''}`;
    break;
  }
  return { exception: cut(lines[p]!.trim()), ...(frame ? { frame } : {}), language: 'go' };
}

function lastNode(lines: string[]): Crash | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^(?:Uncaught )?((?:[A-Z]\w*)?(?:Error|Exception))(?: \[\w+\])?: (.*)$/.exec(lines[i]!.trim());
    if (!m || !lines[i + 1] || !/^\s+at /.test(lines[i + 1]!)) continue;
    let frame: string | undefined;
    for (let j = i + 1; j < lines.length; j++) {
      if (!/^\s+at /.test(lines[j]!)) break;
      if (/node_modules|\(node:|node:internal|\(internal\//.test(lines[j]!)) continue;
      frame = lines[j]!.trim().replace(/^at /, '');
      break;
    }
    return { exception: cut(`${m[1]}: ${m[2]}`), ...(frame ? { frame } : {}), language: 'node' };
  }
  return undefined;
}

/** The last fatal line of Go's `log.Fatal` (`2026/11/20 09:35:02 …`) or a structured error line. */
function lastLogFatal(lines: string[]): Crash | undefined {
  for (let i = lines.length - 1; i >= Math.max(0, lines.length - 5); i--) {
    const l = lines[i]!;
    const go = /^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)? (.+)$/.exec(l);
    if (go) return { exception: cut(go[1]!), language: 'log' };
    if (l.trim().startsWith('{')) {
      const level = /"(?:level|severity|lvl)"\s*:\s*"(error|fatal|critical|panic)"/i.test(l);
      if (level) return { exception: cut(lineText(l)), language: 'log' };
    }
    const lf = /\blevel=(?:error|fatal|crit|panic)\b/i.test(l) ? /\bmsg="([^"]*)"/.exec(l) : null;
    if (lf) {
      const err = /\berr(?:or)?="([^"]*)"/.exec(l)?.[1];
      return { exception: cut(err ? `${lf[1]}: ${err}` : lf[1]!), language: 'log' };
    }
  }
  return undefined;
}

/** The exception or panic a log shows last (Python, JVM, Go, Node), else a fatal `log`/JSON/logfmt line. */
export function extractCrash(log: string | undefined): Crash | undefined {
  const lines = logLines(log);
  if (lines.length === 0) return undefined;
  return lastPython(lines) ?? lastGoPanic(lines) ?? lastJvm(lines) ?? lastNode(lines) ?? lastLogFatal(lines);
}
