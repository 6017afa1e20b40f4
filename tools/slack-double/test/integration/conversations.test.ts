/**
 * Message metadata, conversations.history and conversations.replies, driven by the real @slack/web-api
 * WebClient against the double: what a recovering bot reads back to find the messages it already posted.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { WebClient } from '@slack/web-api';
import { type SlackDouble, slackClient, startSlackDouble } from '../../index.js';

const CHANNEL = 'C0INCIDENT';
const META = { event_type: 'poddebug_request', event_payload: { request_id: 'req-42', kind: 'diagnose' } };

function errorCode(err: unknown): string | undefined {
  const data = (err as { data?: { error?: unknown } } | undefined)?.data;
  return typeof data?.error === 'string' ? data.error : undefined;
}

async function failure(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return errorCode(err);
  }
  throw new Error('expected the call to fail');
}

describe('Slack double: message metadata, conversations.history and conversations.replies', () => {
  let slack: SlackDouble;
  let client: WebClient;

  beforeAll(async () => {
    slack = await startSlackDouble();
    client = slackClient(slack, { retryConfig: { retries: 0 } });
  });
  afterAll(() => slack.close());
  beforeEach(() => slack.reset());

  const post = async (text: string, extra: Record<string, unknown> = {}) => {
    const r = await client.chat.postMessage({ channel: CHANNEL, text, ...extra });
    return r.ts!;
  };

  describe('metadata on chat.postMessage and chat.update', () => {
    it('stores metadata sent as an object, returns it from postMessage, and from history only on request', async () => {
      const posted = await client.chat.postMessage({ channel: CHANNEL, text: 'queued…', metadata: META });
      expect(posted.message?.metadata).toEqual(META);
      expect(slack.messages(CHANNEL)[0]?.metadata).toEqual(META);

      const plain = await client.conversations.history({ channel: CHANNEL });
      expect(plain.messages?.[0]?.ts).toBe(posted.ts);
      expect(plain.messages?.[0]).not.toHaveProperty('metadata');

      const full = await client.conversations.history({ channel: CHANNEL, include_all_metadata: true });
      expect(full.messages?.[0]?.metadata).toEqual(META);
    });

    it('accepts metadata as a JSON string, as a form field and in a JSON body', async () => {
      await client.apiCall('chat.postMessage', {
        channel: CHANNEL,
        text: 'a',
        metadata: JSON.stringify(META),
      });
      const res = await fetch(`${slack.apiUrl}chat.postMessage`, {
        method: 'POST',
        headers: {
          authorization: 'Bearer xoxb-test-token',
          'content-type': 'application/json; charset=utf-8',
        },
        body: JSON.stringify({ channel: CHANNEL, text: 'b', metadata: META }),
      });
      expect(await res.json()).toMatchObject({ ok: true, message: { metadata: META } });
      expect(slack.messages(CHANNEL).map((m) => m.metadata)).toEqual([META, META]);
    });

    it('chat.update replaces metadata, keeps it when absent and removes it with an empty object', async () => {
      const ts = await post('queued…', { metadata: META });
      const next = { event_type: 'poddebug_request', event_payload: { request_id: 'req-42', state: 'done' } };
      const updated = await client.chat.update({ channel: CHANNEL, ts, text: 'running…', metadata: next });
      expect(updated.message?.metadata).toEqual(next);
      await client.chat.update({ channel: CHANNEL, ts, text: 'done' });
      expect(slack.messages(CHANNEL)[0]).toMatchObject({ text: 'done', metadata: next });
      await client.apiCall('chat.update', { channel: CHANNEL, ts, text: 'done', metadata: {} });
      expect(slack.messages(CHANNEL)[0]).not.toHaveProperty('metadata');
    });

    it('refuses malformed metadata with Slack errors and stores nothing', async () => {
      expect(
        await failure(client.apiCall('chat.postMessage', { channel: CHANNEL, text: 'x', metadata: '{nope' })),
      ).toBe('invalid_metadata_format');
      expect(
        await failure(
          client.apiCall('chat.postMessage', { channel: CHANNEL, text: 'x', metadata: { event_type: 'x' } }),
        ),
      ).toBe('invalid_metadata_schema');
      expect(slack.messages(CHANNEL)).toEqual([]);
    });
  });

  describe('conversations.history', () => {
    it('lists top-level messages newest first, without thread replies unless broadcast', async () => {
      const a = await post('one');
      const b = await post('two');
      await post('quiet reply', { thread_ts: a });
      const loud = await post('broadcast reply', { thread_ts: a, reply_broadcast: true });
      const r = await client.conversations.history({ channel: CHANNEL });
      expect(r.messages?.map((m) => m.ts)).toEqual([loud, b, a]);
      expect(r.has_more).toBe(false);
      expect(r.response_metadata?.next_cursor ?? '').toBe('');
      expect(r.messages?.[2]?.reply_count).toBe(2);
    });

    it('honours oldest and latest, exclusive unless inclusive is set', async () => {
      const [a, b, c, d] = [await post('a'), await post('b'), await post('c'), await post('d')];
      const texts = async (args: Record<string, unknown>) =>
        (await client.conversations.history({ channel: CHANNEL, ...args })).messages?.map((m) => m.text);
      expect(await texts({ oldest: a, latest: d })).toEqual(['c', 'b']);
      expect(await texts({ oldest: a, latest: d, inclusive: true })).toEqual(['d', 'c', 'b', 'a']);
      expect(await texts({ oldest: b })).toEqual(['d', 'c']);
      expect(await texts({ latest: c })).toEqual(['b', 'a']);
      expect(await failure(client.conversations.history({ channel: CHANNEL, oldest: 'yesterday' }))).toBe(
        'invalid_ts_oldest',
      );
    });

    it('pages with limit and cursor until has_more is false, and the WebClient paginator reads them all', async () => {
      const posted: string[] = [];
      for (let i = 0; i < 5; i++) posted.push(await post(`m${i}`));
      const first = await client.conversations.history({ channel: CHANNEL, limit: 2 });
      expect(first.messages?.map((m) => m.text)).toEqual(['m4', 'm3']);
      expect(first.has_more).toBe(true);
      const second = await client.conversations.history({
        channel: CHANNEL,
        limit: 2,
        cursor: first.response_metadata!.next_cursor!,
      });
      expect(second.messages?.map((m) => m.text)).toEqual(['m2', 'm1']);

      const seen: string[] = [];
      for await (const page of client.paginate('conversations.history', { channel: CHANNEL, limit: 2 }))
        for (const m of (page as unknown as { messages: { ts: string }[] }).messages) seen.push(m.ts);
      expect(seen).toEqual([...posted].reverse());
    });

    it('answers channel_not_found, not_in_channel and invalid_cursor', async () => {
      expect(await failure(client.conversations.history({ channel: 'C0NOWHERE' }))).toBe('channel_not_found');
      slack.addChannel({ id: 'C0PRIVATE', name: 'private', isMember: false });
      expect(await failure(client.conversations.history({ channel: 'C0PRIVATE' }))).toBe('not_in_channel');
      await post('x');
      expect(await failure(client.conversations.history({ channel: CHANNEL, cursor: 'bm9wZQ==' }))).toBe(
        'invalid_cursor',
      );
    });

    it('knows a directory channel with no messages yet: an empty history', async () => {
      slack.addChannel({ id: 'C0QUIET', name: 'quiet' });
      const r = await client.conversations.history({ channel: 'C0QUIET' });
      expect(r.messages).toEqual([]);
      expect(r.has_more).toBe(false);
    });
  });

  describe('conversations.replies', () => {
    it('pages a thread oldest first with the parent at the top of the first page only', async () => {
      const parent = await post('status', { metadata: META });
      const replies: string[] = [];
      for (let i = 0; i < 4; i++) replies.push(await post(`r${i}`, { thread_ts: parent }));
      const first = await client.conversations.replies({ channel: CHANNEL, ts: parent, limit: 3 });
      expect(first.messages?.map((m) => m.text)).toEqual(['status', 'r0', 'r1']);
      expect(first.has_more).toBe(true);
      expect(first.messages?.[0]).not.toHaveProperty('metadata');
      const second = await client.conversations.replies({
        channel: CHANNEL,
        ts: parent,
        limit: 3,
        cursor: first.response_metadata!.next_cursor!,
        include_all_metadata: true,
      });
      expect(second.messages?.map((m) => m.text)).toEqual(['r2', 'r3']);
      expect(second.has_more).toBe(false);

      const withMeta = await client.conversations.replies({
        channel: CHANNEL,
        ts: replies[1]!,
        include_all_metadata: true,
      });
      expect(withMeta.messages?.[0]).toMatchObject({ ts: parent, metadata: META });
      expect(withMeta.messages).toHaveLength(5);
    });

    it('filters replies by oldest/latest and keeps the parent', async () => {
      const parent = await post('status');
      const [r0, r1, r2] = [
        await post('r0', { thread_ts: parent }),
        await post('r1', { thread_ts: parent }),
        await post('r2', { thread_ts: parent }),
      ];
      const r = await client.conversations.replies({ channel: CHANNEL, ts: parent, oldest: r0, latest: r2 });
      expect(r.messages?.map((m) => m.ts)).toEqual([parent, r1]);
    });

    it('answers thread_not_found, channel_not_found and invalid_cursor', async () => {
      const parent = await post('status');
      expect(await failure(client.conversations.replies({ channel: CHANNEL, ts: '1700000000.000100' }))).toBe(
        'thread_not_found',
      );
      expect(await failure(client.conversations.replies({ channel: 'C0NOWHERE', ts: parent }))).toBe(
        'channel_not_found',
      );
      expect(
        await failure(client.conversations.replies({ channel: CHANNEL, ts: parent, cursor: 'garbage' })),
      ).toBe('invalid_cursor');
    });
  });
});
