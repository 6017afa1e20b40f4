/**
 * One set of events, two API groups: a real API server stores each event once and serves it as core/v1
 * and as events.k8s.io/v1, converting the fields (involvedObject ↔ regarding, message ↔ note, count ↔
 * deprecatedCount, firstTimestamp/lastTimestamp ↔ deprecatedFirstTimestamp/deprecatedLastTimestamp,
 * source ↔ deprecatedSource, reportingComponent ↔ reportingController). Lists of either group here show
 * the events stored in both, converted. Pure.
 */
import type { KubeObject } from './store.js';

type Obj = Record<string, unknown>;

const MOVES: [core: string, v1: string][] = [
  ['involvedObject', 'regarding'],
  ['message', 'note'],
  ['count', 'deprecatedCount'],
  ['firstTimestamp', 'deprecatedFirstTimestamp'],
  ['lastTimestamp', 'deprecatedLastTimestamp'],
  ['source', 'deprecatedSource'],
  ['reportingComponent', 'reportingController'],
];
const SAME = ['metadata', 'reason', 'type', 'eventTime', 'series', 'action', 'related', 'reportingInstance'];

function convert(o: Obj, to: 'core' | 'v1'): KubeObject {
  const out: Obj = { apiVersion: to === 'core' ? 'v1' : 'events.k8s.io/v1', kind: 'Event' };
  for (const k of SAME) if (o[k] !== undefined) out[k] = o[k];
  for (const [core, v1] of MOVES) {
    const from = to === 'core' ? v1 : core;
    const dest = to === 'core' ? core : v1;
    if (o[from] !== undefined) out[dest] = o[from];
  }
  return out as unknown as KubeObject;
}

export function eventToV1(o: KubeObject): KubeObject {
  return convert(o as unknown as Obj, 'v1');
}

export function eventToCore(o: KubeObject): KubeObject {
  return convert(o as unknown as Obj, 'core');
}

/** Whether a resource is Event in one of the two groups. */
export function isEventsResource(r: { group: string; plural: string }): boolean {
  return r.plural === 'events' && (r.group === '' || r.group === 'events.k8s.io');
}
