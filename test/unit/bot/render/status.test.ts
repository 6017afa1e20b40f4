import { describe, expect, it } from '@jest/globals';
import { fitsBlockKitLimits, renderStatus } from '../../../../bot/render/index.js';
import { allText } from './fixtures.js';

const base = { target: 'shop/checkout-7d9f8b-x2kq', cluster: 'prod', requestedBy: 'U0123ABCD' };

describe('renderStatus', () => {
  it('shows who asked for what, and that it is queued', () => {
    const m = renderStatus({ ...base, phase: 'queued' });
    expect(m.text).toBe('🔎 Diagnosing `shop/checkout-7d9f8b-x2kq` on *prod* for <@U0123ABCD> — queued…');
    expect(allText(m.blocks)).toBe(m.text);
    expect(fitsBlockKitLimits(m)).toEqual([]);
  });

  it('shows the running stage', () => {
    expect(renderStatus({ ...base, phase: 'running', stage: 'gathering' }).text).toMatch(
      /— running: gathering…$/,
    );
    expect(renderStatus({ ...base, phase: 'running' }).text).toMatch(/— running: started…$/);
  });

  it('shows counts and the verdict when done', () => {
    const m = renderStatus({
      ...base,
      phase: 'done',
      counts: { critical: 2, warning: 1, info: 4 },
      verdict: 'Container app is in CrashLoopBackOff',
    });
    expect(m.text).toContain('— done: 2 critical, 1 warning — see thread');
    expect(m.text.split('\n')[1]).toBe('Container app is in CrashLoopBackOff');
    expect(
      renderStatus({ ...base, phase: 'done', counts: { critical: 0, warning: 0, info: 2 } }).text,
    ).toContain('done: no problems — see thread');
  });

  it('shows why it failed, escaped', () => {
    const m = renderStatus({ ...base, phase: 'failed', verdict: 'pod not found in <!channel> & co' });
    expect(m.text).toContain('— failed: pod not found in &lt;!channel&gt; &amp; co');
    expect(renderStatus({ ...base, phase: 'failed' }).text).toMatch(/— failed: see thread$/);
  });

  it('does not turn a malformed user id into a mention', () => {
    const m = renderStatus({ ...base, phase: 'queued', requestedBy: '!channel' });
    expect(m.text).not.toContain('<!channel>');
    expect(m.text).toContain('for !channel');
  });
});

describe('renderStatus: cancelled', () => {
  it('says who cancelled it and what became of it', () => {
    const m = renderStatus({ ...base, phase: 'cancelled', by: 'U0ALICE', verdict: 'nothing ran' });
    expect(m.text).toBe(
      '🔎 Diagnosing `shop/checkout-7d9f8b-x2kq` on *prod* for <@U0123ABCD> — 🚫 cancelled by <@U0ALICE>: nothing ran',
    );
    expect(fitsBlockKitLimits(m)).toEqual([]);
  });
});
