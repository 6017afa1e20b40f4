/**
 * The thread reply of a read (logs, events, describe): what was read, the text as a code block when it is
 * short, else the file's line (name, size, sha256, cut or not), then what was cut or could not be read.
 * Pure.
 */

import type { KnownBlock } from '@slack/types';
import type { ReadResult } from '../../jobs/contracts/reads.js';
import { context, section } from './blocks.js';
import { LIMITS, truncate } from './limits.js';
import { code, codeBlock, inline, mention } from './mrkdwn.js';
import type { RenderedMessage } from './types.js';

const TITLES: Record<ReadResult['action'], string> = {
  logs: '📜 Logs of',
  events: '📅 Events of',
  describe: '📋 Describe',
};

export interface ReadRenderContext {
  cluster: string;
  jobId: string;
  requestedBy: string;
  /** One line per file as artefactLines renders them (with its upload status). */
  artefactLines: string[];
}

export function renderReadResult(r: ReadResult, ctx: ReadRenderContext): RenderedMessage {
  const target = `${r.target.namespace}/${r.target.kind === 'Pod' ? '' : `${r.target.kind.toLowerCase()}/`}${r.target.name}`;
  const title = `${TITLES[r.action]} ${code(target)} on *${inline(ctx.cluster, 63)}*: ${inline(r.verdict, 200)}`;
  const head = [title, ...r.summary.slice(0, 4).map((s) => `• ${inline(s, 400)}`)].join('\n');
  const blocks: KnownBlock[] = [section(head)];
  if (r.inline !== undefined) {
    const lines = r.inline.endsWith('\n') ? r.inline.slice(0, -1).split('\n') : r.inline.split('\n');
    const block = r.inline === '' ? { text: '_(empty)_' } : codeBlock(lines, LIMITS.sectionText, 60);
    blocks.push(section(block.text || '_(empty)_'));
  }
  if (ctx.artefactLines.length > 0) blocks.push(section(`*File:*\n${ctx.artefactLines.join('\n')}`));
  if (r.notes.length > 0)
    blocks.push(
      section(
        `*Notes:*\n${r.notes
          .slice(0, 12)
          .map((n) => `• ${inline(n, 300)}`)
          .join('\n')}`,
      ),
    );
  blocks.push(
    context([
      `cluster ${code(ctx.cluster, 63)}`,
      `job ${code(ctx.jobId, 100)}`,
      `${r.stats.apiRequests} API requests`,
      `took ${(r.stats.durationMs / 1000).toFixed(1)} s`,
      `asked by ${mention(ctx.requestedBy)}`,
    ]),
  );
  const text = `${TITLES[r.action]} ${inline(target)} on ${inline(ctx.cluster, 63)}: ${inline(r.verdict, 200)}`;
  return { text: truncate(text, LIMITS.fallbackText), blocks };
}
