import { describe, expect, it } from '@jest/globals';
import { podStatusString } from '../../../../jobs/diagnose/rules/util.js';
import { badness, labelSelectorString, sibling } from '../../../../jobs/diagnose/select.js';
import type { Pod } from '../../../../jobs/k8s/types.js';

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
