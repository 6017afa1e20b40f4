/**
 * The lists diagnose reads, paged with `continue` up to stated bounds:
 * an owner's pods (reduced page by page, pod-summary.ts) and the events
 * about one object or one node (read completely up to a bound). Each page
 * after the first depends on the one before, so a list costs one dependent
 * step per page; pages are large (PAGE_SIZE) so that an owner of 500 pods,
 * or any one object's events, take one.
 */
import type { KubeReader } from '../k8s/client.js';
import { type ListCut, PAGE_SIZE, pageThrough } from '../k8s/pages.js';
import type { KEvent } from '../k8s/types.js';
import { addPods, emptySummary, type PodSummary } from './pod-summary.js';
import { eventLastSeen } from './rules/util.js';

export { type ListCut, PAGE_SIZE, pageThrough };

/** An owner's pods read at most: 20 pages. Past this the answer says the list was cut. */
export const MAX_POD_PAGES = 20;
/** Events about one object read at most: 10 pages; past this the answer says what was not read. */
export const MAX_EVENT_PAGES = 10;

/** The pods of a label selector in a namespace, reduced to a summary (never held whole). */
export async function summarisePods(
  reader: KubeReader,
  namespace: string,
  labelSelector: string,
): Promise<{ summary: PodSummary; cut?: ListCut }> {
  const summary = emptySummary();
  const r = await pageThrough(
    (q) => reader.listPodsPage(namespace, labelSelector, q),
    (pods) => addPods(summary, pods),
    { maxPages: MAX_POD_PAGES, nameOf: (p) => p.metadata?.name ?? '' },
  );
  return { summary, ...(r.cut ? { cut: r.cut } : {}) };
}

/** What an events read says when it stopped before the end (a gap line), else undefined. */
function cutNote(what: string, cut: ListCut | undefined, kept: number, total: number): string | undefined {
  if (cut) {
    const more = cut.remaining !== undefined ? ` (${cut.remaining} more)` : '';
    return `${what}: read the first ${cut.read} in name order; the rest${more} were not read, so newer ones may be missing`;
  }
  if (kept < total) return `${what}: ${total} events; only the newest ${kept} were kept`;
  return undefined;
}

/**
 * Events matching `fieldSelector` (in a namespace, or all when undefined),
 * read completely from the watch cache (resourceVersion=0) up to
 * MAX_EVENT_PAGES pages; when a server answers a cache read whole and it holds
 * more than that many events, the newest are kept. `note` says what was left out.
 */
export async function readEvents(
  reader: KubeReader,
  namespace: string | undefined,
  fieldSelector: string,
  what: string,
): Promise<{ events: KEvent[]; note?: string }> {
  let events: KEvent[] = [];
  const r = await pageThrough(
    (q) => reader.listEventsPage(namespace, fieldSelector, q),
    (page) => {
      events = events.length === 0 ? page : events.concat(page);
    },
    { maxPages: MAX_EVENT_PAGES, fromCache: true, nameOf: (e) => e.metadata?.name ?? '' },
  );
  const max = MAX_EVENT_PAGES * PAGE_SIZE;
  const total = events.length;
  if (total > max) {
    events = events
      .map((e, i) => ({ e, t: eventLastSeen(e) ?? 0, i }))
      .sort((a, b) => b.t - a.t || a.i - b.i)
      .slice(0, max)
      .map((x) => x.e);
  }
  const note = cutNote(what, r.cut, events.length, total);
  return { events, ...(note ? { note } : {}) };
}

function fieldSelector(fields: Record<string, string | undefined>): string {
  return Object.entries(fields)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** Events about one object: field selector on involvedObject kind, name, namespace (and uid when known). */
export function eventsAbout(
  reader: KubeReader,
  namespace: string,
  kind: string,
  name: string,
  uid?: string,
): Promise<{ events: KEvent[]; note?: string }> {
  const sel = fieldSelector({
    'involvedObject.kind': kind,
    'involvedObject.name': name,
    'involvedObject.namespace': namespace,
    'involvedObject.uid': uid,
  });
  return readEvents(reader, namespace, sel, `${kind.toLowerCase()} ${name} events`);
}

/** Events about a node, wherever they were recorded (field selector on involvedObject kind and name). */
export function nodeEventsOf(reader: KubeReader, node: string): Promise<{ events: KEvent[]; note?: string }> {
  const sel = fieldSelector({ 'involvedObject.kind': 'Node', 'involvedObject.name': node });
  return readEvents(reader, undefined, sel, `node ${node} events`);
}
