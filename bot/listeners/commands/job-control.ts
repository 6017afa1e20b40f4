import type { RespondArguments } from '@slack/bolt';
import { asCodedError, DeadlineExceeded, withDeadline } from '../../../jobs/contracts/index.js';
import type { Logger } from '../../log.js';
import { queueUnavailable } from '../../queues.js';
import { errorAnswer } from '../../render/failure.js';
import { renderJobList } from '../../render/jobs.js';
import type { CommandDeps, CommandInput } from './poddebug.js';
import { type CommandAnswer, refuseCommand } from './refuse.js';

/**
 * `/poddebug jobs` is answered in the ack (an ephemeral listing read from the channel's index in Redis,
 * within the ack's deadline). `/poddebug cancel ID` is acked at once and answered when the cancel is done
 * (it updates the request's thread in Slack, which may wait out a rate limit); a cancel never waits on a
 * cluster: a running job is told to stop through Redis.
 */
export async function handleJobControl(
  d: CommandDeps,
  command: CommandInput,
  cmd: { verb: 'jobs' } | { verb: 'cancel'; id: string },
  io: { answer: CommandAnswer; respond: (m: RespondArguments) => Promise<unknown>; log: Logger },
): Promise<void> {
  const who = {
    userId: command.user_id,
    channelId: command.channel_id,
    channelName: command.channel_name ?? '',
  };
  const failed = (e: unknown) => {
    const err = asCodedError(e instanceof DeadlineExceeded ? queueUnavailable(e) : e);
    io.log.warn({ err: err.cause ?? err, code: err.code, verb: cmd.verb }, 'job control failed');
    return { code: err.code, text: errorAnswer(err) };
  };
  if (cmd.verb === 'jobs') {
    const refusal = d.auth.channelRefusal(who.channelId, who.channelName);
    if (refusal) {
      await refuseCommand(io.answer, 'channel', refusal, () =>
        d.requests.audit.event({
          type: 'refused',
          requestId: `cmd-${command.trigger_id.slice(0, 40)}`,
          cluster: 'unknown',
          action: 'jobs',
          target: { name: who.channelId },
          actor: who.userId,
          requester: who.userId,
          channel: who.channelId,
          decision: 'jobs refused',
          reason: refusal,
        }),
      );
      return;
    }
    try {
      const { rows, more } = await withDeadline(d.requests.jobs.list(who.channelId), 2200);
      const msg = renderJobList(rows, d.requests.jobs.now(), more);
      await io.answer('acked', '', {
        response_type: 'ephemeral',
        text: msg.text,
        blocks: msg.blocks as never,
      });
    } catch (e) {
      const f = failed(e);
      await io.answer('failed', f.code, { response_type: 'ephemeral', text: f.text });
    }
    return;
  }
  await io.answer('acked', '');
  let text: string;
  try {
    text = await d.requests.jobs.cancel(cmd.id, who);
  } catch (e) {
    text = failed(e).text;
  }
  await io.respond({ response_type: 'ephemeral', text }).catch(() => undefined);
}
