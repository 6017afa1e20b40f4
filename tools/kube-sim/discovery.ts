/**
 * Discovery documents: /version, /api, /apis, /apis/<group>,
 * /api/v1 and /apis/<group>/<version>. Pure builders.
 */
import { joinApiVersion, type ResourceInfo, SUBRESOURCES } from './resources.js';

/** /version: the server's build info (reports Kubernetes v1.32). */
export function versionInfo(): object {
  return {
    major: '1',
    minor: '32',
    gitVersion: 'v1.32.0-kube-sim',
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: 'go1.23.4',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

/** /api: APIVersions. */
export function apiVersions(serverAddress: string): object {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

/** One APIGroup entry. */
export function apiGroup(g: { name: string; versions: string[] }): object {
  const versions = g.versions.map((v) => ({ groupVersion: `${g.name}/${v}`, version: v }));
  return { kind: 'APIGroup', apiVersion: 'v1', name: g.name, versions, preferredVersion: versions[0] };
}

/** /apis: APIGroupList. */
export function apiGroupList(groups: { name: string; versions: string[] }[]): object {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: groups.map((g) => {
      const { kind: _k, apiVersion: _a, ...rest } = apiGroup(g) as Record<string, unknown>;
      return rest;
    }),
  };
}

/** /api/v1 or /apis/<g>/<v>: APIResourceList, with subresources of served parents. */
export function apiResourceList(
  group: string,
  version: string,
  resources: ResourceInfo[],
  hidden: string[] = [],
): object {
  const entries: object[] = [];
  for (const r of resources) {
    entries.push({
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
      ...(r.shortNames ? { shortNames: r.shortNames } : {}),
    });
    for (const s of SUBRESOURCES) {
      if (
        s.group === group &&
        s.version === version &&
        s.name.startsWith(`${r.plural}/`) &&
        !hidden.includes(s.name)
      ) {
        entries.push({
          name: s.name,
          singularName: '',
          namespaced: r.namespaced,
          kind: s.kind,
          verbs: s.verbs,
        });
      }
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: joinApiVersion(group, version),
    resources: entries,
  };
}
