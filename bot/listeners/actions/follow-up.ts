import type { App, BlockAction, ButtonAction, RespondArguments } from '@slack/bolt';
import { FOLLOW_UP_ACTION_PREFIX, parseFollowUpValue } from '../../render/follow-ups.js';
import { type CommandDeps, handleCommand } from '../commands/poddebug.js';

/** Every follow-up button: `poddebug_followup_<key>`. */
const ACTION_ID = new RegExp(`^${FOLLOW_UP_ACTION_PREFIX}_[a-z0-9-]{1,40}$`);

/**
 * Follow-up buttons under a diagnosis ("Logs (previous)", "Events", "strace — needs approval", …). The value
 * is command text and carries no authority: the click is acked, then the text goes through handleCommand,
 * the typed command's own path (grammar, channel and grants of the clicker, rate limits, the reason form
 * and approvals for privileged actions), as if the clicker had typed it in that channel. Answers are
 * ephemeral; a diagnose posts into the thread the button was clicked in.
 */
export function register(app: App, d: CommandDeps): void {
  app.action<BlockAction<ButtonAction>>(ACTION_ID, async ({ ack, body, action, respond }) => {
    await ack();
    const say = (m: RespondArguments) => respond({ ...m, replace_original: false } as RespondArguments);
    const text = parseFollowUpValue(action.value);
    const channelId = body.channel?.id;
    if (text === undefined || !channelId) {
      await say({ response_type: 'ephemeral', text: 'That button is not valid. Nothing was run.' }).catch(
        () => undefined,
      );
      return;
    }
    await handleCommand(
      d,
      {
        text,
        user_id: body.user.id,
        channel_id: channelId,
        channel_name: body.channel?.name ?? '',
        team_id: body.team?.id ?? '',
        trigger_id: body.trigger_id ?? `${action.action_ts}.${body.user.id}`,
        ...((body.message?.thread_ts ?? body.message?.ts)
          ? { thread_ts: body.message?.thread_ts ?? body.message?.ts }
          : {}),
      },
      {
        // The click is acked already: the command's first answer, when it has one, is an ephemeral message.
        ack: async (m) => {
          if (m && typeof m === 'object' && m.text) await say(m).catch(() => undefined);
        },
        respond: say,
      },
    );
  });
}
