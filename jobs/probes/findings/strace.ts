/**
 * strace: what the syscall summary and the failed calls say about the process.
 * `strace -c` times are time spent in syscalls (system time unless `-w`), and
 * a call is counted when it returns: a process stuck in one call shows nothing.
 *
 * Longer than 400 lines on purpose: one reader of strace's summary and trace with its finding rules, which
 * share the parsed rows.
 */
import { type Finding, finding } from '../../contracts/finding.js';
import type { StraceData } from '../../contracts/probe.js';
import {
  clean,
  columns,
  cut,
  humanSeconds,
  int,
  kubectlNs,
  type ProbeFindingContext,
  plural,
  probeCommand,
} from './format.js';

type SyscallRow = StraceData['summary'][number];
type ErrnoGroup = StraceData['errors'][number];

/** Calls that wait for something else to happen: time in them is idle or blocked time, not work. */
export const WAIT_SYSCALLS: ReadonlySet<string> = new Set([
  'futex',
  'epoll_wait',
  'epoll_pwait',
  'epoll_pwait2',
  'poll',
  'ppoll',
  'select',
  'pselect6',
  'nanosleep',
  'clock_nanosleep',
  'wait4',
  'waitid',
  'accept',
  'accept4',
  'pause',
  'rt_sigsuspend',
  'rt_sigtimedwait',
  'io_getevents',
  'io_uring_enter',
]);

const PROCESS_CREATION = new Set(['clone', 'clone3', 'fork', 'vfork']);
const TIMED_WAITS = new Set([
  'futex',
  'ppoll',
  'poll',
  'pselect6',
  'select',
  'epoll_wait',
  'epoll_pwait',
  'rt_sigtimedwait',
  'semtimedop',
]);

/** Well-known ports, to say what a refused address probably is. */
const PORT_NAMES: Record<number, string> = {
  53: 'DNS',
  80: 'HTTP',
  443: 'HTTPS',
  2379: 'etcd',
  3306: 'MySQL',
  4222: 'NATS',
  5432: 'PostgreSQL',
  5672: 'RabbitMQ',
  6379: 'Redis',
  8080: 'HTTP',
  9042: 'Cassandra',
  9092: 'Kafka',
  9200: 'Elasticsearch',
  11211: 'memcached',
  27017: 'MongoDB',
};

export function portName(port: number): string | undefined {
  return PORT_NAMES[port];
}

/**
 * The path or address a strace line is about: `10.96.12.7:5432`,
 * `[2001:db8::1]:443`, `unix:/run/x.sock`, `/etc/ssl/certs/ca.crt`, from a raw
 * strace line or from the probe program's `connect 10.96.12.7:5432` /
 * `openat /etc/ssl/certs/ca.crt` form; anything else is returned as is.
 */
export function subjectOf(example: string): string {
  const v4 = /sin_port=htons\((\d+)\),\s*sin_addr=inet_addr\("([^"]+)"\)/.exec(example);
  if (v4) return `${v4[2]}:${v4[1]}`;
  const v6port = /sin6_port=htons\((\d+)\)/.exec(example);
  const v6addr = /inet_pton\(AF_INET6,\s*"([^"]+)"/.exec(example);
  if (v6port && v6addr) return `[${v6addr[1]}]:${v6port[1]}`;
  const unix = /sun_path=@?"([^"]+)"/.exec(example);
  if (unix) return `unix:${unix[1]}`;
  const quoted = /"((?:[^"\\]|\\.)*)"/.exec(example);
  if (quoted && /\(/.test(example) && /=\s*-1/.test(example)) return clean(quoted[1]!, 160);
  // the probe program's form: `<syscall>[ (SO_ERROR)] <path or address>`
  const prefixed = /^[a-z_][a-z0-9_]*(?: \([A-Z_]+\))? (.+)$/.exec(example.trim());
  if (prefixed) return clean(prefixed[1]!, 160);
  return clean(example.trim(), 160);
}

function uniq<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

const IP_PORT = /^(?:\[([0-9a-f:.]+)\]|(\d+\.\d+\.\d+\.\d+)):(\d+)$/i;

/** `10.96.12.7:5432 (PostgreSQL)`. */
function describeAddress(subject: string): string {
  const m = IP_PORT.exec(subject);
  const name = m ? portName(Number(m[3])) : undefined;
  return name ? `${subject} (${name})` : subject;
}

function ipOf(subject: string): string | undefined {
  const m = IP_PORT.exec(subject);
  return m ? (m[1] ?? m[2]) : undefined;
}

/** Paths that fail in every process and mean nothing: library, locale and loader lookups. */
const ENOENT_NOISE = [
  /\.so(\.[\d.]+)?$/,
  /^\/(usr\/)?(local\/)?lib(32|64|x32)?\//,
  /^\/etc\/ld\.so\./,
  /^\/(proc|sys|dev)\//,
  /locale|gconv|zoneinfo|\/etc\/localtime/,
  /__pycache__|\.pyc$|node_modules|site-packages|\.jar$/,
  /^\/etc\/(gai|host|nsswitch)\.conf$/,
  /hwcaps|tls\/|haswell|x86_64\/|glibc-hwcaps/,
];
const CA_PATH = /\/etc\/ssl\/|\/etc\/pki\/|ca-certificates|ca-bundle|cacert|\.crt$|\.pem$/i;
const SA_TOKEN =
  /\/var\/run\/secrets\/kubernetes\.io\/serviceaccount|\/run\/secrets\/kubernetes\.io\/serviceaccount/;
const CONFIG_PATH =
  /\.(conf|cfg|ya?ml|json|properties|toml|ini|env|xml)$|^\/(config|configs|secrets|run\/secrets|etc\/secrets)\//i;

function isNoise(path: string): boolean {
  return ENOENT_NOISE.some((re) => re.test(path));
}

interface ErrnoView {
  errno: string;
  count: number;
  syscalls: string[];
  examples: string[];
  subjects: string[];
}

function view(e: ErrnoGroup): ErrnoView {
  return {
    errno: e.errno,
    count: e.count,
    syscalls: e.syscalls,
    examples: e.examples,
    subjects: uniq(e.examples.map(subjectOf)).filter((s) => s !== ''),
  };
}

export function errnoId(errno: string): string {
  const slug = errno
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `strace-errors-${slug || 'unknown'}`;
}

function baseEvidence(e: ErrnoView): string[] {
  const ev = [`${e.errno} ×${int(e.count)} in ${e.syscalls.join(', ') || '?'}`];
  for (const ex of e.examples.slice(0, 5)) ev.push(clean(ex, 240));
  return ev;
}

function listed(subjects: readonly string[], max = 3): string {
  const shown = subjects.slice(0, max).map((s) => `\`${s}\``);
  const more = subjects.length > max ? ` and ${subjects.length - max} more` : '';
  return `${shown.join(', ')}${more}`;
}

const NETWORK_TRACE = ['--trace', 'network', '--full'];
const FILE_TRACE = ['--trace', 'file', '--full'];

function findAddressCommands(subjects: readonly string[]): string[] {
  const ips = uniq(subjects.map(ipOf).filter((ip): ip is string => ip !== undefined)).slice(0, 2);
  if (ips.length === 0) return [];
  return [
    ...ips.map((ip) => `kubectl get svc -A -o wide | grep -F ${ip}`),
    'A Service there with no addresses in `kubectl get endpoints -n <its namespace> <its name>` has no ready pods',
  ];
}

function netcheckTargets(subjects: readonly string[]): string[] {
  return subjects
    .map((s) => IP_PORT.exec(s))
    .filter((m): m is RegExpExecArray => m !== null)
    .slice(0, 3)
    .map((m) => `${m[1] ?? m[2]}:${m[3]}`);
}

/** One finding per errno that failed, with what it usually means. */
function errnoFinding(ctx: ProbeFindingContext, e: ErrnoView): Finding {
  const id = errnoId(e.errno);
  const ev = baseEvidence(e);
  const n = `×${int(e.count)}`;
  const where = e.subjects.length > 0 ? listed(e.subjects) : '';
  const addrs = e.subjects.map(describeAddress);
  const addrList = addrs.length > 0 ? listed(addrs) : 'its peers';
  switch (e.errno) {
    case 'ECONNREFUSED': {
      ev.push(
        'Refused means nothing listens at that address and port: for a Service ClusterIP, usually no ready endpoints (kube-proxy rejects); for a pod IP, the process there is not listening on that port',
      );
      const targets = netcheckTargets(e.subjects);
      return finding(
        id,
        'warning',
        `Connections refused (ECONNREFUSED ${n}) to ${addrList}: nothing is listening there`,
        ev,
        [
          ...findAddressCommands(e.subjects),
          ...(targets.length > 0 ? [probeCommand(ctx, 'netcheck', targets)] : []),
          probeCommand(ctx, 'strace', NETWORK_TRACE),
        ],
      );
    }
    case 'ETIMEDOUT': {
      const onlyTimedWaits = e.syscalls.length > 0 && e.syscalls.every((s) => TIMED_WAITS.has(s));
      if (onlyTimedWaits) {
        return finding(
          id,
          'info',
          `Timed waits expired (ETIMEDOUT ${n} in ${e.syscalls.join(', ')}): normal, a wait with a timeout ended`,
          ev,
          ['Nothing to do unless the process is also slow to answer'],
        );
      }
      ev.push(
        'Timed out means packets got no answer: a NetworkPolicy or firewall dropping them, or the peer is down',
      );
      return finding(id, 'warning', `Connections time out (ETIMEDOUT ${n}) to ${addrList}`, ev, [
        kubectlNs(ctx, 'get networkpolicy'),
        ...findAddressCommands(e.subjects),
        ...(netcheckTargets(e.subjects).length > 0
          ? [probeCommand(ctx, 'netcheck', netcheckTargets(e.subjects))]
          : []),
      ]);
    }
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      ev.push('No route to the address: the peer is gone (stale IP), or the network (CNI, routes) is broken');
      return finding(id, 'warning', `Addresses unreachable (${e.errno} ${n}): ${addrList}`, ev, [
        ...findAddressCommands(e.subjects),
        probeCommand(ctx, 'netcheck', netcheckTargets(e.subjects)),
      ]);
    case 'ECONNRESET':
    case 'EPIPE':
      ev.push(
        'The peer closed or reset the connection while this process used it: the peer restarted, or an idle timeout (load balancer, pooler) closed a pooled connection',
      );
      return finding(
        id,
        'warning',
        `Connections reset by the peer (${e.errno} ${n})${where ? `: ${where}` : ''}`,
        ev,
        [
          'Check the peer’s logs and restarts at the same time',
          'Make the client’s pool idle timeout shorter than the proxy’s or server’s',
          probeCommand(ctx, 'strace', NETWORK_TRACE),
        ],
      );
    case 'EAGAIN':
    case 'EWOULDBLOCK': {
      if (e.syscalls.some((s) => PROCESS_CREATION.has(s))) {
        ev.push(
          `${e.errno} from ${e.syscalls.filter((s) => PROCESS_CREATION.has(s)).join(', ')}: the kernel refused a new thread or process (pids.max of the pod, or RLIMIT_NPROC)`,
        );
        return finding(
          id,
          'critical',
          `Cannot create threads or processes (${e.errno} ${n} from clone)`,
          ev,
          [
            probeCommand(ctx, 'ps'),
            'Look for a thread leak; raise the kubelet’s podPidsLimit only if the thread count is expected',
          ],
        );
      }
      return finding(
        id,
        'info',
        `${e.errno} ${n}: normal for non-blocking sockets and pipes (nothing to read yet, try again)`,
        ev,
        ['Nothing to do: event loops read until they get EAGAIN'],
      );
    }
    case 'EINPROGRESS':
      return finding(id, 'info', `EINPROGRESS ${n}: non-blocking connects in progress (normal)`, ev, [
        'Nothing to do: the result shows up in a later poll',
      ]);
    case 'EINTR':
    case 'ERESTARTSYS':
    case 'ERESTARTNOINTR':
    case 'ERESTARTNOHAND':
    case 'ERESTART_RESTARTBLOCK':
      return finding(
        id,
        'info',
        `${e.errno} ${n}: calls interrupted by signals (strace attaching causes some)`,
        ev,
        ['Nothing to do unless the count is high and signals are unexpected'],
      );
    case 'ENOENT':
      return enoentFinding(ctx, e, ev);
    case 'EACCES':
    case 'EPERM':
      ev.push(
        e.errno === 'EPERM'
          ? 'EPERM: not allowed (capabilities, seccomp, or file ownership)'
          : 'EACCES: file permissions deny this user (runAsUser, fsGroup, file mode)',
      );
      return finding(id, 'warning', `Permission denied (${e.errno} ${n})${where ? ` on ${where}` : ''}`, ev, [
        kubectlNs(
          ctx,
          `get pod ${ctx.target.pod} -o jsonpath='{.spec.securityContext}{.spec.containers[*].securityContext}'`,
        ),
        probeCommand(ctx, 'strace', FILE_TRACE),
      ]);
    case 'EROFS':
      ev.push('The file system is read-only: readOnlyRootFilesystem, or a ConfigMap/Secret volume');
      return finding(
        id,
        'warning',
        `Writes to a read-only file system (EROFS ${n})${where ? `: ${where}` : ''}`,
        ev,
        ['Mount an emptyDir at the directory the process writes to, or make it write elsewhere'],
      );
    case 'ENOSPC':
    case 'EDQUOT':
      return finding(
        id,
        'critical',
        `No space left on the device (${e.errno} ${n})${where ? `: ${where}` : ''}`,
        ev,
        [
          'Check the volume behind the path: emptyDir sizeLimit, the PVC’s capacity, or the node’s ephemeral storage',
          kubectlNs(ctx, `describe pod ${ctx.target.pod}`),
        ],
      );
    case 'EMFILE':
    case 'ENFILE':
      ev.push(
        e.errno === 'EMFILE'
          ? 'EMFILE: the process hit its open-files limit'
          : 'ENFILE: the system hit its file limit',
      );
      return finding(
        id,
        'critical',
        `Out of file descriptors (${e.errno} ${n}): new files and connections fail`,
        ev,
        [probeCommand(ctx, 'fds')],
      );
    case 'ENOMEM':
      return finding(id, 'critical', `Memory allocations fail (ENOMEM ${n})`, ev, [
        probeCommand(ctx, 'mem', ['--watch', '120s']),
      ]);
    default:
      return finding(id, 'info', `${e.errno} ${n} in ${e.syscalls.join(', ') || 'some calls'}`, ev, [
        probeCommand(ctx, 'strace', ['--full']),
      ]);
  }
}

function enoentFinding(ctx: ProbeFindingContext, e: ErrnoView, ev: string[]): Finding {
  const id = errnoId(e.errno);
  const n = `×${int(e.count)}`;
  const ca = e.subjects.filter((s) => CA_PATH.test(s) && !isNoise(s));
  const token = e.subjects.filter((s) => SA_TOKEN.test(s));
  const config = e.subjects.filter((s) => CONFIG_PATH.test(s) && !isNoise(s) && !ca.includes(s));
  const paths = `${e.subjects.filter((s) => !isNoise(s)).length} path(s) that are not library or locale lookups`;
  if (ca.length > 0) {
    ev.push(
      'Without a CA bundle, TLS clients cannot verify servers: HTTPS calls fail with certificate errors',
    );
    return finding(
      id,
      'warning',
      `Files not found (ENOENT ${n}), including the CA bundle ${listed(ca)}`,
      ev,
      [
        'Install the CA certificates in the image (`apk add ca-certificates`, `apt-get install ca-certificates`), or mount a bundle and set SSL_CERT_FILE',
        probeCommand(ctx, 'strace', FILE_TRACE),
      ],
    );
  }
  if (token.length > 0) {
    ev.push('The service-account token is not mounted: automountServiceAccountToken is false');
    return finding(
      id,
      'warning',
      `The Kubernetes service-account token is missing (ENOENT on ${listed(token, 1)})`,
      ev,
      [kubectlNs(ctx, `get pod ${ctx.target.pod} -o jsonpath='{.spec.automountServiceAccountToken}'`)],
    );
  }
  if (config.length > 0) {
    ev.push(`${paths}; these look like configuration the process expects`);
    return finding(id, 'warning', `Configuration files not found (ENOENT ${n}): ${listed(config)}`, ev, [
      kubectlNs(
        ctx,
        `get pod ${ctx.target.pod} -o jsonpath='{.spec.containers[?(@.name=="${ctx.target.container}")].volumeMounts}'`,
      ),
      'Check that the ConfigMap or Secret volume is mounted at that path and has that key',
      probeCommand(ctx, 'strace', FILE_TRACE),
    ]);
  }
  return finding(
    id,
    'info',
    `Lookups of files that do not exist (ENOENT ${n}): normal for library, locale and search-path lookups`,
    ev,
    ['Nothing to do unless a path above is one the process needs'],
  );
}

function totals(rows: readonly SyscallRow[]): { calls: number; errors: number; seconds: number } {
  return rows.reduce(
    (t, r) => ({ calls: t.calls + r.calls, errors: t.errors + r.errors, seconds: t.seconds + r.seconds }),
    { calls: 0, errors: 0, seconds: 0 },
  );
}

function rowsOf(d: StraceData): SyscallRow[] {
  return d.summary
    .filter((r) => r.syscall !== 'total')
    .sort((a, b) => b.seconds - a.seconds || b.calls - a.calls);
}

function share(r: SyscallRow, totalSeconds: number): number {
  if (totalSeconds > 0) return (r.seconds / totalSeconds) * 100;
  return r.pctTime;
}

function rowLine(r: SyscallRow, totalSeconds: number): string {
  return `${r.syscall}: ${share(r, totalSeconds).toFixed(1)}% of syscall time, ${r.seconds.toFixed(6)} s, ${int(r.calls)} calls${r.errors > 0 ? `, ${int(r.errors)} errors` : ''}`;
}

/** Findings from a strace summary, unsorted. */
export function straceFindings(d: StraceData, ctx: ProbeFindingContext): Finding[] {
  const out: Finding[] = [];
  const durationSec = ctx.spec.action === 'strace' ? ctx.spec.durationSec : undefined;
  const rows = rowsOf(d);
  const t = totals(rows);

  if (t.calls === 0) {
    out.push(
      finding(
        'strace-no-syscalls',
        'warning',
        `No syscall completed in ${durationSec ? humanSeconds(durationSec) : 'the trace'}: the process is stuck in one call, or spinning in user space`,
        [`calls: 0`, `threads traced: ${d.threads}`],
        [
          probeCommand(ctx, 'ps'),
          'strace counts a call when it returns: a process blocked in one read or lock for the whole trace shows nothing',
        ],
      ),
    );
  }

  // failed calls, most frequent first
  const errnos = [...d.errors].sort((a, b) => b.count - a.count).map(view);
  for (const e of errnos) out.push(errnoFinding(ctx, e));

  // long blocking calls that are not plain waits
  const slow = d.slowCalls.filter((c) => c.seconds >= 1 && !WAIT_SYSCALLS.has(c.syscall));
  if (slow.length > 0) {
    const names = uniq(slow.map((c) => c.syscall));
    const next: string[] = [];
    if (names.some((s) => s === 'connect')) next.push(probeCommand(ctx, 'netcheck'));
    if (
      names.some((s) =>
        /^(f(data)?sync|sync_file_range|write|pwrite64|openat|open|unlink|rename|stat|newfstatat)$/.test(s),
      )
    )
      next.push(
        'Slow file calls point to the volume: check the PV’s storage (NFS, network disks) and the node’s I/O',
      );
    if (names.some((s) => /^(read|recvfrom|recvmsg|sendto|sendmsg|write)$/.test(s)))
      next.push(
        'A read that blocks for seconds on a socket is waiting for the peer: find which with the full network trace',
      );
    next.push(probeCommand(ctx, 'strace', NETWORK_TRACE));
    out.push(
      finding(
        'strace-slow-calls',
        'warning',
        `${plural(slow.length, 'call')} blocked for 1 s or more: ${slow
          .slice(0, 3)
          .map((c) => `${c.syscall} ${humanSeconds(c.seconds)}`)
          .join(', ')}`,
        slow.slice(0, 5).map((c) => `${c.seconds.toFixed(3)} s: ${clean(c.line, 240)}`),
        uniq(next),
      ),
    );
  }

  if (t.calls > 0 && durationSec) {
    const spin = rows.filter(
      (r) =>
        (r.syscall === 'sched_yield' && r.calls / durationSec >= 1000) ||
        (['epoll_wait', 'epoll_pwait', 'poll', 'ppoll', 'select'].includes(r.syscall) &&
          r.calls / durationSec >= 10_000 &&
          r.usecsPerCall < 10),
    );
    if (spin.length > 0) {
      out.push(
        finding(
          'strace-spinning',
          'warning',
          `The process spins: ${spin.map((r) => `${r.syscall} ${int(r.calls / durationSec)} calls/s`).join(', ')} that return at once`,
          spin.map((r) => `${rowLine(r, t.seconds)}, ${r.usecsPerCall} µs/call`),
          [
            'A busy-wait loop burns CPU for nothing (a zero timeout in a poll loop, a spin lock); check the CPU use',
            probeCommand(ctx, 'ps'),
          ],
        ),
      );
    }
  }

  // strace -c rounds short traces to 0 s: then the time split says nothing
  if (t.calls > 0 && t.seconds > 0) {
    const waits = rows.filter((r) => WAIT_SYSCALLS.has(r.syscall));
    const waitShare = waits.reduce((s, r) => s + share(r, t.seconds), 0);
    const rate = durationSec
      ? ` (${int(t.calls / durationSec)} calls/s over ${humanSeconds(durationSec)})`
      : '';
    const summary = `total: ${int(t.calls)} calls, ${int(t.errors)} errors, ${t.seconds.toFixed(6)} s in syscalls${rate}; threads traced: ${d.threads}`;
    if (waitShare >= 50) {
      const top = waits.slice(0, 3);
      out.push(
        finding(
          'strace-waiting',
          'info',
          `Mostly waiting: ${top.map((r) => `\`${r.syscall}\``).join(', ')} take ${waitShare.toFixed(1)}% of syscall time (idle, or blocked on locks or peers)`,
          [...top.map((r) => rowLine(r, t.seconds)), summary],
          [
            'If requests are slow while it waits, find what it waits on: the full network trace, or a thread dump of the runtime (jstack, py-spy dump, SIGQUIT for Go)',
            probeCommand(ctx, 'strace', NETWORK_TRACE),
          ],
        ),
      );
    } else {
      const top = rows.slice(0, 3);
      out.push(
        finding(
          'strace-busy',
          'info',
          `Busy in syscalls: ${top.map((r) => `\`${r.syscall}\` ${share(r, t.seconds).toFixed(1)}%`).join(', ')} of syscall time`,
          [...top.map((r) => rowLine(r, t.seconds)), summary],
          [probeCommand(ctx, 'strace', ['--full'])],
        ),
      );
    }
  }
  return out;
}

/** The summary table: top 10 syscalls by time, then the total. */
export function straceText(d: StraceData): string[] {
  const rows = rowsOf(d);
  const t = totals(rows);
  const top = rows.slice(0, 10);
  const table: string[][] = [['syscall', '% time', 'seconds', 'calls', 'errors']];
  for (const r of top) {
    table.push([
      cut(r.syscall, 24),
      share(r, t.seconds).toFixed(2),
      r.seconds.toFixed(6),
      int(r.calls),
      r.errors > 0 ? int(r.errors) : '',
    ]);
  }
  table.push(['total', t.seconds > 0 ? '100.00' : '0.00', t.seconds.toFixed(6), int(t.calls), int(t.errors)]);
  const lines = columns(table, ['l', 'r', 'r', 'r', 'r']);
  if (rows.length > top.length)
    lines.splice(lines.length - 1, 0, `… ${rows.length - top.length} more syscalls`);
  lines.push(`threads traced: ${d.threads}`);
  const errs = [...d.errors].sort((a, b) => b.count - a.count).slice(0, 6);
  if (errs.length > 0) {
    lines.push('', 'failed calls:');
    lines.push(
      ...columns(
        errs.map((e) => [
          e.errno,
          int(e.count),
          cut(e.syscalls.join(','), 24),
          cut(uniq(e.examples.map(subjectOf))[0] ?? '', 60),
        ]),
        ['l', 'r', 'l', 'l'],
      ).map((l) => `  ${l}`),
    );
  }
  return lines;
}
