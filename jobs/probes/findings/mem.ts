/**
 * mem: the process's resident memory against the container's limit, its
 * growth while watched, and the cgroup's OOM counters.
 */
import { type Finding, finding } from '../../contracts/finding.js';
import type { MemData } from '../../contracts/probe.js';
import { humanBytes } from '../../contracts/units.js';
import {
  columns,
  humanSeconds,
  int,
  kubectlNs,
  type ProbeFindingContext,
  pct,
  plural,
  probeCommand,
} from './format.js';

const MiB = 1024 * 1024;
/** cgroup v1 reports "no limit" as a huge page-aligned number (9223372036854771712). */
const NO_LIMIT_ABOVE = 2 ** 60;

export const MEM_THRESHOLDS = {
  /** RSS at or above this share of the limit is critical: the next spike is an OOM kill. */
  criticalPct: 90,
  warningPct: 75,
  /** A watch shorter than this, or with fewer samples, says nothing about growth. */
  minWatchMs: 10_000,
  minSamples: 3,
  /** Growth over the watch below this is noise. */
  minRiseBytes: 2 * MiB,
  minRisePct: 2,
  /** At this rate the limit is reached within this many seconds: critical. */
  criticalEtaSec: 15 * 60,
} as const;

/** The memory limit that applies: the cgroup's, else the pod spec's; null when there is none. */
export function memLimit(d: MemData, fallback?: number): number | null {
  const l = d.cgroup.limitBytes;
  if (l !== null && l > 0 && l < NO_LIMIT_ABOVE) return l;
  if (fallback !== undefined && fallback > 0 && fallback < NO_LIMIT_ABOVE) return fallback;
  return null;
}

/** The process's RSS: /proc/PID/status VmRSS, else smaps_rollup Rss, else the last sample. */
export function rssOf(d: MemData): number | undefined {
  return d.status.VmRSS ?? d.smapsRollup.Rss ?? d.samples[d.samples.length - 1]?.rssBytes;
}

export interface Growth {
  /** Bytes per second, least-squares over the samples. */
  slope: number;
  /** Fitted rise over the watch. */
  rise: number;
  spanSec: number;
  first: number;
  last: number;
  /** How well a straight line explains the samples (0–1). */
  r2: number;
}

/** Least-squares line through RSS over time; undefined with fewer than 2 samples or no time span. */
export function rssGrowth(samples: MemData['samples']): Growth | undefined {
  if (samples.length < 2) return undefined;
  const xs = samples.map((s) => s.t / 1000);
  const ys = samples.map((s) => s.rssBytes);
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  }
  if (sxx === 0) return undefined;
  const slope = sxy / sxx;
  const spanSec = Math.max(...xs) - Math.min(...xs);
  const r2 = syy === 0 ? 0 : (sxy * sxy) / (sxx * syy);
  return { slope, rise: slope * spanSec, spanSec, first: ys[0]!, last: ys[n - 1]!, r2 };
}

function limitsCommand(ctx: ProbeFindingContext): string {
  return kubectlNs(
    ctx,
    `get pod ${ctx.target.pod} -o jsonpath='{.spec.containers[?(@.name=="${ctx.target.container}")].resources}'`,
  );
}

/** Findings from a mem probe, unsorted. */
export function memFindings(d: MemData, ctx: ProbeFindingContext): Finding[] {
  const out: Finding[] = [];
  const T = MEM_THRESHOLDS;
  const limit = memLimit(d, ctx.memoryLimitBytes);
  const rss = rssOf(d);
  const usage = d.cgroup.usageBytes;
  const watched = d.samples.length >= 2;
  const c = ctx.target.container;
  const limitSource =
    d.cgroup.limitBytes !== null && d.cgroup.limitBytes < NO_LIMIT_ABOVE
      ? `cgroup v${d.cgroup.version} limit`
      : 'resources.limits.memory';

  let nearLimit = false;
  if (limit !== null && rss !== undefined) {
    const share = (rss / limit) * 100;
    const ev = [
      `RSS (VmRSS): ${humanBytes(rss, 'fixed')} = ${pct(rss, limit)} of the ${humanBytes(limit, 'fixed')} ${limitSource}`,
    ];
    if (d.status.VmHWM !== undefined)
      ev.push(`peak RSS (VmHWM): ${humanBytes(d.status.VmHWM, 'fixed')} = ${pct(d.status.VmHWM, limit)}`);
    if (usage !== null)
      ev.push(`cgroup usage: ${humanBytes(usage, 'fixed')} = ${pct(usage, limit)} (includes page cache)`);
    if (share >= T.warningPct) {
      nearLimit = true;
      const severity = share >= T.criticalPct ? 'critical' : 'warning';
      const over = share >= 100;
      out.push(
        finding(
          'mem-near-limit',
          severity,
          over
            ? `Container \`${c}\` uses more memory than its limit: RSS ${humanBytes(rss, 'fixed')} of ${humanBytes(limit, 'fixed')} (${pct(rss, limit)})`
            : `Container \`${c}\` is close to its memory limit: RSS ${humanBytes(rss, 'fixed')} of ${humanBytes(limit, 'fixed')} (${pct(rss, limit)}); the next spike is an OOM kill`,
          ev,
          [
            ...(watched ? [] : [probeCommand(ctx, 'mem', ['--watch', '120s'])]),
            `Raise \`resources.limits.memory\` of container \`${c}\` (now ${humanBytes(limit, 'fixed')}) in the workload's pod template, or lower the process's heap or cache settings`,
            limitsCommand(ctx),
          ],
        ),
      );
    } else if (usage !== null && (usage / limit) * 100 >= T.criticalPct) {
      out.push(
        finding(
          'mem-cgroup-near-limit',
          'info',
          `The cgroup's usage is ${pct(usage, limit)} of the limit, but the process's RSS only ${pct(rss, limit)}: the rest is page cache or other processes`,
          [
            ...ev,
            'The kernel reclaims page cache before it OOM-kills; other processes in the container count too',
          ],
          [probeCommand(ctx, 'ps')],
        ),
      );
    }
  }

  const oomKills = d.cgroup.oomKills ?? 0;
  const oomEvents = d.cgroup.oomEvents ?? 0;
  if (oomKills > 0 || oomEvents > 0) {
    const ev = [
      `cgroup v${d.cgroup.version} ${d.cgroup.version === 2 ? 'memory.events' : 'memory.oom_control'}: oom ${d.cgroup.oomEvents ?? '?'}, oom_kill ${d.cgroup.oomKills ?? '?'}`,
    ];
    if (limit !== null) ev.push(`limit: ${humanBytes(limit, 'fixed')}`);
    if (oomKills > 0) {
      ev.push(
        "The counters belong to the running container's cgroup: a kill counted here hit a process (a worker or child) without the container restarting",
      );
    }
    out.push(
      finding(
        'mem-oom-events',
        oomKills > 0 && nearLimit ? 'critical' : 'warning',
        oomKills > 0
          ? `The OOM killer killed ${plural(oomKills, 'process', 'processes')} in container \`${c}\` while it kept running`
          : `Container \`${c}\` reached its memory limit ${plural(oomEvents, 'time')} (allocations were about to fail)`,
        ev,
        [
          probeCommand(ctx, 'ps'),
          kubectlNs(ctx, `get events --field-selector involvedObject.name=${ctx.target.pod}`),
          ...(limit !== null
            ? [
                `Raise \`resources.limits.memory\` of container \`${c}\` (now ${humanBytes(limit, 'fixed')}) or lower the per-worker memory`,
              ]
            : []),
        ],
      ),
    );
  }

  const g = rssGrowth(d.samples);
  if (g && d.samples.length >= T.minSamples && g.spanSec * 1000 >= T.minWatchMs) {
    const mean = d.samples.reduce((s, x) => s + x.rssBytes, 0) / d.samples.length;
    const significant =
      g.slope > 0 && g.rise >= T.minRiseBytes && (mean === 0 || (g.rise / mean) * 100 >= T.minRisePct);
    if (significant && g.r2 >= 0.5) {
      const perMin = g.slope * 60;
      const ev = [
        `RSS ${humanBytes(g.first, 'fixed')} → ${humanBytes(g.last, 'fixed')} over ${humanSeconds(g.spanSec)} (${d.samples.length} samples)`,
        `trend: +${humanBytes(perMin, 'fixed')}/min (least squares, R² ${g.r2.toFixed(2)})`,
      ];
      let severity: 'warning' | 'critical' = 'warning';
      let title = `Memory of container \`${c}\` grows steadily: +${humanBytes(perMin, 'fixed')}/min while watched`;
      if (limit !== null) {
        const left = limit - g.last;
        if (left <= 0) {
          ev.push(`already at or above the ${humanBytes(limit, 'fixed')} limit`);
          severity = 'critical';
        } else {
          const eta = left / g.slope;
          ev.push(
            `at this rate the ${humanBytes(limit, 'fixed')} limit is reached in about ${humanSeconds(eta)}`,
          );
          if (eta <= T.criticalEtaSec) {
            severity = 'critical';
            title = `Memory of container \`${c}\` grows +${humanBytes(perMin, 'fixed')}/min: the ${humanBytes(limit, 'fixed')} limit is reached in about ${humanSeconds(eta)}`;
          }
        }
      }
      out.push(
        finding('mem-growing', severity, title, ev, [
          'Compare with traffic: growth that tracks load is a cache or queue; growth at steady load is a leak',
          'Take a heap profile (pprof, jmap -histo, tracemalloc, heap snapshot) before it is OOM-killed',
          probeCommand(ctx, 'mem', ['--watch', '600s']),
        ]),
      );
    }
  }

  const swap = d.status.VmSwap ?? d.smapsRollup.Swap ?? 0;
  if (swap > 0) {
    out.push(
      finding(
        'mem-swapping',
        'info',
        `${humanBytes(swap, 'fixed')} of container \`${c}\`'s memory is swapped out: touching it again is slow`,
        [
          `VmSwap: ${humanBytes(swap, 'fixed')}`,
          ...(rss !== undefined ? [`RSS: ${humanBytes(rss, 'fixed')}`] : []),
        ],
        ['Expect latency spikes when swapped pages are touched; the node has swap enabled for this pod'],
      ),
    );
  }

  if (limit === null) {
    out.push(
      finding(
        'mem-no-limit',
        'info',
        `Container \`${c}\` has no memory limit: it can grow until the node runs short and evicts pods`,
        [
          `cgroup v${d.cgroup.version} limit: none`,
          ...(rss !== undefined ? [`RSS: ${humanBytes(rss, 'fixed')}`] : []),
        ],
        [
          `Set \`resources.limits.memory\` of container \`${c}\` to a little above its peak use`,
          limitsCommand(ctx),
        ],
      ),
    );
  }
  return out;
}

/** Evidence of a quiet mem probe. */
export function memQuiet(d: MemData, ctx: ProbeFindingContext): string[] {
  const limit = memLimit(d, ctx.memoryLimitBytes);
  const rss = rssOf(d);
  const ev: string[] = [];
  if (rss !== undefined)
    ev.push(
      `RSS: ${humanBytes(rss, 'fixed')}${limit !== null ? ` = ${pct(rss, limit)} of the ${humanBytes(limit, 'fixed')} limit` : ''}`,
    );
  ev.push(`OOM: ${d.cgroup.oomEvents ?? '?'} events, ${d.cgroup.oomKills ?? '?'} kills`);
  const g = rssGrowth(d.samples);
  if (g)
    ev.push(
      `watched ${humanSeconds(g.spanSec)}: RSS ${humanBytes(g.first, 'fixed')} → ${humanBytes(g.last, 'fixed')}`,
    );
  return ev;
}

/** RSS, limit, cgroup usage, swap and OOM counters as aligned label/value lines. */
export function memText(d: MemData, memoryLimitBytes?: number): string[] {
  const limit = memLimit(d, memoryLimitBytes);
  const rss = rssOf(d);
  const of = (v: number) => (limit !== null ? `${pct(v, limit).padStart(6)} of limit` : '');
  const rows: string[][] = [];
  rows.push(['limit', limit !== null ? humanBytes(limit, 'fixed') : 'none', '']);
  if (rss !== undefined) rows.push(['RSS', humanBytes(rss, 'fixed'), of(rss)]);
  if (d.status.VmHWM !== undefined)
    rows.push(['peak RSS', humanBytes(d.status.VmHWM, 'fixed'), of(d.status.VmHWM)]);
  if (d.status.RssAnon !== undefined || d.status.RssFile !== undefined) {
    rows.push([
      'anon',
      humanBytes(d.status.RssAnon ?? 0, 'fixed'),
      `file ${humanBytes(d.status.RssFile ?? 0, 'fixed')}`,
    ]);
  }
  if (d.cgroup.usageBytes !== null)
    rows.push(['cgroup', humanBytes(d.cgroup.usageBytes, 'fixed'), of(d.cgroup.usageBytes)]);
  rows.push(['swap', humanBytes(d.status.VmSwap ?? d.smapsRollup.Swap ?? 0, 'fixed'), '']);
  rows.push(['OOM', `${d.cgroup.oomEvents ?? '?'} events`, `${d.cgroup.oomKills ?? '?'} kills`]);
  if (d.threads !== undefined) rows.push(['threads', int(d.threads), '']);
  const lines = columns(rows, ['l', 'r', 'l']);
  lines.push(`cgroup v${d.cgroup.version} ${d.cgroup.path}`);
  const g = rssGrowth(d.samples);
  if (g) {
    const sign = g.slope >= 0 ? '+' : '-';
    lines.push(
      `watch: ${d.samples.length} samples over ${humanSeconds(g.spanSec)}, RSS ${humanBytes(g.first, 'fixed')} → ${humanBytes(g.last, 'fixed')} (${sign}${humanBytes(Math.abs(g.slope * 60), 'fixed')}/min)`,
    );
  }
  return lines;
}
