/**
 * The Dockerfile read as text (there is no Docker engine here to build it): instructions with comments
 * dropped and `\` continuations joined, split into stages, with ARG defaults substituted in FROM lines.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './deploy.js';

export interface Stage {
  /** The `AS` name ('' when none). */
  name: string;
  /** The image or stage it starts FROM, with global ARG defaults substituted. */
  from: string;
  /** Its instructions after FROM, whitespace collapsed. */
  lines: string[];
}

/** The Dockerfile's instructions, one per entry. */
export function dockerInstructions(path = join(ROOT, 'Dockerfile')): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => !l.trim().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim().replace(/\s+/g, ' '))
    .filter(Boolean);
}

/** The global ARGs (before the first FROM) and the stages, in order. */
export function dockerStages(path?: string): { args: Record<string, string>; stages: Stage[] } {
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const l of dockerInstructions(path)) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?$/i.exec(l);
    if (from) {
      const image = from[1]!.replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a, b) => args[a ?? b] ?? '');
      stages.push({ name: from[2] ?? '', from: image, lines: [] });
      continue;
    }
    if (stages.length === 0) {
      const arg = /^ARG\s+(\w+)(?:=(.*))?$/i.exec(l);
      if (arg) args[arg[1]!] = arg[2] ?? '';
      continue;
    }
    stages.at(-1)!.lines.push(l);
  }
  return { args, stages };
}

/** A stage by name; throws when absent. */
export function stage(stages: Stage[], name: string): Stage {
  const s = stages.find((x) => x.name === name);
  if (!s) throw new Error(`the Dockerfile has no stage "${name}"`);
  return s;
}

/** The packages of a stage's `apt-get install` steps. */
export function aptPackages(s: Stage): string[] {
  return s.lines
    .filter((l) => l.startsWith('RUN '))
    .flatMap((l) => l.slice(4).split('&&'))
    .map((x) => x.trim())
    .filter((x) => x.startsWith('apt-get install'))
    .flatMap((x) => x.replace(/^apt-get install -y --no-install-recommends /, '').split(' '));
}
