#!/usr/bin/env node
/**
 * `npm run build`: compiles bot/ and jobs/ into dist/ (tsc -p tsconfig.build.json), copies the Lua scripts
 * beside them, then bundles the three programs that start often into one file each (esbuild), without ever
 * leaving a half-written file in dist/.
 *
 * - dist/bundle/cli.js, bot.js, worker.js: the CLI, the bot and the worker with their dependencies in one
 *   ESM file each. Loading one file instead of several hundred modules (client-node alone is ~900) is most
 *   of their start-up. Native addons and packages that find files beside themselves stay external
 *   (EXTERNAL below) and load from node_modules at run time.
 * - dist/bot/main.js and dist/jobs/worker-main.js (what `npm run bot|worker`, the Dockerfile and the
 *   manifests start) become two-line entries that turn on Node's module compile cache, then import the
 *   bundle: the cache can only serve modules loaded after it is on. bin/poddebug.js does the same for the CLI.
 * - Everything else in dist/ is tsc's output as before: the probe program (dist/jobs/probes/program/, its own
 *   entry, run in the probe pod), `poddebug audit` (dist/bot/audit/cli.js) and the Lua scripts, which the
 *   bundles read from there: in a bundled module, `import.meta.url` is rewritten to the URL its tsc output
 *   has in dist/, so `new URL('./lua/x.lua', import.meta.url)` finds the same file as before.
 *
 * tsc writes each output in place (truncate, then write), so a second build running at the same time
 * (two `npm test` side by side) could truncate dist/bot/main.js while a test is starting it. Here tsc and
 * esbuild write into a fresh staging directory inside dist/ (same filesystem), and each finished file is then
 * moved into place with rename(2), which replaces it atomically: a reader opens either the old file or
 * the new one, whole. Builds of the same sources produce the same bytes, so a process that starts while
 * another build is swapping files in gets a consistent tree either way. dist/ stays a plain directory
 * (the Dockerfile copies it as such); files removed from the sources stay in dist/, as they did with tsc.
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

/** The bundles: source entry → bundle (under dist/bundle/), and the dist/ entry that loads it, if any. */
const BUNDLES = [
  { entry: 'jobs/cli/main.ts', out: 'cli.js' },
  { entry: 'bot/main.ts', out: 'bot.js', loader: 'bot/main.js' },
  { entry: 'jobs/worker-main.ts', out: 'worker.js', loader: 'jobs/worker-main.js' },
];

/**
 * Packages loaded from node_modules at run time: native addons (resvg draws the memory chart and is required
 * only then; msgpackr-extract is msgpackr's optional native decoder; ws' optional native helpers) and
 * packages that look for files next to their own modules.
 */
const EXTERNAL = [
  '@resvg/resvg-js',
  'msgpackr-extract',
  'bufferutil',
  'utf-8-validate',
  'cpu-features',
  'ssh2',
];

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
  await bundle(stage);
  moveInto(stage, dist);
} finally {
  rmSync(stage, { recursive: true, force: true });
}

async function bundle(out) {
  const bundleDir = join(out, 'bundle');
  const result = await build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(BUNDLES.map((b) => [b.out.replace(/\.js$/, ''), b.entry])),
    outdir: bundleDir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'linked',
    logLevel: 'warning',
    // Whitespace and syntax only: ~10 MiB less resident than the plain bundle (the source text is kept in
    // memory), while function and class names in stack traces stay as written.
    minifyWhitespace: true,
    minifySyntax: true,
    external: EXTERNAL,
    // Packages written as CommonJS call require(): give the ESM bundle one.
    banner: {
      js: "import { createRequire as __poddebugCreateRequire } from 'node:module';\nconst require = __poddebugCreateRequire(import.meta.url);",
    },
    plugins: [distImportMetaUrl(bundleDir)],
  });
  if (result.errors.length > 0) process.exit(1);
  for (const b of BUNDLES.filter((x) => x.loader)) {
    const loader = join(out, b.loader);
    const target = relative(dirname(loader), join(bundleDir, b.out)).split(sep).join('/');
    const spec = target.startsWith('.') ? target : `./${target}`;
    rmSync(`${loader}.map`, { force: true });
    writeFileSync(
      loader,
      `// Built by scripts/build.mjs: turn on the module compile cache, then load the bundle (${b.entry}).\nimport * as nodeModule from 'node:module';\nnodeModule.enableCompileCache?.();\nawait import('${spec}');\n`,
    );
  }
}

/**
 * In the project's own modules, `import.meta.url` becomes the URL the module's tsc output has in dist/
 * (computed from the bundle's own URL at run time), so files read beside a module (the Lua scripts, the
 * probe program's child) resolve as they do unbundled.
 */
function distImportMetaUrl(bundleDir) {
  return {
    name: 'dist-import-meta-url',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        const rel = relative(root, args.path);
        if (rel.startsWith('..') || rel.includes('node_modules')) return undefined;
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return { contents: text, loader: 'ts' };
        const asJs = join(stage, rel.replace(/\.ts$/, '.js'));
        const fromBundle = relative(bundleDir, asJs).split(sep).join('/');
        return {
          contents: text.replaceAll(
            'import.meta.url',
            `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`,
          ),
          loader: 'ts',
        };
      });
    },
  };
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
