import { describe, expect, it } from '@jest/globals';
import { parseApiPath, routeTemplate } from '../../router.js';

describe('parseApiPath and routeTemplate', () => {
  it.each([
    ['/api/v1/namespaces/shop/pods/p1', 'GET /api/v1/namespaces/{ns}/pods/{name}'],
    ['/api/v1/namespaces/shop/pods/p1/log', 'GET /api/v1/namespaces/{ns}/pods/{name}/log'],
    ['/api/v1/pods', 'GET /api/v1/pods'],
    ['/api/v1/nodes/n1', 'GET /api/v1/nodes/{name}'],
    ['/api/v1/namespaces/shop', 'GET /api/v1/namespaces/{name}'],
    ['/apis/apps/v1/namespaces/shop/replicasets/rs1', 'GET /apis/apps/v1/namespaces/{ns}/replicasets/{name}'],
    [
      '/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods/p1',
      'GET /apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods/{name}',
    ],
    ['/api/v1', 'GET /api/v1'],
    ['/apis/', 'GET /apis'],
    ['/version', 'GET /version'],
    ['/nonsense/path', 'GET (unknown)'],
  ])('%s → %s', (path, route) => {
    expect(routeTemplate('GET', parseApiPath(path), path)).toBe(route);
  });

  it('decodes the parts of a namespaced object path', () => {
    expect(parseApiPath('/apis/batch/v1/namespaces/ops/jobs/backup')).toEqual({
      type: 'resource',
      group: 'batch',
      version: 'v1',
      namespace: 'ops',
      plural: 'jobs',
      name: 'backup',
    });
  });
});
