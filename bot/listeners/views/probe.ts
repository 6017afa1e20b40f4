import type { App } from '@slack/bolt';
import { asCodedError, isDebugCopy, isRequestId } from '../../../jobs/contracts/index.js';
import type { Authorizer } from '../../auth.js';
import type { Logger } from '../../log.js';
import { queueUnavailable } from '../../queues.js';
import { DENY_VIEW_ID, REASON_VIEW_ID } from '../../render/probe.js';
import type { Consumed, Draft, RequestAudit, Requests } from '../../requests/index.js';

/** What the submitter reads when the reason form is refused (at most 150 characters: Slack's limit). */
export const FORM_REFUSALS = {
  unknown: 'This form expired or is unknown. Close it and run the command again.',
  not_yours: 'This form is not yours: only the person who typed the command can submit it.',
  other_view: 'This form does not belong to this request. Close it and run the command again.',
  used: 'This form already made its request (see the channel). Run the command again for another one.',
} as const;

/** A refused reason form in the audit trail: the submitter as actor, the reason, the draft's command if known. */
export async function auditFormRefusal(
  audit: RequestAudit,
  e: { submitter: string; viewId: string; draftId: string; why: string; text: string; draft?: Draft },
): Promise<void> {
  const d = e.draft;
  await audit.event({
    type: 'refused',
    requestId: `form-${e.viewId.slice(0, 40)}`,
    cluster: d?.cluster ?? 'unknown',
    action: d?.spec.action ?? 'probe',
    target: d
      ? { namespace: d.target.namespace, name: d.target.pod, kind: 'Pod', container: d.target.container }
      : { name: 'unknown' },
    actor: e.submitter,
    requester: d?.userId ?? e.submitter,
    channel: d?.channelId ?? 'unknown',
    decision: `reason form refused: ${e.why}`,
    reason: e.text,
    details: { viewId: e.viewId.slice(0, 64), draftId: e.draftId.slice(0, 64) },
  });
}

export interface ProbeViewDeps {
  auth: Authorizer;
  requests: Requests;
  logger: Logger;
}

/** The text a user typed into a modal's `reason` input. */
function reasonOf(view: {
  state: { values: Record<string, Record<string, { value?: string | null }>> };
}): string {
  return (view.state.values.reason?.reason?.value ?? '').trim();
}

/**
 * Modal submissions: the requester's reason (which turns a privileged command
 * into a request) and an approver's reason to deny. Both re-check everything
 * against Redis and the policy: the modal carries only an opaque id.
 */
export function register(app: App, d: ProbeViewDeps): void {
  const { drafts, privileged, clicks, engine } = d.requests;
  app.view(REASON_VIEW_ID, async ({ ack, body, view, client }) => {
    const reason = reasonOf(view);
    // Input validation, not a refusal: the form stays open to be corrected, nothing is consumed or audited.
    if (reason.length < 10) {
      await ack({
        response_action: 'errors',
        errors: { reason: 'Say why in at least 10 characters (an incident link is welcome).' },
      });
      return;
    }
    const submitter = body.user.id;
    /** Answers the form with `text` and audits the refusal with the submitter as actor. */
    const refuse = async (text: string, why: string, draft?: Draft) => {
      await ack({ response_action: 'errors', errors: { reason: text.slice(0, 150) } });
      d.logger.info({ user: submitter, view: view.id, why }, 'reason form refused');
      await auditFormRefusal(d.requests.audit, {
        submitter,
        viewId: view.id,
        draftId: view.private_metadata,
        why,
        text,
        draft,
      });
    };
    let consumed: Consumed;
    try {
      consumed = await drafts.consume(view.private_metadata, view.id, submitter);
    } catch (e) {
      const err = queueUnavailable(e);
      await ack({ response_action: 'errors', errors: { reason: err.message.slice(0, 150) } });
      return;
    }
    const draft = consumed.draft;
    switch (consumed.status) {
      case 'unknown':
        return refuse(FORM_REFUSALS.unknown, 'expired or unknown draft');
      case 'not_yours':
        return refuse(FORM_REFUSALS.not_yours, 'not yours', draft);
      case 'other_view':
        return refuse(FORM_REFUSALS.other_view, 'submitted under another view than the one opened', draft);
      case 'used':
        return refuse(FORM_REFUSALS.used, 'second submission: the form already made its request', draft);
      default:
        break;
    }
    if (!draft) return refuse(FORM_REFUSALS.unknown, 'expired or unknown draft');
    // The policy may have changed since the command: check again (without counting twice).
    const auth = await d.auth.authorize({
      userId: draft.userId,
      channelId: draft.channelId,
      channelName: draft.channelName,
      action: draft.spec.action,
      copy: isDebugCopy(draft.spec),
      cluster: draft.cluster,
      namespace: draft.target.namespace,
      name: draft.target.pod,
      privileged: true,
      count: false,
    });
    if (!auth.allow) return refuse(auth.message, 'policy refusal at submission', draft);
    let id: string;
    try {
      const r = await privileged.submit(
        {
          cluster: draft.cluster,
          target: draft.target,
          spec: draft.spec,
          userId: draft.userId,
          channelId: draft.channelId,
          teamId: draft.teamId,
          needed: auth.needsApprovals,
        },
        reason,
        view.id,
      );
      id = r.id;
      await ack();
    } catch (e) {
      const err = asCodedError(e);
      d.logger.warn({ err: err.cause ?? err, code: err.code }, 'privileged request not recorded');
      await ack({ response_action: 'errors', errors: { reason: err.message.slice(0, 150) } });
      return;
    }
    try {
      await engine.announce(id);
    } catch (err) {
      d.logger.warn({ err, id }, 'request message not posted yet; the sweep retries');
      await client.chat
        .postEphemeral({
          channel: draft.channelId,
          user: draft.userId,
          text: 'Your request is recorded, but posting it in this channel failed; poddebug retries. If nothing appears, invite the bot with `/invite @poddebug`.',
        })
        .catch(() => undefined);
    }
  });

  app.view(DENY_VIEW_ID, async ({ ack, body, view, client }) => {
    const reason = reasonOf(view);
    if (reason.length < 3) {
      await ack({ response_action: 'errors', errors: { reason: 'Give the requester a reason.' } });
      return;
    }
    const id = view.private_metadata;
    if (!isRequestId(id, 'privileged')) {
      // A form opened before an upgrade (an old-form id) or an edited one: answered in the form, as the
      // reason form's refusals are (no Redis call, so within the ack's time), and audited like a refused click.
      d.logger.info({ user: body.user.id, view: view.id }, 'deny form refused: not a request id');
      await clicks.refuseInvalid(
        id,
        body.user.id,
        'deny',
        (text) => ack({ response_action: 'errors', errors: { reason: text.slice(0, 150) } }),
        'form',
      );
      return;
    }
    await ack();
    await clicks.deny(id, body.user.id, reason, async (text: string) => {
      // An ephemeral message shows in a channel the user is in: the request's (a form's submission names
      // none); a user id there is not a channel Slack posts ephemerals to.
      const channel = await clicks.channelOf(id).catch(() => undefined);
      await client.chat
        .postEphemeral({ channel: channel ?? body.user.id, user: body.user.id, text })
        .catch(() => undefined);
    });
  });
}
