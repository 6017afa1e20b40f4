/**
 * The three patch formats the API server applies to a Pod, as kubectl and
 * @kubernetes/client-node send them: RFC 7386 JSON merge patch, RFC 6902 JSON
 * patch (client-node 1.x's default Content-Type for patch calls), and
 * Kubernetes' strategic merge patch with the Pod schema's merge keys
 * (`containers`/`ephemeralContainers`/`volumes` by name, `env` by name,
 * `ports` by containerPort, …) and its directives (`$patch: delete|replace|merge`,
 * `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>`, `$retainKeys`).
 * Pure: returns the patched document or the API server's error.
 */
import { badRequest, failure, type StatusBody } from './status.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

export type PatchResult = { ok: true; value: Obj } | { ok: false; error: StatusBody };

export const MERGE_PATCH = 'application/merge-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
export const JSON_PATCH = 'application/json-patch+json';

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return patch;
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v) as Json;
  }
  return out;
}

// --- JSON patch (RFC 6902) ---

class PatchError extends Error {}
/** A JSON patch that decoded but does not apply to the object (the server's 422). */
class ApplyError extends PatchError {}

function unescapePointer(tok: string): string {
  return tok.replace(/~1/g, '/').replace(/~0/g, '~');
}

function parsePointer(p: unknown): string[] {
  if (typeof p !== 'string') throw new PatchError('path is not a string');
  if (p === '') return [];
  if (!p.startsWith('/')) throw new PatchError(`invalid JSON pointer "${p}"`);
  return p.slice(1).split('/').map(unescapePointer);
}

function arrayIndex(arr: Json[], tok: string, forAdd: boolean): number {
  if (forAdd && tok === '-') return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(tok))
    throw new PatchError(`Unable to access invalid index: ${tok}: invalid index referenced`);
  const i = Number(tok);
  if (i > arr.length || (!forAdd && i === arr.length))
    throw new PatchError(`Unable to access invalid index: ${i}: invalid index referenced`);
  return i;
}

function parentOf(doc: Json, tokens: string[], path: string): Json {
  let cur: Json = doc;
  for (const tok of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, tok, false)]!;
    else if (isObj(cur) && tok in cur) cur = cur[tok]!;
    else throw new PatchError(`doc is missing path: "${path}": missing value`);
  }
  return cur;
}

function getAt(doc: Json, path: string): Json {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return doc;
  const parent = parentOf(doc, tokens, path);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) return parent[arrayIndex(parent, last, false)]!;
  if (isObj(parent) && last in parent) return parent[last]!;
  throw new PatchError(`doc is missing path: "${path}": missing value`);
}

function addAt(doc: Json, path: string, value: Json): Json {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens, path);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, true), 0, value);
  else if (isObj(parent)) parent[last] = value;
  else throw new PatchError(`doc is missing path: "${path}": missing value`);
  return doc;
}

function removeAt(doc: Json, path: string): Json {
  const tokens = parsePointer(path);
  if (tokens.length === 0) throw new PatchError('unable to remove the document root');
  const parent = parentOf(doc, tokens, path);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, false), 1);
  else if (isObj(parent) && last in parent) delete parent[last];
  else throw new PatchError(`Unable to remove nonexistent key: ${last}: missing value`);
  return doc;
}

/** Applies an RFC 6902 operation list to a copy of the document. */
export function jsonPatch(target: Record<string, unknown>, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new PatchError('the patch is not a JSON array of operations');
  let doc = structuredClone(target) as Json;
  for (const raw of ops) {
    if (!isObj(raw)) throw new PatchError('an operation is not a JSON object');
    try {
      doc = applyOp(doc, raw);
    } catch (e) {
      if (!(e instanceof PatchError) || e instanceof ApplyError) throw e;
      // Worded as evanphx/json-patch (the API server's library) words it.
      const m = e.message;
      throw new ApplyError(
        m.startsWith('doc is missing') ? `${String(raw.op)} operation does not apply: ${m}` : m,
      );
    }
  }
  return doc;
}

function applyOp(doc: Json, raw: Obj): Json {
  {
    const op = raw.op;
    const path = raw.path as string;
    switch (op) {
      case 'add':
        if (!('value' in raw)) throw new PatchError('missing value');
        doc = addAt(doc, path, structuredClone(raw.value!));
        break;
      case 'remove':
        doc = removeAt(doc, path);
        break;
      case 'replace':
        if (!('value' in raw)) throw new PatchError('missing value');
        getAt(doc, path);
        doc = addAt(removeAt(doc, path), path, structuredClone(raw.value!));
        break;
      case 'move': {
        const v = getAt(doc, raw.from as string);
        doc = addAt(removeAt(doc, raw.from as string), path, v);
        break;
      }
      case 'copy':
        doc = addAt(doc, path, structuredClone(getAt(doc, raw.from as string)));
        break;
      case 'test':
        if (JSON.stringify(getAt(doc, path)) !== JSON.stringify(raw.value))
          throw new PatchError(`testing value ${path} failed: test failed`);
        break;
      default:
        throw new PatchError(`Unexpected kind: ${String(op)}`);
    }
  }
  return doc;
}

// --- strategic merge patch (Pod schema) ---

/** Lists that merge by a key field, by their path of field names (list items add no segment). */
const MERGE_KEYS: Record<string, string> = {
  'metadata.ownerReferences': 'uid',
  'spec.volumes': 'name',
  'spec.imagePullSecrets': 'name',
  'spec.hostAliases': 'ip',
  'spec.resourceClaims': 'name',
  'spec.schedulingGates': 'name',
  'spec.topologySpreadConstraints': 'topologyKey',
  'status.conditions': 'type',
};
for (const list of ['containers', 'initContainers', 'ephemeralContainers']) {
  MERGE_KEYS[`spec.${list}`] = 'name';
  MERGE_KEYS[`spec.${list}.env`] = 'name';
  MERGE_KEYS[`spec.${list}.ports`] = 'containerPort';
  MERGE_KEYS[`spec.${list}.volumeMounts`] = 'mountPath';
  MERGE_KEYS[`spec.${list}.volumeDevices`] = 'devicePath';
}
/** Primitive lists with patchStrategy merge (set union). */
const MERGED_PRIMITIVES = new Set(['metadata.finalizers']);

const keyOf = (item: Json, key: string): string | undefined => {
  if (!isObj(item)) return undefined;
  const v = item[key];
  return v === undefined ? undefined : JSON.stringify(v);
};

function smpList(path: string, orig: Json | undefined, patch: Json[], order: Json | undefined): Json[] {
  const key = MERGE_KEYS[path];
  const base = Array.isArray(orig) ? orig : [];
  if (!key) {
    if (MERGED_PRIMITIVES.has(path)) {
      const out = [...base];
      for (const v of patch) if (!out.some((x) => JSON.stringify(x) === JSON.stringify(v))) out.push(v);
      return out;
    }
    // Lists without a merge key are replaced, with directives stripped.
    return patch.map((v) => (isObj(v) ? smpObject(path, undefined, v) : v));
  }
  // `$patch: replace` inside the list replaces the whole list with the other items.
  if (patch.some((v) => isObj(v) && v.$patch === 'replace'))
    return patch.filter((v) => !(isObj(v) && v.$patch === 'replace'));
  let out = base.map((v) => v);
  for (const item of patch) {
    if (!isObj(item)) throw new PatchError(`unable to find api field in struct for merge key ${key}`);
    const k = keyOf(item, key);
    if (k === undefined)
      throw new PatchError(`map: ${JSON.stringify(item)} does not contain declared merge key: ${key}`);
    const i = out.findIndex((o) => keyOf(o, key) === k);
    if (item.$patch === 'delete') {
      if (i >= 0) out = out.filter((_, j) => j !== i);
      continue;
    }
    const { $patch: _p, ...rest } = item;
    if (i >= 0) out[i] = smpObject(path, out[i], rest);
    else out.push(smpObject(path, undefined, rest));
  }
  if (Array.isArray(order)) {
    // $setElementOrder: items named in the order come first, in that order; the rest keep theirs.
    const rank = new Map(order.map((o, i) => [keyOf(o, key), i] as const));
    out = [
      ...out
        .filter((o) => rank.has(keyOf(o, key)))
        .sort((a, b) => rank.get(keyOf(a, key))! - rank.get(keyOf(b, key))!),
      ...out.filter((o) => !rank.has(keyOf(o, key))),
    ];
  }
  return out;
}

function smpObject(path: string, orig: Json | undefined, patch: Obj): Obj {
  if (patch.$patch === 'replace') {
    const { $patch: _p, ...rest } = patch;
    return rest;
  }
  if (patch.$patch === 'delete') return {};
  let out: Obj = isObj(orig) ? { ...orig } : {};
  const retain = patch.$retainKeys;
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const drop = Array.isArray(v) ? v.map((x) => JSON.stringify(x)) : [];
      const cur = out[field];
      if (Array.isArray(cur)) out[field] = cur.filter((x) => !drop.includes(JSON.stringify(x)));
      continue;
    }
    const sub = path === '' ? k : `${path}.${k}`;
    if (v === null) delete out[k];
    else if (Array.isArray(v)) out[k] = smpList(sub, out[k], v, patch[`$setElementOrder/${k}`]);
    else if (isObj(v)) out[k] = smpObject(sub, out[k], v);
    else out[k] = v;
  }
  if (Array.isArray(retain)) {
    const keep = new Set(retain.filter((x): x is string => typeof x === 'string'));
    out = Object.fromEntries(Object.entries(out).filter(([k]) => keep.has(k)));
  }
  return out;
}

/** Kubernetes strategic merge patch of a Pod (merge keys of the Pod schema). */
export function strategicMergePatch(
  target: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  return smpObject('', structuredClone(target) as Obj, patch as Obj);
}

/** 415 for a patch type this resource does not take, worded as the API server words it. */
export function unsupportedPatchType(accepted: string[]): StatusBody {
  return failure(
    415,
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    'UnsupportedMediaType',
  );
}

/** Applies a patch body of the given Content-Type (no parameters) to a Pod-shaped document. */
export function applyPodPatch(type: string, target: Record<string, unknown>, body: string): PatchResult {
  const accepted = [JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH];
  if (!accepted.includes(type)) return { ok: false, error: unsupportedPatchType(accepted) };
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (e) {
    return {
      ok: false,
      error: badRequest(`error decoding patch: ${e instanceof Error ? e.message : String(e)}`),
    };
  }
  try {
    let out: unknown;
    const t = target as Obj;
    if (type === JSON_PATCH) out = jsonPatch(t, doc);
    else if (!isObj(doc)) throw new PatchError('the patch is not a JSON object');
    else out = type === MERGE_PATCH ? mergePatch(structuredClone(t), doc) : strategicMergePatch(t, doc);
    if (!isObj(out)) throw new PatchError('the patched document is not a JSON object');
    return { ok: true, value: out };
  } catch (e) {
    if (e instanceof ApplyError) {
      // errors.NewGenericServerResponse(422, …, err.Error()): a generic message, the reason as a cause.
      const s = failure(422, 'the server rejected our request due to an error in our request', 'Invalid', {
        causes: [{ reason: 'UnexpectedServerResponse', message: e.message }],
      });
      return { ok: false, error: s };
    }
    if (e instanceof PatchError) return { ok: false, error: badRequest(e.message) };
    throw e;
  }
}
