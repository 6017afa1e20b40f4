import { describe, expect, it } from '@jest/globals';
import {
  CodedError,
  DiagnosePayloadSchema,
  decodeFailure,
  encodeFailure,
  jobIdFor,
  parseTargetSpec,
  queueName,
} from '../../../../jobs/contracts/index.js';

describe('job ids', () => {
  const req = { teamId: 'T1', channelId: 'C1', userId: 'U1', triggerId: '123.456.abc' };
  it('are the same for a redelivered request and differ for another one', () => {
    expect(jobIdFor(req)).toBe(jobIdFor({ ...req }));
    expect(jobIdFor(req)).not.toBe(jobIdFor({ ...req, triggerId: '123.456.abd' }));
    expect(jobIdFor(req)).not.toBe(jobIdFor({ ...req, userId: 'U2' }));
  });
  it('contain no colon (BullMQ forbids it)', () => {
    expect(jobIdFor(req)).toMatch(/^diag-[0-9a-f]{24}$/);
  });
  it('queue names are one per cluster', () => {
    expect(queueName('prod-eu')).toBe('poddebug-prod-eu');
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
