/**
 * tcpdump: what the capture holds, and whether it is complete (kernel drops,
 * the packet cap).
 */
import { type Finding, finding } from '../../contracts/finding.js';
import { PROBE_LIMITS, type ProbeSpec, type TcpdumpData } from '../../contracts/probe.js';
import {
  clean,
  columns,
  humanSeconds,
  int,
  type ProbeFindingContext,
  plural,
  probeCommand,
} from './format.js';

export interface TcpdumpStats {
  captured?: number;
  received?: number;
  dropped?: number;
}

/** tcpdump's closing lines: `N packets captured`, `N packets received by filter`, `N packets dropped by kernel`. */
export function tcpdumpCounters(lines: readonly string[]): TcpdumpStats {
  const st: TcpdumpStats = {};
  for (const l of lines) {
    const m = /^\s*(\d+)\s+packets?\s+(captured|received by filter|dropped by kernel)/i.exec(l);
    if (!m) continue;
    const n = Number(m[1]);
    const what = m[2]!.toLowerCase();
    if (what === 'captured') st.captured = n;
    else if (what.startsWith('received')) st.received = n;
    else st.dropped = n;
  }
  return st;
}

function filterText(spec: ProbeSpec): string {
  return spec.action === 'tcpdump' && spec.filter.length > 0 ? spec.filter.join(' ') : '(no filter)';
}

/** Findings from a tcpdump probe, unsorted. */
export function tcpdumpFindings(d: TcpdumpData, ctx: ProbeFindingContext): Finding[] {
  const out: Finding[] = [];
  const st = tcpdumpCounters(d.stats);
  const duration = ctx.spec.action === 'tcpdump' ? humanSeconds(ctx.spec.durationSec) : 'the capture';
  const filter = filterText(ctx.spec);
  const ev = [`filter: ${clean(filter, 200)}`, ...d.stats.map((l) => clean(l, 200))];

  if ((st.dropped ?? 0) > 0) {
    const seen = st.received ?? (st.captured ?? d.packets) + st.dropped!;
    out.push(
      finding(
        'tcpdump-dropped',
        'warning',
        `The capture is incomplete: ${plural(st.dropped!, 'packet')} dropped by the kernel (of ${int(seen)} seen)`,
        ev,
        [
          `tcpdump could not keep up: narrow the filter to one host and port, e.g. \`${probeCommand(ctx, 'tcpdump', ['host', '10.0.0.1', 'and', 'port', '5432'])}\` with your peer's address`,
        ],
      ),
    );
  }

  if (d.packets === 0) {
    out.push(
      finding(
        'tcpdump-no-packets',
        'info',
        `No packets matched \`${clean(filter, 100)}\` in ${duration}`,
        ev,
        [
          'Check the filter: traffic through a sidecar proxy may use other ports, or go over lo',
          probeCommand(ctx, 'tcpdump'),
        ],
      ),
    );
  } else {
    const capped = d.packets >= PROBE_LIMITS.maxPackets;
    out.push(
      finding(
        capped ? 'tcpdump-packet-cap' : 'tcpdump-captured',
        'info',
        capped
          ? `Captured ${int(d.packets)} packets and stopped at the cap: the capture covers less than ${duration}`
          : `Captured ${plural(d.packets, 'packet')} in ${duration}`,
        ev,
        [
          'Open the attached pcap in Wireshark, or summarise it: `tshark -r FILE -q -z conv,tcp`',
          'Look for resets (`tcp.flags.reset==1`) and retransmissions (`tcp.analysis.retransmission`)',
        ],
      ),
    );
  }
  return out;
}

/** Packets, filter and tcpdump's own statistics. */
export function tcpdumpText(d: TcpdumpData, spec: ProbeSpec): string[] {
  const lines = columns([
    ['packets', int(d.packets)],
    ['filter', clean(filterText(spec), 200)],
  ]);
  for (const l of d.stats.slice(0, 6)) lines.push(clean(l, 200));
  return lines;
}
