import { describe, expect, it } from '@jest/globals';
import {
  CodedError,
  DiagnosePayloadSchema,
  decodeFailure,
  encodeFailure,
  isPreUpgradeRequestId,
  isRequestId,
  jobIdOf,
  parseJobId,
  parseRequestId,
  parseRequestRecord,
  parseTargetSpec,
  queueName,
  recordFields,
  requestIdFor,
} from '../../../../jobs/contracts/index.js';

describe('request and job ids', () => {
  const parts = ['T1', 'C1', 'U1', '123.456.abc'];
  const id = requestIdFor('diagnose', 'prod', parts);
  it('are the same for a redelivered request and differ for another one', () => {
    expect(requestIdFor('diagnose', 'prod', [...parts])).toBe(id);
    expect(requestIdFor('diagnose', 'prod', ['T1', 'C1', 'U1', '123.456.abd'])).not.toBe(id);
    expect(requestIdFor('diagnose', 'prod', ['T1', 'C1', 'U2', '123.456.abc'])).not.toBe(id);
    expect(requestIdFor('privileged', 'prod', parts)).not.toBe(id);
  });
  it('contain no colon (BullMQ forbids it) and say their kind and cluster', () => {
    expect(id).toMatch(/^diag-prod-[0-9a-f]{24}$/);
    expect(requestIdFor('privileged', 'prod', parts)).toMatch(/^prb-prod-[0-9a-f]{24}$/);
    expect(requestIdFor('diagnose', 'prod-eu-1', parts)).toMatch(/^diag-prod-eu-1-[0-9a-f]{24}$/);
    expect(requestIdFor('diagnose', 'prod-eu', parts)).not.toBe(id);
  });
  it('parse back to their kind and cluster, dashes in the cluster name included', () => {
    const other = requestIdFor('privileged', 'prod-eu-1', parts);
    expect(parseRequestId(other)).toEqual({ kind: 'privileged', id: other, cluster: 'prod-eu-1' });
    expect(parseRequestId(id)).toEqual({ kind: 'diagnose', id, cluster: 'prod' });
  });
  it.each(['Prod', '-prod', 'prod-', 'a'.repeat(64), 'prod:eu', '', '{prod}'])(
    'refuse %j as a cluster name (no id, so no key, is made from it)',
    (cluster) => {
      expect(() => requestIdFor('diagnose', cluster, parts)).toThrow('not a cluster name');
    },
  );
  it('job ids parse back to their request and step', () => {
    const prb = requestIdFor('privileged', 'prod', parts);
    expect(parseJobId(jobIdOf(id, 'diagnose'))).toEqual({
      requestId: id,
      kind: 'diagnose',
      step: 'diagnose',
    });
    expect(parseJobId(jobIdOf(prb, 'plan'))).toEqual({ requestId: prb, kind: 'privileged', step: 'plan' });
    expect(parseJobId(jobIdOf(prb, 'run'))).toEqual({ requestId: prb, kind: 'privileged', step: 'run' });
  });
  it.each([
    'diag-123',
    `diag-${'a'.repeat(24)}`,
    `plan-diag-prod-${'a'.repeat(24)}`,
    `prb-${'a'.repeat(24)}`,
    `prb-Prod-${'a'.repeat(24)}`,
    `prb--${'a'.repeat(24)}`,
    `run-${'A'.repeat(24)}`,
    `x-prb-${'a'.repeat(24)}`,
    'repeat:1',
  ])('%s is no job of a request kind it could be', (jobId) => {
    expect(parseJobId(jobId)).toBeUndefined();
  });
  it('queue names are one per cluster, each a Redis Cluster hash tag (BullMQ uses its keys together)', () => {
    expect(queueName('prod-eu')).toBe('{poddebug-prod-eu}');
    expect(queueName('prod-eu')).not.toContain(':'); // BullMQ refuses ':' in queue names
  });
});

describe('isPreUpgradeRequestId: the ids from before ids named their cluster', () => {
  const hex = '3f2a9c0d1e2f3a4b5c6d7e8f';
  it.each([`prb-${hex}`, `diag-${hex}`, `plan-prb-${hex}`, `run-prb-${hex}`])(
    '%s is one (and is no current request id)',
    (id) => {
      expect(isPreUpgradeRequestId(id)).toBe(true);
      expect(isRequestId(id)).toBe(false);
    },
  );
  it.each([
    // Current ids and job ids: never answered as stale.
    `prb-prod-${hex}`,
    `diag-prod-eu-${hex}`,
    `run-prb-prod-${hex}`,
    requestIdFor('privileged', 'prod', ['x']),
    // Not exactly the old form.
    `prb-${hex}0`,
    `prb-${hex.slice(1)}`,
    `prb-${hex.toUpperCase()}`,
    `prb-${hex.slice(0, 23)}g`,
    `plan-diag-${hex}`,
    `run-diag-${hex}`,
    `cancel-prb-${hex}`,
    ` prb-${hex}`,
    `prb-${hex}\n`,
    `prb-${hex}\nprb-${hex}`,
    `xprb-${hex}`,
    'prb-',
    '',
  ])('%j is not', (s) => {
    expect(isPreUpgradeRequestId(s)).toBe(false);
  });
});

describe('the request record', () => {
  const base = {
    id: requestIdFor('privileged', 'prod', ['x']),
    kind: 'privileged',
    cluster: 'prod',
    channel: 'C1',
    requester: 'U1',
    createdAt: '1700000000000',
    state: 'pending',
    target: JSON.stringify({ namespace: 'shop', pod: 'web-1' }),
    spec: JSON.stringify({ action: 'ps' }),
    reason: 'incident 42',
    needed: '2',
    posted: 'request,approval-message',
    'posting:x': '1',
  };
  it('parses what the bot writes, typed', () => {
    const r = parseRequestRecord(base);
    expect(r).toMatchObject({
      kind: 'privileged',
      needed: 2,
      createdAt: 1700000000000,
      posted: ['request', 'approval-message'],
    });
    expect(r?.kind === 'privileged' && r.target).toEqual({ namespace: 'shop', pod: 'web-1' });
  });
  it.each([
    ['a state no version has', { state: 'approvedd' }],
    ['a non-numeric count', { needed: 'two' }],
    ['broken JSON', { spec: '{' }],
    ['a binding that is no sha256', { binding: 'abc' }],
    ['an id of another form', { id: 'prb-1' }],
  ])('treats a record with %s as absent', (_what, patch) => {
    expect(parseRequestRecord({ ...base, ...patch })).toBeUndefined();
  });
  it('round-trips through recordFields', () => {
    const r = parseRequestRecord(base)!;
    expect(parseRequestRecord(recordFields(r))).toEqual(r);
  });
});

describe('parseTargetSpec', () => {
  it.each([
    ['checkout-7d9f-x2', { kind: 'pod', name: 'checkout-7d9f-x2' }],
    ['deploy/checkout', { kind: 'deploy', name: 'checkout' }],
    ['deployment/checkout', { kind: 'deploy', name: 'checkout' }],
    ['statefulset/db', { kind: 'sts', name: 'db' }],
    ['ds/node-exporter', { kind: 'ds', name: 'node-exporter' }],
    ['job/db-migrate', { kind: 'job', name: 'db-migrate' }],
  ])('%s', (spec, want) => {
    expect(parseTargetSpec(spec)).toEqual(want);
  });
  it.each([
    ['rs/x', /rs\//],
    ['deploy/', /no name/],
    ['Checkout', /Checkout.*DNS-1123/],
    ['a'.repeat(254), /253/],
    ['x;id', /x;id/],
  ])('refuses %s', (spec, msg) => {
    const r = parseTargetSpec(spec);
    expect('error' in r && r.error).toMatch(msg);
  });
});

describe('failure encoding', () => {
  it('round-trips a user-facing error through the job failure reason', () => {
    const e = new CodedError('forbidden', 'may not get pods', ['grant it']);
    expect(decodeFailure(encodeFailure(e))).toEqual({
      code: 'forbidden',
      message: 'may not get pods',
      next: ['grant it'],
    });
  });
  it('turns BullMQ’s own reasons into an internal error a person can read', () => {
    const d = decodeFailure('job stalled more than allowable limit');
    expect(d.code).toBe('internal');
    expect(d.message).toMatch(/stopped/);
    expect(decodeFailure(undefined).code).toBe('internal');
    expect(decodeFailure('{"code":"nope","message":"x","next":[]}').code).toBe('internal');
  });
});

describe('payload schema', () => {
  const good = {
    version: 1,
    action: 'diagnose',
    cluster: 'prod',
    target: { kind: 'pod', name: 'checkout-1', namespace: 'shop' },
    requester: { userId: 'U0ONCALL1', channelId: 'C0INCIDENT' },
    requestedAt: '2026-11-20T10:00:00.000Z',
  };
  it('accepts a well-formed payload', () => {
    expect(DiagnosePayloadSchema.safeParse(good).success).toBe(true);
  });
  it.each([
    ['an invalid pod name', { ...good, target: { kind: 'pod', name: 'Checkout;id' } }],
    ['an unknown kind', { ...good, target: { kind: 'svc', name: 'x' } }],
    ['an extra field (e.g. a token)', { ...good, token: 'xoxb-1' }],
    ['a bad cluster', { ...good, cluster: 'Prod EU' }],
    ['a bad user id', { ...good, requester: { userId: 'bob', channelId: 'C1' } }],
  ])('refuses %s', (_what, bad) => {
    expect(DiagnosePayloadSchema.safeParse(bad).success).toBe(false);
  });
});
