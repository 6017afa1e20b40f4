import { describe, expect, it } from '@jest/globals';
import { apiFailure, gapNote, KubeApiError } from '../../../../jobs/k8s/errors.js';

describe('API failures as users read them', () => {
  const forbidden = new KubeApiError(
    403,
    'Forbidden',
    'pods "p1" is forbidden: User "system:serviceaccount:poddebug:worker" cannot get resource "pods" in API group "" in the namespace "shop"',
    'get pods',
  );
  it('403 names the verb, the resource, the namespace and how to check', () => {
    const e = apiFailure(forbidden, 'get pod shop/p1', 'prod');
    expect(e.code).toBe('forbidden');
    expect(e.retryable).toBe(false);
    expect(e.message).toContain('`get` `pods` in namespace `shop`');
    expect(e.next.join('\n')).toContain(
      'kubectl auth can-i get pods -n shop --as system:serviceaccount:poddebug:worker',
    );
  });
  it('unreachable and 5xx retry; other refusals do not', () => {
    expect(
      apiFailure(new KubeApiError(0, 'ECONNREFUSED', 'connect ECONNREFUSED', 'get pods'), 'x', 'prod')
        .retryable,
    ).toBe(true);
    expect(
      apiFailure(new KubeApiError(503, 'ServiceUnavailable', 'x', 'get pods'), 'x', 'prod').retryable,
    ).toBe(true);
    expect(apiFailure(new KubeApiError(401, 'Unauthorized', 'x', 'get pods'), 'x', 'prod').code).toBe(
      'forbidden',
    );
  });
  it('a non-essential read becomes a one-line gap', () => {
    expect(
      gapNote(
        'node n1',
        new KubeApiError(
          403,
          'Forbidden',
          'nodes "n1" is forbidden: User "u" cannot get resource "nodes"',
          'get nodes',
        ),
      ),
    ).toBe('node n1: forbidden (cannot get resource "nodes")');
  });
});
