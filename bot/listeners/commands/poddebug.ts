import type { App } from '@slack/bolt';
import { asCodedError } from '../../../jobs/contracts/index.js';
import { type GrammarContext, helpText, parseCommand } from '../../grammar.js';
import type { Logger } from '../../log.js';
import type { Queues } from '../../queues.js';
import { submitDiagnose } from '../../requests.js';
import { ChannelRefused, type ResultPoster } from '../../results.js';
import type { RequestStore } from '../../store.js';

export interface CommandDeps {
  grammar: GrammarContext;
  queues: Queues;
  store: RequestStore;
  poster: ResultPoster;
  logger: Logger;
  enqueueTimeoutMs: number;
}

/**
 * `/poddebug …`: validate → record and enqueue → ack → post the status
 * message. Bad input is answered in the ack (ephemeral) and reaches no queue.
 * Nothing here waits on a cluster.
 */
export function register(app: App, d: CommandDeps): void {
  app.command('/poddebug', async ({ command, ack, respond }) => {
    const log = d.logger.child({ user: command.user_id, channel: command.channel_id });
    const parsed = parseCommand(command.text ?? '', d.grammar);
    if (!parsed.ok) {
      log.info({ error: parsed.error }, 'command refused');
      await ack({ response_type: 'ephemeral', text: parsed.error });
      return;
    }
    const cmd = parsed.command;
    if (cmd.verb === 'help') {
      await ack({ response_type: 'ephemeral', text: helpText(cmd.topic) });
      return;
    }
    let submitted: { jobId: string; duplicate: boolean };
    try {
      submitted = await submitDiagnose(d, {
        cluster: cmd.cluster,
        target: cmd.target,
        userId: command.user_id,
        channelId: command.channel_id,
        teamId: command.team_id,
        triggerId: command.trigger_id,
      });
    } catch (e) {
      const err = asCodedError(e);
      log.warn({ err: err.cause ?? err, code: err.code }, 'enqueue failed');
      await ack({ response_type: 'ephemeral', text: `${err.message}\n${err.next.join('\n')}` });
      return;
    }
    await ack();
    log.info(
      { jobId: submitted.jobId, target: cmd.target, cluster: cmd.cluster, duplicate: submitted.duplicate },
      'diagnose queued',
    );
    if (submitted.duplicate) return;
    try {
      await d.poster.announce(submitted.jobId);
    } catch (e) {
      if (e instanceof ChannelRefused) {
        await respond({
          response_type: 'ephemeral',
          text: `I can't post in this channel (${e.message}), so nothing was started. Invite me with \`/invite @poddebug\` and run the command again.`,
        });
        return;
      }
      // Slack hiccup: the request is recorded; the sweep posts the status message and the result.
      log.warn({ err: e, jobId: submitted.jobId }, 'status message not posted yet; the sweep will retry');
    }
  });
}
