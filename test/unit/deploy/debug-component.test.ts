/**
 * deploy/components/debug-containers: what the worker may do with it, evaluated as the API server does (the
 * simulator's RBAC authorizer): nothing until a RoleBinding binds the ClusterRole in a namespace; there,
 * exactly the writes of jobs/k8s/debug-pods.ts (patch pods/ephemeralcontainers, create and delete pods).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import { authorize, type KubeObject, ObjectStore } from '../../../tools/kube-sim/index.js';

const DIR = 'deploy/components/debug-containers';
const WORKER_SA = 'system:serviceaccount:poddebug:poddebug-worker';

function load(file: string): KubeObject[] {
  return parseAllDocuments(readFileSync(`${DIR}/${file}`, 'utf8')).map((d) => d.toJSON() as KubeObject);
}

function workerCan(objs: KubeObject[]) {
  const store = new ObjectStore();
  for (const o of objs) store.put(o);
  return (verb: string, resource: string, namespace: string) => {
    const [res, sub] = resource.split('/');
    return authorize(store, {
      user: WORKER_SA,
      groups: ['system:serviceaccounts', 'system:serviceaccounts:poddebug', 'system:authenticated'],
      verb,
      resource: { group: '', resource: res!, ...(sub ? { subresource: sub } : {}), namespace },
    }).allowed;
  };
}

describe('the debug-containers component', () => {
  const kustomization = readFileSync(`${DIR}/kustomization.yaml`, 'utf8');

  it('applies only the ClusterRole: the example binding is not a resource of the component', () => {
    expect(kustomization).toMatch(/resources:\n {2}- rbac\.yaml\n?$/);
    expect(load('rbac.yaml').map((o) => o.kind)).toEqual(['ClusterRole']);
  });

  it('grants nothing until bound in a namespace', () => {
    const can = workerCan(load('rbac.yaml'));
    for (const [verb, res] of [
      ['patch', 'pods/ephemeralcontainers'],
      ['create', 'pods'],
      ['delete', 'pods'],
    ] as const)
      expect(can(verb, res, 'shop')).toBe(false);
  });

  it('bound in shop: the writes jobs/k8s/debug-pods.ts makes there, and nothing more, nowhere else', () => {
    const can = workerCan([...load('rbac.yaml'), ...load('rolebinding-example.yaml')]);
    expect(can('patch', 'pods/ephemeralcontainers', 'shop')).toBe(true);
    expect(can('create', 'pods', 'shop')).toBe(true);
    expect(can('delete', 'pods', 'shop')).toBe(true);
    for (const [verb, res] of [
      ['patch', 'pods'],
      ['update', 'pods'],
      ['create', 'pods/exec'],
      ['create', 'pods/attach'],
      ['get', 'secrets'],
      ['update', 'pods/ephemeralcontainers'],
    ] as const)
      expect(can(verb, res, 'shop')).toBe(false);
    expect(can('create', 'pods', 'payments')).toBe(false);
    expect(can('patch', 'pods/ephemeralcontainers', 'kube-system')).toBe(false);
  });
});
