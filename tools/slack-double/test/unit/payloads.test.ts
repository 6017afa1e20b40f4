import { describe, expect, it } from '@jest/globals';
import { blockActionPayload, newTriggerId, slashCommandBody } from '../../payloads.js';

describe('slashCommandBody', () => {
  it("sends Slack's fields in Slack's order, form-encoded", () => {
    const params = new URLSearchParams(
      slashCommandBody({ text: 'diagnose api-5f6 -n prod', userId: 'U0BOB' }),
    );
    expect([...params.keys()]).toEqual([
      'token',
      'team_id',
      'team_domain',
      'channel_id',
      'channel_name',
      'user_id',
      'user_name',
      'command',
      'text',
      'api_app_id',
      'is_enterprise_install',
      'response_url',
      'trigger_id',
    ]);
    expect(params.get('text')).toBe('diagnose api-5f6 -n prod');
    expect(params.get('command')).toBe('/poddebug');
    expect(params.get('user_id')).toBe('U0BOB');
    expect(slashCommandBody({ text: 'a b' })).toContain('text=a+b');
  });

  it('mints a different trigger_id per call unless one is given', () => {
    const a = new URLSearchParams(slashCommandBody({ text: '' })).get('trigger_id');
    const b = new URLSearchParams(slashCommandBody({ text: '' })).get('trigger_id');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^\d+\.\d+\.[0-9a-f]{32}$/);
    const given = newTriggerId();
    expect(new URLSearchParams(slashCommandBody({ text: '', triggerId: given })).get('trigger_id')).toBe(
      given,
    );
  });
});

describe('blockActionPayload', () => {
  it('places the clicked message and thread in container and message, as Slack does', () => {
    const p = blockActionPayload({
      actionId: 'approve',
      value: 'req-1',
      messageTs: '1732780000.000100',
      threadTs: '1732779999.000100',
    });
    expect(p.type).toBe('block_actions');
    expect(p.container).toMatchObject({
      type: 'message',
      message_ts: '1732780000.000100',
      thread_ts: '1732779999.000100',
    });
    expect(p.message).toMatchObject({ ts: '1732780000.000100', thread_ts: '1732779999.000100' });
    expect(p.actions).toEqual([
      expect.objectContaining({ action_id: 'approve', value: 'req-1', type: 'button' }),
    ]);
  });
});
