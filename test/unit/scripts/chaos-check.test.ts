import { describe, expect, it } from '@jest/globals';
import {
  checkRequest,
  countRow,
  indexMessages,
  isFinalStatus,
  isSettled,
  type SentCommand,
  type SlackMessage,
} from '../../../scripts/chaos/check.js';

const ID = 'diag-prod-0123456789abcdef01234567';
const cmd: SentCommand = { requestId: ID, channel: 'CH00N1', acked: true };
const status = (phase: string, ts = '100.000001'): SlackMessage => ({
  channel: 'CH00N1',
  ts,
  text: `🔎 Diagnosing \`shop/web\` on *prod* for <@U1> — ${phase}`,
});
const result = (ts: string, thread = '100.000001'): SlackMessage => ({
  channel: 'CH00N1',
  ts,
  thread_ts: thread,
  text: 'findings',
  blocks: [{ type: 'context', elements: [{ type: 'mrkdwn', text: `job \`${ID}\`` }] }],
});
const fullAudit = new Map([[ID, new Set(['requested', 'succeeded'])]]);

function check(messages: SlackMessage[], audit = fullAudit, c = cmd) {
  return checkRequest(c, indexMessages(messages), audit);
}

describe('chaos: what counts per request', () => {
  it('reads the phase, not the verdict, of a status message', () => {
    expect(isFinalStatus(status('queued…').text!)).toBe(false);
    expect(isFinalStatus(status('running: gathering…').text!)).toBe(false);
    expect(
      isFinalStatus(`${status('done: 1 warning — see thread').text}\nContainer is running but not ready`),
    ).toBe(true);
    expect(isFinalStatus(status('failed: the cluster did not answer').text!)).toBe(true);
  });

  it('passes one final status, one result and both audit entries', () => {
    const v = check([status('done: 1 warning — see thread'), result('100.000002')]);
    expect(v.problems).toEqual([]);
    expect(isSettled(v)).toBe(true);
  });

  it('counts an orphaned "queued" status beside the final one as a duplicate and as stuck', () => {
    const v = check([
      status('queued…', '100.000001'),
      status('done: 1 warning — see thread', '100.000005'),
      result('100.000006', '100.000005'),
    ]);
    expect(v.duplicateStatuses).toBe(1);
    expect(v.stuck).toBe(true);
    const row = countRow([v]);
    expect(row).toMatchObject({ duplicateStatuses: 1, duplicateResults: 0, stuck: 1, lost: 0 });
  });

  it('counts a second result, a lost result and a missing requested entry', () => {
    const dup = check([status('done — see thread'), result('100.000002'), result('100.000003')]);
    expect(dup.duplicateResults).toBe(1);
    const lost = check([status('failed: boom')], new Map([[ID, new Set(['failed'])]]));
    expect(lost.lost).toBe(true);
    expect(lost.missingAudit).toEqual(['requested']);
    expect(countRow([dup, lost])).toMatchObject({
      results: 1,
      lost: 1,
      duplicateResults: 1,
      missingAudit: 1,
    });
  });

  it('holds an unacked command only to what it left behind', () => {
    const unacked = { ...cmd, acked: false };
    expect(check([], new Map(), unacked).problems).toEqual([]);
    expect(isSettled(check([], new Map(), unacked))).toBe(true);
    expect(check([status('queued…')], new Map(), unacked).stuck).toBe(true);
  });

  it('follows message metadata when the bot sets it, wherever the message is', () => {
    const meta = { event_type: 'poddebug_request', event_payload: { request_id: ID } };
    const other = {
      event_type: 'poddebug_request',
      event_payload: { request_id: 'diag-prod-ffffffffffffffffffffffff' },
    };
    const v = check([
      { ...status('done — see thread'), metadata: meta },
      { channel: 'CH00N1', ts: '100.000002', thread_ts: '100.000001', text: 'findings', metadata: meta },
      { ...status('queued…', '100.000009'), metadata: other },
    ]);
    expect(v.statuses).toHaveLength(1);
    expect(v.results).toBe(1);
    expect(v.problems).toEqual([]);
  });
});
