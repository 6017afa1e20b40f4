import type { App } from '@slack/bolt';
import { asCodedError, isRequestId } from '../../../jobs/contracts/index.js';
import type { Authorizer } from '../../auth.js';
import type { Logger } from '../../log.js';
import { DENY_VIEW_ID, REASON_VIEW_ID } from '../../render/probe.js';
import type { Requests } from '../../requests/index.js';

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
    if (reason.length < 10) {
      await ack({
        response_action: 'errors',
        errors: { reason: 'Say why in at least 10 characters (an incident link is welcome).' },
      });
      return;
    }
    const draft = await drafts.get(view.private_metadata).catch(() => undefined);
    if (!draft || draft.userId !== body.user.id) {
      await ack({
        response_action: 'errors',
        errors: { reason: 'This form expired or is not yours. Close it and run the command again.' },
      });
      return;
    }
    // The policy may have changed since the command: check again (without counting twice).
    const auth = await d.auth.authorize({
      userId: draft.userId,
      channelId: draft.channelId,
      channelName: draft.channelName,
      action: draft.spec.action,
      cluster: draft.cluster,
      namespace: draft.target.namespace,
      name: draft.target.pod,
      privileged: true,
      count: false,
    });
    if (!auth.allow) {
      await ack({ response_action: 'errors', errors: { reason: auth.message.slice(0, 150) } });
      return;
    }
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
    await ack();
    if (!isRequestId(id, 'privileged')) return;
    await clicks.deny(id, body.user.id, reason, async (text: string) => {
      await client.chat
        .postEphemeral({ channel: body.user.id, user: body.user.id, text })
        .catch(() => undefined);
    });
  });
}
