import { describe, expect, it } from '@jest/globals';
import { approverRefusal, decisionRefusal } from '../../../../bot/requests/privileged-clicks.js';
import type { PrivilegedReq } from '../../../../bot/requests/store.js';

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
