/**
 * `events` and the events `describe` shows: reads both API groups concurrently (core/v1 and
 * events.k8s.io/v1, by field selector on the object), for a pod or an owner (the owner, the ReplicaSets its
 * pods name and the pods themselves, bounded), then aggregates them (events-format.ts).
 */
import { type EventsSpec, READ_LIMITS } from '../contracts/index.js';
import type { KubeReader } from '../k8s/client.js';
import { gapNote, KubeApiError } from '../k8s/errors.js';
import { type AnyEvent, aggregateEvents, type EventRow, eventsTable } from './events-format.js';
import type { ReadText } from './logs.js';
import type { ReadTarget } from './resolve.js';

interface Subject {
  kind: string;
  name: string;
  uid?: string;
}

/** The objects whose events belong to a target. */
export function eventSubjects(t: ReadTarget, withPods: boolean): Subject[] {
  if (t.kind === 'pod') return [{ kind: 'Pod', name: t.pod.metadata?.name ?? '', uid: t.pod.metadata?.uid }];
  const m = t.owner.obj.metadata ?? {};
  const out: Subject[] = [{ kind: t.owner.kind, name: m.name ?? '', uid: m.uid }];
  if (!withPods) return out;
  const rs = new Set<string>();
  for (const p of t.pods) {
    const ref = (p.metadata?.ownerReferences ?? []).find((r) => r.controller);
    if (ref?.kind === 'ReplicaSet') rs.add(ref.name);
  }
  for (const name of [...rs].sort()) out.push({ kind: 'ReplicaSet', name });
  for (const p of t.pods.slice(0, READ_LIMITS.maxOwnerPods))
    out.push({ kind: 'Pod', name: p.metadata?.name ?? '', uid: p.metadata?.uid });
  return out;
}

/** Events of the subjects from both API groups; failed reads become notes (events are never essential). */
export async function gatherEvents(
  reader: KubeReader,
  namespace: string,
  subjects: readonly Subject[],
): Promise<{ events: AnyEvent[]; notes: string[] }> {
  const notes: string[] = [];
  let v1Missing = false;
  const reads = subjects.flatMap((s) => [
    reader.eventsFor(namespace, s.kind, s.name, s.uid).catch((e: unknown) => {
      notes.push(gapNote(`events of ${s.kind.toLowerCase()} ${s.name}`, e));
      return [] as AnyEvent[];
    }),
    reader.eventsV1For
      ? reader.eventsV1For(namespace, s.kind, s.name, s.uid).catch((e: unknown) => {
          // A cluster that does not serve events.k8s.io/v1 (or RBAC without it): core/v1 still has every event.
          if (e instanceof KubeApiError && (e.status === 404 || e.status === 403)) v1Missing = true;
          else notes.push(gapNote(`events.k8s.io events of ${s.kind.toLowerCase()} ${s.name}`, e));
          return [] as AnyEvent[];
        })
      : Promise.resolve([] as AnyEvent[]),
  ]);
  const events = (await Promise.all(reads)).flat() as AnyEvent[];
  if (v1Missing) notes.push('events.k8s.io/v1 not readable here; core/v1 events shown');
  return { events, notes };
}

export async function readEvents(
  reader: KubeReader,
  target: ReadTarget,
  spec: EventsSpec,
  now: Date,
): Promise<ReadText & { rows: EventRow[] }> {
  const subjects = eventSubjects(target, true);
  const { events, notes } = await gatherEvents(reader, target.namespace, subjects);
  let rows = aggregateEvents(events, {
    ...(spec.sinceSeconds !== undefined ? { sinceMs: now.getTime() - spec.sinceSeconds * 1000 } : {}),
    warningsOnly: spec.warningsOnly,
  });
  if (rows.length > READ_LIMITS.maxEvents) {
    notes.push(`${rows.length} events; the newest ${READ_LIMITS.maxEvents} are shown`);
    rows = rows.slice(-READ_LIMITS.maxEvents);
  }
  const warnings = rows.filter((r) => r.type === 'Warning').length;
  const occurrences = rows.reduce((n, r) => n + r.count, 0);
  const summary = [
    `events of ${subjects.map((s) => `${s.kind.toLowerCase()}/${s.name}`).join(', ')} (core/v1 and events.k8s.io/v1, aggregated)`,
  ];
  const filters = [
    spec.sinceSeconds ? `last seen within ${spec.sinceSeconds} s` : '',
    spec.warningsOnly ? 'warnings only' : '',
  ].filter(Boolean);
  if (filters.length > 0) summary.push(filters.join(', '));
  return {
    text: eventsTable(rows, now.getTime()),
    verdict: `${rows.length} event${rows.length === 1 ? '' : 's'} (${warnings} warning${warnings === 1 ? '' : 's'}, ${occurrences} occurrence${occurrences === 1 ? '' : 's'})`,
    summary,
    notes,
    rows,
  };
}
