import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { isRequestId } from '../../../jobs/contracts/index.js';
import type { Logger } from '../../log.js';
import { APPROVE_ACTION_ID, CANCEL_ACTION_ID, DENY_ACTION_ID, denyModal } from '../../render/probe.js';
import type { Requests } from '../../requests/index.js';

/**
 * Approve / Deny / Cancel on an approval message. The button's value is only
 * a request id and carries no authority: the clicker is authorized against the
 * current policy and the request stored in Redis, and the state moves only
 * through atomic transitions there. Anyone else gets an ephemeral refusal.
 */
export function register(app: App, d: { requests: Requests; logger: Logger }): void {
  const clicks = d.requests.clicks;
  const handle =
    (kind: 'approve' | 'deny' | 'cancel') =>
    async ({
      ack,
      body,
      action,
      respond,
      client,
    }: {
      ack: () => Promise<void>;
      body: BlockAction<ButtonAction>;
      action: ButtonAction;
      respond: (m: { response_type: 'ephemeral'; replace_original: false; text: string }) => Promise<unknown>;
      client: import('@slack/web-api').WebClient;
    }) => {
      await ack();
      const reply = async (text: string) => {
        await respond({ response_type: 'ephemeral', replace_original: false, text }).catch(() => undefined);
      };
      const id = action.value ?? '';
      const user = body.user.id;
      if (!isRequestId(id, 'privileged')) {
        // A button from before an upgrade (an old-form id) or a forged value: answered and audited.
        await clicks.refuseInvalid(id, user, kind, reply);
        return;
      }
      d.logger.info({ id, user, kind }, 'approval button');
      try {
        if (kind === 'approve') await clicks.approve(id, user, reply);
        else if (kind === 'cancel') await clicks.cancel(id, user, reply);
        else {
          const pre = await clicks.mayDeny(id, user);
          if (!pre.ok) {
            await clicks.refuseDeny(id, user, pre.text, reply);
            return;
          }
          await client.views.open({ trigger_id: body.trigger_id, view: denyModal(id, pre.what) });
        }
      } catch (err) {
        d.logger.warn({ err, id, kind }, 'approval click failed');
        await reply(
          'poddebug could not record that click (Redis or Slack did not answer). Nothing changed; try again.',
        );
      }
    };
  app.action<BlockAction<ButtonAction>>(APPROVE_ACTION_ID, handle('approve') as never);
  app.action<BlockAction<ButtonAction>>(DENY_ACTION_ID, handle('deny') as never);
  app.action<BlockAction<ButtonAction>>(CANCEL_ACTION_ID, handle('cancel') as never);
}
