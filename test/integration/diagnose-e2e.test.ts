import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Job } from 'bullmq';
import type { DiagnoseResult } from '../../jobs/contracts/index.js';
import { sendBlockAction } from '../../tools/slack-double/index.js';
import { finalStatus, sendCommand } from '../support/commands.js';
import { listScenarios } from '../support/scenarios.js';
import { SIGNING_SECRET, type Stack, startStack } from '../support/stack.js';

/**
 * The whole path, for every scenario fixture: a signed slash command reaches
 * the bot's HTTP receiver, is acked within Slack's 3 s, goes through Redis to
 * the worker, which reads the API simulator; the findings land in the thread
 * of the status message in the Web API double, and the status message ends
 * in its final state.
 */
const scenarios = listScenarios();
let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  // every message the bot posted with blocks carried a plain-text fallback
  expect(stack.slack.missingFallbacks()).toEqual([]);
  await stack?.close();
});

/** Every text a person sees in a message: the fallback and each text of its blocks. */
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

const mrkdwn = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

describe('diagnose end to end (slash command → Redis → worker → simulator → thread)', () => {
  it('has a scenario for every rule id the issue lists', () => {
    const ids = new Set(scenarios.flatMap((s) => s.expect.findings.map((f) => f.id)));
    for (const id of [
      'crash-loop',
      'app-error',
      'exits-zero-restart-always',
      'oom-killed',
      'killed-not-oom',
      'exit-code',
      'command-not-found',
      'image-pull',
      'invalid-image',
      'container-config-error',
      'create-container-error',
      'unschedulable',
      'scheduling-gated',
      'failed-mount',
      'sandbox-error',
      'readiness-failing',
      'liveness-failing',
      'init-container-failing',
      'evicted',
      'disrupted',
      'deadline-exceeded',
      'stuck-terminating',
      'node-not-ready',
      'node-pressure',
      'high-restarts',
      'rollout-stuck',
      'job-failed',
      'healthy',
      'dependency-unreachable',
      'dns-failure',
      'tls-error',
      'permission-denied',
      'exec-format-error',
      'runtime-oom',
      'create-failed',
      'cpu-throttled',
      'probe-misconfigured',
    ]) {
      expect([id, ids.has(id)]).toEqual([id, true]);
    }
  });

  it.each(scenarios.map((s, i) => [s.name, s, i] as const))('%s', async (_name, s, i) => {
    const channel = `C0SCEN${String(i).padStart(3, '0')}`;
    const target = s.expect.target ?? s.expect.pod;
    const { res, id: jobId } = await sendCommand(stack, `diagnose ${target} -n ${s.namespace}`, {
      channelId: channel,
    });
    expect(res.status).toBe(200);
    expect(res.elapsedMs).toBeLessThan(3000);

    // the visible status message, then its final state
    const status = await finalStatus(stack, channel, 20_000);
    expect(status.text).toMatch(/done/i);
    expect(status.text).toContain(s.namespace);

    // the result the worker stored, by id, severity and key evidence
    const job = await Job.fromId(stack.queue(), jobId);
    const result = job?.returnvalue as DiagnoseResult;
    expect(result.outcome).toBe('diagnosed');
    if (result.outcome !== 'diagnosed') return;
    expect(result.target).toEqual({ kind: 'Pod', namespace: s.namespace, name: s.expect.pod });
    for (const want of s.expect.findings) {
      const got = result.findings.find((f) => f.id === want.id);
      expect([want.id, got?.severity]).toEqual([want.id, want.severity]);
      expect([want.id, 'rank', got ? result.findings.indexOf(got) + 1 : undefined]).toEqual([
        want.id,
        'rank',
        want.rank,
      ]);
      for (const ev of want.evidence ?? []) {
        expect([want.id, got?.evidence.some((line) => line.includes(ev))]).toEqual([want.id, true]);
      }
    }
    for (const id of s.expect.absent ?? []) {
      expect(result.findings.map((f) => f.id)).not.toContain(id);
    }

    // … and what a person reads in the thread: exactly one reply with every finding's title
    const replies = stack.slack.thread(channel, status.ts);
    expect(replies).toHaveLength(1);
    const shown = visibleText(replies[0]!);
    for (const want of s.expect.findings) {
      const f = result.findings.find((x) => x.id === want.id)!;
      expect(shown).toContain(mrkdwn(f.title));
    }
  });

  it('an owner without pods whose controller cannot create any reports create-failed with the quota', async () => {
    const channel = 'C0NOPODS1';
    const { id: jobId } = await sendCommand(stack, 'diagnose deploy/invoices -n create-failed-no-pods', {
      channelId: channel,
    });
    const status = await finalStatus(stack, channel, 20_000);
    expect(status.text).toMatch(/done/i);
    const job = await Job.fromId(stack.queue(), jobId);
    const result = job?.returnvalue as DiagnoseResult;
    expect(result.outcome).toBe('diagnosed');
    if (result.outcome !== 'diagnosed') return;
    expect(result.target).toEqual({
      kind: 'Deployment',
      namespace: 'create-failed-no-pods',
      name: 'invoices',
    });
    expect(result.findings.map((f) => [f.id, f.severity])).toEqual([['create-failed', 'critical']]);
    const f = result.findings[0]!;
    expect(f.title).toContain('exceeds ResourceQuota `compute-quota`');
    expect(f.evidence).toContain('resourcequota compute-quota: limits.memory used=7Gi hard=8Gi');
    expect(f.evidence.some((l) => l.includes('FailedCreate'))).toBe(true);
    const shown = visibleText(stack.slack.thread(channel, status.ts)[0]!);
    expect(shown).toContain(mrkdwn(f.title));
  });

  it('a redelivered request (same trigger, X-Slack-Retry-Num) makes no second job and no second message', async () => {
    const s = scenarios.find((x) => x.name === 'healthy')!;
    const channel = 'C0RETRY01';
    // Slack's retry is the same command, byte for byte: the same trigger_id and response_url.
    const same = {
      channelId: channel,
      triggerId: `retry.${randomUUID()}`,
      responseUrl: stack.slack.responseUrl({ channel, user: 'U0ONCALL1' }),
    };
    const text = `diagnose ${s.expect.pod} -n ${s.namespace}`;
    const first = await sendCommand(stack, text, same);
    const again = await sendCommand(stack, text, { ...same, send: { retryNum: 1 } });
    expect([first.res.status, again.res.status]).toEqual([200, 200]);
    const status = await stack.slack.waitFor(
      () => stack.slack.messages(channel).find((m) => !m.thread_ts && /— done\b/.test(m.text ?? '')),
      15_000,
    );
    await new Promise((r) => setTimeout(r, 1000));
    expect(stack.slack.messages(channel).filter((m) => !m.thread_ts)).toHaveLength(1);
    expect(stack.slack.thread(channel, status.ts)).toHaveLength(1);
    const q = stack.queue();
    const jobs = await q.getJobs(['completed', 'failed', 'active', 'waiting', 'delayed']);
    expect(
      jobs.filter((j) => (j.data as { requester?: { channelId?: string } }).requester?.channelId === channel),
    ).toHaveLength(1);
    await q.close();
  });

  it('the Re-run button diagnoses again, in the same thread, for the user who clicked', async () => {
    const s = scenarios.find((x) => x.name === 'oom-killed')!;
    const channel = 'C0RERUN01';
    await sendCommand(stack, `diagnose ${s.expect.pod} -n ${s.namespace}`, { channelId: channel });
    const status = await stack.slack.waitFor(
      () => stack.slack.messages(channel).find((m) => !m.thread_ts && /— done\b/.test(m.text ?? '')),
      15_000,
    );
    const reply = stack.slack.thread(channel, status.ts)[0]!;
    const button = JSON.stringify(reply.blocks).match(
      /"action_id":"poddebug_rerun","value":"((?:[^"\\]|\\.)*)"/,
    );
    expect(button).not.toBeNull();
    const value = JSON.parse(`"${button![1]}"`) as string;
    const res = await sendBlockAction(stack.eventsUrl, SIGNING_SECRET, {
      actionId: 'poddebug_rerun',
      value,
      userId: 'U0SECOND1',
      channelId: channel,
      messageTs: reply.ts,
      threadTs: status.ts,
      responseUrl: stack.slack.responseUrl({ channel, user: 'U0SECOND1' }),
    });
    expect(res.status).toBe(200);
    const rerunStatus = await stack.slack.waitFor(
      () =>
        stack.slack
          .thread(channel, status.ts)
          .find((m) => m.text?.includes('<@U0SECOND1>') && /— done\b/.test(m.text ?? '')),
      15_000,
    );
    expect(rerunStatus.text).toContain(s.namespace);
    const replies = stack.slack.thread(channel, status.ts);
    // original findings, the re-run's status message, the re-run's findings
    expect(replies).toHaveLength(3);
    expect(visibleText(replies[2]!)).toMatch(/OOMKilled/);
  });

  it('a forged Re-run button value is refused and starts nothing', async () => {
    const channel = 'C0FORGED1';
    const before = stack.slack.calls('chat.postMessage').length;
    const res = await sendBlockAction(stack.eventsUrl, SIGNING_SECRET, {
      actionId: 'poddebug_rerun',
      value: JSON.stringify({ c: stack.cluster, k: 'pod', n: 'x;rm -rf /', ns: 'default' }),
      userId: 'U0ATTACK1',
      channelId: channel,
      messageTs: '1.000001',
      responseUrl: stack.slack.responseUrl({ channel, user: 'U0ATTACK1' }),
    });
    expect(res.status).toBe(200);
    const refusal = await stack.slack.waitFor(() => stack.slack.ephemerals('U0ATTACK1')[0], 5000);
    expect(refusal.text).toMatch(/not valid/);
    expect(stack.slack.calls('chat.postMessage').length).toBe(before);
  });
});
