/** The thread reply when a diagnosis failed: what, why, what to do. Never a stack trace. Pure. */
import type { UserFacingError } from '../../jobs/contracts/errors.js';
import { context, section } from './blocks.js';
import { LIMITS, truncate } from './limits.js';
import { code, inline, mention } from './mrkdwn.js';
import type { RenderContext, RenderedMessage } from './types.js';

/** Keeps the message a person wrote; drops anything from the first stack frame on. */
function withoutStack(message: string): string {
  const lines = message.split(/\r?\n/);
  const frame = lines.findIndex((l) => /^\s*at\s+\S/.test(l));
  const kept = (frame === -1 ? lines : lines.slice(0, frame)).join(' ').trim();
  return kept.length > 0 ? kept : 'The diagnosis failed.';
}

/** Renders a failure: the message, the next steps as a list, and the error code and job id for the logs. */
export function renderFailure(
  e: UserFacingError,
  ctx: RenderContext & { target: string /** `diagnose` (default), `read logs of`, … */; what?: string },
): RenderedMessage {
  const message = inline(withoutStack(e.message), 1500);
  const title = `❌ *Could not ${ctx.what ?? 'diagnose'} ${code(ctx.target)}* on *${inline(ctx.cluster, 63)}*`;
  const blocks = [section(`${title}\n${message}`)];
  const next = e.next.slice(0, 8).map((s) => `• ${inline(s, 300)}`);
  if (next.length > 0) blocks.push(section(`*Next:*\n${next.join('\n')}`));
  const footer = context([
    `error ${code(e.code)}`,
    `job ${code(ctx.jobId, 100)}`,
    `asked by ${mention(ctx.requestedBy)}`,
  ]);
  const text = `❌ Could not ${ctx.what ?? 'diagnose'} ${inline(ctx.target)} on ${inline(ctx.cluster, 63)}: ${message}`;
  return { text: truncate(text, LIMITS.fallbackText), blocks: [...blocks, footer] };
}

/** An error as a one-off ephemeral answer (a refused or failed command or click): the message, then each next step on a line of its own. */
export function errorAnswer(e: Pick<UserFacingError, 'message' | 'next'>): string {
  return `${e.message}\n${e.next.join('\n')}`;
}
