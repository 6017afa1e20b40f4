import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { asCodedError } from '../../../jobs/contracts/index.js';
import { errorAnswer } from '../../render/failure.js';
import { parseRerunValue } from '../../render/index.js';
import { ChannelRefused } from '../../requests/index.js';
import type { CommandDeps } from '../commands/poddebug.js';

/**
 * The "Re-run diagnose" button. The button's value carries no authority: it
 * is parsed and validated like typed input, the cluster must still be one the
 * bot serves, the clicker is authorized like a typed command (policy, rate
 * limits), and the job runs for the user who clicked.
 */
export function register(app: App, d: CommandDeps): void {
  app.action<BlockAction<ButtonAction>>('poddebug_rerun', async ({ ack, body, action, respond }) => {
    await ack();
    const parsed = parseRerunValue(action.value ?? '');
    const channelId = body.channel?.id;
    if (!parsed || !channelId || !d.grammar.clusters.includes(parsed.cluster)) {
      await respond({
        response_type: 'ephemeral',
        replace_original: false,
        text: 'That button is not valid any more. Run `/poddebug diagnose …` again.',
      });
      return;
    }
    const thread = body.message?.thread_ts ?? body.message?.ts;
    try {
      // The clicker, not whoever asked first, must be allowed to diagnose this target here.
      const auth = await d.auth.authorize({
        userId: body.user.id,
        channelId,
        channelName: body.channel?.name ?? '',
        action: 'diagnose',
        cluster: parsed.cluster,
        namespace: parsed.target.namespace,
        name: parsed.target.name,
        privileged: false,
      });
      if (!auth.allow) {
        await respond({ response_type: 'ephemeral', replace_original: false, text: auth.message });
        return;
      }
      const { id, duplicate } = await d.requests.diagnose.submit({
        cluster: parsed.cluster,
        target: parsed.target,
        userId: body.user.id,
        channelId,
        teamId: body.team?.id,
        triggerId: body.trigger_id ?? `${action.action_ts}.${body.user.id}`,
        threadTs: thread,
      });
      if (!duplicate) await d.requests.diagnose.accepted(id);
    } catch (e) {
      if (e instanceof ChannelRefused) return;
      const err = asCodedError(e);
      await respond({
        response_type: 'ephemeral',
        replace_original: false,
        text: errorAnswer(err),
      });
    }
  });
}
