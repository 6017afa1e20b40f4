import { isMap, isNode, isPair, isScalar, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import { type Policy, PolicySchema } from './schema.js';

export type ParseResult = { ok: true; policy: Policy } | { ok: false; errors: string[] };

/**
 * Parses the text of a policy file. Pure: the caller reads the file. Every
 * error reads `file:line:col: path: reason`, pointing at the offending value
 * (or the key, for an unknown key; or the enclosing map, for a missing one).
 */
export function parsePolicy(text: string, file: string): ParseResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): string => {
    const { line, col } = lineCounter.linePos(offset);
    return `${file}:${line}:${col}`;
  };

  if (doc.errors.length > 0) {
    return { ok: false, errors: doc.errors.map((e) => `${at(e.pos[0])}: ${firstLine(e.message)}`) };
  }

  const parsed = PolicySchema.safeParse(doc.toJS({ maxAliasCount: 100 }));
  if (parsed.success) return { ok: true, policy: parsed.data };

  const errors = parsed.error.issues.flatMap((issue) => issueErrors(issue, doc.contents, at));
  return { ok: false, errors };
}

function issueErrors(issue: z.core.$ZodIssue, root: unknown, at: (offset: number) => string): string[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const { node, depth } = nearestNode(root, path);
  const where = (n: Node | undefined) => at(n?.range?.[0] ?? 0);

  if (issue.code === 'unrecognized_keys' && isMap(node) && depth === path.length) {
    return issue.keys.map((key) => {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
      const keyNode = pair && isNode(pair.key) ? pair.key : node;
      return `${where(keyNode)}: ${showPath([...path, key])}: unknown key "${key}"`;
    });
  }

  let message = issue.message;
  if (path.length === 0 && issue.code === 'invalid_type' && issue.input == null) {
    message = 'the policy is empty; it needs at least version and channels';
  }
  if (depth < path.length) {
    // The value is missing: point at the map that should hold it.
    message = issue.code === 'invalid_type' && issue.input === undefined ? 'required' : message;
  }
  return [`${where(node)}: ${showPath(path)}: ${message}`];
}

/** The deepest node along `path` that exists in the document, and how many path segments it consumed. */
function nearestNode(root: unknown, path: (string | number)[]): { node: Node | undefined; depth: number } {
  let node: Node | undefined = isNode(root) ? root : undefined;
  let depth = 0;
  for (const seg of path) {
    if (!node || !('items' in node) || !Array.isArray(node.items)) break;
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === seg);
      next = pair?.value;
    } else if (typeof seg === 'number') {
      next = node.items[seg];
    }
    if (!isNode(next)) break;
    node = next;
    depth++;
  }
  return { node, depth };
}

function showPath(path: (string | number)[]): string {
  if (path.length === 0) return '(policy)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

function firstLine(s: string): string {
  return s.split('\n', 1)[0]!.trim();
}
