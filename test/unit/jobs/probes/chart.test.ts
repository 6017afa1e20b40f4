import { describe, expect, it } from '@jest/globals';
import {
  CHART_COLORS,
  chartFontsAvailable,
  chartFrame,
  type MemSamples,
  memChartPng,
  memChartSvg,
  renderSvg,
  yScale,
} from '../../../../jobs/probes/chart.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** RSS from 300 to 480 MiB over 2 minutes, cgroup usage 30 MiB above. */
const ramp: MemSamples = Array.from({ length: 25 }, (_, i) => ({
  t: i * 5000,
  rssBytes: (300 + i * 7.5) * MiB,
  cgroupUsageBytes: (330 + i * 7.5) * MiB,
}));

function attr(tag: string, name: string): number {
  const m = new RegExp(`\\b${name}="([^"]+)"`).exec(tag);
  if (!m) throw new Error(`no ${name} in ${tag}`);
  return Number(m[1]);
}

/** The y of `bytes` as the axis ticks place it (linear through the first and last tick). */
function yFromTicks(svg: string, bytes: number): number {
  const ticks = [...svg.matchAll(/<line class="ytick"[^>]*>/g)].map((m) => ({
    v: attr(m[0], 'data-bytes'),
    y: attr(m[0], 'y1'),
  }));
  expect(ticks.length).toBeGreaterThanOrEqual(3);
  const a = ticks[0]!;
  const b = ticks[ticks.length - 1]!;
  return a.y + ((bytes - a.v) / (b.v - a.v)) * (b.y - a.y);
}

function limitY(svg: string): number | undefined {
  const m = /<line id="limit"[^>]*>/.exec(svg);
  return m ? attr(m[0], 'y1') : undefined;
}

function rgb(hex: string): [number, number, number] {
  return [
    Number.parseInt(hex.slice(1, 3), 16),
    Number.parseInt(hex.slice(3, 5), 16),
    Number.parseInt(hex.slice(5, 7), 16),
  ];
}

/** Pixels within `tol` of a colour, optionally only in a box. */
function countColour(
  img: { pixels: Buffer; width: number; height: number },
  hex: string,
  box = { x0: 0, y0: 0, x1: img.width, y1: img.height },
  tol = 40,
): number {
  const [r, g, b] = rgb(hex);
  let n = 0;
  for (let y = Math.max(0, box.y0); y < Math.min(img.height, box.y1); y++) {
    for (let x = Math.max(0, box.x0); x < Math.min(img.width, box.x1); x++) {
      const i = (y * img.width + x) * 4;
      const d =
        Math.abs(img.pixels[i]! - r) + Math.abs(img.pixels[i + 1]! - g) + Math.abs(img.pixels[i + 2]! - b);
      if (d <= tol) n++;
    }
  }
  return n;
}

function render(svg: string) {
  const img = renderSvg(svg);
  return { pixels: img.pixels, width: img.width, height: img.height };
}

describe('memChartSvg', () => {
  it.each([
    ['512 MiB limit, RSS below', ramp, 512 * MiB, 'limit 512 MiB'],
    ['256 MiB limit, RSS above it', ramp, 256 * MiB, 'limit 256 MiB'],
    ['2 GiB limit in GiB ticks', ramp, 2 * GiB, 'limit 2 GiB'],
    ['1.5 GiB limit', ramp, 1.5 * GiB, 'limit 1.5 GiB'],
  ])('%s: the limit line sits where the axis puts the limit', (_n, samples, limit, label) => {
    const svg = memChartSvg(samples, { limitBytes: limit, title: 'checkout / app' });
    expect(limitY(svg)).toBeCloseTo(yFromTicks(svg, limit), 0);
    expect(svg).toContain(`stroke="${CHART_COLORS.limit}"`);
    expect(svg).toContain('stroke-dasharray="10 6"');
    expect(svg).toContain(`>${label}<`);
  });

  it('keeps RSS above the limit inside the plot, and above the limit line', () => {
    const svg = memChartSvg(ramp, { limitBytes: 256 * MiB, title: 't' });
    const f = chartFrame(800, 400);
    const pts = /<polyline id="rss" points="([^"]+)"/
      .exec(svg)![1]!
      .split(' ')
      .map((p) => p.split(',').map(Number));
    for (const [x, y] of pts) {
      expect(x).toBeGreaterThanOrEqual(f.left);
      expect(x).toBeLessThanOrEqual(f.right);
      expect(y).toBeGreaterThanOrEqual(f.top);
      expect(y).toBeLessThanOrEqual(f.bottom);
      expect(y).toBeLessThan(limitY(svg)!);
    }
    expect(pts[0]![0]).toBe(f.left);
    expect(pts[pts.length - 1]![0]).toBe(f.right);
  });

  it('labels time in seconds and memory in MiB or GiB', () => {
    const svg = memChartSvg(ramp, { limitBytes: 512 * MiB, title: 't' });
    expect(svg).toContain('>120 s<');
    expect(svg).toContain('>0 s<');
    expect(svg).toMatch(/>\d+ MiB</);
    expect(memChartSvg(ramp, { limitBytes: 4 * GiB, title: 't' })).toMatch(/>\d(\.\d+)? GiB</);
  });

  it.each<[string, MemSamples, number | null]>([
    ['one sample', [{ t: 0, rssBytes: 100 * MiB, cgroupUsageBytes: null }], 512 * MiB],
    ['no limit', ramp, null],
    [
      'zero values',
      [
        { t: 0, rssBytes: 0, cgroupUsageBytes: 0 },
        { t: 5000, rssBytes: 0, cgroupUsageBytes: 0 },
      ],
      null,
    ],
    ['no samples', [], 512 * MiB],
  ])('%s: a valid chart with no NaN', (_n, samples, limit) => {
    const svg = memChartSvg(samples, { limitBytes: limit, title: 'edge <case> & "quotes"' });
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
    expect(svg).toContain('edge &lt;case&gt; &amp; &quot;quotes&quot;');
    if (limit === null) {
      expect(limitY(svg)).toBeUndefined();
      expect(svg).toContain('>no limit<');
    }
  });

  it('picks a scale whose top is at or above the largest value', () => {
    for (const v of [0, 1, 900 * 1024, 100 * MiB, 511 * MiB, 3.3 * GiB]) {
      const s = yScale(v);
      expect(s.maxBytes).toBeGreaterThanOrEqual(v);
      expect(s.maxBytes / s.stepBytes).toBeGreaterThanOrEqual(2);
      expect(s.maxBytes / s.stepBytes).toBeLessThanOrEqual(10);
    }
  });
});

describe('memChartPng', () => {
  it('is a PNG of the requested size', () => {
    for (const [width, height] of [
      [800, 400],
      [640, 320],
    ] as const) {
      const png = memChartPng(ramp, { limitBytes: 512 * MiB, title: 'checkout / app', width, height });
      expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect(png.subarray(12, 16).toString('ascii')).toBe('IHDR');
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([width, height]);
    }
  });

  it('draws the RSS line, the usage line and the limit in their colours', () => {
    const svg = memChartSvg(ramp, { limitBytes: 512 * MiB, title: 'checkout / app' });
    const img = render(svg);
    const f = chartFrame(800, 400);
    const plot = { x0: f.left + 2, y0: f.top, x1: f.right, y1: f.bottom - 2 };
    expect(countColour(img, CHART_COLORS.rss, plot)).toBeGreaterThan(500);
    expect(countColour(img, CHART_COLORS.usage, plot)).toBeGreaterThan(500);
    // the dashed limit: red pixels on the limit's row across the plot
    const y = Math.round(limitY(svg)!);
    const row = { x0: f.left + 120, y0: y - 1, x1: f.right, y1: y + 2 };
    expect(countColour(img, CHART_COLORS.limit, row)).toBeGreaterThan(300);
  });

  it('treats the cgroup v1 "no limit" value as no limit', () => {
    const svg = memChartSvg(ramp, { limitBytes: 2 ** 63 - 4096, title: 't' });
    expect(limitY(svg)).toBeUndefined();
    expect(svg).toMatch(/>[1-9]\d* MiB</);
  });

  it('draws no limit colour without a limit', () => {
    const img = render(memChartSvg(ramp, { limitBytes: null, title: 'checkout / app' }));
    expect(countColour(img, CHART_COLORS.rss)).toBeGreaterThan(500);
    expect(countColour(img, CHART_COLORS.limit, undefined, 20)).toBe(0);
  });

  it('marks a single sample with a dot', () => {
    const img = render(
      memChartSvg([{ t: 0, rssBytes: 100 * MiB, cgroupUsageBytes: null }], {
        limitBytes: 512 * MiB,
        title: 't',
      }),
    );
    const f = chartFrame(800, 400);
    expect(
      countColour(img, CHART_COLORS.rss, { x0: f.left - 6, y0: f.top, x1: f.left + 6, y1: f.bottom }),
    ).toBeGreaterThan(20);
  });

  // Without any system font resvg silently draws no text; the lines above still show. The image installs fonts-dejavu-core.
  (chartFontsAvailable() ? it : it.skip)('draws the title and tick labels (needs a system font)', () => {
    const img = render(memChartSvg(ramp, { limitBytes: 512 * MiB, title: 'checkout-7d9f8b6c5-x2kqp / app' }));
    expect(countColour(img, CHART_COLORS.text, { x0: 70, y0: 6, x1: 400, y1: 30 }, 60)).toBeGreaterThan(100);
    const f = chartFrame(800, 400);
    expect(
      countColour(img, CHART_COLORS.text, { x0: 0, y0: f.top - 10, x1: f.left - 4, y1: f.bottom + 10 }, 60),
    ).toBeGreaterThan(100);
  });
});
