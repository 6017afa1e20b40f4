/**
 * The `pods/{name}/ephemeralcontainers` subresource as the API server serves
 * it (Kubernetes ≥ 1.23, kind Pod): GET returns the Pod; PATCH (strategic
 * merge, JSON merge or JSON patch) and PUT change only
 * `spec.ephemeralContainers` (other changes in the body are dropped, as the
 * server's ephemeral-containers strategy drops them), after defaulting,
 * validation (422 with field paths, ephemeral-validation.ts) and Pod Security
 * admission of the namespace (403 "violates PodSecurity"). When the simulator
 * is told the feature is off it answers like a server without the subresource:
 * 404 with empty details, which kubectl reports as "ephemeral containers are
 * disabled for this cluster".
 */
import { defaultEphemeralContainer, validateEphemeralUpdate } from './ephemeral-validation.js';
import { applyPodPatch } from './pod-patch.js';
import { podSecurityDenial } from './pod-security.js';
import {
  badRequest,
  conflict,
  invalid,
  methodNotAllowed,
  notFound,
  type StatusBody,
  type Target,
  unknownPath,
} from './status.js';
import type { KubeObject, ObjectStore } from './store.js';

/** What the subresource needs from the server's shared state. */
export interface EphemeralContext {
  store: ObjectStore;
  /** True when the simulator plays a cluster without ephemeral containers (404 on the subresource). */
  ephemeralContainersOff?: boolean;
  podHooks?: { ephemeralAdded?(pod: KubeObject, names: string[]): void };
}

export type EphemeralReply = { code: number; body: unknown };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const reply = (s: StatusBody): EphemeralReply => ({ code: s.code, body: s });

/** Serves GET/PATCH/PUT on pods/{name}/ephemeralcontainers in a namespace. */
export function ephemeralContainersReply(
  ctx: EphemeralContext,
  method: string,
  namespace: string,
  name: string,
  contentType: string,
  body: string,
  query: URLSearchParams,
): EphemeralReply {
  if (ctx.ephemeralContainersOff) return reply(unknownPath());
  const pods = ctx.store.lookup('', 'v1', 'pods')!;
  const t: Target = { group: '', resource: 'pods', name, namespace };
  const pod = ctx.store.get(pods, namespace, name);
  if (method === 'GET') return pod ? { code: 200, body: pod } : reply(notFound(t));
  if (method !== 'PATCH' && method !== 'PUT') return reply(methodNotAllowed());

  let next: Obj;
  if (method === 'PATCH') {
    if (!pod) {
      // The content type is checked before the object is read.
      const probe = applyPodPatch(contentType, {}, '{}');
      return !probe.ok && probe.error.code === 415 ? reply(probe.error) : reply(notFound(t));
    }
    const patched = applyPodPatch(contentType, pod as unknown as Obj, body);
    if (!patched.ok) return reply(patched.error);
    next = patched.value;
  } else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
    if (!isObj(parsed))
      return reply(badRequest('the object provided is unrecognized: expected a JSON object'));
    if (parsed.kind !== undefined && parsed.kind !== 'Pod')
      return reply(
        badRequest(
          `${String(parsed.kind)} in version "v1" cannot be handled as a Pod: the kind does not match`,
        ),
      );
    if (parsed.apiVersion !== undefined && parsed.apiVersion !== 'v1')
      return reply(
        badRequest(
          `the API version in the data (${String(parsed.apiVersion)}) does not match the expected API version (v1)`,
        ),
      );
    const md = isObj(parsed.metadata) ? parsed.metadata : {};
    if (md.name !== undefined && md.name !== name)
      return reply(
        badRequest(
          `the name of the object (${String(md.name)}) does not match the name on the URL (${name})`,
        ),
      );
    if (!pod) return reply(notFound(t));
    next = parsed;
  }
  const md = isObj(next.metadata) ? next.metadata : {};
  if (md.resourceVersion !== undefined && md.resourceVersion !== pod.metadata.resourceVersion)
    return reply(
      conflict(
        t,
        'the object has been modified; please apply your changes to the latest version and try again',
      ),
    );

  // Only spec.ephemeralContainers changes (dropNonEphemeralContainerUpdates), defaulted.
  const oldSpec = (isObj(pod.spec) ? pod.spec : {}) as Obj;
  const nextSpec = isObj(next.spec) ? next.spec : {};
  const ecs = Array.isArray(nextSpec.ephemeralContainers)
    ? nextSpec.ephemeralContainers.map((c) => (isObj(c) ? defaultEphemeralContainer(c) : c))
    : [];
  const spec: Obj = { ...oldSpec };
  if (ecs.length > 0) spec.ephemeralContainers = ecs;
  else delete spec.ephemeralContainers;
  const updated: KubeObject = { ...structuredClone(pod), spec };

  const annotations = (pod.metadata.annotations ?? {}) as Record<string, string>;
  const mirror = annotations['kubernetes.io/config.mirror'] !== undefined;
  const causes = validateEphemeralUpdate(oldSpec, spec, mirror);
  if (causes.length > 0) return reply(invalid('Pod', name, causes));

  // Pod Security admission evaluates the whole pod, ephemeral containers included.
  const nsObj = ctx.store.get(ctx.store.lookup('', 'v1', 'namespaces')!, undefined, namespace);
  const denied = podSecurityDenial(updated, nsObj?.metadata.labels);
  if (denied) return reply(denied);

  if (query.get('dryRun') === 'All') return { code: 200, body: updated };
  const before = new Set(
    (Array.isArray(oldSpec.ephemeralContainers) ? oldSpec.ephemeralContainers : []).map((c) =>
      isObj(c) ? c.name : undefined,
    ),
  );
  const stored = ctx.store.put(updated);
  const added = ecs
    .map((c) => (isObj(c) && typeof c.name === 'string' ? c.name : ''))
    .filter((n) => n !== '' && !before.has(n));
  if (added.length > 0) ctx.podHooks?.ephemeralAdded?.(stored, added);
  return { code: 200, body: stored };
}
