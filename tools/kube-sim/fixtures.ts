/**
 * Loads fixture trees: every *.yaml / *.yml except expect.yaml (multi-document
 * or `kind: List`), and logs/<namespace>/<pod>/<container>[.previous].log.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, sep } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { isKubeObject, type KubeObject } from './store.js';

/** One container log read from a fixture tree. */
export interface FixtureLog {
  namespace: string;
  pod: string;
  container: string;
  previous: boolean;
  text: string;
}

/** Everything read from the fixture paths. */
export interface LoadedFixtures {
  objects: KubeObject[];
  logs: FixtureLog[];
}

async function walk(path: string, out: string[]): Promise<void> {
  const s = await stat(path);
  if (!s.isDirectory()) {
    out.push(path);
    return;
  }
  const entries = (await readdir(path)).sort();
  for (const e of entries) await walk(join(path, e), out);
}

/** Flattens `kind: List` (and any *List with items) into its items. */
function flatten(doc: unknown, file: string): KubeObject[] {
  if (doc === null || doc === undefined) return [];
  const o = doc as Record<string, unknown>;
  if (typeof o.kind === 'string' && o.kind.endsWith('List') && Array.isArray(o.items)) {
    const listVersion = typeof o.apiVersion === 'string' ? o.apiVersion : 'v1';
    const itemKind = o.kind === 'List' ? undefined : o.kind.slice(0, -4);
    return o.items.flatMap((item: unknown) => {
      const i = item as Record<string, unknown>;
      return flatten({ apiVersion: listVersion, ...(itemKind ? { kind: itemKind } : {}), ...i }, file);
    });
  }
  if (!isKubeObject(doc))
    throw new Error(`${file}: not a Kubernetes object (needs apiVersion, kind, metadata.name)`);
  return [doc];
}

/** Parses one YAML file into objects. Throws with the file name on a syntax error. */
export function parseObjects(text: string, file: string): KubeObject[] {
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  return list.flatMap((d) => {
    if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]!.message}`);
    return flatten(d.toJS(), file);
  });
}

/** Interprets a path ending in logs/<ns>/<pod>/<container>[.previous].log; undefined otherwise. */
export function logPathInfo(path: string): Omit<FixtureLog, 'text'> | undefined {
  const parts = path.split(sep);
  const n = parts.length;
  if (n < 4 || parts[n - 4] !== 'logs' || !path.endsWith('.log')) return undefined;
  const file = basename(path, '.log');
  const previous = file.endsWith('.previous');
  return {
    namespace: parts[n - 3]!,
    pod: parts[n - 2]!,
    container: previous ? file.slice(0, -'.previous'.length) : file,
    previous,
  };
}

/** Reads every fixture file under the given paths (directories are walked recursively). */
export async function loadFixtures(paths: string[]): Promise<LoadedFixtures> {
  const files: string[] = [];
  for (const p of paths) await walk(p, files);
  const objects: KubeObject[] = [];
  const logs: FixtureLog[] = [];
  for (const f of files) {
    const name = basename(f);
    if (/\.ya?ml$/.test(name) && name !== 'expect.yaml' && name !== 'expect.yml') {
      objects.push(...parseObjects(await readFile(f, 'utf8'), f));
    } else {
      const info = logPathInfo(f);
      if (info) logs.push({ ...info, text: await readFile(f, 'utf8') });
    }
  }
  return { objects, logs };
}
