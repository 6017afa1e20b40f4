/**
 * docs/configuration.md is checked against the code: every environment variable that a zod schema of the bot
 * or the worker declares (or that the code reads straight from the environment) has a row in the doc's
 * tables, under the process that reads it, and the doc names no variable the code does not know. Defaults
 * written in the doc must be the schemas' defaults.
 *
 * The schemas are found by reading the source (TypeScript's parser), not by importing them: any `z.object({…})`
 * under bot/ or jobs/ whose keys are all UPPER_SNAKE_CASE is an environment schema, wherever it lives.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import ts from 'typescript';
import { loadBotConfig } from '../../../bot/config.js';
import { loadWorkerConfig } from '../../../jobs/config.js';

type Side = 'bot' | 'worker';
interface Declared {
  name: string;
  side: Side;
  where: string;
}

const ROOT = join(import.meta.dirname, '..', '..', '..');
const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

function sideOf(file: string, schemaName?: string): Side {
  if (schemaName && /bot/i.test(schemaName)) return 'bot';
  if (schemaName && /worker/i.test(schemaName)) return 'worker';
  return relative(ROOT, file).startsWith('bot') ? 'bot' : 'worker';
}

function propName(p: ts.ObjectLiteralElementLike): string | undefined {
  if (!ts.isPropertyAssignment(p) && !ts.isShorthandPropertyAssignment(p)) return undefined;
  const n = p.name;
  return ts.isIdentifier(n) || ts.isStringLiteral(n) ? n.text : undefined;
}

/** The name of the `const X = …` a node sits in, if any. */
function enclosingConst(node: ts.Node): string | undefined {
  for (let n: ts.Node | undefined = node; n; n = n.parent) {
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name)) return n.name.text;
  }
  return undefined;
}

/** Environment variables the code declares in a zod schema, and those it reads directly (`env.X`). */
function declaredInCode(): { schema: Declared[]; direct: Declared[] } {
  const schema: Declared[] = [];
  const direct: Declared[] = [];
  const files = [...sourceFiles(join(ROOT, 'bot')), ...sourceFiles(join(ROOT, 'jobs'))];
  for (const file of files) {
    const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    const where = relative(ROOT, file);
    const visit = (node: ts.Node): void => {
      if (
        ts.isCallExpression(node) &&
        ts.isPropertyAccessExpression(node.expression) &&
        ['object', 'strictObject', 'looseObject'].includes(node.expression.name.text) &&
        node.arguments[0] &&
        ts.isObjectLiteralExpression(node.arguments[0])
      ) {
        const names = node.arguments[0].properties.map(propName);
        if (names.length > 0 && names.every((n) => n !== undefined && ENV_NAME.test(n))) {
          const side = sideOf(file, enclosingConst(node));
          for (const name of names as string[]) schema.push({ name, side, where });
        }
      }
      // env.NAME or process.env.NAME
      if (ts.isPropertyAccessExpression(node) && ENV_NAME.test(node.name.text)) {
        const obj = node.expression;
        const isEnv =
          (ts.isIdentifier(obj) && obj.text === 'env') ||
          (ts.isPropertyAccessExpression(obj) &&
            obj.name.text === 'env' &&
            ts.isIdentifier(obj.expression) &&
            obj.expression.text === 'process');
        if (isEnv) direct.push({ name: node.name.text, side: sideOf(file), where });
      }
      ts.forEachChild(node, visit);
    };
    visit(src);
  }
  return { schema, direct };
}

interface DocRow {
  name: string;
  side: Side;
  defaultCell: string;
  line: number;
}

/** The rows of the variables tables in docs/configuration.md, by the `## Bot` / `## Worker` section they sit in. */
function documented(): DocRow[] {
  const text = readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8');
  const rows: DocRow[] = [];
  let side: Side | undefined;
  text.split('\n').forEach((line, i) => {
    const h = /^##\s+(.*)$/.exec(line);
    if (h) side = /\bbot\b/i.test(h[1]!) ? 'bot' : /\bworker\b/i.test(h[1]!) ? 'worker' : undefined;
    const row = /^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|([^|]*)\|/.exec(line);
    if (row) {
      if (!side)
        throw new Error(`docs/configuration.md:${i + 1}: a variable row outside the Bot and Worker sections`);
      rows.push({ name: row[1]!, side, defaultCell: row[2]!.trim(), line: i + 1 });
    }
  });
  return rows;
}

const code = declaredInCode();
const doc = documented();
const key = (d: { name: string; side: Side }) => `${d.side} ${d.name}`;

describe('docs/configuration.md against the environment schemas', () => {
  it('finds the schemas of both processes in the source', () => {
    // Guards the finder itself: if the schemas moved out of its sight, the other checks would pass vacuously.
    const sides = new Set(code.schema.map((d) => d.side));
    expect([...sides].sort()).toEqual(['bot', 'worker']);
    expect(code.schema.map((d) => d.name)).toEqual(expect.arrayContaining(['SLACK_BOT_TOKEN', 'CLUSTER']));
  });

  it('documents every variable a schema declares, under the process that reads it', () => {
    const inDoc = new Set(doc.map(key));
    const missing = code.schema.filter((d) => !inDoc.has(key(d))).map((d) => `${key(d)} (${d.where})`);
    expect(missing).toEqual([]);
  });

  it('documents every variable the code reads straight from the environment', () => {
    const inDoc = new Set(doc.map(key));
    const missing = code.direct.filter((d) => !inDoc.has(key(d))).map((d) => `${key(d)} (${d.where})`);
    expect([...new Set(missing)]).toEqual([]);
  });

  it('names no variable that the code does not know', () => {
    const known = new Set([...code.schema, ...code.direct].map(key));
    const unknown = doc.filter((r) => !known.has(key(r))).map((r) => `${key(r)} (line ${r.line})`);
    expect(unknown).toEqual([]);
  });

  it('documents each variable once per process', () => {
    const seen = doc.map(key);
    expect(seen.filter((k, i) => seen.indexOf(k) !== i)).toEqual([]);
  });

  it('gives the schemas’ defaults where it writes one as a value', () => {
    const defaults: Record<Side, Record<string, unknown>> = {
      bot: loadBotConfig({
        SLACK_BOT_TOKEN: 'xoxb-1-2-3',
        SLACK_SIGNING_SECRET: 'abcdefgh12345678',
        POLICY_FILE: '/etc/poddebug/policy.yaml',
      }),
      worker: loadWorkerConfig({ CLUSTER: 'prod-eu' }),
    };
    const wrong: string[] = [];
    let compared = 0;
    for (const r of doc) {
      const cell = /^`([^`]+)`$/.exec(r.defaultCell);
      const actual = defaults[r.side][r.name];
      if (!cell || actual === undefined) continue;
      compared++;
      const shown = Array.isArray(actual) ? actual.join(',') : String(actual);
      if (shown !== cell[1]) wrong.push(`${key(r)}: doc says ${cell[1]}, schema says ${shown}`);
    }
    expect(wrong).toEqual([]);
    expect(compared).toBeGreaterThan(10);
  });
});
