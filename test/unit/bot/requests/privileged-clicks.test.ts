import { describe, expect, it } from '@jest/globals';
import { type AuditEventInput, auditEvent } from '../../../../bot/audit/event.js';
import {
  approverRefusal,
  CLICKED_AUDIT_MAX,
  decisionRefusal,
  invalidValueRefusal,
  PrivilegedClicks,
} from '../../../../bot/requests/privileged-clicks.js';
import type { PrivilegedReq } from '../../../../bot/requests/store.js';
import { isRequestId } from '../../../../jobs/contracts/index.js';

/** The fields the checks read; the rest of a record does not matter to them. */
const req = (state: string, over: Partial<PrivilegedReq> = {}): PrivilegedReq =>
  ({ state, requester: 'U0BOB', decidedBy: 'U0CAROL', approvers: [], needed: 1, ...over }) as PrivilegedReq;

describe('decisionRefusal: who may approve or deny a request as it stands', () => {
  it.each([
    ['approve', 'pending', 'U0ALICE'],
    ['deny', 'pending', 'U0ALICE'],
    ['deny', 'planning', 'U0ALICE'],
    // Approving one's own request is for the policy (and the store) to refuse, with its own wording.
    ['approve', 'pending', 'U0BOB'],
  ] as const)('%s on a %s request by %s: left to the policy', (decision, state, user) => {
    expect(decisionRefusal(req(state), user, decision)).toBeUndefined();
  });

  it.each([
    ['approve', 'planning', 'This request is still being prepared'],
    ['approve', 'approved', 'This request is already approved. Nothing changed.'],
    ['deny', 'running', 'This request is already approved. Nothing changed.'],
    ['deny', 'denied', 'This request was denied by <@U0CAROL>. Nothing changed.'],
    ['approve', 'cancelled', 'This request was cancelled by its requester. Nothing changed.'],
    ['deny', 'expired', '⌛ This request has expired and can no longer be approved.'],
  ] as const)('%s on a %s request: refused with its state', (decision, state, text) => {
    expect(decisionRefusal(req(state), 'U0ALICE', decision)).toContain(text);
  });

  it('the requester denying their own waiting request is pointed to Cancel', () => {
    expect(decisionRefusal(req('pending'), 'U0BOB', 'deny')).toBe(
      'This is your own request: use *Cancel request* to withdraw it.',
    );
  });

  it("the state comes first: the requester's own request that is already over says so", () => {
    expect(decisionRefusal(req('done'), 'U0BOB', 'deny')).toBe(
      'This request has already run. Nothing changed.',
    );
  });
});

describe('approverRefusal: the policy refusal worded for the decision tried', () => {
  const reason = 'Only holders of role approver for cluster prod, namespace shop can approve this request.';

  it('an approval is refused in the policy’s words', () => {
    expect(approverRefusal('approve', reason)).toBe(`⛔ ${reason} Nothing changed.`);
  });

  it('a denial says "approve or deny"', () => {
    expect(approverRefusal('deny', reason)).toBe(
      '⛔ Only holders of role approver for cluster prod, namespace shop can approve or deny this request. Nothing changed.',
    );
  });

  it('a reason that already says "approve or deny" is not reworded twice', () => {
    const both = 'Only approvers may approve or deny this request.';
    expect(approverRefusal('deny', both)).toBe(`⛔ ${both} Nothing changed.`);
  });
});

describe('refuseInvalid: a click or deny form whose value is not a request id', () => {
  const CURRENT = 'prb-prod-eu-3f2a9c0d1e2f3a4b5c6d7e8f';
  const OLD = 'prb-3f2a9c0d1e2f3a4b5c6d7e8f';

  /** The clicks object with an audit trail that keeps what it is given (checked as the stream would). */
  function clicksWithAudit() {
    const events: ReturnType<typeof auditEvent>[] = [];
    const p = { d: { audit: { event: async (e: AuditEventInput) => void events.push(auditEvent(e)) } } };
    const replies: string[] = [];
    const reply = async (t: string) => void replies.push(t);
    return { clicks: new PrivilegedClicks(p as never), events, replies, reply };
  }

  it.each([
    [OLD, 'approve', 'approval refused'],
    ['diag-0123456789abcdef01234567', 'cancel', 'cancellation refused'],
    [`run-${OLD}`, 'deny', 'denial refused'],
  ] as const)(
    'a button naming %j (from before an upgrade) says so, and is audited',
    async (value, kind, decision) => {
      const t = clicksWithAudit();
      await t.clicks.refuseInvalid(value, 'U0ALICE', kind, t.reply);
      const text =
        'This button is from before an upgrade of poddebug: its request is no longer tracked. Nothing changed.';
      expect(t.replies).toEqual([text]);
      expect(t.events).toEqual([
        expect.objectContaining({
          type: 'refused',
          requestId: `click-invalid:${value}`,
          actor: 'U0ALICE',
          decision,
          reason: text,
        }),
      ]);
    },
  );

  it.each(['{"approved":true}', 'prb-123', `${OLD}0`, OLD.toUpperCase(), `prb-${OLD}x`, ''])(
    'a button naming %j is not valid (as before), and is audited',
    async (value) => {
      const t = clicksWithAudit();
      await t.clicks.refuseInvalid(value, 'U0ALICE', 'approve', t.reply);
      expect(t.replies).toEqual(['That button is not valid. Nothing changed.']);
      expect(t.events).toHaveLength(1);
      expect(t.events[0]!.requestId).toMatch(/^click-invalid:[A-Za-z0-9_-]*$/);
    },
  );

  it('a deny form says "form", and both answers fit a modal error (150 characters)', async () => {
    const t = clicksWithAudit();
    await t.clicks.refuseInvalid(OLD, 'U0ALICE', 'deny', t.reply, 'form');
    await t.clicks.refuseInvalid('edited', 'U0ALICE', 'deny', t.reply, 'form');
    expect(t.replies).toEqual([
      'This form is from before an upgrade of poddebug: its request is no longer tracked. Nothing changed.',
      'That form is not valid. Nothing changed.',
    ]);
    for (const r of t.replies) expect(r.length).toBeLessThanOrEqual(150);
  });

  it('a current id is never answered as one from before an upgrade', () => {
    expect(invalidValueRefusal(CURRENT, 'button')).toBe('That button is not valid. Nothing changed.');
  });

  it('a long forged value is cut to a bound the audit field takes', async () => {
    const t = clicksWithAudit();
    await t.clicks.refuseInvalid('x'.repeat(5000), 'U0ALICE', 'approve', t.reply);
    expect(t.events[0]!.requestId).toBe(`click-${`invalid:${'x'.repeat(5000)}`.slice(0, CLICKED_AUDIT_MAX)}`);
  });

  it('the bound keeps every valid request id and job id whole', () => {
    const longest = `plan-prb-${'a'.repeat(63)}-${'0'.repeat(24)}`;
    const diag = `diag-${'a'.repeat(63)}-${'0'.repeat(24)}`;
    expect(isRequestId(diag)).toBe(true);
    expect(isRequestId(longest.slice(5))).toBe(true);
    expect(CLICKED_AUDIT_MAX).toBeGreaterThanOrEqual(Math.max(longest.length, diag.length));
    expect(`click-${'x'.repeat(CLICKED_AUDIT_MAX)}`.length).toBeLessThanOrEqual(255);
  });
});
