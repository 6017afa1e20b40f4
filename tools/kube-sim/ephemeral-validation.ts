/**
 * What the API server checks when a Pod's ephemeral containers change through
 * the `pods/{name}/ephemeralcontainers` subresource, with its field paths and
 * wording (pkg/apis/core/validation: validateEphemeralContainers,
 * ValidatePodEphemeralContainersUpdate) and its defaulting of the new
 * containers (terminationMessagePath/Policy, imagePullPolicy). Pure.
 */

export interface Cause {
  field: string;
  reason: string;
  message: string;
}

type Obj = Record<string, unknown>;
interface ContainerLike extends Obj {
  name?: unknown;
}

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const list = (v: unknown): ContainerLike[] => (Array.isArray(v) ? v.filter(isObj) : []);

/**
 * EphemeralContainerCommon's fields in declaration order, and whether an ephemeral container may set
 * them (allowedEphemeralContainerFields; fields absent from that map are refused too).
 */
const FIELDS: [string, boolean][] = [
  ['name', true],
  ['image', true],
  ['command', true],
  ['args', true],
  ['workingDir', true],
  ['ports', false],
  ['envFrom', true],
  ['env', true],
  ['resources', false],
  ['resizePolicy', false],
  ['restartPolicy', false],
  ['volumeMounts', true],
  ['volumeDevices', true],
  ['livenessProbe', false],
  ['readinessProbe', false],
  ['startupProbe', false],
  ['lifecycle', false],
  ['terminationMessagePath', true],
  ['terminationMessagePolicy', true],
  ['imagePullPolicy', true],
  ['securityContext', true],
  ['stdin', true],
  ['stdinOnce', true],
  ['tty', true],
];

const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** True when a Go zero value (what an omitted field decodes to): the server treats it as unset. */
function isZero(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === '' || v === 0) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isObj(v)) return Object.values(v).every(isZero);
  return false;
}

/** The image's pull policy default: Always for `:latest` or no tag, else IfNotPresent. */
export function defaultPullPolicy(image: string): string {
  if (image.includes('@')) return 'IfNotPresent';
  const lastSlash = image.lastIndexOf('/');
  const colon = image.indexOf(':', lastSlash + 1);
  const tag = colon >= 0 ? image.slice(colon + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/** The API server's defaults for an ephemeral container (SetDefaults_EphemeralContainer). */
export function defaultEphemeralContainer(c: Obj): Obj {
  const out = { ...c };
  out.terminationMessagePath ??= '/dev/termination-log';
  out.terminationMessagePolicy ??= 'File';
  if (out.imagePullPolicy === undefined && typeof out.image === 'string')
    out.imagePullPolicy = defaultPullPolicy(out.image);
  return out;
}

/** Drops zero values so two containers compare as the server's Semantic.DeepEqual compares them. */
function normalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.length === 0 ? undefined : v.map(normalize);
  if (isObj(v)) {
    const out: Obj = {};
    for (const k of Object.keys(v).sort()) {
      const n = normalize(v[k]);
      if (n !== undefined && n !== null) out[k] = n;
    }
    return out;
  }
  return v;
}
const normalizedContainer = (c: Obj): string => {
  const n = normalize(c) as Obj;
  for (const k of ['stdin', 'stdinOnce', 'tty']) if (n[k] === false) delete n[k];
  for (const k of ['workingDir', 'targetContainerName']) if (n[k] === '') delete n[k];
  if (isObj(n.resources) && Object.keys(n.resources).length === 0) delete n.resources;
  return JSON.stringify(n);
};

/** A short field-by-field diff, in the spirit of the server's cmp.Diff (not its exact text). */
function diffText(a: Obj, b: Obj): string {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const lines: string[] = [];
  for (const k of keys) {
    const x = JSON.stringify(normalize(a[k]));
    const y = JSON.stringify(normalize(b[k]));
    if (x === y) continue;
    if (x !== undefined) lines.push(`-\t${k}: ${x}`);
    if (y !== undefined) lines.push(`+\t${k}: ${y}`);
  }
  return `  core.EphemeralContainer{\n${lines.join('\n')}\n  }\n`;
}

/** Errors of the pod's ephemeral containers as a whole (validateEphemeralContainers). */
export function validateEphemeralContainers(spec: Obj): Cause[] {
  const causes: Cause[] = [];
  const ecs = Array.isArray(spec.ephemeralContainers) ? spec.ephemeralContainers : [];
  const others = new Set<string>();
  for (const c of [...list(spec.containers), ...list(spec.initContainers)])
    if (typeof c.name === 'string') others.add(c.name);
  const all = new Set(others);
  const volumes = new Set(list(spec.volumes).map((v) => v.name));
  ecs.forEach((raw, i) => {
    const at = `spec.ephemeralContainers[${i}]`;
    if (!isObj(raw)) {
      causes.push({ field: at, reason: 'FieldValueInvalid', message: 'Invalid value: must be an object' });
      return;
    }
    const c = raw;
    const name = typeof c.name === 'string' ? c.name : '';
    // validateContainerCommon
    if (name === '')
      causes.push({ field: `${at}.name`, reason: 'FieldValueRequired', message: 'Required value' });
    else if (name.length > 63 || !DNS1123_LABEL.test(name))
      causes.push({
        field: `${at}.name`,
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(name)}: ${
          name.length > 63
            ? 'must be no more than 63 characters'
            : "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
        }`,
      });
    const image = typeof c.image === 'string' ? c.image : '';
    if (image === '')
      causes.push({ field: `${at}.image`, reason: 'FieldValueRequired', message: 'Required value' });
    const tmp = c.terminationMessagePolicy;
    if (typeof tmp === 'string' && !MESSAGE_POLICIES.includes(tmp))
      causes.push({
        field: `${at}.terminationMessagePolicy`,
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: ${JSON.stringify(tmp)}: supported values: "File", "FallbackToLogsOnError"`,
      });
    list(c.volumeMounts).forEach((vm, j) => {
      if (!volumes.has(vm.name))
        causes.push({
          field: `${at}.volumeMounts[${j}].name`,
          reason: 'FieldValueNotFound',
          message: `Not found: ${JSON.stringify(vm.name ?? '')}`,
        });
    });
    const ipp = c.imagePullPolicy;
    if (typeof ipp === 'string' && !PULL_POLICIES.includes(ipp))
      causes.push({
        field: `${at}.imagePullPolicy`,
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: ${JSON.stringify(ipp)}: supported values: "Always", "IfNotPresent", "Never"`,
      });
    // validateContainerOnlyForPod
    if (image !== '' && image !== image.trim())
      causes.push({
        field: `${at}.image`,
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(image)}: must not have leading or trailing whitespace`,
      });
    // Unique across containers, init containers and ephemeral containers.
    if (name !== '') {
      if (all.has(name))
        causes.push({
          field: `${at}.name`,
          reason: 'FieldValueDuplicate',
          message: `Duplicate value: ${JSON.stringify(name)}`,
        });
      else all.add(name);
    }
    const target = c.targetContainerName;
    if (typeof target === 'string' && target !== '' && !others.has(target))
      causes.push({
        field: `${at}.targetContainerName`,
        reason: 'FieldValueNotFound',
        message: `Not found: ${JSON.stringify(target)}`,
      });
    for (const [f, allowed] of FIELDS)
      if (!allowed && !isZero(c[f]))
        causes.push({
          field: `${at}.${f}`,
          reason: 'FieldValueForbidden',
          message: 'Forbidden: cannot be set for an Ephemeral Container',
        });
    list(c.volumeMounts).forEach((vm, j) => {
      for (const f of ['subPath', 'subPathExpr'])
        if (typeof vm[f] === 'string' && vm[f] !== '')
          causes.push({
            field: `${at}.volumeMounts[${j}].${f}`,
            reason: 'FieldValueForbidden',
            message: 'Forbidden: cannot be set for an Ephemeral Container',
          });
    });
  });
  return causes;
}

/** Errors of an update of the ephemeral containers (ValidatePodEphemeralContainersUpdate). */
export function validateEphemeralUpdate(oldSpec: Obj, newSpec: Obj, mirrorPod: boolean): Cause[] {
  if (mirrorPod)
    return [
      {
        field: '',
        reason: 'FieldValueForbidden',
        message: 'Forbidden: static pods do not support ephemeral containers',
      },
    ];
  const causes = validateEphemeralContainers(newSpec);
  const byName = new Map<unknown, Obj>();
  for (const c of list(newSpec.ephemeralContainers)) byName.set(c.name, c);
  for (const old of list(oldSpec.ephemeralContainers)) {
    const now = byName.get(old.name);
    if (!now)
      causes.push({
        field: 'spec.ephemeralContainers',
        reason: 'FieldValueForbidden',
        message: `Forbidden: existing ephemeral containers ${JSON.stringify(old.name)} may not be removed\n`,
      });
    else if (normalizedContainer(defaultEphemeralContainer(old)) !== normalizedContainer(now))
      causes.push({
        field: 'spec.ephemeralContainers',
        reason: 'FieldValueForbidden',
        message: `Forbidden: existing ephemeral containers ${JSON.stringify(old.name)} may not be changed\n${diffText(defaultEphemeralContainer(old), now)}`,
      });
  }
  return causes;
}

/** The create-time refusal: a pod may not be created with ephemeral containers. */
export function ephemeralOnCreate(spec: unknown): Cause | undefined {
  if (isObj(spec) && Array.isArray(spec.ephemeralContainers) && spec.ephemeralContainers.length > 0)
    return {
      field: 'spec.ephemeralContainers',
      reason: 'FieldValueForbidden',
      message: 'Forbidden: cannot be set on create',
    };
  return undefined;
}
