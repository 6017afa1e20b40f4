import { describe, expect, it } from '@jest/globals';
import type { SectionBlock } from '@slack/types';
import {
  fitsBlockKitLimits,
  parseRerunValue,
  renderAmbiguous,
  renderFailure,
} from '../../../../bot/render/index.js';
import type { UserFacingError } from '../../../../jobs/contracts/errors.js';
import { allText, ctx } from './fixtures.js';

describe('renderAmbiguous', () => {
  const result = {
    outcome: 'ambiguous' as const,
    name: 'web-0',
    candidates: [
      { namespace: 'shop', name: 'web-0' },
      { namespace: 'shop-staging', name: 'web-0' },
    ],
  };
  const m = renderAmbiguous(result, ctx);

  it('lists each candidate with the exact command to run and a button', () => {
    expect(fitsBlockKitLimits(m)).toEqual([]);
    const text = allText(m.blocks);
    expect(text).toContain('`web-0` matches pods in 2 namespaces');
    expect(text).toContain('`/poddebug diagnose web-0 -n shop --cluster prod`');
    expect(text).toContain('`/poddebug diagnose web-0 -n shop-staging --cluster prod`');
    const buttons = m.blocks
      .filter((b): b is SectionBlock => b.type === 'section' && b.accessory?.type === 'button')
      .map((b) => (b.accessory && 'value' in b.accessory ? b.accessory.value : undefined));
    expect(buttons.map((v) => parseRerunValue(v ?? ''))).toEqual([
      { cluster: 'prod', target: { kind: 'pod', name: 'web-0', namespace: 'shop' } },
      { cluster: 'prod', target: { kind: 'pod', name: 'web-0', namespace: 'shop-staging' } },
    ]);
    expect(m.text).toContain('/poddebug diagnose web-0 -n shop-staging --cluster prod');
  });

  it('stays within limits with hundreds of candidates and says how many more there are', () => {
    const candidates = Array.from({ length: 300 }, (_, i) => ({ namespace: `team-${i}`, name: 'web-0' }));
    const big = renderAmbiguous({ ...result, candidates }, ctx);
    expect(fitsBlockKitLimits(big)).toEqual([]);
    expect(allText(big.blocks)).toContain('…and 280 more, in namespaces: team-20, team-21');
  });
});

describe('renderFailure', () => {
  const error: UserFacingError = {
    code: 'pod_not_found',
    message: 'No pod named `web-9` in namespace shop.',
    next: ['Check the name with `kubectl get pods -n shop`', 'Leave out -n to search every namespace'],
  };

  it('says what failed, why, and what to do next', () => {
    const m = renderFailure(error, { ...ctx, target: 'shop/web-9' });
    expect(fitsBlockKitLimits(m)).toEqual([]);
    const text = allText(m.blocks);
    expect(text).toContain('❌ *Could not diagnose `shop/web-9`* on *prod*');
    expect(text).toContain('No pod named `web-9` in namespace shop.');
    expect(text).toContain('*Next:*\n• Check the name with `kubectl get pods -n shop`\n• Leave out -n');
    expect(text).toContain('error `pod_not_found`');
    expect(text).toContain('job `diag-prod-0123456789abcdef01234567`');
    expect(m.text).toBe('❌ Could not diagnose shop/web-9 on prod: No pod named `web-9` in namespace shop.');
  });

  it('never shows a stack trace', () => {
    const m = renderFailure(
      {
        code: 'internal',
        message:
          'TypeError: cannot read properties of undefined\n    at gather (/app/dist/jobs/diagnose/gather.js:41:7)\n    at async run',
        next: [],
      },
      { ...ctx, target: 'shop/web-0' },
    );
    const text = `${allText(m.blocks)}\n${m.text}`;
    expect(text).toContain('TypeError: cannot read properties of undefined');
    expect(text).not.toContain('gather.js');
    expect(text).not.toMatch(/\bat async\b/);
  });

  it('escapes the message', () => {
    const m = renderFailure(
      { ...error, message: 'forbidden for <!channel> & friends' },
      { ...ctx, target: 'x' },
    );
    expect(allText(m.blocks)).toContain('forbidden for &lt;!channel&gt; &amp; friends');
  });
});
