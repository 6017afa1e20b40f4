/** Small typed builders for the blocks this bot sends, each cut to its Block Kit limit. Pure. */
import type {
  ActionsBlock,
  Button,
  ContextBlock,
  DividerBlock,
  HeaderBlock,
  SectionBlock,
} from '@slack/types';
import { LIMITS, truncate } from './limits.js';
import { mrkdwn } from './mrkdwn.js';

/** A header (plain text, ≤ 150 chars). */
export function header(text: string): HeaderBlock {
  return {
    type: 'header',
    text: { type: 'plain_text', text: truncate(text, LIMITS.headerText), emoji: true },
  };
}

/** A mrkdwn section (≤ 3000 chars; callers budget their text, this is the last guard). */
export function section(text: string, accessory?: Button): SectionBlock {
  const block: SectionBlock = { type: 'section', text: mrkdwn(truncate(text, LIMITS.sectionText)) };
  if (accessory) block.accessory = accessory;
  return block;
}

/** A context block of mrkdwn elements (≤ 10). */
export function context(elements: string[]): ContextBlock {
  return {
    type: 'context',
    elements: elements.slice(0, LIMITS.contextElements).map((t) => mrkdwn(truncate(t, LIMITS.contextText))),
  };
}

/** A divider. */
export function divider(): DividerBlock {
  return { type: 'divider' };
}

/** A button (text ≤ 75, value ≤ 2000). */
export function button(text: string, actionId: string, value: string): Button {
  return {
    type: 'button',
    text: { type: 'plain_text', text: truncate(text, LIMITS.buttonText), emoji: true },
    action_id: actionId,
    value,
  };
}

/** An actions block. */
export function actions(elements: Button[]): ActionsBlock {
  return { type: 'actions', elements: elements.slice(0, LIMITS.actionsElements) };
}
