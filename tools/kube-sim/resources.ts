/**
 * The resource catalogue: which kinds the simulator serves, under which
 * group/version and plural, with the discovery details the real API server
 * publishes. Pure data and lookups, no I/O.
 */

/** One served resource, as APIResourceList describes it. */
export interface ResourceInfo {
  /** API group; '' for the core group. */
  group: string;
  version: string;
  kind: string;
  /** Lower-case plural used in URLs: "pods". */
  plural: string;
  singular: string;
  namespaced: boolean;
  verbs: string[];
  shortNames?: string[];
  /** Kind of the list response: "PodList". */
  listKind: string;
}

const RW = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const RO = ['get', 'list'];

function res(
  group: string,
  version: string,
  kind: string,
  plural: string,
  namespaced: boolean,
  shortNames?: string[],
  verbs: string[] = RW,
): ResourceInfo {
  return {
    group,
    version,
    kind,
    plural,
    singular: kind.toLowerCase(),
    namespaced,
    verbs,
    listKind: `${kind}List`,
    ...(shortNames ? { shortNames } : {}),
  };
}

/** Kinds served whether or not the fixtures contain any (a real cluster always has them). */
export const BUILTIN_RESOURCES: readonly ResourceInfo[] = [
  res('', 'v1', 'Pod', 'pods', true, ['po']),
  res('', 'v1', 'Event', 'events', true, ['ev']),
  res('events.k8s.io', 'v1', 'Event', 'events', true, ['ev']),
  res('', 'v1', 'Node', 'nodes', false, ['no']),
  res(
    '',
    'v1',
    'Namespace',
    'namespaces',
    false,
    ['ns'],
    ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  ),
  res('', 'v1', 'Service', 'services', true, ['svc']),
  res('', 'v1', 'ConfigMap', 'configmaps', true, ['cm']),
  res('', 'v1', 'Secret', 'secrets', true),
  res('', 'v1', 'ServiceAccount', 'serviceaccounts', true, ['sa']),
  res('', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, ['pvc']),
  res('', 'v1', 'ResourceQuota', 'resourcequotas', true, ['quota']),
  res('', 'v1', 'PersistentVolume', 'persistentvolumes', false, ['pv']),
  res('apps', 'v1', 'Deployment', 'deployments', true, ['deploy']),
  res('apps', 'v1', 'ReplicaSet', 'replicasets', true, ['rs']),
  res('apps', 'v1', 'StatefulSet', 'statefulsets', true, ['sts']),
  res('apps', 'v1', 'DaemonSet', 'daemonsets', true, ['ds']),
  res('batch', 'v1', 'Job', 'jobs', true),
  res('batch', 'v1', 'CronJob', 'cronjobs', true, ['cj']),
];

/** metrics.k8s.io kinds: served only when the fixtures hold PodMetrics (a cluster with metrics-server). */
export const METRICS_RESOURCES: readonly ResourceInfo[] = [
  res('metrics.k8s.io', 'v1beta1', 'PodMetrics', 'pods', true, undefined, RO),
  res('metrics.k8s.io', 'v1beta1', 'NodeMetrics', 'nodes', false, undefined, RO),
];

/** Subresources listed in discovery beside their parent ("pods/log"). */
export const SUBRESOURCES: readonly {
  group: string;
  version: string;
  name: string;
  kind: string;
  verbs: string[];
}[] = [
  { group: '', version: 'v1', name: 'pods/log', kind: 'Pod', verbs: ['get'] },
  { group: '', version: 'v1', name: 'pods/status', kind: 'Pod', verbs: ['get', 'patch', 'update'] },
  {
    group: '',
    version: 'v1',
    name: 'pods/ephemeralcontainers',
    kind: 'Pod',
    verbs: ['get', 'patch', 'update'],
  },
];

/** Splits "apps/v1" into group and version ("v1" → core group ''). */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** "apps" + "v1" → "apps/v1"; "" + "v1" → "v1". */
export function joinApiVersion(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

/** Guesses the URL plural of a kind the catalogue does not know (English rules as the API's RESTMapper does). */
export function guessPlural(kind: string): string {
  const k = kind.toLowerCase();
  if (/(s|x|z|ch|sh)$/.test(k)) return `${k}es`;
  if (/[^aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`;
  return `${k}s`;
}

/** Describes an unknown kind found in the fixtures (namespaced when the object names a namespace). */
export function inferResource(apiVersion: string, kind: string, namespaced: boolean): ResourceInfo {
  const { group, version } = splitApiVersion(apiVersion);
  return res(group, version, kind, guessPlural(kind), namespaced);
}
