import { describe, expect, it } from '@jest/globals';
import type { MemData } from '../../../../../jobs/contracts/probe.js';
import { probeFindings, probeText } from '../../../../../jobs/probes/findings/index.js';
import { rssGrowth } from '../../../../../jobs/probes/findings/mem.js';
import { byId, ctxFor, evidenceOf, expectWellFormed, GiB, idSev, MiB } from './helpers.js';

const kB = 1024;
const spec = { action: 'mem' } as const;
const watchSpec = { action: 'mem', watchSec: 120 } as const;

/** /proc/PID/status of a JVM (kB values as the kernel prints them, in bytes). */
function status(rssKb: number, over: Record<string, number> = {}): Record<string, number> {
  return {
    VmPeak: 3_402_112 * kB,
    VmSize: 3_398_016 * kB,
    VmHWM: rssKb * kB,
    VmRSS: rssKb * kB,
    RssAnon: (rssKb - 21_440) * kB,
    RssFile: 21_440 * kB,
    RssShmem: 0,
    VmData: 1_020_332 * kB,
    VmSwap: 0,
    ...over,
  };
}

function mem(over: {
  rssKb: number;
  status?: Record<string, number>;
  limit?: number | null;
  usage?: number | null;
  oomEvents?: number | null;
  oomKills?: number | null;
  samples?: MemData['samples'];
  version?: 1 | 2;
}): MemData {
  return {
    action: 'mem',
    status: status(over.rssKb, over.status),
    threads: 43,
    smapsRollup: { Rss: over.rssKb * kB, Pss: over.rssKb * kB - 2_000 * kB },
    cgroup: {
      version: over.version ?? 2,
      path: '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1b2c_3d4e.slice/cri-containerd-4f1e.scope',
      usageBytes: over.usage === undefined ? over.rssKb * kB + 40 * MiB : over.usage,
      limitBytes: over.limit === undefined ? 512 * MiB : over.limit,
      oomEvents: over.oomEvents === undefined ? 0 : over.oomEvents,
      oomKills: over.oomKills === undefined ? 0 : over.oomKills,
    },
    samples: over.samples ?? [],
  };
}

/** RSS from `fromMiB` to `toMiB` over `seconds`, one sample every 5 s, with ±1 MiB jitter. */
function ramp(fromMiB: number, toMiB: number, seconds: number): MemData['samples'] {
  const n = seconds / 5 + 1;
  return Array.from({ length: n }, (_, i) => {
    const v = fromMiB + ((toMiB - fromMiB) * i) / (n - 1) + (i % 2 === 0 ? 1 : -1);
    return { t: i * 5000, rssBytes: Math.round(v * MiB), cgroupUsageBytes: Math.round((v + 30) * MiB) };
  });
}

interface Case {
  name: string;
  data: MemData;
  spec?: typeof spec | typeof watchSpec;
  memoryLimitBytes?: number;
  want: [string, string][];
  evidence?: Record<string, string[]>;
  titles?: Record<string, RegExp>;
  next?: Record<string, string[]>;
}

const cases: Case[] = [
  {
    name: 'RSS at 91.8% of the limit: critical',
    data: mem({ rssKb: 481_280 }),
    want: [['mem-near-limit', 'critical']],
    evidence: {
      'mem-near-limit': [
        'RSS (VmRSS): 470.0 MiB = 91.8% of the 512.0 MiB cgroup v2 limit',
        'cgroup usage: 510.0 MiB = 99.6%',
      ],
    },
    next: {
      'mem-near-limit': ['/poddebug mem checkout-7d9f8b6c5-x2kqp -n shop -c app --cluster prod --watch 120s'],
    },
  },
  {
    name: 'RSS at 78.1%: warning',
    data: mem({ rssKb: 400 * 1024 }),
    want: [['mem-near-limit', 'warning']],
    titles: { 'mem-near-limit': /400\.0 MiB of 512\.0 MiB \(78\.1%\)/ },
  },
  {
    name: 'RSS above the limit (limit lowered under a running process)',
    data: mem({ rssKb: 530 * 1024, usage: 512 * MiB }),
    want: [['mem-near-limit', 'critical']],
    titles: { 'mem-near-limit': /more memory than its limit: RSS 530\.0 MiB of 512\.0 MiB \(103\.5%\)/ },
  },
  {
    name: 'quiet: 120 MiB of 512 MiB',
    data: mem({ rssKb: 120 * 1024 }),
    want: [['no-problem-found', 'info']],
    evidence: {
      'no-problem-found': ['RSS: 120.0 MiB = 23.4% of the 512.0 MiB limit', 'OOM: 0 events, 0 kills'],
    },
  },
  {
    name: 'no limit (cgroup v1 reports 9223372036854771712)',
    data: mem({ rssKb: 120 * 1024, limit: 2 ** 63 - 4096, version: 1 }),
    want: [
      ['no-problem-found', 'info'],
      ['mem-no-limit', 'info'],
    ],
  },
  {
    name: 'the pod spec limit stands in when the cgroup gives none',
    data: mem({ rssKb: 240 * 1024, limit: null }),
    memoryLimitBytes: 256 * MiB,
    want: [['mem-near-limit', 'critical']],
    evidence: { 'mem-near-limit': ['93.8% of the 256.0 MiB resources.limits.memory'] },
  },
  {
    name: 'workers OOM-killed while the container kept running',
    data: mem({ rssKb: 200 * 1024, oomEvents: 3, oomKills: 3 }),
    want: [['mem-oom-events', 'warning']],
    evidence: { 'mem-oom-events': ['memory.events: oom 3, oom_kill 3'] },
    titles: { 'mem-oom-events': /killed 3 processes/ },
  },
  {
    name: 'OOM kills and near the limit: critical',
    data: mem({ rssKb: 490 * 1024, oomEvents: 1, oomKills: 1, version: 1 }),
    want: [
      ['mem-near-limit', 'critical'],
      ['mem-oom-events', 'critical'],
    ],
    evidence: { 'mem-oom-events': ['memory.oom_control: oom 1, oom_kill 1'] },
  },
  {
    name: 'growing 1 MiB/s, 92 s from the limit: critical',
    data: mem({ rssKb: 420 * 1024, samples: ramp(300, 420, 120) }),
    spec: watchSpec,
    want: [
      ['mem-growing', 'critical'],
      ['mem-near-limit', 'warning'],
    ],
    evidence: { 'mem-growing': ['RSS 301.0 MiB → 421.0 MiB over 2m (25 samples)', 'trend: +60.'] },
    titles: { 'mem-growing': /the 512\.0 MiB limit is reached in about 91 s$/ },
  },
  {
    name: 'growing slowly far below a 2 GiB limit: warning',
    data: mem({ rssKb: 110 * 1024, limit: 2 * GiB, samples: ramp(100, 110, 120) }),
    spec: watchSpec,
    want: [['mem-growing', 'warning']],
    evidence: { 'mem-growing': ['at this rate the 2.00 GiB limit is reached in about'] },
  },
  {
    name: 'flat with jitter while watched: quiet',
    data: mem({ rssKb: 200 * 1024, samples: ramp(200, 200, 120) }),
    spec: watchSpec,
    want: [['no-problem-found', 'info']],
    evidence: { 'no-problem-found': ['watched 2m: RSS 201.0 MiB → 201.0 MiB'] },
  },
  {
    name: 'swapped out memory',
    data: mem({ rssKb: 150 * 1024, status: { VmSwap: 64 * 1024 * kB } }),
    want: [
      ['no-problem-found', 'info'],
      ['mem-swapping', 'info'],
    ],
    titles: { 'mem-swapping': /^64\.0 MiB/ },
  },
  {
    name: 'cgroup full of page cache, RSS low',
    data: mem({ rssKb: 100 * 1024, usage: 500 * MiB }),
    want: [
      ['no-problem-found', 'info'],
      ['mem-cgroup-near-limit', 'info'],
    ],
  },
];

describe('mem findings', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const ctx = ctxFor(c.spec ?? spec, c.memoryLimitBytes ? { memoryLimitBytes: c.memoryLimitBytes } : {});
    const findings = probeFindings(c.data, ctx);
    expectWellFormed(findings);
    expect(idSev(findings)).toEqual(c.want);
    for (const [id, lines] of Object.entries(c.evidence ?? {}))
      for (const l of lines) expect(evidenceOf(byId(findings, id))).toContain(l);
    for (const [id, re] of Object.entries(c.titles ?? {})) expect(byId(findings, id).title).toMatch(re);
    for (const [id, lines] of Object.entries(c.next ?? {}))
      for (const l of lines) expect(byId(findings, id).next).toContain(l);
  });
});

describe('rssGrowth', () => {
  it('fits the slope of a clean ramp', () => {
    const g = rssGrowth(ramp(100, 220, 120).map((s, i) => ({ ...s, rssBytes: (100 + i * 5) * MiB })));
    expect(g?.slope).toBeCloseTo(MiB, 0);
    expect(g?.spanSec).toBe(120);
    expect(g?.r2).toBeCloseTo(1, 5);
  });
  it('needs two samples at different times', () => {
    expect(rssGrowth([{ t: 0, rssBytes: MiB, cgroupUsageBytes: null }])).toBeUndefined();
    expect(rssGrowth([])).toBeUndefined();
  });
});

describe('mem text', () => {
  it('aligns labels and values, with shares of the limit', () => {
    const text = probeText(mem({ rssKb: 481_280, samples: ramp(300, 420, 120) }), watchSpec);
    const lines = text.split('\n');
    const row = (label: string) => lines.find((l) => l.startsWith(`${label} `))!;
    expect(row('limit')).toMatch(/^limit\s+512\.0 MiB$/);
    expect(row('RSS')).toMatch(/^RSS\s+470\.0 MiB\s+91\.8% of limit$/);
    expect(row('cgroup')).toMatch(/^cgroup\s+510\.0 MiB\s+99\.6% of limit$/);
    expect(row('OOM')).toMatch(/^OOM\s+0 events\s+0 kills$/);
    // values end in the same column
    const ends = ['limit', 'RSS', 'peak RSS', 'cgroup', 'swap'].map((l) => {
      const r = row(l);
      return r.indexOf('B', r.search(/\d/)) + 1;
    });
    expect(new Set(ends).size).toBe(1);
    expect(text).toContain('watch: 25 samples over 2m, RSS 301.0 MiB → 421.0 MiB (+60.0 MiB/min)');
    expect(text.length).toBeLessThanOrEqual(2500);
  });
});
