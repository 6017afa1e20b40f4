import { describe, expect, it } from '@jest/globals';
import { MAX_EVENT_PAGES, PAGE_SIZE, pageThrough, readEvents } from '../../../../jobs/diagnose/lists.js';
import type { KubeReader, ListPage, PageQuery } from '../../../../jobs/k8s/client.js';
import type { KEvent } from '../../../../jobs/k8s/types.js';

/** A server that honours limit and continue over `items` (tokens are offsets), recording each query. */
function pager<T>(items: T[]) {
  const queries: PageQuery[] = [];
  const fetch = async (q: PageQuery): Promise<ListPage<T>> => {
    queries.push(q);
    const from = q.continue ? Number(q.continue) : 0;
    const to = from + q.limit;
    return { items: items.slice(from, to), ...(to < items.length ? { continue: String(to) } : {}) };
  };
  return { fetch, queries };
}

const ev = (i: number, at: string): KEvent => ({
  metadata: { name: `web-0.${i.toString(16).padStart(8, '0')}` },
  involvedObject: { kind: 'Node', name: 'n1' },
  reason: i === 0 ? 'SystemOOM' : 'NodeHasSufficientMemory',
  lastTimestamp: at,
});

describe('paging through a list', () => {
  it('follows continue to the end, one page after another', async () => {
    const { fetch, queries } = pager(Array.from({ length: 1234 }, (_, i) => i));
    const seen: number[] = [];
    const r = await pageThrough(fetch, (p) => seen.push(...p), { maxPages: 20, nameOf: String });
    expect(r).toEqual({ read: 1234, pages: 3 });
    expect(seen).toHaveLength(1234);
    expect(queries.map((q) => q.continue)).toEqual([undefined, '500', '1000']);
    expect(queries.every((q) => q.limit === PAGE_SIZE)).toBe(true);
  });

  it('stops at its bound and says where', async () => {
    const { fetch } = pager(Array.from({ length: 2000 }, (_, i) => `pod-${i}`));
    const r = await pageThrough(fetch, () => {}, { maxPages: 2, nameOf: (s) => s });
    expect(r.cut).toEqual({ read: 1000, after: 'pod-999' });
  });

  it('asks the first page only from the watch cache (continue pages carry no resourceVersion)', async () => {
    const { fetch, queries } = pager(Array.from({ length: 600 }, (_, i) => i));
    await pageThrough(fetch, () => {}, { maxPages: 5, fromCache: true, nameOf: String });
    expect(queries).toEqual([
      { limit: PAGE_SIZE, fromCache: true },
      { limit: PAGE_SIZE, continue: '500' },
    ]);
  });
});

describe('events about one object', () => {
  it('are read completely when a server pages them: the newest, on the last page, is not lost', async () => {
    const items = Array.from({ length: 1800 }, (_, i) => ev(i + 1, '2026-11-20T09:00:00Z'));
    items.push(ev(0, '2026-11-20T09:59:00Z'));
    const { fetch } = pager(items);
    const reader = {
      listEventsPage: (_ns: unknown, _sel: unknown, q: PageQuery) => fetch(q),
    } as unknown as KubeReader;
    const r = await readEvents(reader, undefined, 'involvedObject.kind=Node', 'node n1 events');
    expect(r.events).toHaveLength(1801);
    expect(r.events.some((e) => e.reason === 'SystemOOM')).toBe(true);
    expect(r.note).toBeUndefined();
  });

  it('past the bound, say what was not read', async () => {
    const items = Array.from({ length: MAX_EVENT_PAGES * PAGE_SIZE + 10 }, (_, i) =>
      ev(i + 1, '2026-11-20T09:00:00Z'),
    );
    const { fetch } = pager(items);
    const reader = {
      listEventsPage: (_ns: unknown, _sel: unknown, q: PageQuery) => fetch(q),
    } as unknown as KubeReader;
    const r = await readEvents(reader, 'shop', 'involvedObject.name=web-0', 'pod web-0 events');
    expect(r.events).toHaveLength(MAX_EVENT_PAGES * PAGE_SIZE);
    expect(r.note).toMatch(/^pod web-0 events: read the first 5000 in name order; the rest were not read/);
  });

  it('a server that answers a cache read whole with more than the bound keeps the newest', async () => {
    const items = Array.from({ length: MAX_EVENT_PAGES * PAGE_SIZE + 1 }, (_, i) =>
      ev(i + 1, '2026-11-20T09:00:00Z'),
    );
    items.push(ev(0, '2026-11-20T09:59:00Z'));
    const reader = {
      listEventsPage: async () => ({ items }),
    } as unknown as KubeReader;
    const r = await readEvents(reader, undefined, 'involvedObject.kind=Node', 'node n1 events');
    expect(r.events).toHaveLength(MAX_EVENT_PAGES * PAGE_SIZE);
    expect(r.events[0]!.reason).toBe('SystemOOM');
    expect(r.note).toBe('node n1 events: 5002 events; only the newest 5000 were kept');
  });
});
