/**
 * Parses an API path into what it addresses, and names its route template
 * for request statistics ("GET /api/v1/namespaces/{ns}/pods/{name}"). Pure.
 */

/** What a path addresses. */
export type ApiPath =
  | { type: 'version' | 'api' | 'apis' | 'health' }
  | { type: 'group'; group: string }
  | { type: 'resources'; group: string; version: string }
  | {
      type: 'resource';
      group: string;
      version: string;
      plural: string;
      /** Namespace from the URL (/namespaces/{ns}/...); absent for cluster scope and all-namespace lists. */
      namespace?: string;
      name?: string;
      subresource?: string;
    }
  | { type: 'unknown' };

/** Parses a URL pathname (no query). */
export function parseApiPath(pathname: string): ApiPath {
  const segs = pathname
    .split('/')
    .filter((s) => s !== '')
    .map(decodeURIComponent);
  if (segs.length === 1 && segs[0] === 'version') return { type: 'version' };
  if (segs.length === 1 && ['healthz', 'livez', 'readyz'].includes(segs[0]!)) return { type: 'health' };
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api') {
    if (segs.length === 1) return { type: 'api' };
    if (segs[1] !== 'v1') return { type: 'unknown' };
    group = '';
    version = 'v1';
    rest = segs.slice(2);
  } else if (segs[0] === 'apis') {
    if (segs.length === 1) return { type: 'apis' };
    if (segs.length === 2) return { type: 'group', group: segs[1]! };
    group = segs[1]!;
    version = segs[2]!;
    rest = segs.slice(3);
  } else return { type: 'unknown' };

  if (rest.length === 0) return { type: 'resources', group, version };
  if (rest[0] === 'namespaces' && rest.length >= 3 && !['status', 'finalize'].includes(rest[2]!)) {
    if (rest.length > 5) return { type: 'unknown' };
    return {
      type: 'resource',
      group,
      version,
      namespace: rest[1]!,
      plural: rest[2]!,
      ...(rest[3] !== undefined ? { name: rest[3] } : {}),
      ...(rest[4] !== undefined ? { subresource: rest[4] } : {}),
    };
  }
  if (rest.length > 3) return { type: 'unknown' };
  return {
    type: 'resource',
    group,
    version,
    plural: rest[0]!,
    ...(rest[1] !== undefined ? { name: rest[1] } : {}),
    ...(rest[2] !== undefined ? { subresource: rest[2] } : {}),
  };
}

/** The route template of a parsed path, for stats. Unknown paths collapse to "(unknown)". */
export function routeTemplate(method: string, p: ApiPath, pathname: string): string {
  switch (p.type) {
    case 'unknown':
      return `${method} (unknown)`;
    case 'resource': {
      const prefix = p.group === '' ? '/api/v1' : `/apis/${p.group}/${p.version}`;
      const ns = p.namespace !== undefined ? '/namespaces/{ns}' : '';
      const name = p.name !== undefined ? '/{name}' : '';
      const sub = p.subresource !== undefined ? `/${p.subresource}` : '';
      return `${method} ${prefix}${ns}/${p.plural}${name}${sub}`;
    }
    default:
      return `${method} ${pathname.replace(/\/+$/, '') || '/'}`;
  }
}
