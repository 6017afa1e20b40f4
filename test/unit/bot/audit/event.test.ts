import { describe, expect, it } from '@jest/globals';
import { type AuditEventInput, auditEvent, InvalidAuditEventError } from '../../../../bot/audit/event.js';

const base: AuditEventInput = {
  type: 'requested',
  requestId: 'T0-C0INCIDENT-1764300000.000100',
  cluster: 'prod',
  action: 'diagnose',
  target: { namespace: 'shop', name: 'checkout-7d9f8b6c5-x2kqp', kind: 'Pod' },
  actor: 'U0ALICE',
  requester: 'U0ALICE',
  channel: 'C0INCIDENT',
};

describe('auditEvent', () => {
  it('fills the version, the time from the clock, and no approvers', () => {
    const e = auditEvent(base, () => new Date('2026-11-27T10:00:00Z'));
    expect(e).toEqual({ ...base, v: 1, at: '2026-11-27T10:00:00.000Z', approvers: [] });
  });

  it('keeps an explicit time, approvers, details and the system actor', () => {
    const e = auditEvent({
      ...base,
      type: 'succeeded',
      at: '2026-11-27T10:00:05+01:00',
      actor: 'poddebug',
      approvers: ['U0CAROL'],
      jobId: 'prod-1764300000-000100',
      details: { findings: 3, worst: 'critical', posted: true, exitCode: null },
    });
    expect(e.at).toBe('2026-11-27T10:00:05+01:00');
    expect(e.actor).toBe('poddebug');
    expect(e.details).toEqual({ findings: 3, worst: 'critical', posted: true, exitCode: null });
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['an unknown type', { type: 'exploded' }, /^invalid audit event: type: /],
    ['an actor that is not a Slack user ID', { actor: 'alice' }, /actor: /],
    [
      'an approver that is not a Slack user ID',
      { approvers: ['carol'] },
      /approvers\.0: expected a Slack user ID/,
    ],
    ['a field the schema does not know', { extra: 1 }, /\(event\): .*extra/i],
    ['a missing target name', { target: { namespace: 'shop' } }, /target\.name: /],
    [
      'a reason with a newline',
      { reason: 'fine\nFORGED LINE' },
      /reason: must not contain control characters/,
    ],
    [
      'a detail that looks like a credential',
      { details: { slackToken: 'xoxb-1' } },
      /details: details must not carry credentials/,
    ],
    ['a nested detail value', { details: { pods: ['a'] } }, /details\.pods: /],
    ['a time that is not ISO', { at: 'yesterday' }, /at: /],
    ['a permalink that is not https', { permalink: 'javascript:alert(1)' }, /permalink: /],
  ];
  it.each(bad)('refuses %s, naming the field', (_name, change, message) => {
    const run = () => auditEvent({ ...base, ...change } as AuditEventInput);
    expect(run).toThrow(InvalidAuditEventError);
    expect(run).toThrow(message);
  });
});
