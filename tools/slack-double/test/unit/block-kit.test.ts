import { describe, expect, it } from '@jest/globals';
import { checkMessagePayload, validateBlocks, validateView } from '../../block-kit.js';

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
const button = (action_id: string, text = 'Go', value?: string) => ({
  type: 'button',
  action_id,
  text: { type: 'plain_text', text },
  ...(value !== undefined ? { value } : {}),
});
const fields = (n: number, len = 10) =>
  Array.from({ length: n }, () => ({ type: 'mrkdwn', text: 'f'.repeat(len) }));

describe('validateBlocks: each documented limit holds at the boundary and fails one past it', () => {
  const cases: { name: string; ok: unknown[]; bad: unknown[]; pointer: string }[] = [
    {
      name: '50 blocks per message',
      ok: Array.from({ length: 50 }, () => ({ type: 'divider' })),
      bad: Array.from({ length: 51 }, () => ({ type: 'divider' })),
      pointer: '/blocks]',
    },
    {
      name: 'section text 3000',
      ok: [section('a'.repeat(3000))],
      bad: [section('a'.repeat(3001))],
      pointer: '/blocks/0/text/text]',
    },
    {
      name: 'section fields count 10',
      ok: [{ type: 'section', fields: fields(10) }],
      bad: [{ type: 'section', fields: fields(11) }],
      pointer: '/blocks/0/fields]',
    },
    {
      name: 'section field text 2000',
      ok: [{ type: 'section', fields: fields(1, 2000) }],
      bad: [{ type: 'section', fields: fields(1, 2001) }],
      pointer: '/blocks/0/fields/0/text]',
    },
    {
      name: 'header 150 plain_text',
      ok: [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(150) } }],
      bad: [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }],
      pointer: '/blocks/0/text/text]',
    },
    {
      name: 'context 10 elements',
      ok: [{ type: 'context', elements: fields(10) }],
      bad: [{ type: 'context', elements: fields(11) }],
      pointer: '/blocks/0/elements]',
    },
    {
      name: 'actions 25 elements',
      ok: [{ type: 'actions', elements: Array.from({ length: 25 }, (_, i) => button(`a${i}`)) }],
      bad: [{ type: 'actions', elements: Array.from({ length: 26 }, (_, i) => button(`a${i}`)) }],
      pointer: '/blocks/0/elements]',
    },
    {
      name: 'button text 75',
      ok: [{ type: 'actions', elements: [button('a', 'b'.repeat(75))] }],
      bad: [{ type: 'actions', elements: [button('a', 'b'.repeat(76))] }],
      pointer: '/blocks/0/elements/0/text/text]',
    },
    {
      name: 'button value 2000',
      ok: [{ type: 'actions', elements: [button('a', 'Go', 'v'.repeat(2000))] }],
      bad: [{ type: 'actions', elements: [button('a', 'Go', 'v'.repeat(2001))] }],
      pointer: '/blocks/0/elements/0/value]',
    },
    {
      name: 'action_id 255',
      ok: [{ type: 'actions', elements: [button('x'.repeat(255))] }],
      bad: [{ type: 'actions', elements: [button('x'.repeat(256))] }],
      pointer: '/blocks/0/elements/0/action_id]',
    },
    {
      name: 'action_id unique within the message',
      ok: [
        { type: 'actions', elements: [button('approve')] },
        { type: 'section', text: { type: 'mrkdwn', text: 'x' }, accessory: button('deny') },
      ],
      bad: [
        { type: 'actions', elements: [button('approve')] },
        { type: 'section', text: { type: 'mrkdwn', text: 'x' }, accessory: button('approve') },
      ],
      pointer: '/blocks/1/accessory/action_id]',
    },
    {
      name: 'block_id 255',
      ok: [{ type: 'divider', block_id: 'b'.repeat(255) }],
      bad: [{ type: 'divider', block_id: 'b'.repeat(256) }],
      pointer: '/blocks/0/block_id]',
    },
    {
      name: 'block_id unique',
      ok: [
        { type: 'divider', block_id: 'one' },
        { type: 'divider', block_id: 'two' },
      ],
      bad: [
        { type: 'divider', block_id: 'one' },
        { type: 'divider', block_id: 'one' },
      ],
      pointer: '/blocks/1/block_id]',
    },
  ];

  it.each(cases)('$name', ({ ok, bad, pointer }) => {
    expect(validateBlocks(ok)).toEqual([]);
    const errors = validateBlocks(bad);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^\[ERROR\] .+ \[json-pointer:\/blocks/);
    expect(errors[0]).toContain(`[json-pointer:${pointer}`);
  });

  it('refuses an unknown block type and a header in mrkdwn', () => {
    expect(validateBlocks([{ type: 'sectoin' }])[0]).toContain('unsupported type');
    expect(validateBlocks([{ type: 'header', text: { type: 'mrkdwn', text: 'x' } }])[0]).toContain(
      'plain_text',
    );
  });
});

describe('checkMessagePayload', () => {
  it.each([
    [{ text: 'hello' }, undefined],
    [{ blocks: [section('hi')] }, undefined],
    [{}, 'no_text'],
    [{ text: '' }, 'no_text'],
    [{ text: 'x'.repeat(40000) }, undefined],
    [{ text: 'x'.repeat(40001) }, 'msg_too_long'],
    [{ text: 'fallback', blocks: [section('a'.repeat(3001))] }, 'invalid_blocks'],
    [{ text: 'fallback', blocks: '[not json' }, 'invalid_blocks_format'],
  ])('%#: → %s', (args, error) => {
    expect(checkMessagePayload(args as Record<string, unknown>)?.error).toBe(error);
  });
});

describe('validateView', () => {
  const modal = (extra: Record<string, unknown>) => ({
    type: 'modal',
    title: { type: 'plain_text', text: 'Approve probe' },
    blocks: [],
    ...extra,
  });
  it('accepts a modal and refuses a long title or 101 blocks', () => {
    expect(validateView(modal({}))).toEqual([]);
    expect(validateView(modal({ title: { type: 'plain_text', text: 't'.repeat(25) } }))[0]).toContain(
      '/view/title/text',
    );
    const many = Array.from({ length: 101 }, () => ({ type: 'divider' }));
    expect(validateView(modal({ blocks: many }))[0]).toContain('[json-pointer:/view/blocks]');
  });
});
