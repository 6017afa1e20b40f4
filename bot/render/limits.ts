/**
 * Block Kit limits (Slack reference, Block Kit) and a checker used by tests
 * and by the renderers' own truncation. Pure.
 */
import type { KnownBlock } from '@slack/types';
import type { RenderedMessage } from './types.js';

/** Slack's documented limits for messages and the blocks this bot sends. */
export const LIMITS = {
  blocks: 50,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  contextText: 3000,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  actionId: 255,
  blockId: 255,
  fallbackText: 4000,
} as const;

/** Cuts `s` to at most `max` characters, marking the cut with "…". */
export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  return `${s.slice(0, Math.max(0, max - 1))}…`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function checkText(where: string, t: unknown, max: number, out: string[]): void {
  if (!isRecord(t) || typeof t.text !== 'string') return;
  if (t.text.length === 0) out.push(`${where}: text is empty (Slack requires at least 1 character)`);
  if (t.text.length > max) out.push(`${where}: text is ${t.text.length} chars (max ${max})`);
}

function checkButton(where: string, el: unknown, out: string[]): void {
  if (!isRecord(el) || el.type !== 'button') return;
  checkText(`${where} button text`, el.text, LIMITS.buttonText, out);
  const value = el.value;
  if (typeof value === 'string' && value.length > LIMITS.buttonValue) {
    out.push(`${where} button value is ${value.length} chars (max ${LIMITS.buttonValue})`);
  }
  const actionId = el.action_id;
  if (typeof actionId === 'string' && actionId.length > LIMITS.actionId) {
    out.push(`${where} action_id is ${actionId.length} chars (max ${LIMITS.actionId})`);
  }
}

function checkBlock(i: number, block: KnownBlock, out: string[]): void {
  const where = `block ${i} (${block.type})`;
  if (block.block_id !== undefined && block.block_id.length > LIMITS.blockId) {
    out.push(`${where}: block_id is ${block.block_id.length} chars (max ${LIMITS.blockId})`);
  }
  switch (block.type) {
    case 'section': {
      if (block.text === undefined && (block.fields === undefined || block.fields.length === 0)) {
        out.push(`${where}: needs text or fields`);
      }
      checkText(where, block.text, LIMITS.sectionText, out);
      const fields = block.fields ?? [];
      if (fields.length > LIMITS.fields) out.push(`${where}: ${fields.length} fields (max ${LIMITS.fields})`);
      fields.forEach((f, j) => {
        checkText(`${where} field ${j}`, f, LIMITS.fieldText, out);
      });
      if (block.accessory) checkButton(`${where} accessory`, block.accessory, out);
      return;
    }
    case 'header':
      checkText(where, block.text, LIMITS.headerText, out);
      return;
    case 'context':
      if (block.elements.length > LIMITS.contextElements) {
        out.push(`${where}: ${block.elements.length} elements (max ${LIMITS.contextElements})`);
      }
      block.elements.forEach((el, j) => {
        checkText(`${where} element ${j}`, el, LIMITS.contextText, out);
      });
      return;
    case 'actions':
      if (block.elements.length > LIMITS.actionsElements) {
        out.push(`${where}: ${block.elements.length} elements (max ${LIMITS.actionsElements})`);
      }
      block.elements.forEach((el, j) => {
        checkButton(`${where} element ${j}`, el, out);
      });
      return;
    default:
      return;
  }
}

/**
 * Every Block Kit limit the message breaks, one line each; empty when it
 * would be accepted. Covers the limits listed in {@link LIMITS}.
 */
export function fitsBlockKitLimits(m: RenderedMessage): string[] {
  const out: string[] = [];
  if (m.text.length === 0) out.push('fallback text is empty');
  if (m.text.length > LIMITS.fallbackText) {
    out.push(`fallback text is ${m.text.length} chars (max ${LIMITS.fallbackText})`);
  }
  if (m.blocks.length > LIMITS.blocks) out.push(`${m.blocks.length} blocks (max ${LIMITS.blocks})`);
  m.blocks.forEach((b, i) => {
    checkBlock(i, b, out);
  });
  return out;
}
