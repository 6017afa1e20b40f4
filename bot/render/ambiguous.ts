/** The reply when a bare pod name matched pods in several namespaces: one line and one button per candidate. Pure. */
import type { KnownBlock } from '@slack/types';
import type { DiagnoseResult } from '../../jobs/contracts/diagnose.js';
import { button, context, section } from './blocks.js';
import { LIMITS, truncate } from './limits.js';
import { code, inline, mention } from './mrkdwn.js';
import { encodeRerunValue, RERUN_ACTION_ID } from './rerun.js';
import type { RenderContext, RenderedMessage } from './types.js';

type Ambiguous = Extract<DiagnoseResult, { outcome: 'ambiguous' }>;

/** Candidates shown with their own command and button; the rest are listed by namespace. */
const MAX_CANDIDATES = 20;

/** The exact command that diagnoses one candidate. */
export function diagnoseCommandFor(name: string, namespace: string, cluster: string): string {
  return `/poddebug diagnose ${name} -n ${namespace} --cluster ${cluster}`;
}

/**
 * Lists the candidates, each with the exact command to run
 * (`/poddebug diagnose NAME -n NS --cluster C`) and a "Diagnose" button.
 */
export function renderAmbiguous(r: Ambiguous, ctx: RenderContext): RenderedMessage {
  const n = r.candidates.length;
  const intro = `🔀 ${code(r.name)} matches pods in ${n} namespaces on *${inline(ctx.cluster, 63)}*. Pick one:`;
  const shown = r.candidates.slice(0, MAX_CANDIDATES);
  const blocks: KnownBlock[] = [section(intro)];
  for (const c of shown) {
    const cmd = diagnoseCommandFor(c.name, c.namespace, ctx.cluster);
    const value = encodeRerunValue({
      cluster: ctx.cluster,
      target: { kind: 'pod', name: c.name, namespace: c.namespace },
    });
    blocks.push(
      section(
        `${code(`${c.namespace}/${c.name}`)}\n${code(cmd, 600)}`,
        button('Diagnose', RERUN_ACTION_ID, value),
      ),
    );
  }
  const rest = r.candidates.slice(MAX_CANDIDATES);
  if (rest.length > 0) {
    const list = truncate(rest.map((c) => c.namespace).join(', '), 2500);
    blocks.push(section(`…and ${rest.length} more, in namespaces: ${inline(list, 2600)}`));
  }
  blocks.push(context([`job ${code(ctx.jobId, 100)}`, `asked by ${mention(ctx.requestedBy)}`]));

  const lines = [`${inline(r.name)} matches pods in ${n} namespaces. Pick one:`];
  for (const c of r.candidates) lines.push(inline(diagnoseCommandFor(c.name, c.namespace, ctx.cluster), 600));
  return { text: truncate(lines.join('\n'), LIMITS.fallbackText), blocks };
}
