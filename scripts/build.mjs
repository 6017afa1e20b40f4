#!/usr/bin/env node
/**
 * `npm run build`: compiles bot/ and jobs/ into dist/ (tsc -p tsconfig.build.json) and copies the Lua
 * scripts beside them, without ever leaving a half-written file in dist/.
 *
 * tsc writes each output in place (truncate, then write), so a second build running at the same time
 * (two `npm test` side by side) could truncate dist/bot/main.js while a test is starting it. Here tsc
 * writes into a fresh staging directory inside dist/ (same filesystem), and each finished file is then
 * moved into place with rename(2), which replaces it atomically: a reader opens either the old file or
 * the new one, whole. Builds of the same sources produce the same bytes, so a process that starts while
 * another build is swapping files in gets a consistent tree either way. dist/ stays a plain directory
 * (the Dockerfile copies it as such); files removed from the sources stay in dist/, as they did with tsc.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
mkdirSync(dist, { recursive: true });
const stage = mkdtempSync(join(dist, '.staging-'));

try {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', stage], {
    stdio: 'inherit',
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
  for (const d of ['bot', 'jobs']) {
    cpSync(join(root, d), join(stage, d), {
      recursive: true,
      filter: (s) => statSync(s).isDirectory() || s.endsWith('.lua'),
    });
  }
  moveInto(stage, dist);
} finally {
  rmSync(stage, { recursive: true, force: true });
}

/** Moves every file under `from` to the same relative path under `to`, each with one atomic rename. */
function moveInto(from, to) {
  for (const e of readdirSync(from, { withFileTypes: true })) {
    const src = join(from, e.name);
    const dst = join(to, e.name);
    if (e.isDirectory()) {
      mkdirSync(dst, { recursive: true });
      moveInto(src, dst);
    } else {
      renameSync(src, dst);
    }
  }
}
