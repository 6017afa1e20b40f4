import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Job } from 'bullmq';
import type { ReadResult } from '../../jobs/contracts/index.js';
import type { PostedMessage } from '../../tools/slack-double/index.js';
import { ackBody, sendCommand, settled } from '../support/commands.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * logs, events and describe through the whole path: a signed slash command reaches the bot's HTTP receiver,
 * is acked, goes through Redis to the worker, which reads the API simulator (the sample incident); the
 * answer lands in the thread of the status message (inline, or as a file with its size and sha256).
 */
let stack: Stack;
const NS = 'shop';
const CRASHED = 'checkout-7d9f8b6c5-x2kqp';
const CRASHED_UID = '1d1c891d-40dd-40ed-a93a-74b082b98597';
const HEALTHY = 'checkout-7d9f8b6c5-m4zrt';

beforeAll(async () => {
  stack = await startStack({ fixtures: 'test/fixtures/sample-incident' });
});
afterAll(async () => {
  expect(stack.slack.missingFallbacks()).toEqual([]);
  await stack?.close();
});

function visibleText(m: { text?: string; blocks?: unknown[] }): string {
  const out: string[] = [m.text ?? ''];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'text' && typeof x === 'string') out.push(x);
        else walk(x);
      }
    }
  };
  walk(m.blocks ?? []);
  return out.join('\n');
}

const ago = (sec: number) => new Date(Date.now() - sec * 1000).toISOString();

/** Runs a command, waits for the final status message and its one reply; returns them with the job's result. */
async function run(text: string, channel: string) {
  const { res, id } = await sendCommand(stack, text, { channelId: channel });
  expect(res.status).toBe(200);
  expect(res.elapsedMs).toBeLessThan(3000);
  expect(ackBody(res).text ?? '').toBe('');
  const { status, replies } = await settled(stack, channel, { timeoutMs: 20_000, replyMs: 5000 });
  const job = await Job.fromId(stack.queue(), id);
  const result = job?.returnvalue as ReadResult;
  // A file shared into the thread is a message of its own; the reply is the one with blocks.
  const reply = replies.find((m) => (m.blocks ?? []).length > 0) as PostedMessage;
  return { status, reply, replies, result, id, text: () => textOf(result, channel) };
}

/** What the read produced: its inline text, or its file as uploaded into the channel. */
async function textOf(result: ReadResult | undefined, channel: string): Promise<string> {
  if (result?.inline !== undefined) return result.inline;
  const file = await stack.slack.waitFor(
    () => stack.slack.files().find((f) => f.channel === channel),
    10_000,
  );
  return file.bytes.toString('utf8');
}

describe('logs end to end', () => {
  it('--previous --tail 2: the last two lines of the crashed instance, inline', async () => {
    const { status, reply, result } = await run(`logs ${CRASHED} -n ${NS} --previous --tail 2`, 'C0LOGS0001');
    expect(status.text).toMatch(/Reading logs of .*— done: 2 lines/);
    expect(result.inline?.split('\n').filter(Boolean)).toHaveLength(2);
    const shown = visibleText(reply);
    expect(shown).toContain('slow cart total: 2311 ms');
    expect(shown).toContain('cache size 2907733 entries');
    expect(shown).not.toContain('Started CheckoutApplication');
    expect(shown).toContain('previous instance');
  });

  it('--previous on a container that never restarted: the API server’s refusal, said in the thread', async () => {
    const { status, reply } = await run(`logs ${HEALTHY} -n ${NS} --previous`, 'C0LOGS0002');
    expect(status.text).toMatch(/failed/);
    expect(visibleText(reply)).toMatch(/previous terminated container .*not found/);
  });

  it('--since 10m keeps only the lines the runtime wrote in the last ten minutes; --timestamps shows their times', async () => {
    const times = [ago(3600), ago(1800), ago(300), ago(60)];
    stack.sim.setLog(NS, HEALTHY, 'checkout', 'old one\nold two\nrecent one\nrecent two\n', false, times);
    const { reply, result } = await run(`logs ${HEALTHY} -n ${NS} --since 10m --timestamps`, 'C0LOGS0003');
    expect(result.inline).toBe(`${times[2]} recent one\n${times[3]} recent two\n`);
    expect(visibleText(reply)).not.toContain('old one');
  });

  it('--since-time: the same cut at an RFC 3339 instant', async () => {
    const times = [ago(3600), ago(1800), ago(300), ago(60)];
    stack.sim.setLog(NS, HEALTHY, 'checkout', 'a1\na2\na3\na4\n', false, times);
    const { result } = await run(
      `logs ${HEALTHY} -n ${NS} --since-time ${ago(900).replace(/\.\d+Z$/, 'Z')}`,
      'C0LOGS0004',
    );
    expect(result.inline).toBe('a3\na4\n');
  });

  it('deploy/NAME merges its pods’ lines in time order with a pod prefix; --grep keeps the matching ones', async () => {
    stack.sim.setLog(NS, HEALTHY, 'checkout', 'm1 ok\nm2 ERROR timeout\nm3 ok\n', false, [
      ago(50),
      ago(30),
      ago(10),
    ]);
    // The crash-looping pod's current log is its last terminated instance's (as the kubelet serves it).
    stack.sim.setLog(NS, CRASHED, 'checkout', 'x1 ERROR refused\nx2 ok\n', true, [ago(40), ago(20)]);
    const all = await run(`logs deploy/checkout -n ${NS}`, 'C0LOGS0005');
    expect(all.result.inline).toBe(
      [
        `[${HEALTHY}] m1 ok`,
        `[${CRASHED}] x1 ERROR refused`,
        `[${HEALTHY}] m2 ERROR timeout`,
        `[${CRASHED}] x2 ok`,
        `[${HEALTHY}] m3 ok`,
        '',
      ].join('\n'),
    );
    expect(all.status.text).toContain('5 lines from 2 pods');
    const grep = await run(`logs deploy/checkout -n ${NS} --grep "ERROR (timeout|refused)"`, 'C0LOGS0006');
    expect(grep.result.inline).toBe(`[${CRASHED}] x1 ERROR refused\n[${HEALTHY}] m2 ERROR timeout\n`);
    expect(grep.status.text).toContain('2 of 5 lines match');
  });

  it('a long log is uploaded into the thread as a file, named, with its size and sha256; secrets redacted', async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => `line ${i} request ok`);
    lines[1500] = 'connecting with password=hunter2hunter2 to db';
    stack.sim.setLog(NS, HEALTHY, 'checkout', `${lines.join('\n')}\n`);
    const { reply, result, status } = await run(`logs ${HEALTHY} -n ${NS}`, 'C0LOGS0007');
    expect(status.text).toContain('3000 lines');
    expect(result.inline).toBeUndefined();
    expect(result.artefacts).toHaveLength(1);
    const meta = result.artefacts[0]!;
    const file = await stack.slack.waitFor(
      () => stack.slack.files().find((f) => f.channel === 'C0LOGS0007'),
      10_000,
    );
    expect(file.filename).toBe(meta.name);
    expect(file.thread_ts).toBe(status.ts);
    expect(file.bytes.length).toBe(meta.bytes);
    expect(createHash('sha256').update(file.bytes).digest('hex')).toBe(meta.sha256);
    const text = file.bytes.toString('utf8');
    expect(text.split('\n').filter(Boolean)).toHaveLength(3000);
    expect(text).not.toContain('hunter2hunter2');
    const shown = visibleText(reply);
    expect(shown).toContain(meta.name);
    expect(shown).toContain(meta.sha256);
    expect(shown).toMatch(/1 secret redacted/);
  });

  it('a catastrophic pattern cannot hang the worker: (a+)+$ over long lines of a’s finishes within the budget, and the next request is served', async () => {
    const line = `${'a'.repeat(4000)}!`;
    stack.sim.setLog(NS, HEALTHY, 'checkout', `${Array.from({ length: 500 }, () => line).join('\n')}\n`);
    const started = Date.now();
    const { result, status } = await run(`logs ${HEALTHY} -n ${NS} --grep (a+)+$`, 'C0LOGS0008');
    expect(status.text).toMatch(/done: 0 of 500 lines match/);
    expect(result.inline).toBe('');
    expect(Date.now() - started).toBeLessThan(10_000);
    stack.sim.setLog(NS, HEALTHY, 'checkout', 'still here\n');
    const next = await run(`logs ${HEALTHY} -n ${NS}`, 'C0LOGS0009');
    expect(next.result.inline).toBe('still here\n');
  });
});

describe('events end to end', () => {
  it('reads both API groups, counts each event once, aggregates repeats with first and last seen', async () => {
    const pod = CRASHED;
    // One event only in events.k8s.io/v1 (a newer component writes it there), seen twice with a series.
    stack.sim.put({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: `${pod}.v1only`, namespace: NS, uid: randomUUID(), creationTimestamp: ago(600) },
      eventTime: ago(600),
      // (the pod's uid, as the fixture has it: the worker selects events by the object's uid too)
      regarding: { kind: 'Pod', name: pod, namespace: NS, apiVersion: 'v1', uid: CRASHED_UID },
      reason: 'NodeMemoryPressureEviction',
      note: 'pod is a candidate for eviction under memory pressure',
      type: 'Warning',
      reportingController: 'kubelet',
      reportingInstance: 'shop-node-2',
      action: 'Evicting',
      series: { count: 3, lastObservedTime: ago(30) },
    });
    const r = await run(`events ${pod} -n ${NS}`, 'C0EVENTS01');
    const text = await r.text();
    expect(text).toMatch(/^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+COUNT\s+FIRST SEEN\s+MESSAGE/);
    const evict = text.split('\n').find((l) => l.includes('NodeMemoryPressureEviction'))!;
    expect(evict).toMatch(
      /^30s\s+Warning\s+NodeMemoryPressureEviction\s+Pod\/\S+\s+3\s+10m\s+pod is a candidate/,
    );
    // every core event of the pod appears once, although the lists of both groups return it
    const backoff = text.split('\n').filter((l) => /\bBackOff\b/.test(l));
    expect(backoff).toHaveLength(1);
    expect(visibleText(r.reply)).toContain('core/v1 and events.k8s.io/v1');
  });

  it('--warnings keeps only warnings; --since keeps what was last seen in the window', async () => {
    const all = await run(`events deploy/checkout -n ${NS}`, 'C0EVENTS02');
    const warn = await run(`events deploy/checkout -n ${NS} --warnings`, 'C0EVENTS03');
    const rows = async (r: { text: () => Promise<string> }) =>
      (await r.text()).split('\n').slice(1).filter(Boolean);
    const allRows = await rows(all);
    const warnRows = await rows(warn);
    expect(allRows.some((l) => /\sNormal\s/.test(l))).toBe(true);
    expect(warnRows.length).toBeGreaterThan(0);
    expect(warnRows.length).toBeLessThan(allRows.length);
    expect(warnRows.every((l) => /\sWarning\s/.test(l))).toBe(true);
    const recent = await run(`events deploy/checkout -n ${NS} --since 1m`, 'C0EVENTS04');
    const recentRows = await rows(recent);
    expect(recentRows.length).toBeLessThan(allRows.length);
    expect(recentRows.every((l) => /^\d+s\s/.test(l))).toBe(true);
  });
});

describe('describe end to end', () => {
  it('a pod: kubectl describe’s sections, uploaded as a file when long', async () => {
    const { result, reply } = await run(`describe ${CRASHED} -n ${NS}`, 'C0DESCR001');
    const file = await stack.slack.waitFor(
      () => stack.slack.files().find((f) => f.channel === 'C0DESCR001'),
      10_000,
    );
    const text = file.bytes.toString('utf8');
    for (const section of [
      `Name:`,
      'Namespace:        shop',
      'Controlled By:    ReplicaSet/checkout-7d9f8b6c5',
      'Containers:',
      'Last State:',
      'OOMKilled',
      'Restart Count:',
      'Conditions:',
      'Volumes:',
      'QoS Class:',
      'Events:',
    ])
      expect([section, text.includes(section)]).toEqual([section, true]);
    expect(text).toMatch(/BackOff\s+\S+ \(x\d+ over \S+\)/);
    expect(result.artefacts[0]!.sha256).toBe(createHash('sha256').update(file.bytes).digest('hex'));
    expect(visibleText(reply)).toContain(result.artefacts[0]!.name);
  });

  it('an owner: replicas, strategy, template, conditions and its pods by the selector', async () => {
    const { result } = await run(`describe deploy/checkout -n ${NS}`, 'C0DESCR002');
    const file = await stack.slack.waitFor(
      () => stack.slack.files().find((f) => f.channel === 'C0DESCR002'),
      10_000,
    );
    const text = file.bytes.toString('utf8');
    expect(result.target).toEqual({ kind: 'Deployment', namespace: NS, name: 'checkout' });
    expect(text).toMatch(
      /^Replicas:\s+2 desired \| \d+ updated \| \d+ total \| \d+ available \| \d+ unavailable$/m,
    );
    expect(text).toMatch(/^StrategyType:\s+RollingUpdate$/m);
    expect(text).toContain('Pod Template:');
    expect(text).toContain(CRASHED);
    expect(text).toContain(HEALTHY);
  });

  it('an unknown pod: the failure in the thread, nothing else', async () => {
    const { status, reply } = await run(`describe nosuch-pod -n ${NS}`, 'C0DESCR003');
    expect(status.text).toMatch(/failed/);
    expect(visibleText(reply)).toMatch(/No pod `nosuch-pod`/);
  });
});
