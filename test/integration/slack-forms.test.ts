/**
 * Reason forms and refused clicks through the real Bolt receiver with signed requests (issue 9, finding 8):
 * one reason form makes one request (the first valid submission of the view `views.open` returned consumes
 * its draft), every refused form submission and click is in the audit trail with the submitter or clicker as
 * actor and the reason, and the refusal texts read right.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuditStream } from '../../bot/audit/index.js';
import type { RecordedView } from '../../tools/slack-double/index.js';
import { readAuditLog } from '../support/audit-log.js';
import { approver, GENEROUS, policyYaml, requester, viewer } from '../support/policies.js';
import {
  approvalMessage,
  click,
  command,
  ephemeralTexts,
  fakeProbeExecutor,
  hasButtons,
  inThread,
  putTargetPod,
  requestAwaitingApproval,
  submitForm,
} from '../support/probe-flow.js';
import { type Stack, startStack } from '../support/stack.js';

const REQUESTER = 'U0ONCALL1';
const APPROVER = 'U0ALICE';
const OUTSIDER = 'U0ATTACK1';
const VIEWER = 'U0CAROL';

/** The requester may request in `namespaces` (default shop). */
const policy = (namespaces = ['shop']) =>
  policyYaml({
    grants: [requester(REQUESTER, namespaces), approver(APPROVER), viewer(VIEWER)],
    approvals: 1,
    rateLimits: GENEROUS,
  });
const POLICY = policy();

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    fixtures: [],
    policy: POLICY,
    probes: { executor: fakeProbeExecutor() },
    sweepMs: 300,
  });
  for (const name of ['web-1', 'web-2', 'web-3', 'web-4', 'web-5', 'web-6', 'web-7', 'web-8']) {
    putTargetPod(stack, { namespace: 'shop', name });
  }
}, 30_000);
afterAll(async () => {
  await stack?.close();
});

interface AuditLine {
  type: string;
  requestId: string;
  actor: string;
  requester: string;
  reason?: string;
  decision?: string;
  details?: Record<string, unknown>;
}

function auditLines(): AuditLine[] {
  return readAuditLog<AuditLine>(stack.auditLogPath);
}

/** Waits for an audit line that matches. */
function audited(match: (a: AuditLine) => boolean): Promise<AuditLine> {
  return stack.slack.waitFor(() => auditLines().find(match), 5000);
}

/** Types a privileged command and waits for its reason form. */
async function openForm(text: string): Promise<RecordedView> {
  const before = stack.slack.views().length;
  const ack = await command(stack, { userId: REQUESTER }, text);
  expect(ack.body).toBe('');
  return stack.slack.waitFor(() => stack.slack.views()[before]);
}

/** Request roots for a pod in the channel. */
function roots(pod: string) {
  return stack.slack
    .messages('C0INCIDENT')
    .filter((m) => !m.thread_ts && m.text?.startsWith(`🔐 ps on shop/${pod}`));
}

function formError(res: { json?: unknown }): string {
  return (res.json as { response_action?: string; errors?: { reason?: string } }).errors?.reason ?? '';
}

const REASON = 'INC-3001: checkout is slow, need the process tree';

describe('one reason form, one request', () => {
  it('the view views.open returned makes one request; a second view id for the same draft is refused and audited', async () => {
    const view = await openForm('ps web-1 -n shop');
    const first = await submitForm(stack, view, REQUESTER, REASON);
    expect(first.status).toBe(200);
    expect(first.body).toBe('');
    await stack.slack.waitFor(() => roots('web-1')[0]);
    // The same draft under another view id (a replayed or forged submission): refused, nothing new.
    const other = await submitForm(stack, { ...view, id: 'V0SECONDVIEW' }, REQUESTER, REASON);
    expect(formError(other)).toMatch(/already made its request/);
    // Slack redelivering the first submission (same view id) maps to the same request and makes none.
    const again = await submitForm(stack, view, REQUESTER, REASON, { retryNum: 1 });
    expect(again.status).toBe(200);
    expect(again.body).toBe('');
    const line = await audited(
      (a) => a.type === 'refused' && a.requestId === 'form-V0SECONDVIEW' && a.actor === REQUESTER,
    );
    expect(line.decision).toMatch(/second submission/);
    expect(line.reason).toMatch(/already made its request/);
    await new Promise((r) => setTimeout(r, 500));
    expect(roots('web-1')).toHaveLength(1);
    expect(auditLines().filter((a) => a.type === 'requested' && a.actor === REQUESTER)).toHaveLength(1);
  }, 20_000);

  it('a submission under a view other than the one opened is refused, and the real form still works', async () => {
    const view = await openForm('ps web-2 -n shop');
    const forged = await submitForm(stack, { ...view, id: 'V0FORGEDVIEW' }, REQUESTER, REASON);
    expect(formError(forged)).toMatch(/does not belong to this request/);
    await audited((a) => a.requestId === 'form-V0FORGEDVIEW' && /another view/.test(a.decision ?? ''));
    const real = await submitForm(stack, view, REQUESTER, REASON);
    expect(real.body).toBe('');
    await stack.slack.waitFor(() => roots('web-2')[0]);
    await new Promise((r) => setTimeout(r, 300));
    expect(roots('web-2')).toHaveLength(1);
  }, 20_000);

  it('"not yours" and an unknown draft are refused and audited with the submitter as actor', async () => {
    const view = await openForm('ps web-3 -n shop');
    const theirs = await submitForm(stack, view, OUTSIDER, 'INC-3002: let me run this please');
    expect(formError(theirs)).toMatch(/not yours/);
    const notYours = await audited(
      (a) => a.type === 'refused' && a.actor === OUTSIDER && a.requestId === `form-${view.id}`,
    );
    expect(notYours.decision).toMatch(/not yours/);
    expect(notYours.requester).toBe(REQUESTER);
    const unknown = await submitForm(
      stack,
      { ...view, id: 'V0STALEFORM1', view: { ...view.view, private_metadata: 'f'.repeat(24) } },
      REQUESTER,
      REASON,
    );
    expect(formError(unknown)).toMatch(/expired or is unknown/);
    const stale = await audited((a) => a.requestId === 'form-V0STALEFORM1');
    expect(stale.actor).toBe(REQUESTER);
    expect(stale.decision).toMatch(/expired or unknown draft/);
    // The requester's own form is untouched by both.
    expect((await submitForm(stack, view, REQUESTER, REASON)).body).toBe('');
  }, 20_000);

  it('a policy refusal at submission is audited; a too-short reason is input to correct, not a refusal', async () => {
    const view = await openForm('ps web-4 -n shop');
    const short = await submitForm(stack, view, REQUESTER, 'slow');
    expect(formError(short)).toMatch(/at least 10 characters/);
    stack.writePolicy(policy(['payments']));
    await new Promise((r) => setTimeout(r, 800));
    try {
      const refused = await submitForm(stack, view, REQUESTER, REASON);
      expect(formError(refused)).toMatch(/no grant for ps/);
      const line = await audited((a) => a.requestId === `form-${view.id}`);
      expect(line.actor).toBe(REQUESTER);
      expect(line.decision).toMatch(/policy refusal at submission/);
      expect(line.reason).toMatch(/no grant for ps/);
      // Only the policy refusal is in the trail for this form, not the short reason.
      expect(auditLines().filter((a) => a.requestId === `form-${view.id}`)).toHaveLength(1);
    } finally {
      stack.writePolicy(POLICY);
      await new Promise((r) => setTimeout(r, 800));
    }
    expect(roots('web-4')).toHaveLength(0);
  }, 20_000);
});

describe('refused clicks are audited with the clicker as actor, and read right', () => {
  it('approve by a non-approver, deny by a non-approver and by the requester, cancel by someone else', async () => {
    const { root, requestId } = await requestAwaitingApproval(
      stack,
      { userId: REQUESTER },
      'ps web-5 -n shop',
    );
    const refusals = () => auditLines().filter((a) => a.requestId === requestId && a.type === 'refused');

    await click(stack, root, 'poddebug_approve', VIEWER, requestId);
    await stack.slack.waitFor(() =>
      ephemeralTexts(stack, VIEWER).find((t) =>
        /Only holders of role approver .* can approve this request/.test(t),
      ),
    );
    await click(stack, root, 'poddebug_deny', VIEWER, requestId);
    const denyText = await stack.slack.waitFor(() =>
      ephemeralTexts(stack, VIEWER).find((t) => /approve or deny/.test(t)),
    );
    expect(denyText).toMatch(/^⛔ Only holders of role approver for .* can approve or deny this request\./);
    expect(denyText).not.toMatch(/approve or denyr|role approve or/);
    await click(stack, root, 'poddebug_deny', REQUESTER, requestId);
    await stack.slack.waitFor(() =>
      ephemeralTexts(stack, REQUESTER).find((t) =>
        /This is your own request: use \*Cancel request\*/.test(t),
      ),
    );
    await click(stack, root, 'poddebug_cancel', OUTSIDER, requestId);
    await stack.slack.waitFor(() =>
      ephemeralTexts(stack, OUTSIDER).find((t) => /Only the requester can cancel/.test(t)),
    );

    await stack.slack.waitFor(() => (refusals().length >= 4 ? true : undefined));
    const got = refusals().map((a) => [a.actor, a.decision]);
    expect(got).toEqual(
      expect.arrayContaining([
        [VIEWER, 'approval refused'],
        [VIEWER, 'denial refused'],
        [REQUESTER, 'denial refused'],
        [OUTSIDER, 'cancellation refused'],
      ]),
    );
    for (const a of refusals()) expect(a.reason).toBeTruthy();
    expect(hasButtons(approvalMessage(stack, root))).toBe(true);
  }, 30_000);

  it('a click on a finished request is refused and audited', async () => {
    const { root, requestId } = await requestAwaitingApproval(
      stack,
      { userId: REQUESTER },
      'ps web-6 -n shop',
    );
    await click(stack, root, 'poddebug_cancel', REQUESTER, requestId);
    await inThread(stack, root, /cancel/i);
    await click(stack, root, 'poddebug_approve', APPROVER, requestId);
    await stack.slack.waitFor(() =>
      ephemeralTexts(stack, APPROVER).find((t) => /was cancelled by its requester/.test(t)),
    );
    const line = await audited(
      (a) => a.requestId === requestId && a.type === 'refused' && a.actor === APPROVER,
    );
    expect(line.decision).toBe('approval refused');
  }, 30_000);

  it('clicks on no request (an unknown id, a forged value) are refused and audited as clicks, not requests', async () => {
    const { root } = await requestAwaitingApproval(stack, { userId: REQUESTER }, 'ps web-7 -n shop');
    const ghost = `prb-${stack.cluster}-${'0'.repeat(24)}`;
    await click(stack, root, 'poddebug_approve', OUTSIDER, ghost);
    await click(stack, root, 'poddebug_deny', OUTSIDER, ghost);
    await click(stack, root, 'poddebug_cancel', OUTSIDER, '{"approved":true}');
    const lines = await stack.slack.waitFor(() => {
      const mine = auditLines().filter((a) => a.actor === OUTSIDER && a.requestId.startsWith('click-'));
      return mine.length >= 3 ? mine : undefined;
    });
    expect(lines.map((a) => [a.requestId, a.decision])).toEqual(
      expect.arrayContaining([
        [`click-${ghost}`, 'approval refused'],
        [`click-${ghost}`, 'denial refused'],
        ['click-invalid:__approved__true_', 'cancellation refused'],
      ]),
    );
    expect(ephemeralTexts(stack, OUTSIDER)).toEqual(
      expect.arrayContaining(['That button is not valid. Nothing changed.']),
    );
    // The trail still verifies: no entry pretends to be a request that was never requested.
    const audit = new AuditStream(stack.redis, { key: stack.auditKey, keys: stack.auditKeys });
    expect(await audit.verify()).toMatchObject({ ok: true });
  }, 30_000);

  it('buttons and a deny form from before an upgrade (old-form ids) say so, change nothing, and are audited', async () => {
    const { root, requestId } = await requestAwaitingApproval(
      stack,
      { userId: REQUESTER },
      'ps web-8 -n shop',
    );
    const old = 'prb-3f2a9c0d1e2f3a4b5c6d7e8f';
    const stale =
      'This button is from before an upgrade of poddebug: its request is no longer tracked. Nothing changed.';
    await click(stack, root, 'poddebug_approve', APPROVER, old);
    await click(stack, root, 'poddebug_cancel', REQUESTER, old);
    await stack.slack.waitFor(() => ephemeralTexts(stack, REQUESTER).find((t) => t === stale));
    expect(ephemeralTexts(stack, APPROVER)).toContain(stale);
    // The deny form an approver opened before the upgrade, submitted after: answered in the form.
    const denyForm = (id: string, metadata: string): RecordedView => ({
      id,
      hash: 'h',
      updates: 0,
      view: { callback_id: 'poddebug_deny_reason', private_metadata: metadata },
    });
    const oldForm = await submitForm(stack, denyForm('V0OLDDENY01', old), APPROVER, 'not needed any more');
    expect(oldForm.status).toBe(200);
    expect(formError(oldForm)).toBe(
      'This form is from before an upgrade of poddebug: its request is no longer tracked. Nothing changed.',
    );
    const edited = await submitForm(stack, denyForm('V0BADDENY01', `${requestId}x`), APPROVER, 'not needed');
    expect(formError(edited)).toBe('That form is not valid. Nothing changed.');
    const lines = await stack.slack.waitFor(() => {
      const mine = auditLines().filter(
        (a) => a.type === 'refused' && a.requestId.startsWith('click-invalid:'),
      );
      const got = mine.filter(
        (a) =>
          a.requestId === `click-invalid:${old}` || a.reason === 'That form is not valid. Nothing changed.',
      );
      return got.length >= 4 ? got : undefined;
    });
    expect(lines.map((a) => [a.actor, a.decision, a.reason])).toEqual(
      expect.arrayContaining([
        [APPROVER, 'approval refused', stale],
        [REQUESTER, 'cancellation refused', stale],
        [APPROVER, 'denial refused', expect.stringMatching(/^This form is from before an upgrade/)],
        [APPROVER, 'denial refused', 'That form is not valid. Nothing changed.'],
      ]),
    );
    // The current request is untouched: still waiting, its buttons in place, nothing in its thread.
    expect(hasButtons(approvalMessage(stack, root))).toBe(true);
    expect(
      auditLines()
        .filter((a) => a.requestId === requestId)
        .map((a) => a.type),
    ).not.toContain('refused');
    const audit = new AuditStream(stack.redis, { key: stack.auditKey, keys: stack.auditKeys });
    expect(await audit.verify()).toMatchObject({ ok: true });
  }, 30_000);

  it('a click on a request that failed without running says so, not "already run"', async () => {
    // No such pod: the plan fails, so the request fails before anything could run.
    const before = stack.slack.views().length;
    await command(stack, { userId: REQUESTER }, 'ps ghost-0 -n shop');
    const view = await stack.slack.waitFor(() => stack.slack.views()[before]);
    expect((await submitForm(stack, view, REQUESTER, REASON)).body).toBe('');
    const root = await stack.slack.waitFor(
      () =>
        stack.slack
          .messages('C0INCIDENT')
          .find((m) => !m.thread_ts && m.text?.startsWith('🔐 ps on shop/ghost-0')),
      10_000,
    );
    const requestId = /request `(prb-[a-z0-9-]+-[0-9a-f]{24})`/.exec(JSON.stringify(root.blocks))?.[1] ?? '';
    await stack.slack.waitFor(
      () => auditLines().find((a) => a.requestId === requestId && a.type === 'failed'),
      15_000,
    );
    await click(stack, root, 'poddebug_approve', APPROVER, requestId);
    const text = await stack.slack.waitFor(() =>
      ephemeralTexts(stack, APPROVER).find((t) => /failed/.test(t)),
    );
    expect(text).toBe('This request failed before it could run (see the thread). Nothing changed.');
    expect(text).not.toMatch(/already run/);
    await audited((a) => a.requestId === requestId && a.type === 'refused' && a.actor === APPROVER);
  }, 30_000);
});
