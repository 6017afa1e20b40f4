/**
 * netcheck: DNS and TCP from inside the pod's network namespace: names that
 * do not resolve, DNS servers that fail, ports that refuse or time out, and
 * the resolv.conf settings behind slow lookups.
 */
import { type Finding, finding } from '../../contracts/finding.js';
import type { NetcheckData } from '../../contracts/probe.js';
import {
  clean,
  columns,
  cut,
  humanSeconds,
  kubectlNs,
  type ProbeFindingContext,
  plural,
  probeCommand,
} from './format.js';

type DnsRow = NetcheckData['dns'][number];
type TcpRow = NetcheckData['tcp'][number];

export const NETCHECK_THRESHOLDS = {
  /** A lookup or connect slower than this is a finding. */
  slowMs: 1000,
} as const;

export interface WrittenResolvConf {
  nameservers: string[];
  search: string[];
  /** resolv(5) default is 1. */
  ndots: number;
  options: string[];
}

/**
 * resolv.conf as the file says it: every nameserver, search/domain, every option (ndots), for the report.
 * The probe program's own parser (program/resolv.ts) applies the resolver's limits instead.
 */
export function resolvConfAsWritten(text: string): WrittenResolvConf {
  const rc: WrittenResolvConf = { nameservers: [], search: [], ndots: 1, options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) rc.nameservers.push(rest[0]);
    else if (key === 'search' || key === 'domain') rc.search = rest;
    else if (key === 'options') {
      for (const o of rest) {
        rc.options.push(o);
        const m = /^ndots:(\d+)$/.exec(o);
        if (m) rc.ndots = Math.min(Number(m[1]), 15);
      }
    }
  }
  return rc;
}

/** A name the cluster DNS answers itself: a short name or `….svc[.cluster-domain]`. */
export function isClusterDnsName(name: string): boolean {
  const n = name.replace(/\.$/, '').toLowerCase();
  return !n.includes('.') || /\.svc(\.|$)/.test(n) || n.endsWith('.cluster.local');
}

/** The Service a cluster name points at: `db` → db in the pod's namespace; `db.data.svc…` → db in data. */
export function serviceOf(
  name: string,
  podNamespace: string,
): { name: string; namespace: string } | undefined {
  const n = name.replace(/\.$/, '').toLowerCase();
  if (/^[a-z0-9-]+$/.test(n)) return { name: n, namespace: podNamespace };
  const m = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(\..+)?$/.exec(n);
  return m ? { name: m[1]!, namespace: m[2]! } : undefined;
}

const NOT_FOUND = /NXDOMAIN|ENOTFOUND|NOTFOUND|not found|does not exist|no such host|unknown host/i;
const NO_DATA = /ENODATA|NODATA|no address|no data/i;

type DnsFailure = 'not-found' | 'no-data' | 'server';

function dnsFailureKind(error: string): DnsFailure {
  if (NO_DATA.test(error)) return 'no-data';
  if (NOT_FOUND.test(error)) return 'not-found';
  return 'server';
}

function dnsFailed(r: DnsRow): boolean {
  return Boolean(r.error) || r.addresses.length === 0;
}

function isKubernetesDefault(name: string): boolean {
  return /^kubernetes\.default(\.svc(\..*)?)?\.?$/i.test(name);
}

function dnsLine(r: DnsRow): string {
  return dnsFailed(r)
    ? `${clean(r.name, 120)}: ${clean(r.error ?? 'no addresses', 80)} after ${Math.round(r.ms)} ms`
    : `${clean(r.name, 120)}: ${r.addresses.slice(0, 4).join(', ')} in ${Math.round(r.ms)} ms`;
}

function tcpTarget(r: TcpRow): string {
  return `${clean(r.host, 120)}:${r.port}${r.address && r.address !== r.host ? ` (${r.address})` : ''}`;
}

function tcpLine(r: TcpRow): string {
  return `${tcpTarget(r)}: ${r.ok ? 'connected' : clean(r.error ?? 'failed', 60)} after ${Math.round(r.ms)} ms`;
}

const DNS_PODS = 'kubectl -n kube-system get pods -l k8s-app=kube-dns -o wide';

function serviceCommands(ctx: ProbeFindingContext, r: TcpRow): string[] {
  const svc = serviceOf(r.host, ctx.target.namespace);
  if (svc) return [`kubectl -n ${svc.namespace} get endpoints ${svc.name}`];
  const ip = r.address ?? r.host;
  if (/^[0-9.]+$|:/.test(ip)) return [`kubectl get svc -A -o wide | grep -F ${ip}`];
  return [];
}

/** Findings from a netcheck probe, unsorted. */
export function netcheckFindings(d: NetcheckData, ctx: ProbeFindingContext): Finding[] {
  const out: Finding[] = [];
  const rc = resolvConfAsWritten(d.resolvConf);
  const rcLine = `resolv.conf: nameserver ${rc.nameservers.join(' ') || '(none)'}; search ${rc.search.join(' ') || '(none)'}; ndots:${rc.ndots}`;
  const failed = d.dns.filter(dnsFailed);
  const allFailed = d.dns.length > 0 && failed.length === d.dns.length;

  const notFound = failed.filter((r) => dnsFailureKind(r.error ?? 'no data') !== 'server');
  if (notFound.length > 0) {
    const next: string[] = [];
    for (const r of notFound.slice(0, 3)) {
      const svc = serviceOf(r.name, ctx.target.namespace);
      if (svc) {
        next.push(`kubectl -n ${svc.namespace} get svc,endpoints ${svc.name}`);
        if (!r.name.includes('.'))
          next.push(
            `If the Service lives in another namespace, use its full name \`${svc.name}.<namespace>.svc.cluster.local\`: \`kubectl get svc -A --field-selector metadata.name=${svc.name}\``,
          );
      } else if (!isClusterDnsName(r.name)) {
        next.push(
          `Check the spelling of \`${clean(r.name, 120)}\` and that the upstream DNS knows it: the cluster DNS (${rc.nameservers[0] ?? '?'}) forwards it`,
        );
      }
    }
    const ev = notFound.map(dnsLine);
    if (notFound.some((r) => dnsFailureKind(r.error ?? 'no data') === 'no-data'))
      ev.push('No data: the name exists but has no address records (a headless Service with no ready pods)');
    ev.push(rcLine);
    out.push(
      finding(
        'dns-unresolvable',
        allFailed ? 'critical' : 'warning',
        `${notFound.length === 1 ? 'Name' : 'Names'} that do not resolve from pod \`${ctx.target.pod}\`: ${notFound
          .slice(0, 3)
          .map((r) => `\`${clean(r.name, 80)}\``)
          .join(', ')}`,
        ev,
        [...new Set(next)],
      ),
    );
  }

  const serverFail = failed.filter((r) => dnsFailureKind(r.error ?? 'no data') === 'server');
  if (serverFail.length > 0) {
    const broken = allFailed || serverFail.some((r) => isKubernetesDefault(r.name));
    out.push(
      finding(
        'dns-server-failing',
        broken ? 'critical' : 'warning',
        `DNS lookups fail (${serverFail
          .slice(0, 2)
          .map((r) => clean(r.error ?? 'no answer', 30))
          .join(', ')}): the DNS server ${rc.nameservers[0] ?? ''} does not answer properly`,
        [...serverFail.map(dnsLine), rcLine],
        [
          DNS_PODS,
          'kubectl -n kube-system logs -l k8s-app=kube-dns --tail=50',
          `${kubectlNs(ctx, 'get networkpolicy')} (egress to UDP/TCP 53 must be allowed)`,
        ],
      ),
    );
  }

  const slowDns = d.dns.filter((r) => !dnsFailed(r) && r.ms >= NETCHECK_THRESHOLDS.slowMs);
  if (slowDns.length > 0) {
    // one or two resolver retries after the default 5 s timeout
    const fiveSec = slowDns.some((r) => (r.ms >= 4500 && r.ms < 5600) || (r.ms >= 9500 && r.ms < 10_600));
    out.push(
      finding(
        'dns-slow',
        'warning',
        `Slow DNS: ${slowDns
          .slice(0, 3)
          .map((r) => `\`${clean(r.name, 80)}\` ${humanSeconds(r.ms / 1000)}`)
          .join(', ')}`,
        [
          ...slowDns.map(dnsLine),
          fiveSec
            ? 'About 5 s is the resolver retrying after a lost UDP packet (the conntrack race of parallel A and AAAA queries)'
            : 'The DNS server or its upstream answers slowly',
          rcLine,
        ],
        [
          ...(fiveSec
            ? [
                'Add `dnsConfig: {options: [{name: single-request-reopen}]}` to the pod, or run NodeLocal DNSCache',
              ]
            : []),
          DNS_PODS,
        ],
      ),
    );
  }

  if (rc.ndots >= 2 && rc.search.length > 0) {
    const external = d.dns.filter(
      (r) =>
        !isClusterDnsName(r.name) &&
        !r.name.endsWith('.') &&
        r.name.split('.').length - 1 < rc.ndots &&
        r.name.includes('.'),
    );
    if (external.length > 0) {
      const e = external[0]!;
      const queries = (rc.search.length + 1) * 2;
      out.push(
        finding(
          'dns-ndots',
          'info',
          `\`ndots:${rc.ndots}\` makes each lookup of an outside name like \`${clean(e.name, 80)}\` try ${plural(rc.search.length, 'search domain')} first (up to ${queries} queries)`,
          [
            rcLine,
            ...external
              .slice(0, 3)
              .map(
                (r) =>
                  `${clean(r.name, 80)}: ${r.name.split('.').length - 1} dot(s) < ndots:${rc.ndots}, tried as ${clean(`${r.name}.${rc.search[0]}`, 120)} first; took ${Math.round(r.ms)} ms`,
              ),
          ],
          [
            `Use the fully qualified name with a trailing dot (\`${clean(e.name, 80)}.\`) in the app's configuration`,
            'Or set `dnsConfig: {options: [{name: ndots, value: "2"}]}` in the pod template',
          ],
        ),
      );
    }
  }

  const dnsFailedNames = new Set(failed.map((r) => r.name.toLowerCase()));
  const tcpFails = d.tcp.filter((r) => !r.ok);
  const groups: {
    id: string;
    match: (e: string) => boolean;
    title: (rs: TcpRow[]) => string;
    why: string;
  }[] = [
    {
      id: 'tcp-refused',
      match: (e) => /ECONNREFUSED|refused/i.test(e),
      title: (rs) =>
        `Connections refused: nothing listens at ${rs.map((r) => `\`${tcpTarget(r)}\``).join(', ')}`,
      why: 'Refused: for a Service, usually no ready endpoints (kube-proxy rejects) or a wrong targetPort; for a pod, the process does not listen on that port',
    },
    {
      id: 'tcp-timeout',
      match: (e) => /ETIMEDOUT|timed? ?out|timeout/i.test(e),
      title: (rs) =>
        `Connections time out to ${rs.map((r) => `\`${tcpTarget(r)}\``).join(', ')}: packets are dropped`,
      why: 'Timed out: a NetworkPolicy or firewall drops the packets, or the peer is down or its listen backlog is full',
    },
    {
      id: 'tcp-unreachable',
      match: (e) => /EHOSTUNREACH|ENETUNREACH|unreachable|no route/i.test(e),
      title: (rs) => `No route to ${rs.map((r) => `\`${tcpTarget(r)}\``).join(', ')}`,
      why: 'Unreachable: the address is gone (a stale IP) or routing (CNI) is broken',
    },
  ];
  const claimed = new Set<TcpRow>();
  for (const g of groups) {
    const rs = tcpFails.filter((r) => !claimed.has(r) && g.match(r.error ?? ''));
    if (rs.length === 0) continue;
    for (const r of rs) claimed.add(r);
    const next = rs.flatMap((r) => serviceCommands(ctx, r));
    if (g.id !== 'tcp-refused') next.push(kubectlNs(ctx, 'get networkpolicy'));
    next.push(probeCommand(ctx, 'tcpdump', ['tcp', 'port', String(rs[0]!.port)]));
    out.push(
      finding(g.id, 'critical', g.title(rs.slice(0, 3)), [...rs.map(tcpLine), g.why], [...new Set(next)]),
    );
  }
  const other = tcpFails.filter((r) => !claimed.has(r) && !dnsFailedNames.has(r.host.toLowerCase()));
  if (other.length > 0) {
    out.push(
      finding(
        'tcp-failed',
        'warning',
        `Connections fail to ${other
          .slice(0, 3)
          .map((r) => `\`${tcpTarget(r)}\``)
          .join(', ')}`,
        other.map(tcpLine),
        [
          ...new Set(other.flatMap((r) => serviceCommands(ctx, r))),
          probeCommand(ctx, 'strace', ['--trace', 'network', '--full']),
        ],
      ),
    );
  }

  const slowTcp = d.tcp.filter((r) => r.ok && r.ms >= NETCHECK_THRESHOLDS.slowMs);
  if (slowTcp.length > 0) {
    out.push(
      finding(
        'tcp-slow',
        'warning',
        `Slow connects: ${slowTcp
          .slice(0, 3)
          .map((r) => `\`${tcpTarget(r)}\` ${humanSeconds(r.ms / 1000)}`)
          .join(', ')}`,
        [
          ...slowTcp.map(tcpLine),
          'A connect of 1 s or 3 s is a lost SYN retransmitted: packet loss, or a peer too busy to accept',
        ],
        [probeCommand(ctx, 'tcpdump', ['tcp', 'port', String(slowTcp[0]!.port)])],
      ),
    );
  }

  const local = localhostOnly(d.listening);
  if (local.length > 0) {
    out.push(
      finding(
        'listen-localhost-only',
        'info',
        `Port ${local.map((l) => l.port).join(', ')} listens on localhost only: other pods, the Service and kubelet probes cannot reach it`,
        local.map((l) => `${l.proto} ${l.local} ${l.state}`),
        ['If it should serve traffic, make the process bind 0.0.0.0 (or ::) instead of 127.0.0.1'],
      ),
    );
  }
  return out;
}

/** Listening sockets bound to loopback only, with no wildcard or pod-IP listener on the same port. */
export function localhostOnly(
  listening: NetcheckData['listening'],
): { proto: string; local: string; state: string; port: string }[] {
  const withPort = listening.map((l) => {
    const m = /^(.*):(\d+|\*)$/.exec(l.local);
    return { ...l, host: m?.[1] ?? l.local, port: m?.[2] ?? '' };
  });
  const loop = (h: string) => /^(127\.|\[?::1\]?$|localhost$|\[?::ffff:127\.)/.test(h);
  return withPort.filter(
    (l) =>
      loop(l.host) &&
      !withPort.some((o) => o.port === l.port && o.proto.startsWith(l.proto.slice(0, 3)) && !loop(o.host)),
  );
}

export function netcheckQuiet(d: NetcheckData): string[] {
  const ok = d.dns.filter((r) => !dnsFailed(r)).length;
  const tcpOk = d.tcp.filter((r) => r.ok).length;
  return [
    `DNS: ${ok} of ${d.dns.length} names resolved`,
    `TCP: ${tcpOk} of ${d.tcp.length} ports connected`,
    ...d.dns.slice(0, 3).map(dnsLine),
    ...d.tcp.slice(0, 3).map(tcpLine),
  ];
}

/** resolv.conf settings, each lookup, each connect, listening ports. */
export function netcheckText(d: NetcheckData): string[] {
  const rc = resolvConfAsWritten(d.resolvConf);
  const lines = columns([
    ['nameserver', rc.nameservers.join(' ') || '(none)'],
    ['search', cut(rc.search.join(' '), 100) || '(none)'],
    ['options', rc.options.join(' ') || `(ndots:${rc.ndots})`],
  ]);
  if (d.dns.length > 0) {
    lines.push('', 'DNS');
    lines.push(
      ...columns(
        d.dns.map((r) => [
          cut(clean(r.name, 60), 48),
          dnsFailed(r) ? clean(r.error ?? 'no addresses', 30) : cut(r.addresses.join(' '), 40),
          `${Math.round(r.ms)} ms`,
        ]),
        ['l', 'l', 'r'],
      ).map((l) => `  ${l}`),
    );
  }
  if (d.tcp.length > 0) {
    lines.push('', 'TCP');
    lines.push(
      ...columns(
        d.tcp.map((r) => [
          cut(`${clean(r.host, 60)}:${r.port}`, 48),
          r.address ?? '',
          r.ok ? 'ok' : clean(r.error ?? 'failed', 24),
          `${Math.round(r.ms)} ms`,
        ]),
        ['l', 'l', 'l', 'r'],
      ).map((l) => `  ${l}`),
    );
  }
  lines.push('', `listening${d.listening.length === 0 ? ': none' : ''}`);
  lines.push(
    ...columns(d.listening.slice(0, 12).map((l) => [l.proto, clean(l.local, 60)])).map((l) => `  ${l}`),
  );
  if (d.listening.length > 12) lines.push(`  … ${d.listening.length - 12} more`);
  return lines;
}
