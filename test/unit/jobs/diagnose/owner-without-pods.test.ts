import { describe, expect, it } from '@jest/globals';
import { CodedError } from '../../../../jobs/contracts/index.js';
import { diagnose } from '../../../../jobs/diagnose/diagnose.js';
import { parseCreateFailure } from '../../../../jobs/diagnose/rules/owner.js';
import type { KubeReader } from '../../../../jobs/k8s/client.js';
import type { KEvent } from '../../../../jobs/k8s/types.js';

const NOW = new Date('2026-11-20T10:00:00Z');

/** A reader for one StatefulSet without pods; `events` are its events; counts every call by name. */
function reader(events: KEvent[]) {
  const calls: string[] = [];
  const r = {
    getStatefulSet: async () => ({
      metadata: { name: 'db', namespace: 'data' },
      spec: { selector: { matchLabels: { app: 'db' } } },
    }),
    listPodsPage: async () => ({ items: [] }),
    listEventsPage: async (_ns: string, fieldSelector: string) => {
      calls.push(`events ${fieldSelector}`);
      return { items: events };
    },
    getResourceQuota: async () => {
      calls.push('get resourcequota');
      throw new Error('not expected');
    },
    requestCount: () => calls.length,
  };
  return { reader: r as unknown as KubeReader, calls };
}

const deps = (r: KubeReader) => ({
  reader: r,
  cluster: 'prod',
  now: () => NOW,
  logTailLines: 200,
  logLimitBytes: 65536,
});

const failedCreate = (message: string): KEvent => ({
  metadata: { name: 'db.1', namespace: 'data' },
  involvedObject: { kind: 'StatefulSet', name: 'db', namespace: 'data' },
  reason: 'FailedCreate',
  type: 'Warning',
  message,
  count: 9,
  firstTimestamp: '2026-11-20T09:40:00Z',
  lastTimestamp: '2026-11-20T09:59:00Z',
  source: { component: 'statefulset-controller' },
});

describe('diagnose sts/NAME with no pods', () => {
  it('reports create-failed from the controller events, with the owner as target', async () => {
    const { reader: r, calls } = reader([
      failedCreate(
        'create Pod db-0 in StatefulSet db failed error: pods "db-0" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true), hostPort (container "db" uses hostPort 5432)',
      ),
    ]);
    const result = await diagnose({ kind: 'sts', name: 'db', namespace: 'data' }, deps(r));
    expect(result.outcome).toBe('diagnosed');
    if (result.outcome !== 'diagnosed') return;
    expect(result.target).toEqual({ kind: 'StatefulSet', namespace: 'data', name: 'db' });
    expect(result.findings.map((f) => `${f.id}:${f.severity}`)).toEqual(['create-failed:critical']);
    const f = result.findings[0]!;
    expect(f.title).toBe(
      '`sts/db` cannot create pods: its pods violate Pod Security level `baseline:latest` of namespace data',
    );
    expect(f.evidence).toContain('failing check: host namespaces (hostNetwork=true');
    // no quota is named: none is read
    expect(calls).not.toContain('get resourcequota');
  });

  it('still says "no pods right now" when nothing explains it', async () => {
    const { reader: r } = reader([]);
    const run = diagnose({ kind: 'sts', name: 'db', namespace: 'data' }, deps(r));
    await expect(run).rejects.toBeInstanceOf(CodedError);
    await expect(run).rejects.toMatchObject({ code: 'no_pods' });
  });
});

describe('parseCreateFailure', () => {
  it.each<[string, string, ReturnType<typeof parseCreateFailure>]>([
    [
      'quota',
      'Error creating: pods "api-7d9-x" is forbidden: exceeded quota: compute-quota, requested: limits.memory=2Gi, used: limits.memory=7Gi, limited: limits.memory=8Gi',
      {
        kind: 'quota',
        name: 'compute-quota',
        details: ['requested: limits.memory=2Gi', 'used: limits.memory=7Gi', 'limited: limits.memory=8Gi'],
      },
    ],
    [
      'service account',
      'Error creating: pods "api-7d9-x" is forbidden: error looking up service account shop/api: serviceaccount "api" not found',
      { kind: 'service-account', name: 'api', details: [] },
    ],
    [
      'webhook',
      'Error creating: admission webhook "validate.kyverno.svc-fail" denied the request: policy require-labels: label team is required',
      {
        kind: 'webhook',
        name: 'validate.kyverno.svc-fail',
        details: ['policy require-labels: label team is required'],
      },
    ],
    [
      'something else',
      'Error creating: Internal error occurred: etcdserver: request timed out',
      { kind: 'other', details: [] },
    ],
  ])('%s', (_what, message, want) => {
    expect(parseCreateFailure(message)).toEqual(want);
  });
});
