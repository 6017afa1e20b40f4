/** The bench's table (the same figures as --json). */
import { LATENCY } from './settings.js';

// biome-ignore lint/suspicious/noExplicitAny: the report is printed, not typed further
export function printTable(r: any) {
  const rows: [string, string][] = [];
  const m = r.machine;
  rows.push([
    'machine',
    `${m.cpus} cores (${m.cpu}), ${m.memGiB} GiB, node ${m.node}, ${m.date}${m.quick ? ' (--quick)' : ''}`,
  ]);
  for (const a of r.ackBaselines)
    rows.push([
      `(a) ack, burst of ${a.burst}`,
      `bare Bolt p50 ${a.bare.p50Ms} / p99 ${a.bare.p99Ms} ms; bot alone p50 ${a.bot.p50Ms} / p99 ${a.bot.p99Ms} ms (${a.bot.acked}/${a.burst} queued); ratio p50 ${a.ratioP50}×, p99 ${a.ratioP99}×`,
    ]);
  const b = r.wholeStackBurst;
  rows.push([
    `(b) ack, whole stack, burst of ${b.commands}`,
    `p50 ${b.p50Ms}, p99 ${b.p99Ms}, max ${b.maxMs} ms; ${b.over1500Ms} over 1.5 s, ${b.over3000Ms} over 3 s (${b.acked}/${b.commands} queued)`,
  ]);
  for (const x of r.endToEnd)
    rows.push([
      `(c) end to end +${x.latencyMs} ms, ${x.kind}`,
      `p50 ${x.p50Ms} ms, p99 ${x.p99Ms} ms (${x.commands})${x.steps !== undefined ? `; ${x.steps} dependent read steps → floor ${x.floorMs} ms, goal ≤ ${x.goalMs} ms` : ''}`,
    ]);
  for (const x of r.endToEnd.filter((y: { latencyMs: number }) => y.latencyMs === LATENCY))
    rows.push([
      `(d) API requests per diagnose, ${x.kind}`,
      `${x.apiRequests} (${Math.round(x.bytesRead / 1024)} KiB read); ${x.slackCalls} Slack Web API calls`,
    ]);
  const c = r.cliVsSeed;
  rows.push([
    `(e) CLI diagnose POD, +${c.latencyMs} ms`,
    `wall ${c.cli.wallMs} ms, peak ${c.cli.peakMiB} MiB, ${c.cli.apiRequests} API requests (median of ${c.cli.runs})`,
  ]);
  if (typeof c.seed === 'object')
    rows.push([
      '    seed pod_diagnostic.py',
      `wall ${c.seed.wallMs} ms, peak ${c.seed.peakMiB} MiB, ${c.seed.apiRequests} API requests; CLI/seed wall ${c.wallRatio}×, peak ${c.peakRatio}×`,
    ]);
  else rows.push(['    seed pod_diagnostic.py', c.seed]);
  const mm = r.memoryMiB;
  rows.push(['(f) bot RSS idle / after / peak', `${mm.botIdle} / ${mm.botAfter} / ${mm.botPeak} MiB`]);
  rows.push([
    '    worker RSS idle / after / peak',
    `${mm.workerIdle} / ${mm.workerAfter} / ${mm.workerPeak} MiB`,
  ]);
  for (const t of r.throughput)
    rows.push([
      `(g) one worker, concurrency ${t.concurrency}`,
      `${t.perSecond} diagnoses/s (${t.jobs} jobs in ${t.seconds} s at +${LATENCY} ms, ${t.failed} failed), peak ${t.workerPeakMiB} MiB`,
    ]);
  for (const o of r.largeOwners)
    rows.push([
      `(h) deploy of ${o.pods} pods, +${o.latencyMs} ms`,
      `${o.ms} ms, ${o.apiRequests} API requests in ${o.steps} steps, ${Math.round(o.bytesRead / 1024)} KiB read; failing pod (${o.failingPodAt}) ${o.found ? 'found' : `NOT found (diagnosed ${o.diagnosed})`}; worker ${o.workerIdleMiB} → peak ${o.workerPeakMiB} MiB (+${o.workerGrowthMiB})`,
    ]);
  const w = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) process.stdout.write(`${k.padEnd(w)}  ${v}\n`);
}
