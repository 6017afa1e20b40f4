import { describe, expect, it } from '@jest/globals';
import { fitsBlockKitLimits } from '../../../../bot/render/index.js';

describe('fitsBlockKitLimits', () => {
  it('accepts a small valid message', () => {
    expect(
      fitsBlockKitLimits({
        text: 'hi',
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'hello' } }],
      }),
    ).toEqual([]);
  });

  it('reports each broken limit', () => {
    const violations = fitsBlockKitLimits({
      text: 'x'.repeat(4001),
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } },
        { type: 'section', text: { type: 'mrkdwn', text: 's'.repeat(3001) } },
        {
          type: 'section',
          fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn' as const, text: 'f'.repeat(2001) })),
        },
        {
          type: 'context',
          elements: Array.from({ length: 11 }, () => ({ type: 'mrkdwn' as const, text: 'c' })),
        },
        {
          type: 'actions',
          elements: [
            {
              type: 'button',
              text: { type: 'plain_text', text: 'b'.repeat(76) },
              action_id: 'a'.repeat(256),
              value: 'v'.repeat(2001),
            },
          ],
        },
        { type: 'section', text: { type: 'mrkdwn', text: '' } },
      ],
    });
    const joined = violations.join('\n');
    expect(joined).toContain('fallback text is 4001 chars (max 4000)');
    expect(joined).toContain('block 0 (header): text is 151 chars (max 150)');
    expect(joined).toContain('block 1 (section): text is 3001 chars (max 3000)');
    expect(joined).toContain('block 2 (section): 11 fields (max 10)');
    expect(joined).toContain('block 2 (section) field 0: text is 2001 chars (max 2000)');
    expect(joined).toContain('block 3 (context): 11 elements (max 10)');
    expect(joined).toContain('button text: text is 76 chars (max 75)');
    expect(joined).toContain('button value is 2001 chars (max 2000)');
    expect(joined).toContain('action_id is 256 chars (max 255)');
    expect(joined).toContain('block 5 (section): text is empty');
  });

  it('counts blocks', () => {
    const blocks = Array.from({ length: 51 }, () => ({ type: 'divider' as const }));
    expect(fitsBlockKitLimits({ text: 't', blocks })).toEqual(['51 blocks (max 50)']);
  });
});
