/**
 * Field and label selectors as the API server parses and applies them.
 * Pure functions: parse a query string, match an object.
 */

/** One `field=value` / `field!=value` term of a fieldSelector. */
export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

/** One requirement of a labelSelector. */
export type LabelRequirement =
  | { key: string; op: '=' | '!='; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | '!' }
  | { key: string; op: 'gt' | 'lt'; value: number };

/** Thrown for a selector the server would reject with 400 BadRequest. */
export class SelectorError extends Error {}

/** Splits on commas that are not escaped with a backslash (fieldSelector escaping). */
function splitEscaped(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      cur += s[i + 1];
      i++;
    } else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** Parses a fieldSelector ("a=b,c!=d,e==f"). Empty → no requirements. */
export function parseFieldSelector(s: string): FieldRequirement[] {
  if (s.trim() === '') return [];
  return splitEscaped(s).map((term) => {
    const t = term.trim();
    for (const [tok, op] of [
      ['!=', '!='],
      ['==', '='],
      ['=', '='],
    ] as const) {
      const i = t.indexOf(tok);
      if (i > 0) return { field: t.slice(0, i), op, value: t.slice(i + tok.length) };
    }
    throw new SelectorError(`invalid selector: '${s}'; can't understand '${t}'`);
  });
}

/** Fields the real server accepts per resource (beyond metadata.name and metadata.namespace). */
const SUPPORTED_FIELDS: Record<string, readonly string[]> = {
  pods: [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.podIPs',
    'status.nominatedNodeName',
  ],
  events: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  nodes: ['spec.unschedulable'],
  namespaces: ['status.phase'],
  secrets: ['type'],
  replicasets: ['status.replicas'],
  jobs: ['status.successful'],
};

/**
 * Checks the fields against what the server supports for this resource
 * (core plural, e.g. "pods"). Resources without a known list accept any
 * dotted path. Throws SelectorError("field label not supported: x").
 */
export function checkFieldsSupported(plural: string, group: string, reqs: FieldRequirement[]): void {
  const extra = group === '' || group === 'apps' || group === 'batch' ? SUPPORTED_FIELDS[plural] : undefined;
  if (!extra) return;
  for (const r of reqs) {
    if (r.field === 'metadata.name' || r.field === 'metadata.namespace') continue;
    if (!extra.includes(r.field)) throw new SelectorError(`field label not supported: ${r.field}`);
  }
}

/** Reads a dotted path as the string the server compares against ('' when absent). */
export function fieldValue(obj: unknown, path: string): string {
  if (path === 'source') {
    // events: "source" selects on source.component
    return fieldValue(obj, 'source.component');
  }
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  if (path === 'status.podIPs' && Array.isArray(cur)) {
    const first = cur[0] as { ip?: unknown } | undefined;
    return typeof first?.ip === 'string' ? first.ip : '';
  }
  if (cur === undefined || cur === null) return '';
  if (typeof cur === 'string' || typeof cur === 'number' || typeof cur === 'boolean') return String(cur);
  return '';
}

/** True when the object satisfies every field requirement. */
export function matchesFields(obj: unknown, reqs: FieldRequirement[]): boolean {
  return reqs.every((r) => (fieldValue(obj, r.field) === r.value) === (r.op === '='));
}

const KEY_RE = /^([a-z0-9A-Z]([-a-z0-9A-Z.]*[a-z0-9A-Z])?\/)?[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$/;

function checkKey(key: string, whole: string): string {
  if (!KEY_RE.test(key))
    throw new SelectorError(`unable to parse requirement: invalid label key "${key}" in "${whole}"`);
  return key;
}

/** Splits on commas outside parentheses. */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (depth !== 0) throw new SelectorError(`unable to parse requirement: unbalanced parentheses in "${s}"`);
  out.push(cur);
  return out;
}

/** Parses a labelSelector: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, `a>1`, `a<1`. */
export function parseLabelSelector(s: string): LabelRequirement[] {
  if (s.trim() === '') return [];
  return splitTopLevel(s).map((raw): LabelRequirement => {
    const t = raw.trim();
    if (t === '') throw new SelectorError(`unable to parse requirement: empty requirement in "${s}"`);
    const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(t);
    if (set) {
      const values = set[3]!
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
      if (values.length === 0)
        throw new SelectorError(
          `unable to parse requirement: for 'in', 'notin' operators, values set can't be empty`,
        );
      return { key: checkKey(set[1]!, s), op: set[2] as 'in' | 'notin', values };
    }
    if (t.startsWith('!')) return { key: checkKey(t.slice(1).trim(), s), op: '!' };
    const eq = /^([^=!<>\s]+)\s*(==|!=|=|>|<)\s*(.*)$/.exec(t);
    if (eq) {
      const key = checkKey(eq[1]!, s);
      const value = eq[3]!.trim();
      if (eq[2] === '>' || eq[2] === '<') {
        const n = Number(value);
        if (!Number.isInteger(n))
          throw new SelectorError(
            `unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`,
          );
        return { key, op: eq[2] === '>' ? 'gt' : 'lt', value: n };
      }
      return { key, op: eq[2] === '!=' ? '!=' : '=', value };
    }
    return { key: checkKey(t, s), op: 'exists' };
  });
}

/** True when the labels satisfy every requirement (`!=` and `notin` also match an absent key). */
export function matchesLabels(labels: Record<string, string> | undefined, reqs: LabelRequirement[]): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.hasOwn(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case '=':
        return has && v === r.value;
      case '!=':
        return !has || v !== r.value;
      case 'in':
        return has && r.values.includes(v!);
      case 'notin':
        return !has || !r.values.includes(v!);
      case 'exists':
        return has;
      case '!':
        return !has;
      case 'gt':
      case 'lt': {
        if (!has || !/^-?\d+$/.test(v!)) return false;
        const n = Number(v);
        return r.op === 'gt' ? n > r.value : n < r.value;
      }
      default:
        return false;
    }
  });
}
