/**
 * fds: open file descriptors against the limit, and what the sockets'
 * TCP states say (CLOSE_WAIT: this process never closed; SYN_SENT: no answer).
 */
import { type Finding, finding } from '../../contracts/finding.js';
import type { FdsData } from '../../contracts/probe.js';
import { tcpState } from '../program/proc-net.js';
import { clean, columns, cut, int, type ProbeFindingContext, pct, plural, probeCommand } from './format.js';

type Socket = FdsData['sockets'][number];

export const FDS_THRESHOLDS = {
  criticalPct: 90,
  warningPct: 75,
  closeWait: 10,
  synSent: 3,
  timeWait: 1000,
} as const;

export function countBy<T>(xs: readonly T[], key: (x: T) => string): [string, number][] {
  const m = new Map<string, number>();
  for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}

function peers(sockets: readonly Socket[], max = 3): string {
  return countBy(sockets, (s) => s.remote)
    .slice(0, max)
    .map(([r, n]) => `${clean(r, 60)} ×${int(n)}`)
    .join(', ');
}

/** Findings from an fds probe, unsorted. */
export function fdsFindings(d: FdsData, ctx: ProbeFindingContext): Finding[] {
  const out: Finding[] = [];
  const T = FDS_THRESHOLDS;
  const c = ctx.target.container;
  const byType = Object.entries(d.byType)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${int(n)}`)
    .join(', ');

  if (d.softLimit !== null && d.softLimit > 0) {
    const share = (d.open / d.softLimit) * 100;
    if (share >= T.warningPct) {
      const ev = [
        `open: ${int(d.open)} of soft limit ${int(d.softLimit)} (${pct(d.open, d.softLimit)})`,
        `hard limit: ${d.hardLimit === null ? 'unknown' : int(d.hardLimit)}`,
        `by type: ${byType}`,
      ];
      const canRaise = d.hardLimit !== null && d.hardLimit > d.softLimit;
      out.push(
        finding(
          'fds-near-limit',
          share >= T.criticalPct ? 'critical' : 'warning',
          `Container \`${c}\` has ${int(d.open)} files open of its ${int(d.softLimit)} limit (${pct(d.open, d.softLimit)}): at the limit, new connections and files fail with EMFILE`,
          ev,
          [
            'If the count keeps growing, descriptors leak (connections or files never closed): run fds again in a minute and compare',
            canRaise
              ? `The process may raise its soft limit up to the hard limit ${int(d.hardLimit!)} (setrlimit, \`ulimit -n\` in the entrypoint)`
              : 'Raise the limit in the container runtime’s configuration (LimitNOFILE) or fix the leak',
            probeCommand(ctx, 'fds'),
          ],
        ),
      );
    }
  }

  const closeWait = d.sockets.filter((s) => tcpState(s.state) === 'CLOSE_WAIT');
  if (closeWait.length >= T.closeWait) {
    out.push(
      finding(
        'sockets-close-wait',
        'warning',
        `${plural(closeWait.length, 'socket')} in CLOSE_WAIT: the peers closed them but container \`${c}\` never did (a connection leak)`,
        [
          `CLOSE_WAIT: ${int(closeWait.length)} of ${int(d.sockets.length)} sockets`,
          `peers: ${peers(closeWait)}`,
          `open descriptors: ${int(d.open)}${d.softLimit !== null ? ` of ${int(d.softLimit)}` : ''}`,
        ],
        [
          'Find the client code that talks to those peers and make sure it closes connections (a response body never closed, a pool that never evicts dead connections)',
          probeCommand(ctx, 'strace', ['--trace', 'network', '--full']),
        ],
      ),
    );
  }

  const synSent = d.sockets.filter((s) => tcpState(s.state) === 'SYN_SENT');
  if (synSent.length >= T.synSent) {
    const targets = countBy(synSent, (s) => s.remote)
      .slice(0, 3)
      .map(([r]) => r)
      .filter((r) => /^[0-9a-f.:[\]]+:\d+$/i.test(r));
    out.push(
      finding(
        'sockets-syn-sent',
        'warning',
        `${plural(synSent.length, 'connection')} hanging in SYN_SENT: the peers do not answer (${peers(synSent, 2)})`,
        [
          `SYN_SENT: ${int(synSent.length)}`,
          `peers: ${peers(synSent)}`,
          'No SYN-ACK came back: a NetworkPolicy or firewall drops the packets, or the peer is down',
        ],
        [
          `kubectl -n ${ctx.target.namespace} get networkpolicy`,
          ...(targets.length > 0 ? [probeCommand(ctx, 'netcheck', targets)] : []),
        ],
      ),
    );
  }

  const timeWait = d.sockets.filter((s) => tcpState(s.state) === 'TIME_WAIT');
  if (timeWait.length >= T.timeWait) {
    out.push(
      finding(
        'sockets-time-wait',
        'info',
        `${plural(timeWait.length, 'socket')} in TIME_WAIT: many short-lived connections (${peers(timeWait, 2)})`,
        [`TIME_WAIT: ${int(timeWait.length)}`, `peers: ${peers(timeWait)}`],
        [
          'Reuse connections (HTTP keep-alive, a connection pool): at high rates short connections exhaust ephemeral ports',
        ],
      ),
    );
  }
  return out;
}

export function fdsQuiet(d: FdsData): string[] {
  return [
    `open: ${int(d.open)}${d.softLimit !== null ? ` of ${int(d.softLimit)} (${pct(d.open, d.softLimit)})` : ''}`,
    `sockets: ${
      d.sockets.length === 0
        ? 'none'
        : countBy(d.sockets, (s) => tcpState(s.state))
            .map(([s, n]) => `${s} ${n}`)
            .join(', ')
    }`,
  ];
}

/** Open/limit, counts by type, sockets by state, then the first descriptors. */
export function fdsText(d: FdsData): string[] {
  const limit =
    d.softLimit !== null
      ? `${int(d.open)} / ${int(d.softLimit)} soft (${pct(d.open, d.softLimit)}), hard ${d.hardLimit === null ? '?' : int(d.hardLimit)}`
      : `${int(d.open)} (limit unknown)`;
  const types = Object.entries(d.byType)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${int(n)}`)
    .join(', ');
  const states = countBy(d.sockets, (s) => tcpState(s.state))
    .map(([s, n]) => `${s} ${int(n)}`)
    .join(', ');
  const lines = columns([
    ['open', limit],
    ['by type', types || 'none'],
    ['sockets', states || 'none'],
  ]);
  const cw = d.sockets.filter((s) => tcpState(s.state) === 'CLOSE_WAIT');
  if (cw.length > 0) lines.push(`CLOSE_WAIT peers: ${peers(cw)}`);
  if (d.top.length > 0) {
    lines.push('', 'descriptors:');
    const shown = d.top.slice(0, 12);
    lines.push(
      ...columns(
        shown.map((f) => [String(f.fd), cut(clean(f.target, 120), 80)]),
        ['r', 'l'],
      ).map((l) => `  ${l}`),
    );
    if (d.top.length > shown.length) lines.push(`  … ${d.top.length - shown.length} more`);
  }
  return lines;
}
