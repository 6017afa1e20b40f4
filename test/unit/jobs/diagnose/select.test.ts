import { describe, expect, it } from '@jest/globals';
import { apiFailure, gapNote } from '../../../../jobs/diagnose/errors.js';
import { podStatusString } from '../../../../jobs/diagnose/rules/util.js';
import { badness, labelSelectorString, sibling } from '../../../../jobs/diagnose/select.js';
import type { Pod } from '../../../../jobs/diagnose/types.js';
import { KubeApiError } from '../../../../jobs/k8s/errors.js';

const pod = (status: Pod['status'], extra: Partial<Pod> = {}): Pod => ({
  metadata: { name: 'p', namespace: 'ns' },
  spec: { containers: [{ name: 'app' }], nodeName: 'n1' },
  status,
  ...extra,
});

describe('labelSelectorString', () => {
  it('renders matchLabels and matchExpressions as the API query string', () => {
    expect(
      labelSelectorString({
        matchLabels: { app: 'checkout', tier: 'web' },
        matchExpressions: [
          { key: 'env', operator: 'In', values: ['prod', 'canary'] },
          { key: 'legacy', operator: 'DoesNotExist' },
          { key: 'team', operator: 'Exists' },
          { key: 'zone', operator: 'NotIn', values: ['a'] },
        ],
      }),
    ).toBe('app=checkout,tier=web,env in (prod,canary),!legacy,team,zone notin (a)');
  });
  it('never turns an empty selector into "everything"', () => {
    expect(labelSelectorString({})).toBeUndefined();
    expect(labelSelectorString(undefined)).toBeUndefined();
  });
});

describe('worst pod of an owner', () => {
  const healthy = pod({
    phase: 'Running',
    containerStatuses: [{ name: 'app', ready: true, restartCount: 0, image: 'i', imageID: '' }],
  });
  const crashing = pod({
    phase: 'Running',
    containerStatuses: [
      {
        name: 'app',
        ready: false,
        restartCount: 7,
        image: 'i',
        imageID: '',
        state: { waiting: { reason: 'CrashLoopBackOff' } },
      },
    ],
  });
  const pending = pod({ phase: 'Pending' });
  it('ranks a crash loop above pending above healthy', () => {
    expect(badness(crashing)).toBeGreaterThan(badness(pending));
    expect(badness(pending)).toBeGreaterThan(badness(healthy));
    expect(badness(healthy)).toBe(0);
  });
  it('summarises a sibling as kubectl would show it', () => {
    expect(sibling(crashing)).toEqual({
      name: 'p',
      phase: 'Running',
      status: 'CrashLoopBackOff',
      ready: '0/1',
      restarts: 7,
      node: 'n1',
    });
    expect(podStatusString(pod({ phase: 'Failed', reason: 'Evicted' }))).toBe('Evicted');
    expect(
      podStatusString(
        pod({ phase: 'Running' }, { metadata: { name: 'p', deletionTimestamp: '2026-11-20T09:00:00Z' } }),
      ),
    ).toBe('Terminating');
  });
});

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
