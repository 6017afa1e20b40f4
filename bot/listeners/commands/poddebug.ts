import type { App, RespondArguments, SlashCommand } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import {
  asCodedError,
  type CodedError,
  DeadlineExceeded,
  formatTarget,
  HEARTBEAT_TTL_MS,
  isDebugCopy,
  withDeadline,
} from '../../../jobs/contracts/index.js';
import type { Authorizer } from '../../auth.js';
import { type GrammarContext, helpText, parseCommand } from '../../grammar/index.js';
import type { Logger } from '../../log.js';
import type { BotMetrics } from '../../metrics.js';
import { queueUnavailable } from '../../queues.js';
import { errorAnswer } from '../../render/failure.js';
import { reasonModal } from '../../render/probe.js';
import { ChannelRefused, type Requests } from '../../requests/index.js';
import { handleJobControl } from './job-control.js';
import { auditCommand, type CommandAnswer, refuseCommand } from './refuse.js';

export interface CommandDeps {
  grammar: GrammarContext;
  logger: Logger;
  enqueueTimeoutMs: number;
  auth: Authorizer;
  requests: Requests;
  client: WebClient;
  /** Commands by verb and outcome, ack latency. */
  metrics?: BotMetrics;
  /**
   * Whether a worker of the cluster has been seen lately (its heartbeat); absent: not checked. Set: the gate
   * reads the heartbeat itself, with the rate limits (one round trip).
   */
  workerAlive?: (cluster: string) => Promise<boolean>;
}

/** The answer to a command for a cluster whose workers have all been silent. Nothing was queued. */
export function noWorkerText(cluster: string): string {
  return [
    `No worker for cluster \`${cluster}\` has been seen for ${Math.round(HEARTBEAT_TTL_MS / 1000)} s, so nothing was queued.`,
    'Try again later; if it persists, tell whoever runs poddebug (the worker of that cluster is down or cannot reach Redis).',
  ].join('\n');
}

/**
 * The fields of a slash command the handler reads. A follow-up button (bot/listeners/actions/follow-up.ts)
 * builds the same from its click, so a click goes through exactly the path a typed command does.
 */
export type CommandInput = Pick<
  SlashCommand,
  'text' | 'user_id' | 'channel_id' | 'channel_name' | 'team_id' | 'trigger_id'
> & {
  /** Clicked inside a thread: a diagnose posts its status message there. */
  thread_ts?: string;
};

/** How a command is answered: its first answer (a typed command's ack), then later ephemeral messages. */
export interface CommandIO {
  ack(msg?: RespondArguments): Promise<void>;
  respond(msg: RespondArguments): Promise<unknown>;
}

/**
 * `/poddebug …`: validate → authorize (policy, optional Kubernetes check, rate
 * limits) → record and enqueue → ack → post the status message. Bad input and
 * refusals are answered in the ack (ephemeral) and reach no queue. Privileged
 * probes ask for a reason in a modal first. Nothing here waits on a cluster.
 */
export function register(app: App, d: CommandDeps): void {
  app.command('/poddebug', ({ command, ack, respond }) => handleCommand(d, command, { ack, respond }));
}

/** One command, typed or clicked: see register(). */
export async function handleCommand(d: CommandDeps, command: CommandInput, io: CommandIO): Promise<void> {
  const { respond } = io;
  const log = d.logger.child({ user: command.user_id, channel: command.channel_id });
  const receivedAt = process.hrtime.bigint();
  let verb = 'invalid';
  /** Acks once, counting the command's outcome and the ack's latency. */
  const answer: CommandAnswer = async (outcome, reason, msg) => {
    d.metrics?.ackSeconds.observe({ verb }, Number(process.hrtime.bigint() - receivedAt) / 1e9);
    d.metrics?.command(verb, outcome, reason);
    await io.ack(msg);
  };
  /** Acks with an error the command ran into (Redis or the policy's lookups did not answer in time, …). */
  const fail = (err: CodedError) =>
    answer('failed', err.code, { response_type: 'ephemeral', text: errorAnswer(err) });
  // The HTTP edge (bot/http-edge.ts) refuses repeated fields; whatever else sends one is answered, not thrown.
  if (command.text !== undefined && typeof command.text !== 'string') {
    await answer('refused', 'malformed', {
      response_type: 'ephemeral',
      text: 'poddebug refused this request: its text is malformed.',
    });
    return;
  }
  const parsed = parseCommand(command.text ?? '', d.grammar);
  if (!parsed.ok) {
    log.info({ error: parsed.error }, 'command refused');
    await answer('refused', 'invalid', { response_type: 'ephemeral', text: parsed.error });
    return;
  }
  const cmd = parsed.command;
  verb = cmd.verb;
  if (cmd.verb === 'help') {
    await answer('acked', '', { response_type: 'ephemeral', text: helpText(cmd.topic) });
    return;
  }
  if (cmd.verb === 'jobs' || cmd.verb === 'cancel') {
    await handleJobControl(d, command, cmd, { answer, respond, log });
    return;
  }

  const isProbe = cmd.verb === 'probe';
  const action = cmd.verb === 'diagnose' ? 'diagnose' : cmd.spec.action;
  const namespace = isProbe ? cmd.target.namespace : cmd.target.namespace;
  const name = isProbe ? cmd.target.pod : cmd.target.name;
  const auditTarget = isProbe
    ? {
        namespace: cmd.target.namespace,
        name: cmd.target.pod,
        kind: 'Pod',
        container: cmd.target.container,
      }
    : { namespace: cmd.target.namespace, name: formatTarget({ ...cmd.target, namespace: undefined }) };
  let auth: Awaited<ReturnType<Authorizer['authorize']>>;
  try {
    // The heartbeat is read with the rate limits, in the same round trip to Redis (bot/auth.ts).
    auth = await withDeadline(
      d.auth.authorize({
        userId: command.user_id,
        channelId: command.channel_id,
        channelName: command.channel_name ?? '',
        action,
        copy: isProbe && isDebugCopy(cmd.spec),
        cluster: cmd.cluster,
        namespace,
        name,
        privileged: isProbe,
        checkWorker: d.workerAlive !== undefined,
      }),
      2200,
    );
  } catch (e) {
    const timedOut = e instanceof DeadlineExceeded;
    const err = asCodedError(timedOut ? queueUnavailable(e) : e);
    log.warn({ err: err.cause ?? err, code: err.code }, 'authorization failed');
    await fail(err);
    return;
  }
  /** Refuses the command: answered, then audited against the command (see refuseCommand). */
  const refuse = (why: string, text: string, reason: string, type: 'refused' | 'rate_limited' = 'refused') =>
    refuseCommand(answer, why, text, () =>
      auditCommand(d.requests, {
        type,
        requestId: `cmd-${command.trigger_id.slice(0, 40)}`,
        userId: command.user_id,
        channelId: command.channel_id,
        cluster: cmd.cluster,
        action,
        target: auditTarget,
        reason,
      }),
    );
  if (auth.allow && auth.workerSeen === false) {
    log.info({ action, cluster: cmd.cluster }, 'command refused: no live worker');
    const text = noWorkerText(cmd.cluster);
    await refuse('no_worker', text, text.split('\n')[0]!);
    return;
  }
  if (!auth.allow) {
    log.info({ action, cluster: cmd.cluster, namespace, kind: auth.kind }, 'command denied');
    const type = auth.kind === 'rate_limited' ? 'rate_limited' : 'refused';
    await refuse(auth.kind, auth.message, auth.message, type);
    return;
  }

  if (cmd.verb === 'probe') {
    // Network targets the policy denies (metadata, link-local, loopback, control-plane ports): refused here.
    const targetRefusal = d.auth.probeTargetRefusal(cmd.cluster, cmd.target.namespace, cmd.spec);
    if (targetRefusal) {
      log.info({ action, cluster: cmd.cluster, namespace }, 'probe target refused');
      await refuse('probe_target', targetRefusal, targetRefusal);
      return;
    }
    // debug's `--image NAME` becomes the image reference the policy lists (what approvers see and what runs).
    const spec = d.auth.policySpec(cmd.spec);
    let draftId: string;
    try {
      draftId = await withDeadline(
        d.requests.drafts.save({
          cluster: cmd.cluster,
          target: cmd.target,
          spec,
          userId: command.user_id,
          channelId: command.channel_id,
          channelName: command.channel_name ?? '',
          ...(command.team_id ? { teamId: command.team_id } : {}),
        }),
        d.enqueueTimeoutMs,
      );
    } catch (e) {
      const err = queueUnavailable(e);
      await fail(err);
      return;
    }
    await answer('acked', '');
    try {
      const opened = await d.client.views.open({
        trigger_id: command.trigger_id,
        view: reasonModal(spec, cmd.target, cmd.cluster, draftId),
      });
      // One form, one request: only a submission of this view may consume the draft.
      const viewId = opened.view?.id ?? '';
      const bound = await d.requests.drafts.bind(draftId, viewId).catch(() => false);
      if (!bound) log.warn({ viewId }, 'reason form not bound to its view (its first submission binds it)');
    } catch (e) {
      log.warn({ err: e }, 'reason modal did not open');
      await respond({
        response_type: 'ephemeral',
        text: 'Slack did not open the reason form (it must open within 3 s of the command). Nothing was requested; run the command again.',
      });
    }
    return;
  }

  let submitted: { id: string; duplicate: boolean };
  try {
    submitted = await d.requests.diagnose.submit({
      cluster: cmd.cluster,
      target: cmd.target,
      userId: command.user_id,
      channelId: command.channel_id,
      teamId: command.team_id,
      triggerId: command.trigger_id,
      ...(cmd.verb === 'read' ? { read: cmd.spec } : {}),
      ...(command.thread_ts ? { threadTs: command.thread_ts } : {}),
    });
  } catch (e) {
    const err = asCodedError(e);
    log.warn({ err: err.cause ?? err, code: err.code }, 'enqueue failed');
    await fail(err);
    return;
  }
  await answer('acked', '');
  log.info(
    { id: submitted.id, target: cmd.target, cluster: cmd.cluster, duplicate: submitted.duplicate },
    'diagnose queued',
  );
  if (submitted.duplicate) return;
  try {
    await d.requests.diagnose.accepted(submitted.id);
  } catch (e) {
    if (e instanceof ChannelRefused) {
      await respond({
        response_type: 'ephemeral',
        text: `I can't post in this channel (${e.message}), so nothing was started. Invite me with \`/invite @poddebug\` and run the command again.`,
      });
      return;
    }
    // Slack hiccup: the request is recorded; the sweep posts the status message and the result.
    log.warn({ err: e, id: submitted.id }, 'status message not posted yet; the sweep will retry');
  }
}
