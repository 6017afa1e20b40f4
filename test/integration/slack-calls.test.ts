/**
 * How many Slack Web API calls a diagnose makes (chat.update is Tier 3: about 50 a minute per workspace),
 * counted by the Slack double through the real stack: a diagnose that finishes within 2 s makes three (the
 * status message, the findings in its thread, the status message's final state); one that runs longer
 * shows its progress on the status message, coalesced, and still ends on its final state.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RecordedCall } from '../../tools/slack-double/index.js';
import { finalStatus as finalStatusOf, newChannel, sendCommand } from '../support/commands.js';
import { listScenarios } from '../support/scenarios.js';
import { type Stack, startStack } from '../support/stack.js';

const healthy = listScenarios().find((s) => s.name === 'healthy')!;
const POD = healthy.expect.pod;
const NS = healthy.namespace;
async function diagnose(s: Stack) {
  const t0 = Date.now();
  // (response_url: a hooks.slack.com one the double never sees, as Slack's own would be.)
  const { res, channel, id } = await sendCommand(s, `diagnose ${POD} -n ${NS}`, {
    channelId: newChannel('C0CALLS', 3),
    responseUrl: 'placeholder',
  });
  expect(res.status).toBe(200);
  expect(res.body).toBe('');
  return { channel, t0, id };
}

/** Waits for the status message's final state; returns it and when it was seen. */
async function finalStatus(s: Stack, channel: string) {
  const status = await finalStatusOf(s, channel, 30_000);
  return { status, at: Date.now() };
}

/** The Web API calls made about one channel's messages, in order. */
const callsIn = (s: Stack, channel: string): RecordedCall[] =>
  s.slack.calls().filter((c) => c.args.channel === channel);

describe('Slack calls per diagnose', () => {
  describe('a diagnose that finishes within 2 s', () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack();
    });
    afterAll(async () => {
      await stack?.close();
    });

    it('makes three calls: the status message, the findings in its thread, the final state', async () => {
      const { channel, t0 } = await diagnose(stack);
      const { status, at } = await finalStatus(stack, channel);
      expect(at - t0).toBeLessThan(2000);
      // Longer than the progress delay: a progress update held back would have landed by now.
      await new Promise((r) => setTimeout(r, 2500));
      const calls = callsIn(stack, channel);
      expect(calls.map((c) => c.method)).toEqual(['chat.postMessage', 'chat.postMessage', 'chat.update']);
      expect(calls[0]!.args.thread_ts).toBeUndefined();
      expect(calls[1]!.args.thread_ts).toBe(status.ts);
      expect(calls[2]!.args.ts).toBe(status.ts);
      expect(calls.every((c) => c.ok)).toBe(true);
      expect(stack.slack.messages(channel).find((m) => m.ts === status.ts)?.text).toMatch(/— done\b/);
      expect(stack.slack.thread(channel, status.ts)).toHaveLength(1);
    }, 30_000);

    it('ten at once: still three calls each', async () => {
      const runs = await Promise.all(Array.from({ length: 10 }, () => diagnose(stack)));
      for (const r of runs) await finalStatus(stack, r.channel);
      await new Promise((r) => setTimeout(r, 2500));
      for (const r of runs) {
        expect(callsIn(stack, r.channel).map((c) => c.method)).toEqual([
          'chat.postMessage',
          'chat.postMessage',
          'chat.update',
        ]);
      }
    }, 40_000);
  });

  describe('a diagnose that runs longer', () => {
    let stack: Stack;
    beforeAll(async () => {
      // Every API request takes 1.5 s: with its two dependent read steps the diagnose runs for seconds.
      stack = await startStack({ latencyMs: 1500 });
    });
    afterAll(async () => {
      await stack?.close();
    });

    it('shows that it is running after 2 s, coalesces its stages, and ends on the final state', async () => {
      const { channel, t0 } = await diagnose(stack);
      const { status, at } = await finalStatus(stack, channel);
      const took = at - t0;
      expect(took).toBeGreaterThan(2500);
      await new Promise((r) => setTimeout(r, 1000));
      const calls = callsIn(stack, channel);
      const progress = calls.filter((c) => c.method === 'chat.update' && /running/.test(String(c.args.text)));
      // The first no sooner than 2 s after the command, then at most one per 5 s.
      expect(progress.length).toBeGreaterThanOrEqual(1);
      expect(progress.length).toBeLessThanOrEqual(1 + Math.ceil((took - 2000) / 5000));
      expect(progress[0]!.at - t0).toBeGreaterThanOrEqual(1900);
      for (let i = 1; i < progress.length; i++)
        expect(progress[i]!.at - progress[i - 1]!.at).toBeGreaterThanOrEqual(4900);
      // Status message first, findings, then the final state last.
      expect(calls[0]!.method).toBe('chat.postMessage');
      expect(calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(2);
      expect(calls.at(-1)!.method).toBe('chat.update');
      expect(String(calls.at(-1)!.args.text)).toMatch(/— done\b/);
      expect(stack.slack.messages(channel).find((m) => m.ts === status.ts)?.text).toMatch(/— done\b/);
    }, 60_000);
  });
});
