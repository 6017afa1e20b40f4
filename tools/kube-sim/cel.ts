/**
 * A small evaluator for the subset of CEL (the Common Expression Language, as
 * Kubernetes uses it in ValidatingAdmissionPolicies) that the shipped policies
 * need. Pure. Behind one interface, `compileCel(expression)`, so that a full
 * CEL library can replace it without touching its callers.
 *
 * Supported: null, bool, int/double (JS numbers), 'single'/"double"-quoted
 * strings, lists `[..]` and maps `{k: v}`; identifiers and field selection
 * (`a.b`; a missing key is an error, as in CEL), indexing (`l[0]`, `m['k']`);
 * `! - * / % + == != < <= > >= in && || ?:`; `&&`/`||` absorb an error on one
 * side when the other decides (CEL's commutative logic); the macros
 * `has(a.b)`, `l.all(x, p)`, `l.exists(x, p)`, `l.exists_one(x, p)`,
 * `l.map(x, e)`, `l.filter(x, p)` (on lists, and on maps over their keys);
 * the functions `size`, `startsWith`, `endsWith`, `contains`, `matches`
 * (a JavaScript RegExp: RE2's common subset), `string`, `int`, and the
 * Kubernetes string library's `join`, `lowerAscii`, `upperAscii`.
 * Not supported (a clear error at compile time): comprehensions beyond those
 * macros, bytes, uint, durations, timestamps, optional types, type checks.
 *
 * Longer than 400 lines on purpose: a lexer, a parser and an evaluator of one small language, kept together
 * so that it can be swapped for a CEL library in one place.
 */

/** An evaluation or compile error, worded as CEL words its own ("no such key: labels"). */
export class CelError extends Error {
  override name = 'CelError';
}

/** A compiled expression: evaluate with the given top-level variables. */
export interface CelProgram {
  readonly expression: string;
  evaluate(vars: Readonly<Record<string, unknown>>): unknown;
}

type Node =
  | { t: 'lit'; v: unknown }
  | { t: 'id'; name: string }
  | { t: 'sel'; obj: Node; field: string }
  | { t: 'idx'; obj: Node; index: Node }
  | { t: 'call'; fn: string; target?: Node; args: Node[] }
  | { t: 'list'; items: Node[] }
  | { t: 'map'; entries: [Node, Node][] }
  | { t: 'un'; op: '!' | '-'; e: Node }
  | { t: 'bin'; op: string; l: Node; r: Node }
  | { t: 'cond'; c: Node; a: Node; b: Node };

type Tok =
  | { k: 'num'; v: number; at: number }
  | { k: 'str'; v: string; at: number }
  | { k: 'id'; v: string; at: number }
  | { k: 'op'; v: string; at: number }
  | { k: 'end'; at: number };

const OPS = [
  '&&',
  '||',
  '==',
  '!=',
  '<=',
  '>=',
  '<',
  '>',
  '!',
  '+',
  '-',
  '*',
  '/',
  '%',
  '?',
  ':',
  '.',
  ',',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
];
const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '`': '`',
  '?': '?',
};

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (/[0-9]/.test(ch)) {
      const m = /^(0x[0-9a-fA-F]+|[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?)[uU]?/.exec(src.slice(i))!;
      out.push({ k: 'num', v: Number(m[1]), at: i });
      i += m[0].length;
      continue;
    }
    if (/[A-Za-z_]/.test(ch)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      out.push({ k: 'id', v: m[0], at: i });
      i += m[0].length;
      continue;
    }
    if (ch === "'" || ch === '"') {
      if (src.startsWith(ch.repeat(3), i))
        throw new CelError(`triple-quoted strings are not supported (at ${i})`);
      let s = '';
      let j = i + 1;
      for (;;) {
        if (j >= src.length) throw new CelError(`unterminated string starting at ${i}`);
        const c = src[j]!;
        if (c === ch) break;
        if (c === '\\') {
          const e = src[j + 1] ?? '';
          if (!(e in ESCAPES)) throw new CelError(`unsupported escape \\${e} at ${j}`);
          s += ESCAPES[e];
          j += 2;
          continue;
        }
        s += c;
        j++;
      }
      out.push({ k: 'str', v: s, at: i });
      i = j + 1;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new CelError(`unexpected character '${ch}' at ${i}`);
    out.push({ k: 'op', v: op, at: i });
    i += op.length;
  }
  out.push({ k: 'end', at: src.length });
  return out;
}

class Parser {
  private p = 0;
  constructor(private readonly toks: Tok[]) {}

  private peek(): Tok {
    return this.toks[this.p]!;
  }
  private isOp(v: string): boolean {
    const t = this.peek();
    return t.k === 'op' && t.v === v;
  }
  private eat(v: string): boolean {
    if (!this.isOp(v)) return false;
    this.p++;
    return true;
  }
  private expect(v: string): void {
    if (!this.eat(v)) {
      const t = this.peek();
      throw new CelError(
        `expected '${v}' at ${t.at}, found ${t.k === 'end' ? 'the end' : `'${'v' in t ? t.v : ''}'`}`,
      );
    }
  }

  parse(): Node {
    const e = this.expr();
    const t = this.peek();
    if (t.k !== 'end') throw new CelError(`unexpected '${'v' in t ? t.v : ''}' at ${t.at}`);
    return e;
  }

  private expr(): Node {
    const c = this.or();
    if (!this.eat('?')) return c;
    const a = this.or();
    this.expect(':');
    const b = this.expr();
    return { t: 'cond', c, a, b };
  }
  private or(): Node {
    let l = this.and();
    while (this.eat('||')) l = { t: 'bin', op: '||', l, r: this.and() };
    return l;
  }
  private and(): Node {
    let l = this.rel();
    while (this.eat('&&')) l = { t: 'bin', op: '&&', l, r: this.rel() };
    return l;
  }
  private rel(): Node {
    let l = this.add();
    for (;;) {
      const t = this.peek();
      const op =
        t.k === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(t.v)
          ? t.v
          : t.k === 'id' && t.v === 'in'
            ? 'in'
            : undefined;
      if (!op) return l;
      this.p++;
      l = { t: 'bin', op, l, r: this.add() };
    }
  }
  private add(): Node {
    let l = this.mul();
    for (;;) {
      if (this.eat('+')) l = { t: 'bin', op: '+', l, r: this.mul() };
      else if (this.eat('-')) l = { t: 'bin', op: '-', l, r: this.mul() };
      else return l;
    }
  }
  private mul(): Node {
    let l = this.unary();
    for (;;) {
      const t = this.peek();
      if (t.k === 'op' && (t.v === '*' || t.v === '/' || t.v === '%')) {
        this.p++;
        l = { t: 'bin', op: t.v, l, r: this.unary() };
      } else return l;
    }
  }
  private unary(): Node {
    if (this.eat('!')) return { t: 'un', op: '!', e: this.unary() };
    if (this.eat('-')) return { t: 'un', op: '-', e: this.unary() };
    return this.member();
  }
  private args(): Node[] {
    const out: Node[] = [];
    if (this.eat(')')) return out;
    do out.push(this.expr());
    while (this.eat(','));
    this.expect(')');
    return out;
  }
  private ident(): string {
    const t = this.peek();
    if (t.k !== 'id') throw new CelError(`expected a name at ${t.at}`);
    this.p++;
    return t.v;
  }
  private member(): Node {
    let e = this.primary();
    for (;;) {
      if (this.eat('.')) {
        const name = this.ident();
        e = this.eat('(')
          ? { t: 'call', fn: name, target: e, args: this.args() }
          : { t: 'sel', obj: e, field: name };
      } else if (this.eat('[')) {
        const index = this.expr();
        this.expect(']');
        e = { t: 'idx', obj: e, index };
      } else return e;
    }
  }
  private primary(): Node {
    const t = this.peek();
    if (t.k === 'num' || t.k === 'str') {
      this.p++;
      return { t: 'lit', v: t.v };
    }
    if (t.k === 'id') {
      this.p++;
      if (t.v === 'true' || t.v === 'false') return { t: 'lit', v: t.v === 'true' };
      if (t.v === 'null') return { t: 'lit', v: null };
      if (this.eat('(')) return { t: 'call', fn: t.v, args: this.args() };
      return { t: 'id', name: t.v };
    }
    if (this.eat('(')) {
      const e = this.expr();
      this.expect(')');
      return e;
    }
    if (this.eat('[')) {
      const items: Node[] = [];
      while (!this.isOp(']')) {
        items.push(this.expr());
        if (!this.eat(',')) break;
      }
      this.expect(']');
      return { t: 'list', items };
    }
    if (this.eat('{')) {
      const entries: [Node, Node][] = [];
      while (!this.isOp('}')) {
        const k = this.expr();
        this.expect(':');
        entries.push([k, this.expr()]);
        if (!this.eat(',')) break;
      }
      this.expect('}');
      return { t: 'map', entries };
    }
    throw new CelError(
      `unexpected ${t.k === 'end' ? 'end of expression' : `'${'v' in t ? t.v : ''}'`} at ${t.at}`,
    );
  }
}

type Scope = ReadonlyMap<string, unknown>;
const MACROS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const typeName = (v: unknown): string =>
  v === null || v === undefined
    ? 'null_type'
    : Array.isArray(v)
      ? 'list'
      : isMap(v)
        ? 'map'
        : typeof v === 'number'
          ? Number.isInteger(v)
            ? 'int'
            : 'double'
          : typeof v === 'boolean'
            ? 'bool'
            : 'string';

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && equal(a[k], b[k]));
  }
  return false;
}

function noOverload(fn: string, ...vs: unknown[]): CelError {
  return new CelError(`no such overload: ${fn}(${vs.map(typeName).join(', ')})`);
}

function bool(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') throw new CelError(`${what} needs a bool, got ${typeName(v)}`);
  return v;
}

function str(v: unknown, fn: string): string {
  if (typeof v !== 'string') throw noOverload(fn, v);
  return v;
}

function select(obj: unknown, field: string): unknown {
  if (!isMap(obj)) throw new CelError(`no such key: ${field} (on ${typeName(obj)})`);
  if (!Object.hasOwn(obj, field) || obj[field] === undefined) throw new CelError(`no such key: ${field}`);
  return obj[field];
}

function evaluate(n: Node, s: Scope): unknown {
  switch (n.t) {
    case 'lit':
      return n.v;
    case 'id':
      if (!s.has(n.name)) throw new CelError(`undeclared reference to '${n.name}'`);
      return s.get(n.name);
    case 'sel':
      return select(evaluate(n.obj, s), n.field);
    case 'idx': {
      const o = evaluate(n.obj, s);
      const i = evaluate(n.index, s);
      if (Array.isArray(o)) {
        if (typeof i !== 'number' || !Number.isInteger(i)) throw noOverload('_[_]', o, i);
        if (i < 0 || i >= o.length) throw new CelError(`index out of range: ${i}`);
        return o[i];
      }
      if (isMap(o) && typeof i === 'string') return select(o, i);
      throw noOverload('_[_]', o, i);
    }
    case 'list':
      return n.items.map((e) => evaluate(e, s));
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of n.entries) {
        const key = evaluate(k, s);
        if (typeof key !== 'string') throw new CelError(`map keys here are strings, got ${typeName(key)}`);
        out[key] = evaluate(v, s);
      }
      return out;
    }
    case 'un': {
      const v = evaluate(n.e, s);
      if (n.op === '!') return !bool(v, '!');
      if (typeof v !== 'number') throw noOverload('-_', v);
      return -v;
    }
    case 'cond':
      return bool(evaluate(n.c, s), '?:') ? evaluate(n.a, s) : evaluate(n.b, s);
    case 'bin':
      return binary(n.op, n.l, n.r, s);
    case 'call':
      return call(n, s);
  }
}

function logic(op: '&&' | '||', l: Node, r: Node, s: Scope): boolean {
  // CEL: the result is decided by either side; an error on one side is absorbed when the other decides.
  const decisive = op === '||';
  let err: unknown;
  for (const side of [l, r]) {
    try {
      if (bool(evaluate(side, s), op) === decisive) return decisive;
    } catch (e) {
      err ??= e;
    }
  }
  if (err !== undefined) throw err;
  return !decisive;
}

function binary(op: string, ln: Node, rn: Node, s: Scope): unknown {
  if (op === '&&' || op === '||') return logic(op, ln, rn, s);
  const l = evaluate(ln, s);
  const r = evaluate(rn, s);
  switch (op) {
    case '==':
      return equal(l, r);
    case '!=':
      return !equal(l, r);
    case 'in':
      if (Array.isArray(r)) return r.some((x) => equal(x, l));
      if (isMap(r)) return typeof l === 'string' && Object.hasOwn(r, l);
      throw noOverload('@in', l, r);
    case '+':
      if (typeof l === 'number' && typeof r === 'number') return l + r;
      if (typeof l === 'string' && typeof r === 'string') return l + r;
      if (Array.isArray(l) && Array.isArray(r)) return [...l, ...r];
      throw noOverload('_+_', l, r);
    case '-':
    case '*':
    case '/':
    case '%': {
      if (typeof l !== 'number' || typeof r !== 'number') throw noOverload(`_${op}_`, l, r);
      if ((op === '/' || op === '%') && r === 0)
        throw new CelError(op === '/' ? 'division by zero' : 'modulus by zero');
      if (op === '-') return l - r;
      if (op === '*') return l * r;
      if (op === '/') return Number.isInteger(l) && Number.isInteger(r) ? Math.trunc(l / r) : l / r;
      return l % r;
    }
    default: {
      const both =
        (typeof l === 'number' && typeof r === 'number') || (typeof l === 'string' && typeof r === 'string');
      if (!both) throw noOverload(`_${op}_`, l, r);
      const a = l as number | string;
      const b = r as number | string;
      return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
    }
  }
}

function macro(n: Extract<Node, { t: 'call' }>, s: Scope): unknown {
  const [v, body, extra] = n.args;
  if (n.args.length !== 2 || v?.t !== 'id' || !body || extra)
    throw new CelError(`${n.fn}() takes a variable name and one expression`);
  const target = evaluate(n.target!, s);
  const items = Array.isArray(target) ? target : isMap(target) ? Object.keys(target) : undefined;
  if (!items) throw noOverload(n.fn, target);
  const run = (x: unknown) => evaluate(body, new Map([...s, [v.name, x]]));
  switch (n.fn) {
    case 'all': {
      let err: unknown;
      for (const x of items)
        try {
          if (!bool(run(x), 'all()')) return false;
        } catch (e) {
          err ??= e;
        }
      if (err !== undefined) throw err;
      return true;
    }
    case 'exists': {
      let err: unknown;
      for (const x of items)
        try {
          if (bool(run(x), 'exists()')) return true;
        } catch (e) {
          err ??= e;
        }
      if (err !== undefined) throw err;
      return false;
    }
    case 'exists_one':
      return items.filter((x) => bool(run(x), 'exists_one()')).length === 1;
    case 'map':
      return items.map(run);
    default:
      return items.filter((x) => bool(run(x), 'filter()'));
  }
}

function size(v: unknown): number {
  if (typeof v === 'string') return [...v].length;
  if (Array.isArray(v)) return v.length;
  if (isMap(v)) return Object.keys(v).length;
  throw noOverload('size', v);
}

function call(n: Extract<Node, { t: 'call' }>, s: Scope): unknown {
  if (n.target === undefined && n.fn === 'has') {
    const a = n.args[0];
    if (n.args.length !== 1 || a?.t !== 'sel')
      throw new CelError('has() takes one field selection, e.g. has(a.b)');
    const o = evaluate(a.obj, s);
    if (!isMap(o)) throw new CelError(`has(): no such key: ${a.field} (on ${typeName(o)})`);
    return Object.hasOwn(o, a.field) && o[a.field] !== undefined && o[a.field] !== null;
  }
  if (n.target !== undefined && MACROS.has(n.fn)) return macro(n, s);
  const self = n.target === undefined ? undefined : evaluate(n.target, s);
  const args = n.args.map((a) => evaluate(a, s));
  const recv = n.target === undefined ? args.shift() : self;
  const arity = (k: number) => {
    if (args.length !== k) throw new CelError(`${n.fn}() takes ${k} argument(s) besides its receiver`);
  };
  switch (n.fn) {
    case 'size':
      arity(0);
      return size(recv);
    case 'startsWith':
      arity(1);
      return str(recv, n.fn).startsWith(str(args[0], n.fn));
    case 'endsWith':
      arity(1);
      return str(recv, n.fn).endsWith(str(args[0], n.fn));
    case 'contains':
      arity(1);
      return str(recv, n.fn).includes(str(args[0], n.fn));
    case 'matches': {
      arity(1);
      let re: RegExp;
      try {
        re = new RegExp(str(args[0], n.fn), 'u');
      } catch (e) {
        throw new CelError(`matches(): invalid regular expression: ${(e as Error).message}`);
      }
      return re.test(str(recv, n.fn));
    }
    case 'lowerAscii':
      arity(0);
      return str(recv, n.fn).replace(/[A-Z]/g, (c) => c.toLowerCase());
    case 'upperAscii':
      arity(0);
      return str(recv, n.fn).replace(/[a-z]/g, (c) => c.toUpperCase());
    case 'join': {
      if (!Array.isArray(recv) || args.length > 1) throw noOverload('join', recv, ...args);
      const sep = args.length === 1 ? str(args[0], n.fn) : '';
      return recv.map((x) => str(x, n.fn)).join(sep);
    }
    case 'string':
      arity(0);
      if (typeof recv === 'string') return recv;
      if (typeof recv === 'number' || typeof recv === 'boolean') return String(recv);
      throw noOverload('string', recv);
    case 'int':
      arity(0);
      if (typeof recv === 'number') return Math.trunc(recv);
      if (typeof recv === 'string' && /^-?[0-9]+$/.test(recv)) return Number(recv);
      throw noOverload('int', recv);
    default:
      throw new CelError(`undeclared reference to '${n.fn}'`);
  }
}

/** Parses an expression once; evaluation throws CelError on a runtime error. */
export function compileCel(expression: string): CelProgram {
  let ast: Node;
  try {
    ast = new Parser(tokenize(expression)).parse();
  } catch (e) {
    if (e instanceof CelError) throw new CelError(`compilation failed: ${e.message}`);
    throw e;
  }
  return {
    expression,
    evaluate(vars) {
      try {
        return evaluate(ast, new Map(Object.entries(vars)));
      } catch (e) {
        if (e instanceof CelError) throw e;
        throw new CelError(String(e instanceof Error ? e.message : e));
      }
    },
  };
}
