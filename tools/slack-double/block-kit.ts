/**
 * Block Kit limits as Slack enforces them on chat.postMessage / chat.update / response_url posts and views.
 * Error strings follow Slack's own format: `[ERROR] <reason> [json-pointer:/blocks/0/text/text]`.
 */

/** Slack's documented limits (https://docs.slack.dev/reference/block-kit/blocks). */
export const BLOCK_KIT_LIMITS = {
  messageBlocks: 50,
  modalBlocks: 100,
  sectionText: 3000,
  sectionFields: 10,
  sectionFieldText: 2000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  actionId: 255,
  blockId: 255,
  messageText: 40000,
} as const;

const KNOWN_BLOCK_TYPES = new Set([
  'section',
  'header',
  'context',
  'actions',
  'divider',
  'image',
  'rich_text',
  'input',
  'file',
  'video',
  'markdown',
  'table',
  'call',
  'context_actions',
]);

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Checker {
  readonly errors: string[] = [];
  private readonly actionIds = new Set<string>();
  private readonly blockIds = new Set<string>();

  fail(reason: string, pointer: string): void {
    this.errors.push(`[ERROR] ${reason} [json-pointer:${pointer}]`);
  }

  maxLen(value: unknown, max: number, pointer: string): void {
    if (typeof value === 'string' && value.length > max)
      this.fail(`must be less than ${max + 1} characters`, pointer);
  }

  textObject(t: unknown, max: number, pointer: string, plainOnly = false): void {
    if (!isObj(t)) {
      this.fail('must be an object', pointer);
      return;
    }
    if (t.type !== 'plain_text' && t.type !== 'mrkdwn')
      this.fail('must be plain_text or mrkdwn', `${pointer}/type`);
    else if (plainOnly && t.type !== 'plain_text') this.fail('must be plain_text', `${pointer}/type`);
    if (typeof t.text !== 'string' || t.text.length === 0)
      this.fail('must be more than 0 characters', `${pointer}/text`);
    else this.maxLen(t.text, max, `${pointer}/text`);
  }

  interactive(el: unknown, pointer: string): void {
    if (!isObj(el)) return;
    if (typeof el.action_id === 'string') {
      this.maxLen(el.action_id, BLOCK_KIT_LIMITS.actionId, `${pointer}/action_id`);
      if (this.actionIds.has(el.action_id))
        this.fail(`action_id '${el.action_id}' already exists`, `${pointer}/action_id`);
      this.actionIds.add(el.action_id);
    }
    if (el.type === 'button') {
      this.textObject(el.text, BLOCK_KIT_LIMITS.buttonText, `${pointer}/text`, true);
      this.maxLen(el.value, BLOCK_KIT_LIMITS.buttonValue, `${pointer}/value`);
      this.maxLen(el.url, BLOCK_KIT_LIMITS.buttonUrl, `${pointer}/url`);
    }
  }

  block(b: unknown, i: number, base: string): void {
    const p = `${base}/${i}`;
    if (!isObj(b)) {
      this.fail('must be an object', p);
      return;
    }
    if (typeof b.type !== 'string' || !KNOWN_BLOCK_TYPES.has(b.type)) {
      this.fail(`unsupported type: ${String(b.type)}`, `${p}/type`);
      return;
    }
    if (b.block_id !== undefined) {
      if (typeof b.block_id !== 'string') this.fail('must be a string', `${p}/block_id`);
      else {
        this.maxLen(b.block_id, BLOCK_KIT_LIMITS.blockId, `${p}/block_id`);
        if (this.blockIds.has(b.block_id)) this.fail(`duplicate block_id '${b.block_id}'`, `${p}/block_id`);
        this.blockIds.add(b.block_id);
      }
    }
    switch (b.type) {
      case 'section':
        this.section(b, p);
        break;
      case 'header':
        this.textObject(b.text, BLOCK_KIT_LIMITS.headerText, `${p}/text`, true);
        break;
      case 'context':
        this.list(b.elements, BLOCK_KIT_LIMITS.contextElements, `${p}/elements`);
        break;
      case 'actions':
        if (this.list(b.elements, BLOCK_KIT_LIMITS.actionsElements, `${p}/elements`)) {
          (b.elements as unknown[]).forEach((el, j) => {
            this.interactive(el, `${p}/elements/${j}`);
          });
        }
        break;
      case 'input':
        this.interactive(b.element, `${p}/element`);
        break;
      default:
        break;
    }
  }

  private section(b: Obj, p: string): void {
    if (b.text === undefined && b.fields === undefined) {
      this.fail('must provide either text or fields', p);
    }
    if (b.text !== undefined) this.textObject(b.text, BLOCK_KIT_LIMITS.sectionText, `${p}/text`);
    if (b.fields !== undefined && this.list(b.fields, BLOCK_KIT_LIMITS.sectionFields, `${p}/fields`)) {
      (b.fields as unknown[]).forEach((f, j) => {
        this.textObject(f, BLOCK_KIT_LIMITS.sectionFieldText, `${p}/fields/${j}`);
      });
    }
    if (b.accessory !== undefined) this.interactive(b.accessory, `${p}/accessory`);
  }

  /** Checks a non-empty array of at most `max` items; returns whether it is an array. */
  list(v: unknown, max: number, pointer: string): boolean {
    if (!Array.isArray(v)) {
      this.fail('must be an array', pointer);
      return false;
    }
    if (v.length === 0) this.fail('must contain at least 1 item', pointer);
    if (v.length > max) this.fail(`no more than ${max} items allowed`, pointer);
    return true;
  }
}

/** Validates a `blocks` array; returns Slack-style error strings (empty when valid). */
export function validateBlocks(
  blocks: unknown,
  maxBlocks: number = BLOCK_KIT_LIMITS.messageBlocks,
): string[] {
  const c = new Checker();
  if (!Array.isArray(blocks)) {
    c.fail('must be an array', '/blocks');
    return c.errors;
  }
  if (blocks.length > maxBlocks) c.fail(`no more than ${maxBlocks} items allowed`, '/blocks');
  blocks.forEach((b, i) => {
    c.block(b, i, '/blocks');
  });
  return c.errors;
}

/** The error body Slack returns for a message payload, or undefined when the payload is acceptable. */
export interface MessageProblem {
  error: 'invalid_blocks' | 'invalid_blocks_format' | 'msg_too_long' | 'no_text';
  messages?: string[];
}

/** Checks a message payload (text/blocks/attachments) the way chat.postMessage does. */
export function checkMessagePayload(args: Record<string, unknown>): MessageProblem | undefined {
  const { text, blocks, attachments } = args;
  const hasText = typeof text === 'string' && text.length > 0;
  const hasBlocks = Array.isArray(blocks) && blocks.length > 0;
  const hasAttachments = Array.isArray(attachments) && attachments.length > 0;
  if (blocks !== undefined && !Array.isArray(blocks)) return { error: 'invalid_blocks_format' };
  if (!hasText && !hasBlocks && !hasAttachments) return { error: 'no_text' };
  if (typeof text === 'string' && text.length > BLOCK_KIT_LIMITS.messageText)
    return { error: 'msg_too_long' };
  if (hasBlocks) {
    const errors = validateBlocks(blocks);
    if (errors.length > 0) return { error: 'invalid_blocks', messages: errors };
  }
  return undefined;
}

/** Validates a modal view for views.open/push/update; returns Slack-style error strings. */
export function validateView(view: unknown): string[] {
  if (!isObj(view)) return ['[ERROR] must be an object [json-pointer:/view]'];
  const errors: string[] = [];
  if (view.type !== 'modal' && view.type !== 'home')
    errors.push('[ERROR] must be modal or home [json-pointer:/view/type]');
  if (view.type === 'modal') {
    const title = view.title;
    if (!isObj(title) || typeof title.text !== 'string')
      errors.push('[ERROR] missing required field: title [json-pointer:/view]');
    else if (title.text.length > 24)
      errors.push('[ERROR] must be less than 25 characters [json-pointer:/view/title/text]');
  }
  if (typeof view.callback_id === 'string' && view.callback_id.length > 255)
    errors.push('[ERROR] must be less than 256 characters [json-pointer:/view/callback_id]');
  if (typeof view.private_metadata === 'string' && view.private_metadata.length > 3000)
    errors.push('[ERROR] must be less than 3001 characters [json-pointer:/view/private_metadata]');
  const blocks = validateBlocks(view.blocks ?? [], BLOCK_KIT_LIMITS.modalBlocks);
  return errors.concat(blocks.map((e) => e.replace('[json-pointer:/blocks', '[json-pointer:/view/blocks')));
}
