import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { fetch } from 'undici';
import { apiFailure, gapNote, KubeApiError, toKubeApiError } from '../../../../jobs/k8s/errors.js';

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
  it("undici's `fetch failed` (client-node 2) keeps the transport error's code and reason", async () => {
    // A loopback port that was just closed: the connection is refused.
    const server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    await new Promise((r) => server.close(r));
    const thrown = await fetch(`http://127.0.0.1:${port}/api`).then(
      () => undefined,
      (e: unknown) => e,
    );
    const e = toKubeApiError(thrown, 'get pods');
    expect(e.status).toBe(0);
    expect(e.unreachable).toBe(true);
    expect(e.reason).toBe('ECONNREFUSED');
    expect(e.message).toMatch(/^fetch failed: .*ECONNREFUSED/);
    expect(apiFailure(e, 'get pod shop/p1', 'prod').retryable).toBe(true);
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
