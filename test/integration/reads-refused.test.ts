/**
 * logs, events and describe in front of the queue, through the real receiver: malformed commands are
 * answered in the ack and queue nothing; each action is refused without its role, outside its scope and
 * outside the allowed channels, and every refusal is audited; an allowed one is queued as a `read` job.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { READ_JOB, requestIdFor } from '../../jobs/contracts/index.js';
import { sendSlashCommand } from '../../tools/slack-double/index.js';
import { readAuditLog } from '../support/audit-log.js';
import { SIGNING_SECRET, type Stack, startStack } from '../support/stack.js';

const VIEWER = 'U0VIEWER1';
const OPERATOR = 'U0OPERAT1';
const CHANNEL = 'C0INCIDENT';
const POLICY = `
version: 1
channels: { ids: [${CHANNEL}] }
grants:
  - users: [${VIEWER}]
    roles: [viewer]
    clusters: ["*"]
    namespaces: [shop]
  - users: [${OPERATOR}]
    roles: [operator]
    clusters: ["*"]
    namespaces: ["*"]
`;

let stack: Stack;
beforeAll(async () => {
  // No worker (a heartbeat stands in for one): what is queued stays in the queue to be looked at.
  stack = await startStack({ worker: false, fixtures: [], policy: POLICY });
});
afterAll(async () => {
  await stack?.close();
});

interface AuditLine {
  type: string;
  requestId: string;
  actor?: string;
  action?: string;
  reason?: string;
  target?: { namespace?: string; name?: string };
}

async function send(text: string, userId: string, channelId: string) {
  const triggerId = `${Date.now()}.${randomUUID()}`;
  const res = await sendSlashCommand(stack.eventsUrl, SIGNING_SECRET, {
    text,
    userId,
    channelId,
    teamId: 'T0TEAM001',
    triggerId,
    responseUrl: stack.slack.responseUrl(),
  });
  expect(res.status).toBe(200);
  expect(res.elapsedMs).toBeLessThan(3000);
  return { body: (res.json ?? {}) as { response_type?: string; text?: string }, triggerId };
}

async function jobs() {
  const q = stack.queue();
  const all = await q.getJobs(['waiting', 'active', 'completed', 'failed', 'delayed']);
  await q.close();
  return all;
}

const MALFORMED: [string, RegExp][] = [
  ['logs', /Missing target/],
  ['logs web-0', /namespace/],
  ['logs web-0 -n shop --since 15m --since-time 2026-01-02T15:04:05Z', /exclude each other/],
  ['logs web-0 -n shop --tail 0', /from 1 to/],
  ['logs web-0 -n shop --grep (?=x)', /RE2/],
  ['logs web-0 -n shop --grep "x', /never closed/],
  ['logs web-0 -n shop;reboot', /not allowed/],
  ['logs web-0 -n shop --follow', /--follow/],
  ['events web-0', /namespace/],
  ['events web-0 -n shop --since forever', /duration/],
  ['describe rs/web -n shop', /rs\//],
  ['describe web-0 -n shop extra', /Two targets/],
];

describe('malformed read commands through the receiver', () => {
  it.each(MALFORMED)(
    '%j: a clear error in the ack, nothing queued, nothing posted',
    async (input, mentions) => {
      const { body } = await send(input, VIEWER, CHANNEL);
      expect(body.response_type).toBe('ephemeral');
      expect(body.text).toMatch(mentions);
      expect(body.text).toContain('Usage:');
    },
  );

  it('left nothing behind', async () => {
    expect(await jobs()).toHaveLength(0);
    expect(stack.slack.messages(CHANNEL)).toHaveLength(0);
    expect(stack.slack.calls('views.open')).toHaveLength(0);
  });
});

describe.each(['logs', 'events', 'describe'])('%s in front of the queue', (action) => {
  const refusedWith = async (userId: string, channel: string, text: string, why: RegExp) => {
    const before = (await jobs()).length;
    const { body, triggerId } = await send(text, userId, channel);
    expect(body.response_type).toBe('ephemeral');
    expect(body.text).toMatch(why);
    expect((await jobs()).length).toBe(before);
    const line = await stack.slack.waitFor(() =>
      readAuditLog<AuditLine>(stack.auditLogPath).find(
        (l) => l.requestId === `cmd-${triggerId.slice(0, 40)}`,
      ),
    );
    expect(line).toMatchObject({ type: 'refused', action, actor: userId });
  };

  it('is refused without the viewer role, and audited', async () => {
    await refusedWith(
      OPERATOR,
      CHANNEL,
      `${action} web-0 -n shop`,
      new RegExp(`no grant for ${action}[^]*Needs role viewer`),
    );
  });

  it('is refused outside the grant’s namespaces, and audited', async () => {
    await refusedWith(
      VIEWER,
      CHANNEL,
      `${action} web-0 -n payments`,
      new RegExp(`no grant for ${action} .*namespace payments`),
    );
  });

  it('is refused outside the allowed channels, and audited', async () => {
    await refusedWith(
      VIEWER,
      'C0RANDOM1',
      `${action} web-0 -n shop`,
      new RegExp(`not allowed in .*C0RANDOM1.*so ${action} `),
    );
  });

  it('is queued as a read job for a viewer in scope, and audited as requested', async () => {
    const { body, triggerId } = await send(`${action} deploy/web -n shop`, VIEWER, CHANNEL);
    expect(body.text ?? '').toBe('');
    const id = requestIdFor('diagnose', stack.cluster, ['T0TEAM001', CHANNEL, VIEWER, triggerId]);
    const job = (await jobs()).find((j) => j.id === id);
    expect(job?.name).toBe(READ_JOB);
    expect(job?.data).toMatchObject({
      action: 'read',
      target: { kind: 'deploy', name: 'web', namespace: 'shop' },
      spec: { action },
      requester: { userId: VIEWER, channelId: CHANNEL },
    });
    const line = await stack.slack.waitFor(() =>
      readAuditLog<AuditLine>(stack.auditLogPath).find((l) => l.requestId === id && l.type === 'requested'),
    );
    expect(line).toMatchObject({ action, actor: VIEWER, target: { namespace: 'shop', name: 'deploy/web' } });
  });
});
