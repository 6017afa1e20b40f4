/**
 * The memory chart of `mem --watch`: RSS (and the cgroup's usage) over time
 * against the limit, as SVG, rendered to PNG with resvg for the thread.
 *
 * Text needs a system font (the image installs fonts-dejavu-core); without
 * one, resvg draws no text but the lines, the dashed limit and the legend
 * swatches still show, and `chartFontsAvailable()` says so.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { MemData } from '../contracts/probe.js';

// resvg is a native addon (about 10 MiB resident once loaded): required on the first chart, not when the
// worker starts. It is a CommonJS package, so a synchronous require keeps memChartPng synchronous.
const requireCjs = createRequire(import.meta.url);
let resvg: typeof import('@resvg/resvg-js') | undefined;

export type MemSamples = MemData['samples'];

export interface MemChartOptions {
  /** The container's memory limit; null draws no limit line. */
  limitBytes: number | null;
  title: string;
  /** Default 800. */
  width?: number;
  /** Default 400. */
  height?: number;
}

export const CHART_COLORS = {
  background: '#ffffff',
  rss: '#1f6fd1',
  usage: '#f28c18',
  limit: '#d62728',
  grid: '#e3e3e3',
  axis: '#555555',
  text: '#222222',
} as const;

export const CHART_FONT_FAMILY = 'DejaVu Sans';
const FONT_STACK = `'${CHART_FONT_FAMILY}', 'Liberation Sans', Arial, Helvetica, sans-serif`;

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** Plot area inside the image. */
export interface ChartFrame {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export function chartFrame(width: number, height: number): ChartFrame {
  return { left: 78, right: width - 24, top: 58, bottom: height - 46 };
}

/** 1, 2, 2.5 or 5 × 10^k: the smallest at or above `raw`. */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const k = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * k >= raw * (1 - 1e-9)) return m * k;
  return 10 * k;
}

export interface YScale {
  unit: 'KiB' | 'MiB' | 'GiB';
  unitBytes: number;
  /** Tick spacing in bytes. */
  stepBytes: number;
  /** Top of the axis in bytes. */
  maxBytes: number;
}

/** The y axis for values up to `maxValue` bytes: about 6 ticks in KiB, MiB or GiB, with headroom. */
export function yScale(maxValue: number): YScale {
  const top = Math.max(maxValue, 0) * 1.08 || MiB;
  const unitBytes = top >= 2 * GiB ? GiB : top >= 2 * MiB ? MiB : KiB;
  const unit = unitBytes === GiB ? 'GiB' : unitBytes === MiB ? 'MiB' : 'KiB';
  const step = niceStep(top / unitBytes / 6);
  const maxUnits = Math.ceil(top / unitBytes / step - 1e-9) * step;
  return { unit, unitBytes, stepBytes: step * unitBytes, maxBytes: maxUnits * unitBytes };
}

function fmtUnits(bytes: number, s: YScale): string {
  const v = bytes / s.unitBytes;
  const digits = Number.isInteger(Math.round(v * 100) / 100) ? 0 : v < 10 ? 2 : 1;
  return `${v.toFixed(digits)} ${s.unit}`;
}

function limitLabel(bytes: number): string {
  if (bytes >= GiB) return `${Number((bytes / GiB).toFixed(2))} GiB`;
  if (bytes >= MiB) return `${Number((bytes / MiB).toFixed(1))} MiB`;
  return `${Number((bytes / KiB).toFixed(1))} KiB`;
}

function esc(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}

const r1 = (n: number) => Math.round(n * 10) / 10;

/** The chart as an SVG document. Pure. */
export function memChartSvg(samples: MemSamples, opts: MemChartOptions): string {
  const width = opts.width ?? 800;
  const height = opts.height ?? 400;
  const f = chartFrame(width, height);
  // cgroup v1 reports "no limit" as 9223372036854771712
  const limit =
    opts.limitBytes !== null && opts.limitBytes > 0 && opts.limitBytes < 2 ** 60 ? opts.limitBytes : null;
  const pts = [...samples].filter((s) => Number.isFinite(s.t)).sort((a, b) => a.t - b.t);
  const t0 = pts[0]?.t ?? 0;
  const values = [
    ...pts.map((s) => s.rssBytes),
    ...pts.map((s) => s.cgroupUsageBytes ?? 0),
    limit ?? 0,
  ].filter((v) => Number.isFinite(v));
  const ys = yScale(Math.max(0, ...values));
  const spanSec = Math.max((pts[pts.length - 1]?.t ?? t0) - t0, 0) / 1000;
  const xMax = spanSec > 0 ? spanSec : 1;
  const xStep = niceStep(xMax / 6);

  const x = (tMs: number) => r1(f.left + ((tMs - t0) / 1000 / xMax) * (f.right - f.left));
  const y = (bytes: number) =>
    r1(f.bottom - (Math.min(Math.max(bytes, 0), ys.maxBytes) / ys.maxBytes) * (f.bottom - f.top));

  const el: string[] = [];
  el.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="${CHART_COLORS.background}"/>`);
  el.push(
    `<text x="${f.left}" y="24" font-size="16" font-weight="bold" fill="${CHART_COLORS.text}">${esc(opts.title)}</text>`,
  );

  // y grid and ticks
  for (let v = 0; v <= ys.maxBytes + 1e-6; v += ys.stepBytes) {
    const yy = y(v);
    el.push(
      `<line class="ytick" data-bytes="${v}" x1="${f.left}" x2="${f.right}" y1="${yy}" y2="${yy}" stroke="${CHART_COLORS.grid}" stroke-width="1"/>`,
    );
    el.push(
      `<text x="${f.left - 8}" y="${r1(yy + 4)}" font-size="12" text-anchor="end" fill="${CHART_COLORS.text}">${fmtUnits(v, ys)}</text>`,
    );
  }
  // x ticks
  for (let s = 0; s <= xMax + 1e-9; s += xStep) {
    const xx = r1(f.left + (s / xMax) * (f.right - f.left));
    el.push(
      `<line class="xtick" data-seconds="${s}" x1="${xx}" x2="${xx}" y1="${f.bottom}" y2="${f.bottom + 5}" stroke="${CHART_COLORS.axis}" stroke-width="1"/>`,
    );
    el.push(
      `<text x="${xx}" y="${f.bottom + 19}" font-size="12" text-anchor="middle" fill="${CHART_COLORS.text}">${Number(s.toFixed(3))} s</text>`,
    );
  }
  // axes
  el.push(
    `<path d="M${f.left} ${f.top} V${f.bottom} H${f.right}" fill="none" stroke="${CHART_COLORS.axis}" stroke-width="1.5"/>`,
  );
  el.push(
    `<text x="${r1((f.left + f.right) / 2)}" y="${height - 8}" font-size="12" text-anchor="middle" fill="${CHART_COLORS.text}">time since first sample (s)</text>`,
  );
  el.push(
    `<text x="16" y="${r1((f.top + f.bottom) / 2)}" font-size="12" text-anchor="middle" fill="${CHART_COLORS.text}" transform="rotate(-90 16 ${r1((f.top + f.bottom) / 2)})">memory (${ys.unit})</text>`,
  );

  // limit
  if (limit !== null) {
    const ly = y(limit);
    el.push(
      `<line id="limit" data-bytes="${limit}" x1="${f.left}" x2="${f.right}" y1="${ly}" y2="${ly}" stroke="${CHART_COLORS.limit}" stroke-width="2" stroke-dasharray="10 6"/>`,
    );
    el.push(
      `<text x="${f.left + 6}" y="${r1(ly - 6)}" font-size="12" fill="${CHART_COLORS.limit}" stroke="${CHART_COLORS.background}" stroke-width="3" paint-order="stroke">limit ${limitLabel(limit)}</text>`,
    );
  }

  // cgroup usage, with gaps where a sample has none
  const usage = pts.filter((s) => s.cgroupUsageBytes !== null);
  if (usage.length > 0) {
    let d = '';
    let pen = false;
    for (const s of pts) {
      if (s.cgroupUsageBytes === null) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${x(s.t)} ${y(s.cgroupUsageBytes)} `;
      pen = true;
    }
    el.push(
      `<path id="usage" d="${d.trim()}" fill="none" stroke="${CHART_COLORS.usage}" stroke-width="2" stroke-linejoin="round"/>`,
    );
    if (usage.length === 1) {
      const s = usage[0]!;
      el.push(`<circle cx="${x(s.t)}" cy="${y(s.cgroupUsageBytes!)}" r="4" fill="${CHART_COLORS.usage}"/>`);
    }
  }

  // RSS on top
  if (pts.length === 1) {
    const s = pts[0]!;
    el.push(`<circle id="rss" cx="${x(s.t)}" cy="${y(s.rssBytes)}" r="5" fill="${CHART_COLORS.rss}"/>`);
  } else if (pts.length > 1) {
    el.push(
      `<polyline id="rss" points="${pts.map((s) => `${x(s.t)},${y(s.rssBytes)}`).join(' ')}" fill="none" stroke="${CHART_COLORS.rss}" stroke-width="2.5" stroke-linejoin="round"/>`,
    );
  } else {
    el.push(
      `<text x="${r1((f.left + f.right) / 2)}" y="${r1((f.top + f.bottom) / 2)}" font-size="14" text-anchor="middle" fill="${CHART_COLORS.text}">no samples</text>`,
    );
  }

  // legend, top right: swatch then label
  const legend: [string, string, string | undefined][] = [['RSS', CHART_COLORS.rss, undefined]];
  if (usage.length > 0) legend.push(['cgroup usage', CHART_COLORS.usage, undefined]);
  legend.push(
    limit !== null ? ['limit', CHART_COLORS.limit, '10 6'] : ['no limit', CHART_COLORS.axis, '2 4'],
  );
  let lx = f.right;
  const items: string[] = [];
  for (const [label, color, dash] of [...legend].reverse()) {
    const w = 30 + label.length * 7.2 + 16;
    lx -= w;
    items.push(
      `<line x1="${r1(lx)}" x2="${r1(lx + 24)}" y1="42" y2="42" stroke="${color}" stroke-width="3"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`,
      `<text x="${r1(lx + 30)}" y="46" font-size="12" fill="${CHART_COLORS.text}">${esc(label)}</text>`,
    );
  }
  el.push(`<g id="legend">${items.join('')}</g>`);

  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${esc(FONT_STACK)}">${el.join('')}</svg>`;
}

const FONT_DIRS = ['/usr/share/fonts', '/usr/local/share/fonts', '/usr/share/fonts/truetype'];

function hasFontFile(dir: string, depth = 0): boolean {
  if (depth > 4 || !existsSync(dir)) return false;
  try {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isFile() && /\.(ttf|otf|ttc)$/i.test(e.name)) return true;
      if (e.isDirectory() && hasFontFile(`${dir}/${e.name}`, depth + 1)) return true;
    }
  } catch {
    return false;
  }
  return false;
}

let fontsCache: boolean | undefined;

/** Whether this machine has a font file resvg can load: without one the chart has no text. */
export function chartFontsAvailable(): boolean {
  fontsCache ??= FONT_DIRS.some((d) => hasFontFile(d));
  return fontsCache;
}

/** Render an SVG to an RGBA image (for PNG encoding, and for tests that check pixels). */
export function renderSvg(svg: string) {
  resvg ??= requireCjs('@resvg/resvg-js') as typeof import('@resvg/resvg-js');
  return new resvg.Resvg(svg, {
    font: { loadSystemFonts: true, defaultFontFamily: CHART_FONT_FAMILY, sansSerifFamily: CHART_FONT_FAMILY },
    background: CHART_COLORS.background,
  }).render();
}

/** The chart as PNG bytes, `width`×`height` pixels. */
export function memChartPng(samples: MemSamples, opts: MemChartOptions): Buffer {
  return renderSvg(memChartSvg(samples, opts)).asPng();
}
