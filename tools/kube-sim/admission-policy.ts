/**
 * ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1), as the API
 * server's admission plugin evaluates it, for the requests the simulator
 * admits (create and update). Pure: the caller passes the policies, bindings,
 * the request's Namespace and a parameter lookup.
 *
 * What it does, as the real plugin: a binding applies when its policy exists,
 * the policy's matchConstraints (resourceRules, excludeResourceRules,
 * namespaceSelector, objectSelector) and the binding's matchResources match and
 * every matchCondition holds; parameters come from paramRef.name (and
 * namespace), with parameterNotFoundAction; variables are evaluated lazily;
 * each validation that evaluates to false denies with its messageExpression,
 * else message, else `failed expression: <expr>`; an evaluation error denies
 * under failurePolicy Fail (the default) and is ignored under Ignore. Only the
 * Deny validation action refuses (Warn and Audit admit). The refusal is the
 * real one: `pods "x" is forbidden: ValidatingAdmissionPolicy 'p' with binding
 * 'b' denied request: <message>`, code from the validation's reason (default
 * Invalid, 422). The namespace selector sees the label
 * kubernetes.io/metadata.name, which the real API server always sets.
 *
 * Differs: CEL is the subset of cel.ts; no type checking at policy creation
 * (an error shows when a request is evaluated); paramRef.selector, the
 * `authorizer` and `namespaceObject` variables and auditAnnotations are not
 * supported (a binding using a selector denies, saying so).
 */
import { CelError, type CelProgram, compileCel } from './cel.js';
import { type LabelRequirement, matchesLabels } from './selectors.js';
import { failure, type StatusBody } from './status.js';
import type { KubeObject } from './store.js';

export const VAP_API_VERSION = 'admissionregistration.k8s.io/v1';

/** The request being admitted. */
export interface AdmissionRequest {
  operation: 'CREATE' | 'UPDATE';
  group: string;
  version: string;
  /** Plural resource: "pods". */
  resource: string;
  namespace?: string;
  name: string;
  object: KubeObject;
  oldObject?: KubeObject;
  userInfo: { username: string; groups?: string[] };
}

/** What the plugin reads besides the request. */
export interface PolicyWorld {
  policies: readonly KubeObject[];
  bindings: readonly KubeObject[];
  /** The request's Namespace object, when namespaced. */
  namespace?: KubeObject;
  /** A parameter object by apiVersion/kind, namespace and name. */
  param(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): KubeObject | undefined;
}

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}
interface Rule {
  apiGroups?: string[];
  apiVersions?: string[];
  operations?: string[];
  resources?: string[];
  resourceNames?: string[];
}
interface MatchResources {
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
  resourceRules?: Rule[];
  excludeResourceRules?: Rule[];
}
interface Validation {
  expression: string;
  message?: string;
  messageExpression?: string;
  reason?: string;
}
interface PolicySpec {
  failurePolicy?: 'Fail' | 'Ignore';
  paramKind?: { apiVersion: string; kind: string };
  matchConstraints?: MatchResources;
  matchConditions?: { name: string; expression: string }[];
  variables?: { name: string; expression: string }[];
  validations?: Validation[];
}
interface BindingSpec {
  policyName?: string;
  validationActions?: string[];
  paramRef?: {
    name?: string;
    namespace?: string;
    selector?: LabelSelector;
    parameterNotFoundAction?: string;
  };
  matchResources?: MatchResources;
}

const CODES: Record<string, number> = {
  Unauthorized: 401,
  Forbidden: 403,
  Invalid: 422,
  RequestEntityTooLarge: 413,
};

function selectorRequirements(sel: LabelSelector): LabelRequirement[] {
  const reqs: LabelRequirement[] = Object.entries(sel.matchLabels ?? {}).map(([key, value]) => ({
    key,
    op: '=',
    value,
  }));
  for (const e of sel.matchExpressions ?? []) {
    if (e.operator === 'In') reqs.push({ key: e.key, op: 'in', values: e.values ?? [] });
    else if (e.operator === 'NotIn') reqs.push({ key: e.key, op: 'notin', values: e.values ?? [] });
    else if (e.operator === 'Exists') reqs.push({ key: e.key, op: 'exists' });
    else if (e.operator === 'DoesNotExist') reqs.push({ key: e.key, op: '!' });
  }
  return reqs;
}

const selects = (sel: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean =>
  sel === undefined || matchesLabels(labels, selectorRequirements(sel));

const anyOf = (list: string[] | undefined, v: string): boolean =>
  list === undefined || list.includes('*') || list.includes(v);

function ruleMatches(rule: Rule, req: AdmissionRequest): boolean {
  return (
    anyOf(rule.apiGroups, req.group) &&
    anyOf(rule.apiVersions, req.version) &&
    anyOf(rule.operations, req.operation) &&
    anyOf(rule.resources, req.resource) &&
    (rule.resourceNames === undefined ||
      rule.resourceNames.length === 0 ||
      rule.resourceNames.includes(req.name))
  );
}

function namespaceLabels(world: PolicyWorld, req: AdmissionRequest): Record<string, string> | undefined {
  if (req.namespace === undefined) return undefined;
  return { ...(world.namespace?.metadata.labels ?? {}), 'kubernetes.io/metadata.name': req.namespace };
}

function matches(
  m: MatchResources | undefined,
  req: AdmissionRequest,
  world: PolicyWorld,
  rulesRequired: boolean,
): boolean {
  if (m === undefined) return !rulesRequired;
  if (m.resourceRules !== undefined ? !m.resourceRules.some((r) => ruleMatches(r, req)) : rulesRequired)
    return false;
  if (m.excludeResourceRules?.some((r) => ruleMatches(r, req))) return false;
  // A namespace selector matches cluster-scoped objects only when it is empty (as the real plugin).
  if (m.namespaceSelector !== undefined) {
    const labels = namespaceLabels(world, req);
    if (labels === undefined) {
      if (selectorRequirements(m.namespaceSelector).length > 0) return false;
    } else if (!selects(m.namespaceSelector, labels)) return false;
  }
  return selects(m.objectSelector, req.object.metadata.labels);
}

const compiled = new Map<string, CelProgram>();
function program(expression: string): CelProgram {
  let p = compiled.get(expression);
  if (!p) {
    p = compileCel(expression);
    compiled.set(expression, p);
  }
  return p;
}

/** The variables `variables.<name>`, each evaluated on first use (an error is thrown on each use). */
function lazyVariables(
  defs: PolicySpec['variables'],
  base: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const all = { ...base, variables: out };
  for (const d of defs ?? []) {
    let done: { v: unknown } | { e: unknown } | undefined;
    Object.defineProperty(out, d.name, {
      enumerable: true,
      get() {
        if (!done) {
          try {
            done = { v: program(d.expression).evaluate(all) };
          } catch (e) {
            done = { e };
          }
        }
        if ('e' in done) throw done.e;
        return done.v;
      },
    });
  }
  return all;
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function denial(
  req: AdmissionRequest,
  policy: string,
  binding: string,
  message: string,
  reason = 'Invalid',
): StatusBody {
  const text = `ValidatingAdmissionPolicy '${policy}' with binding '${binding}' denied request: ${message}`;
  const qualified = req.group ? `${req.resource}.${req.group}` : req.resource;
  return failure(CODES[reason] ?? 422, `${qualified} "${req.name}" is forbidden: ${text}`, reason, {
    name: req.name,
    ...(req.group ? { group: req.group } : {}),
    kind: req.resource,
    causes: [{ message: text }],
  });
}

/** The message of the first failing validation of one policy under one binding, or undefined when it admits. */
function evaluateBinding(
  spec: PolicySpec,
  b: BindingSpec,
  req: AdmissionRequest,
  world: PolicyWorld,
): { message: string; reason?: string } | undefined {
  const fail = spec.failurePolicy !== 'Ignore';
  let params: unknown = null;
  if (spec.paramKind) {
    const ref = b.paramRef;
    if (ref?.selector !== undefined)
      return { message: 'paramRef.selector is not supported by the simulator (use paramRef.name)' };
    const found = ref?.name
      ? world.param(spec.paramKind.apiVersion, spec.paramKind.kind, ref.namespace ?? req.namespace, ref.name)
      : undefined;
    if (!found) {
      if (ref?.parameterNotFoundAction === 'Allow') return undefined;
      return {
        message:
          'failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction',
      };
    }
    params = found;
  }
  const base = {
    object: req.object,
    oldObject: req.oldObject ?? null,
    request: {
      operation: req.operation,
      name: req.name,
      namespace: req.namespace ?? '',
      resource: { group: req.group, version: req.version, resource: req.resource },
      userInfo: { username: req.userInfo.username, groups: req.userInfo.groups ?? [] },
    },
    params,
  };
  const vars = lazyVariables(spec.variables, base);
  const run = (expression: string): unknown => program(expression).evaluate(vars);
  for (const c of spec.matchConditions ?? []) {
    try {
      if (run(c.expression) !== true) return undefined;
    } catch (e) {
      if (!fail) return undefined;
      return { message: `expression '${c.expression}' resulted in error: ${errorText(e)}` };
    }
  }
  for (const v of spec.validations ?? []) {
    let ok: unknown;
    try {
      ok = run(v.expression);
      if (typeof ok !== 'boolean') throw new CelError(`expected a bool, got ${typeof ok}`);
    } catch (e) {
      if (!fail) continue;
      return { message: `expression '${v.expression}' resulted in error: ${errorText(e)}` };
    }
    if (ok) continue;
    let message = v.message ?? `failed expression: ${v.expression.trim()}`;
    if (v.messageExpression) {
      try {
        const m = run(v.messageExpression);
        if (typeof m === 'string' && m.trim() !== '' && !m.includes('\n')) message = m;
      } catch {
        // The real plugin falls back to `message` when messageExpression fails.
      }
    }
    return { message, ...(v.reason ? { reason: v.reason } : {}) };
  }
  return undefined;
}

/** The refusal of the first binding whose policy denies the request, or undefined when all admit. */
export function admissionPolicyDenial(req: AdmissionRequest, world: PolicyWorld): StatusBody | undefined {
  const byName = new Map(world.policies.map((p) => [p.metadata.name, p]));
  const bindings = [...world.bindings].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  for (const bo of bindings) {
    const b = (bo.spec ?? {}) as BindingSpec;
    const po = b.policyName ? byName.get(b.policyName) : undefined;
    if (!po) continue;
    const spec = (po.spec ?? {}) as PolicySpec;
    if (!matches(spec.matchConstraints, req, world, true)) continue;
    if (!matches(b.matchResources, req, world, false)) continue;
    if (!(b.validationActions ?? []).includes('Deny')) continue;
    const denied = evaluateBinding(spec, b, req, world);
    if (denied) return denial(req, po.metadata.name, bo.metadata.name, denied.message, denied.reason);
  }
  return undefined;
}
