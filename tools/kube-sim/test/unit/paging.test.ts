import { describe, expect, it } from '@jest/globals';
import { pageOf } from '../../paging.js';
import type { KubeObject } from '../../store.js';

const pods: KubeObject[] = ['a', 'b', 'c', 'd', 'e'].map((n) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `web-${n}`, namespace: 'shop' },
}));
const q = (s: string) => new URLSearchParams(s);
const opts = { allNamespaces: false, selected: true };
const names = (r: ReturnType<typeof pageOf>) => ('items' in r ? r.items.map((o) => o.metadata.name) : r);

describe('list paging as the API server does it', () => {
  it('pages with limit and continue, in key order, until no token is returned', () => {
    const first = pageOf(pods, q('limit=2'), '2000', opts);
    expect(names(first)).toEqual(['web-a', 'web-b']);
    if (!('items' in first)) throw new Error('refused');
    expect(first.meta.continue).toBeDefined();
    const second = pageOf(pods, q(`limit=2&continue=${first.meta.continue}`), '2001', opts);
    expect(names(second)).toEqual(['web-c', 'web-d']);
    if (!('items' in second)) throw new Error('refused');
    // the token carries the first page's resourceVersion: pages are one snapshot
    expect(second.meta.resourceVersion).toBe('2000');
    const third = pageOf(pods, q(`limit=2&continue=${second.meta.continue}`), '2002', opts);
    expect(names(third)).toEqual(['web-e']);
    expect('items' in third && third.meta.continue).toBeUndefined();
  });

  it('continues after the last key returned: an object deleted between pages shifts nothing', () => {
    const first = pageOf(pods, q('limit=2'), '2000', opts);
    if (!('items' in first)) throw new Error('refused');
    const fewer = pods.filter((p) => p.metadata.name !== 'web-a');
    expect(names(pageOf(fewer, q(`limit=2&continue=${first.meta.continue}`), '2001', opts))).toEqual([
      'web-c',
      'web-d',
    ]);
  });

  it('serves resourceVersion=0 from the watch cache: limit is ignored and the list comes whole', () => {
    const r = pageOf(pods, q('limit=2&resourceVersion=0'), '2000', opts);
    expect(names(r)).toHaveLength(5);
    expect('items' in r && r.meta.continue).toBeUndefined();
  });

  it('sets remainingItemCount only for lists without a selector', () => {
    const plain = pageOf(pods, q('limit=2'), '2000', { allNamespaces: false, selected: false });
    expect('items' in plain && plain.meta.remainingItemCount).toBe(3);
    const selected = pageOf(pods, q('limit=2'), '2000', opts);
    expect('items' in selected && selected.meta.remainingItemCount).toBeUndefined();
  });

  it.each([
    [
      'limit=2&resourceVersion=5&continue=x',
      400,
      'specifying resource version is not allowed when using continue',
    ],
    ['resourceVersionMatch=NotOlderThan', 422, 'forbidden unless resourceVersion is provided'],
    ['resourceVersion=0&resourceVersionMatch=Exact', 422, 'forbidden for resourceVersion "0"'],
    ['resourceVersion=5&resourceVersionMatch=Newest', 422, 'Unsupported value'],
    ['limit=2&continue=bm90LWEtdG9rZW4', 400, 'continue key is not valid'],
  ])('refuses %s as the API server does (%i)', (query, code, message) => {
    const r = pageOf(pods, q(query), '2000', opts);
    expect('error' in r && r.error.code).toBe(code);
    expect('error' in r && r.error.message).toContain(message);
  });
});
