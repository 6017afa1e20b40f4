import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Severity } from '../../jobs/contracts/finding.js';
import { exceededQuotas } from '../../jobs/diagnose/gather.js';
import type { ContainerLog, Gathered } from '../../jobs/diagnose/types.js';
import type {
  DaemonSet,
  Deployment,
  Job,
  KEvent,
  Node,
  Pod,
  PodUsage,
  ReplicaSet,
  ResourceQuota,
  StatefulSet,
} from '../../jobs/k8s/types.js';

/** The instant every fixture is written against. */
export const REFERENCE_NOW = '2026-11-20T10:00:00Z';

/** A scenario's expect.yaml. */
export interface ScenarioExpect {
  pod: string;
  target?: string;
  /** `rank`: the finding's 1-based position in the causal order. */
  findings: { id: string; severity: Severity; rank?: number; evidence?: string[] }[];
  absent?: string[];
}

/** One fixture directory: its objects live in namespace `namespace`. */
export interface Scenario {
  name: string;
  dir: string;
  namespace: string;
  expect: ScenarioExpect;
}

/** Any Kubernetes object as parsed from YAML. */
interface KObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
  };
  [k: string]: unknown;
}

const DEFAULT_ROOT = 'test/fixtures/scenarios';

/** Every scenario under `root` (default test/fixtures/scenarios) that has an expect.yaml, sorted by name. */
export function listScenarios(root: string = DEFAULT_ROOT): Scenario[] {
  const abs = resolve(process.cwd(), root);
  return readdirSync(abs, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(abs, d.name, 'expect.yaml')))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const dir = join(abs, name);
      const expect = parseAllDocuments(
        readFileSync(join(dir, 'expect.yaml'), 'utf8'),
      )[0]?.toJS() as ScenarioExpect;
      return { name, dir, namespace: name, expect };
    });
}

/** All objects of a fixture directory's objects.yaml (multi-document, or `kind: List`). */
export function loadObjects(dir: string): KObject[] {
  const text = readFileSync(join(dir, 'objects.yaml'), 'utf8');
  const out: KObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${dir}/objects.yaml: ${doc.errors[0]!.message}`);
    const o = doc.toJS() as KObject | null;
    if (!o) continue;
    if (o.kind?.endsWith('List') && Array.isArray(o.items)) out.push(...(o.items as KObject[]));
    else out.push(o);
  }
  return out;
}

function readLog(dir: string, ns: string, pod: string, file: string): string | undefined {
  const p = join(dir, 'logs', ns, pod, file);
  return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
}

interface Involved {
  involvedObject?: { kind?: string; name?: string; namespace?: string; uid?: string };
}

/**
 * Builds the rules' input from a scenario's files the way the gatherer does:
 * the pod; its events (kind, name, namespace and uid); its node and the node's
 * events; the owner chain (ReplicaSet → Deployment, StatefulSet, DaemonSet,
 * Job) and their events; the current log of started containers and the
 * previous log of restarted ones; PodMetrics. `now` is REFERENCE_NOW.
 */
export function loadGathered(s: Scenario, podName: string = s.expect.pod): Gathered {
  const objects = loadObjects(s.dir);
  const ns = s.namespace;
  const inNs = (kind: string, name: string | undefined) =>
    objects.find((o) => o.kind === kind && o.metadata?.name === name && (o.metadata?.namespace ?? ns) === ns);
  const pod = inNs('Pod', podName) as Pod | undefined;
  if (!pod) throw new Error(`${s.name}: no Pod ${ns}/${podName} in objects.yaml`);
  const events = objects.filter((o) => o.kind === 'Event') as (KObject & Involved)[];
  const eventsAbout = (kind: string, name: string, uid?: string) =>
    events.filter((e) => {
      const io = e.involvedObject;
      return (
        io?.kind === kind &&
        io.name === name &&
        (io.namespace ?? e.metadata?.namespace) === ns &&
        (uid === undefined || io.uid === uid)
      );
    }) as unknown as KEvent[];

  const nodeName = pod.spec?.nodeName;
  const node = nodeName
    ? (objects.find((o) => o.kind === 'Node' && o.metadata?.name === nodeName) as Node)
    : undefined;
  const nodeEvents = nodeName
    ? (events.filter(
        (e) => e.involvedObject?.kind === 'Node' && e.involvedObject.name === nodeName,
      ) as unknown as KEvent[])
    : [];

  const owners: Gathered['owners'] = { events: [] };
  const ref = pod.metadata?.ownerReferences?.find((r) => r.controller);
  if (ref?.kind === 'ReplicaSet') {
    owners.replicaSet = inNs('ReplicaSet', ref.name) as ReplicaSet | undefined;
    owners.events.push(...eventsAbout('ReplicaSet', ref.name));
    const up = owners.replicaSet?.metadata?.ownerReferences?.find((r) => r.controller);
    // Deployment events are not gathered (no rule reads them; see jobs/diagnose/owner-chain.ts).
    if (up?.kind === 'Deployment') owners.deployment = inNs('Deployment', up.name) as Deployment | undefined;
  } else if (ref?.kind === 'StatefulSet') {
    owners.statefulSet = inNs('StatefulSet', ref.name) as StatefulSet | undefined;
    owners.events.push(...eventsAbout('StatefulSet', ref.name));
  } else if (ref?.kind === 'DaemonSet') {
    owners.daemonSet = inNs('DaemonSet', ref.name) as DaemonSet | undefined;
    owners.events.push(...eventsAbout('DaemonSet', ref.name));
  } else if (ref?.kind === 'Job') {
    owners.job = inNs('Job', ref.name) as Job | undefined;
    owners.events.push(...eventsAbout('Job', ref.name));
  }

  const quotas = exceededQuotas(owners)
    .map((q) => inNs('ResourceQuota', q) as ResourceQuota | undefined)
    .filter((q): q is ResourceQuota => q !== undefined);

  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const containers = [
    ...(pod.spec?.initContainers ?? []).map((c) => ({ name: c.name, init: true })),
    ...(pod.spec?.containers ?? []).map((c) => ({ name: c.name, init: false })),
  ];
  const logs: ContainerLog[] = containers.map((c) => {
    const st = statuses.find((x) => x.name === c.name);
    const started = Boolean(st?.state?.running || st?.state?.terminated);
    const restarted = Boolean(st?.lastState?.terminated) || (st?.restartCount ?? 0) > 0;
    const current = started ? readLog(s.dir, ns, podName, `${c.name}.log`) : undefined;
    const previous = restarted ? readLog(s.dir, ns, podName, `${c.name}.previous.log`) : undefined;
    return {
      container: c.name,
      init: c.init,
      ...(current === undefined ? {} : { current }),
      ...(previous === undefined ? {} : { previous }),
    };
  });

  const pm = objects.find((o) => o.kind === 'PodMetrics' && o.metadata?.name === podName) as
    | (KObject & {
        window?: string;
        containers?: { name: string; usage?: { cpu?: string; memory?: string } }[];
      })
    | undefined;
  const metrics: PodUsage | undefined = pm
    ? {
        ...(pm.window ? { window: pm.window } : {}),
        containers: (pm.containers ?? []).map((c) => ({
          name: c.name,
          cpu: c.usage?.cpu ?? '0',
          memory: c.usage?.memory ?? '0',
        })),
      }
    : undefined;

  return {
    now: REFERENCE_NOW,
    pod,
    events: eventsAbout('Pod', podName, pod.metadata?.uid),
    ...(node ? { node } : {}),
    nodeEvents,
    owners,
    ...(quotas.length > 0 ? { quotas } : {}),
    logs,
    ...(metrics ? { metrics } : {}),
    gaps: [],
  };
}

/** A scenario for one pod of a multi-pod fixture directory (the sample incident). */
export function scenarioAt(dir: string, namespace: string, expect: ScenarioExpect): Scenario {
  const abs = resolve(process.cwd(), dir);
  return { name: `${namespace}/${expect.pod}`, dir: abs, namespace, expect };
}
