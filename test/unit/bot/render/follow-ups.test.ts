/**
 * Follow-up buttons under a diagnosis: each carries the text of a command, shown only when the grammar
 * accepts it (the verbs that land later light up without a change), and that text names the pod, namespace,
 * container and cluster diagnosed, so a click runs exactly what a user would type.
 */
import { describe, expect, it } from '@jest/globals';
import type { ActionsBlock, Button } from '@slack/types';
import { parseCommand } from '../../../../bot/grammar/index.js';
import {
  FOLLOW_UP_ACTION_PREFIX,
  FOLLOW_UPS,
  followUpButtons,
  parseFollowUpValue,
} from '../../../../bot/render/follow-ups.js';
import { fitsBlockKitLimits, renderDiagnosis } from '../../../../bot/render/index.js';
import { crashLoop, ctx, diagnosed } from './fixtures.js';

const target = { cluster: 'prod', namespace: 'shop', pod: 'checkout-7d9f8b-x2kq', container: 'app' };
const grammar = { clusters: ['prod'], defaultCluster: 'prod' };

describe('followUpButtons', () => {
  const buttons = followUpButtons(target);

  it('offers a button exactly for each follow-up whose command this grammar accepts', () => {
    const expected = FOLLOW_UPS.filter((f) => parseCommand(f.command(target), grammar).ok).map(
      (f) => f.label,
    );
    expect(buttons.map((b) => b.text.text)).toEqual(expected);
    // strace exists on every branch: its button is always there, saying it needs an approval.
    expect(expected).toContain('strace — needs approval');
  });

  it('each value is the command for the diagnosed pod, container and cluster, and parses to it', () => {
    const strace = buttons.find((b) => b.action_id === `${FOLLOW_UP_ACTION_PREFIX}_strace`)!;
    expect(strace.value).toBe('strace checkout-7d9f8b-x2kq -n shop -c app --cluster prod');
    const parsed = parseCommand(strace.value!, grammar);
    expect(parsed).toMatchObject({
      ok: true,
      command: {
        verb: 'probe',
        cluster: 'prod',
        target: { namespace: 'shop', pod: 'checkout-7d9f8b-x2kq', container: 'app' },
        spec: { action: 'strace' },
      },
    });
    for (const b of buttons) {
      expect(b.value).toContain('checkout-7d9f8b-x2kq -n shop');
      expect(b.value).toContain('--cluster prod');
    }
  });

  it('action ids are unique within the message and share the listener prefix', () => {
    const ids = buttons.map((b) => b.action_id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^poddebug_followup_[a-z0-9-]+$/);
  });

  it('without a known container, no -c is invented', () => {
    const [first] = followUpButtons({ ...target, container: undefined });
    expect(first?.value).not.toContain(' -c ');
  });

  it('the commands of every follow-up name verbs of the issue (logs, events, debug, connectivity, strace)', () => {
    expect(FOLLOW_UPS.map((f) => f.command(target).split(' ')[0])).toEqual([
      'logs',
      'events',
      'debug',
      'connectivity',
      'strace',
    ]);
    expect(FOLLOW_UPS.find((f) => f.key === 'logs-previous')?.command(target)).toContain('--previous');
  });
});

describe('under a diagnosis', () => {
  it('sit beside Re-run, within Block Kit limits', () => {
    const m = renderDiagnosis(diagnosed([crashLoop]), {
      ...ctx,
      requested: { kind: 'pod', name: 'x', container: 'app' },
    });
    const actions = m.blocks.at(-1) as ActionsBlock;
    const els = actions.elements as Button[];
    expect(els[0]!.action_id).toBe('poddebug_rerun');
    expect(els.slice(1).map((b) => b.value)).toEqual(followUpButtons(target).map((b) => b.value));
    expect(fitsBlockKitLimits(m)).toEqual([]);
  });

  it('are not offered when the target diagnosed is an owner without pods', () => {
    const m = renderDiagnosis(
      diagnosed([crashLoop], { target: { kind: 'Deployment', namespace: 'shop', name: 'checkout' } }),
      ctx,
    );
    const els = (m.blocks.at(-1) as ActionsBlock).elements as Button[];
    expect(els.map((b) => b.action_id)).toEqual(['poddebug_rerun']);
  });
});

describe('parseFollowUpValue', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    [42, undefined],
    ['x'.repeat(2001), undefined],
    ['strace a -n b', 'strace a -n b'],
  ])('%j → %j', (value, out) => {
    expect(parseFollowUpValue(value)).toBe(out);
  });
});
