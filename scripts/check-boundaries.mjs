#!/usr/bin/env node
// The credentials split in code: bot/ may import only jobs/contracts/ from jobs/,
// and jobs/ never imports bot/. The probe program (jobs/probes/program/) runs as
// root in the probe pod: it imports only jobs/contracts/ and its own folder
// (node: builtins and packages are not checked here). The cluster client and
// the probes sit below diagnose: jobs/k8s/ and jobs/probes/ never import
// jobs/diagnose/. Exits 1 naming each offending import.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const files = (dir) =>
  readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
const importRe = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const bad = [];
const PROGRAM = 'jobs/probes/program/';
for (const [side, rule] of [
  ['bot', (t) => t.startsWith('jobs/') && !t.startsWith('jobs/contracts/')],
  ['jobs', (t) => t.startsWith('bot/')],
  [PROGRAM, (t) => !t.startsWith(PROGRAM) && !t.startsWith('jobs/contracts/')],
  ['jobs/k8s', (t) => t.startsWith('jobs/diagnose/')],
  ['jobs/probes', (t) => t.startsWith('jobs/diagnose/')],
]) {
  for (const f of files(join(root, side))) {
    for (const m of readFileSync(f, 'utf8').matchAll(importRe)) {
      const spec = m[1] ?? m[2];
      if (!spec.startsWith('.')) continue;
      const target = relative(root, resolve(dirname(f), spec));
      if (rule(target)) bad.push(`${relative(root, f)} imports ${spec}`);
    }
  }
}
// Tools and test support are for tests, the demo and the bench: the shipped bot and worker never import them.
for (const side of ['bot', 'jobs']) {
  for (const f of files(join(root, side))) {
    for (const m of readFileSync(f, 'utf8').matchAll(importRe)) {
      const spec = m[1] ?? m[2];
      if (!spec.startsWith('.')) continue;
      const target = relative(root, resolve(dirname(f), spec));
      if (/^(tools|test)\//.test(target))
        bad.push(`${relative(root, f)} imports ${spec} (tools/ and test/ are not shipped)`);
    }
  }
}
// The bot's request record is one contract: whoever reads it parses it with the shared schema (both sides do),
// and nobody spells its keys or its job ids by hand outside jobs/contracts/requests.ts.
const readsRecord = /\bhgetall\(\s*KEYS\.request\(/;
const parses = new Set();
for (const side of ['bot', 'jobs']) {
  for (const f of files(join(root, side))) {
    const rel = relative(root, f);
    const text = readFileSync(f, 'utf8');
    if (text.includes('parseRequestRecord(')) parses.add(side);
    if (readsRecord.test(text) && !text.includes('parseRequestRecord('))
      bad.push(`${rel} reads a request record without parseRequestRecord (the shared schema)`);
    if (
      rel !== 'jobs/contracts/requests.ts' &&
      /['`"]poddebug:(req|open|approval-used):|['`"](plan|run)-\$\{|\b(diag|prb)-\[0-9a-f\]/.test(text)
    )
      bad.push(
        `${rel} spells a request key or id by hand (use KEYS, jobIdOf, parseJobId from the contracts)`,
      );
  }
}
for (const side of ['bot', 'jobs'])
  if (!parses.has(side))
    bad.push(`${side}/ does not parse request records with the shared schema (parseRequestRecord)`);
if (bad.length) {
  console.error(
    `boundary check failed (bot/ may import only jobs/contracts/; jobs/ never bot/; ${PROGRAM} only jobs/contracts/ and itself; jobs/k8s/ and jobs/probes/ never jobs/diagnose/):\n  ${bad.join('\n  ')}`,
  );
  process.exit(1);
}
console.log('boundary check: ok');
