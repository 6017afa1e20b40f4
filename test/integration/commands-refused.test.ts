import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sendSlashCommand } from '../../tools/slack-double/index.js';
import { SIGNING_SECRET, type Stack, startStack } from '../support/stack.js';

/**
 * Malformed commands through the real HTTP receiver: each is answered in the
 * ack with a short ephemeral message naming what was wrong, and none reaches
 * the queue or posts anything in the channel.
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ worker: false, fixtures: [] });
});
afterAll(async () => {
  await stack?.close();
});

const cases: [input: string, mentions: RegExp][] = [
  ['frobnicate checkout', /frobnicate/],
  ['diagnos checkout', /did you mean/i],
  ['diagnose', /pod|target/i],
  ['diagnose Checkout-7d9f', /Checkout-7d9f/],
  ['diagnose checkout_7d9f', /checkout_7d9f/],
  ['diagnose -checkout', /target|pod/i],
  ['diagnose a b', /b/],
  ['diagnose checkout -x', /-x/],
  ['diagnose checkout --force', /--force/],
  ['diagnose checkout -n', /-n|namespace/],
  ['diagnose checkout -n shop -n prod', /more than once|repeated|twice|once/i],
  ['diagnose checkout -n Shop', /Shop/],
  [`diagnose checkout -n ${'a'.repeat(64)}`, /namespace/i],
  [`diagnose ${'a'.repeat(254)}`, /253|long/i],
  [`diagnose checkout ${'x'.repeat(400)}`, /long/i],
  ['diagnose check\u0000out', /control|\\u0000/i],
  ['diagnose check\u001bout', /control|\\u001b/i],
  ['diagnose check\u200bout', /\\u200b|invisible|zero-width|character/i],
  ['diagnose check\u202eout', /\\u202e|character|bidi/i],
  ['diagnose сheckout', /character|valid|сheckout|\\u0441/i],
  ['diagnose checkout;reboot', /`;`.*not allowed/],
  ['diagnose checkout | sh', /not allowed/],
  ['diagnose $(id)', /`\$`.*not allowed/],
  ['diagnose `id`', /backtick is not allowed/],
  ['diagnose checkout && id', /ampersand.*not allowed/],
  ['diagnose checkout > /tmp/x', /redirect.*not allowed/],
  ['diagnose checkout --namespace=--all', /--all|namespace/i],
  ['diagnose rs/checkout -n shop', /rs\//],
  ['diagnose svc/checkout -n shop', /svc\//],
  ['diagnose deploy/ -n shop', /name/i],
  ['diagnose deploy/checkout', /namespace|-n/i],
  ['diagnose checkout --cluster mars', /mars/],
  ['diagnose checkout -c Api', /Api/],
  ['diagnose checkout -n ""', /namespace|""|empty/i],
  // privileged probes: refused by the grammar before any policy check, modal or queue
  ['strace checkout -n shop --duration 99999s', /at most/],
  ['strace checkout', /-n|namespace/],
  ['strace deploy/checkout -n shop', /one pod|diagnose/],
  ['strace checkout -n shop --trace all', /all/],
  ['strace checkout -n shop -o /etc/passwd', /-o/],
  ['tcpdump checkout -n shop --filter -w /etc/passwd', /-w/],
  ['tcpdump checkout -n shop --filter port 53 -z sh', /-z/],
  ['tcpdump checkout -n shop --filter host $(id)', /not allowed/],
  ['netcheck checkout -n shop db:5432;reboot', /not allowed/],
  ['netcheck checkout -n shop db:99999', /99999|port/],
  ['mem сheckout -n shop', /\\u0441|character|look/i],
  ['ps checkout -n shop -- -x', /--/],
];

describe('malformed commands are refused before the queue', () => {
  it(`covers at least 30 cases (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases)('%j', async (input, mentions) => {
    const res = await sendSlashCommand(stack.eventsUrl, SIGNING_SECRET, {
      text: input,
      channelId: 'C0REFUSED',
    });
    expect(res.status).toBe(200);
    expect(res.elapsedMs).toBeLessThan(3000);
    const body = res.json as { response_type?: string; text?: string };
    expect(body.response_type).toBe('ephemeral');
    expect(body.text).toMatch(mentions);
    expect((body.text ?? '').length).toBeLessThan(600);
    // no raw control, zero-width or bidi character is echoed back
    const raw = [...(body.text ?? '')].filter((ch) => {
      const c = ch.codePointAt(0)!;
      return (c < 0x20 && ch !== '\n') || c === 0x7f || c === 0x200b || c === 0x202e;
    });
    expect(raw).toEqual([]);
  });

  it('left nothing behind: no job, no message', async () => {
    const q = stack.queue();
    const counts = await q.getJobCounts();
    await q.close();
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(0);
    expect(stack.slack.messages('C0REFUSED')).toHaveLength(0);
    expect(stack.slack.calls('chat.postMessage')).toHaveLength(0);
    expect(stack.slack.calls('views.open')).toHaveLength(0);
  });

  it('refuses a request whose signature does not verify, and a stale one', async () => {
    const bad = await sendSlashCommand(
      stack.eventsUrl,
      SIGNING_SECRET,
      { text: 'diagnose checkout' },
      { badSignature: true },
    );
    expect(bad.status).toBe(401);
    const stale = await sendSlashCommand(
      stack.eventsUrl,
      SIGNING_SECRET,
      { text: 'diagnose checkout' },
      { timestampSec: Math.floor(Date.now() / 1000) - 600 },
    );
    expect(stale.status).toBe(401);
  });

  it('answers help ephemerally', async () => {
    const res = await sendSlashCommand(stack.eventsUrl, SIGNING_SECRET, { text: 'help' });
    const body = res.json as { response_type?: string; text?: string };
    expect(body.response_type).toBe('ephemeral');
    expect(body.text).toMatch(/diagnose/);
  });
});
