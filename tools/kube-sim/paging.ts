/**
 * limit / continue / resourceVersion / resourceVersionMatch on a list, as the
 * API server treats them (apimachinery's ListOptions validation, the etcd3
 * store's paging, the watch cache). Pure.
 *
 * - `resourceVersion=0` (alone or with `NotOlderThan`) is served from the watch
 *   cache, which ignores `limit`: the whole list, no continue token.
 * - Otherwise `limit` pages in key order (namespace/name); the continue token is
 *   base64url JSON `{"v":"meta.k8s.io/v1","rv":N,"start":"<last key>\u0000"}`, as the
 *   etcd3 store writes it, so a page starts after the last key returned (an object
 *   deleted between pages does not shift the next page).
 * - `continue` with a resourceVersion, or with resourceVersionMatch, is refused.
 * - `remainingItemCount` is set only when the list has no label or field selector.
 */
import { badRequest, failure, type StatusBody } from './status.js';
import type { KubeObject } from './store.js';

interface ContinueToken {
  v: string;
  rv: number;
  start: string;
}

export type PageResult =
  | { items: KubeObject[]; meta: { resourceVersion: string; continue?: string; remainingItemCount?: number } }
  | { error: StatusBody };

function listOptionsInvalid(field: string, detail: string): StatusBody {
  return failure(422, `ListOptions.meta.k8s.io "" is invalid: ${field}: ${detail}`, 'Invalid', {
    group: 'meta.k8s.io',
    kind: 'ListOptions',
    causes: [{ reason: 'FieldValueForbidden', message: detail, field }],
  });
}

function decodeToken(s: string): ContinueToken | undefined {
  try {
    const t = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as Partial<ContinueToken>;
    if (t.v !== 'meta.k8s.io/v1' || typeof t.rv !== 'number' || typeof t.start !== 'string') return undefined;
    return t as ContinueToken;
  } catch {
    return undefined;
  }
}

function encodeToken(t: ContinueToken): string {
  return Buffer.from(JSON.stringify(t)).toString('base64url');
}

/**
 * One page of `items` (already filtered by selectors, in key order) for the
 * query's paging parameters; `currentRv` is the store's resourceVersion.
 */
export function pageOf(
  items: KubeObject[],
  query: URLSearchParams,
  currentRv: string,
  opts: { allNamespaces: boolean; selected: boolean },
): PageResult {
  const rv = query.get('resourceVersion') ?? '';
  const match = query.get('resourceVersionMatch') ?? '';
  const cont = query.get('continue') ?? '';
  const limitText = query.get('limit') ?? '';
  const limit = /^\d+$/.test(limitText) ? Number(limitText) : 0;
  if (match !== '') {
    if (!['NotOlderThan', 'Exact'].includes(match))
      return {
        error: listOptionsInvalid(
          'resourceVersionMatch',
          `Unsupported value: "${match}": supported values: "Exact", "NotOlderThan"`,
        ),
      };
    if (cont !== '')
      return {
        error: listOptionsInvalid(
          'resourceVersionMatch',
          'Forbidden: resourceVersionMatch is forbidden when continue is provided',
        ),
      };
    if (rv === '')
      return {
        error: listOptionsInvalid(
          'resourceVersionMatch',
          'Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
        ),
      };
    if (match === 'Exact' && rv === '0')
      return {
        error: listOptionsInvalid(
          'resourceVersionMatch',
          'Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
        ),
      };
  }
  if (cont !== '' && rv !== '')
    return { error: badRequest('specifying resource version is not allowed when using continue') };

  // The watch cache answers rv=0 whole, whatever the limit.
  if (rv === '0' && match !== 'Exact') return { items, meta: { resourceVersion: currentRv } };

  const key = (o: KubeObject) =>
    opts.allNamespaces && o.metadata.namespace
      ? `${o.metadata.namespace}/${o.metadata.name}`
      : o.metadata.name;
  let snapshotRv = Number(currentRv);
  let rest = items;
  if (cont !== '') {
    const t = decodeToken(cont);
    if (!t)
      return { error: badRequest('continue key is not valid: the token is not one this server issued') };
    snapshotRv = t.rv;
    rest = items.filter((o) => key(o) >= t.start);
  }
  if (limit <= 0 || rest.length <= limit)
    return { items: rest, meta: { resourceVersion: String(snapshotRv) } };
  const pageItems = rest.slice(0, limit);
  const last = pageItems[pageItems.length - 1]!;
  return {
    items: pageItems,
    meta: {
      resourceVersion: String(snapshotRv),
      continue: encodeToken({ v: 'meta.k8s.io/v1', rv: snapshotRv, start: `${key(last)}\u0000` }),
      ...(opts.selected ? {} : { remainingItemCount: rest.length - limit }),
    },
  };
}
