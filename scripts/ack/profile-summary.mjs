#!/usr/bin/env node
/**
 * node scripts/ack/profile-summary.mjs FILE.cpuprofile [--top 25] [--skip-ms 3000] [--callers FUNCTION]
 *
 * Where a `node --cpu-prof` profile's time went: self time by package (node_modules/<name>, node:internal,
 * the project's own files, GC, idle) and the functions with the most self time. For the ack figures in
 * docs/benchmark.md (scripts/ack-burst.ts writes the profiles).
 */
import { readFileSync } from 'node:fs';

const file = process.argv[2];
const top = Number(process.argv[process.argv.indexOf('--top') + 1]) || 25;
if (!file) {
  process.stderr.write('usage: profile-summary.mjs FILE.cpuprofile [--top N]\n');
  process.exit(2);
}
const p = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = p.timeDeltas;
// --skip-ms N: leave out the first N ms (start-up: module loading and compiling).
const skipMs = Number(process.argv[process.argv.indexOf('--skip-ms') + 1]) || 0;
let t = 0;
for (let i = 0; i < p.samples.length; i++) {
  t += dt[i] ?? 0;
  if (t < skipMs * 1000) continue;
  self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (dt[i] ?? 0));
}

function area(url, fn) {
  if (fn === '(idle)' || fn === '(program)' || fn === '(garbage collector)') return fn;
  if (!url) return '(native/builtin)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  if (url.startsWith('node:')) return 'node:internal';
  const own = /\/(bot|jobs|scripts)\/(.*)$/.exec(url);
  return own ? `${own[1]}/${own[2]}` : url;
}
const byArea = new Map();
const byFn = new Map();
let total = 0;
for (const [id, us] of self) {
  const n = byId.get(id);
  const { functionName, url, lineNumber } = n.callFrame;
  const fn = functionName || '(anonymous)';
  const a = area(url, fn);
  total += us;
  byArea.set(a, (byArea.get(a) ?? 0) + us);
  const key = `${fn} ${a}:${lineNumber + 1}`;
  byFn.set(key, (byFn.get(key) ?? 0) + us);
}
const busy = total - (byArea.get('(idle)') ?? 0);
const ms = (us) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
const pctOf = (us) => `${((100 * us) / busy).toFixed(1).padStart(5)} %`;
process.stdout.write(
  `${file}\nsampled ${ms(total)}, busy (not idle) ${ms(busy)}\n\nself time by area (% of busy):\n`,
);
for (const [a, us] of [...byArea].sort((x, y) => y[1] - x[1]).slice(0, top)) {
  if (a !== '(idle)') process.stdout.write(`${ms(us)} ${pctOf(us)}  ${a}\n`);
}
process.stdout.write('\nfunctions by self time:\n');
for (const [f, us] of [...byFn].sort((x, y) => y[1] - x[1]).slice(0, top)) {
  if (!f.startsWith('(idle)')) process.stdout.write(`${ms(us)} ${pctOf(us)}  ${f}\n`);
}

// --callers NAME: the call paths (6 frames up) that spent self time in functions named NAME.
const ci = process.argv.indexOf('--callers');
if (ci > 0) {
  const want = process.argv[ci + 1];
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const paths = new Map();
  for (const [id, us] of self) {
    if (byId.get(id).callFrame.functionName !== want) continue;
    const chain = [];
    for (
      let cur = parent.get(id);
      cur !== undefined && chain.length < (Number(process.env.DEPTH) || 8);
      cur = parent.get(cur)
    ) {
      const f = byId.get(cur).callFrame;
      chain.push(`${f.functionName || '(anon)'}@${area(f.url, f.functionName)}:${f.lineNumber + 1}`);
    }
    const k = chain.join(' < ');
    paths.set(k, (paths.get(k) ?? 0) + us);
  }
  process.stdout.write(`\ncallers of ${want}:\n`);
  for (const [k, us] of [...paths].sort((x, y) => y[1] - x[1]).slice(0, 12))
    process.stdout.write(`${ms(us)}  ${k}\n`);
}
