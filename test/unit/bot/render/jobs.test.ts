import { describe, expect, it } from '@jest/globals';
import { fitsBlockKitLimits } from '../../../../bot/render/index.js';
import { formatAge, type JobRow, renderJobList } from '../../../../bot/render/jobs.js';
import { allText } from './fixtures.js';

const NOW = Date.parse('2026-12-06T10:00:00Z');
const row = (over: Partial<JobRow> = {}): JobRow => ({
  id: 'prb-prod-0123456789abcdef01234567',
  action: 'strace --duration 20s',
  target: 'shop/checkout-7d9f8b-x2kq',
  cluster: 'prod',
  requester: 'U0BOB',
  createdAt: NOW - 125_000,
  state: 'running',
  ...over,
});

describe('renderJobList', () => {
  it('one line per request: id, action, target, cluster, requester, age, state; and how to cancel', () => {
    const m = renderJobList(
      [
        row(),
        row({
          id: 'diag-prod-89abcdef0123456789abcdef',
          action: 'diagnose',
          target: 'shop/deploy/cart',
          state: 'queued',
          createdAt: NOW - 4000,
          requester: 'U0ALICE',
        }),
      ],
      NOW,
    );
    const text = allText(m.blocks);
    expect(text).toContain('*2 queued or running requests in this channel*');
    expect(text).toContain(
      '• `prb-prod-0123456789abcdef01234567` strace --duration 20s on `shop/checkout-7d9f8b-x2kq` in prod — <@U0BOB>, 2 min ago — *running*',
    );
    expect(text).toContain(
      '• `diag-prod-89abcdef0123456789abcdef` diagnose on `shop/deploy/cart` in prod — <@U0ALICE>, 4 s ago — *queued*',
    );
    expect(text).toContain('/poddebug cancel ID');
    expect(fitsBlockKitLimits(m)).toEqual([]);
  });

  it('says so when nothing is open', () => {
    expect(renderJobList([], NOW).text).toMatch(/^No queued or running poddebug requests in this channel\./);
  });

  it('a long list stays within a section and says how many are not shown', () => {
    const rows = Array.from({ length: 60 }, (_, i) => row({ target: `shop/${'x'.repeat(150)}-${i}` }));
    const m = renderJobList(rows, NOW, 5);
    expect(fitsBlockKitLimits(m)).toEqual([]);
    const shown = (allText(m.blocks).match(/^• /gm) ?? []).length;
    expect(shown).toBeGreaterThan(3);
    expect(shown).toBeLessThan(60);
    expect(allText(m.blocks)).toContain(`…and ${65 - shown} more`);
    expect(allText(m.blocks)).toContain('*65 queued or running requests');
  });

  it('user text is escaped, never markup', () => {
    const text = allText(
      renderJobList([row({ target: 'shop/<!channel>', requester: 'not-an-id' })], NOW).blocks,
    );
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('&lt;!channel&gt;');
  });
});

describe('formatAge', () => {
  it.each([
    [0, '0 s'],
    [59_999, '59 s'],
    [60_000, '1 min'],
    [3_599_000, '59 min'],
    [3_600_000, '1 h'],
    [3_900_000, '1 h 5 min'],
    [50 * 3_600_000, '2 d'],
    [-5, '0 s'],
  ])('%d ms → %s', (ms, out) => {
    expect(formatAge(ms)).toBe(out);
  });
});
