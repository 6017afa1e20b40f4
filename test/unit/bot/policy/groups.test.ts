import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { WebClient } from '@slack/web-api';
import { pino } from 'pino';
import { policyGroupIds, UserGroups, unresolvedGroupsMessage } from '../../../../bot/policy/groups.js';
import { parsePolicy } from '../../../../bot/policy/parse.js';
import { type SlackDouble, slackClient, startSlackDouble } from '../../../../tools/slack-double/index.js';

const TOKEN = 'xoxb-test-token';
const METHOD = 'usergroups.users.list';

function captureLogger() {
  const lines: { level: number; msg: string; usergroup?: string; error?: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, lines };
}

describe('UserGroups against the Slack Web API double', () => {
  let slack: SlackDouble;
  let client: WebClient;
  let t: number;
  const now = () => t;

  beforeAll(async () => {
    slack = await startSlackDouble();
    client = slackClient(slack, {
      token: TOKEN,
      retryConfig: { retries: 1, minTimeout: 10, maxTimeout: 20 },
    });
  });
  afterAll(() => slack.close());
  beforeEach(() => {
    slack.reset();
    slack.addUsergroup('S0SRE', ['U0ALICE', 'U0BOB']);
    slack.addUsergroup('S0PAY', ['U0CAROL', 'U0ALICE']);
    slack.addUsergroup('S0EMPTY', []);
    t = 1_000_000;
  });

  const groups = (opts: { ttlMs?: number; staleMs?: number } = {}) => {
    const log = captureLogger();
    return { g: new UserGroups({ client, now, logger: log.logger, ...opts }), log };
  };

  it.each([
    { user: 'U0ALICE', want: ['S0SRE', 'S0PAY'] },
    { user: 'U0BOB', want: ['S0SRE'] },
    { user: 'U0CAROL', want: ['S0PAY'] },
    { user: 'U0DAVE', want: [] },
  ])('$user is in $want', async ({ user, want }) => {
    const { g } = groups();
    const r = await g.groupsOf(user, ['S0SRE', 'S0PAY', 'S0EMPTY']);
    expect(r).toEqual({ groups: want, stale: false, unresolved: [] });
    expect(
      slack
        .calls(METHOD)
        .map((c) => c.args.usergroup)
        .sort(),
    ).toEqual(['S0EMPTY', 'S0PAY', 'S0SRE']);
  });

  it('asks only about the groups it is given, and nothing for none', async () => {
    const { g } = groups();
    expect(await g.groupsOf('U0ALICE', [])).toEqual({ groups: [], stale: false, unresolved: [] });
    await g.groupsOf('U0ALICE', ['S0PAY', 'S0PAY']);
    expect(slack.calls(METHOD).map((c) => c.args.usergroup)).toEqual(['S0PAY']);
  });

  it('reads each group once per TTL, for every user, and again after it', async () => {
    const { g } = groups({ ttlMs: 60_000 });
    await g.groupsOf('U0ALICE', ['S0SRE']);
    await g.groupsOf('U0BOB', ['S0SRE']);
    t += 59_999;
    expect((await g.groupsOf('U0DAVE', ['S0SRE'])).groups).toEqual([]);
    expect(slack.calls(METHOD)).toHaveLength(1);

    slack.addUsergroup('S0SRE', ['U0DAVE']); // the on-call rotation changed
    expect((await g.groupsOf('U0DAVE', ['S0SRE'])).groups).toEqual([]); // still cached
    t += 1;
    expect((await g.groupsOf('U0DAVE', ['S0SRE'])).groups).toEqual(['S0SRE']);
    expect((await g.groupsOf('U0ALICE', ['S0SRE'])).groups).toEqual([]);
    expect(slack.calls(METHOD)).toHaveLength(2);
  });

  it('shares one request among concurrent lookups of a group', async () => {
    const { g } = groups();
    const users = ['U0ALICE', 'U0BOB', 'U0CAROL', 'U0DAVE', 'U0ALICE'];
    const results = await Promise.all(users.map((u) => g.groupsOf(u, ['S0SRE', 'S0PAY'])));
    expect(results.map((r) => r.groups)).toEqual([
      ['S0SRE', 'S0PAY'],
      ['S0SRE'],
      ['S0PAY'],
      [],
      ['S0SRE', 'S0PAY'],
    ]);
    expect(slack.calls(METHOD)).toHaveLength(2);
  });

  it('uses the cached list, marked stale, while Slack fails, up to staleMs', async () => {
    const { g, log } = groups({ ttlMs: 60_000, staleMs: 600_000 });
    await g.groupsOf('U0ALICE', ['S0SRE']);
    t += 120_000;
    slack.failWith(METHOD, 'internal_error', 2);
    expect(await g.groupsOf('U0ALICE', ['S0SRE'])).toEqual({
      groups: ['S0SRE'],
      stale: true,
      unresolved: [],
    });
    expect(await g.groupsOf('U0DAVE', ['S0SRE'])).toEqual({ groups: [], stale: true, unresolved: [] });
    expect(log.lines.filter((l) => l.msg === 'could not read a Slack user group')).toEqual([
      expect.objectContaining({ level: 40, usergroup: 'S0SRE', error: 'internal_error' }),
      expect.objectContaining({ level: 40, usergroup: 'S0SRE', error: 'internal_error' }),
    ]);

    // Slack answers again: fresh, and cached anew.
    expect(await g.groupsOf('U0ALICE', ['S0SRE'])).toEqual({
      groups: ['S0SRE'],
      stale: false,
      unresolved: [],
    });
    t += 599_000;
    slack.failWith(METHOD, 'internal_error', 1);
    expect((await g.groupsOf('U0ALICE', ['S0SRE'])).stale).toBe(true);

    // Too old to trust: unresolved.
    t += 1_001;
    slack.failWith(METHOD, 'internal_error', 1);
    expect(await g.groupsOf('U0ALICE', ['S0SRE'])).toEqual({
      groups: [],
      stale: false,
      unresolved: ['S0SRE'],
    });
  });

  it('reports a group it could never read as unresolved, alongside those it could', async () => {
    const { g } = groups();
    slack.failWith(METHOD, 'missing_scope', 1);
    // The failure hits whichever of the two is asked first; ask one at a time to know which.
    expect(await g.groupsOf('U0ALICE', ['S0SRE'])).toEqual({
      groups: [],
      stale: false,
      unresolved: ['S0SRE'],
    });
    expect(await g.groupsOf('U0ALICE', ['S0SRE', 'S0NOSUCH', 'S0PAY'])).toEqual({
      groups: ['S0SRE', 'S0PAY'],
      stale: false,
      unresolved: ['S0NOSUCH'],
    });
  });

  it('treats a 429 that outlasts the WebClient retries as a failure, and never throws', async () => {
    const { g } = groups({ ttlMs: 1000 });
    slack.rateLimit(METHOD, 2, 0); // the first try and the one retry
    expect(await g.groupsOf('U0BOB', ['S0SRE'])).toEqual({ groups: [], stale: false, unresolved: ['S0SRE'] });
    expect(slack.calls(METHOD).map((c) => c.status)).toEqual([429, 429]);

    expect(await g.groupsOf('U0BOB', ['S0SRE'])).toEqual({ groups: ['S0SRE'], stale: false, unresolved: [] });
    t += 1000;
    slack.rateLimit(METHOD, 2, 0);
    expect(await g.groupsOf('U0BOB', ['S0SRE'])).toEqual({ groups: ['S0SRE'], stale: true, unresolved: [] });
  });
});

describe('UserGroups when Slack does not answer', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer(() => undefined); // accepts, never answers
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('gives up after timeoutMs and answers unresolved', async () => {
    const client = slackClient({ apiUrl: url }, { token: TOKEN, retryConfig: { retries: 0 } });
    const lines: { msg: string; usergroup?: string }[] = [];
    const logger = pino({}, { write: (s: string) => void lines.push(JSON.parse(s)) });
    const g = new UserGroups({ client, logger, timeoutMs: 150 });
    const started = Date.now();
    const r = await g.groupsOf('U0ALICE', ['S0SRE']);
    const took = Date.now() - started;
    expect(r).toEqual({ groups: [], stale: false, unresolved: ['S0SRE'] });
    expect(took).toBeGreaterThanOrEqual(140);
    expect(took).toBeLessThan(2000);
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'Slack user group lookup timed out', usergroup: 'S0SRE' }),
    );
  });
});

describe('policyGroupIds and unresolvedGroupsMessage', () => {
  it('lists each group the grants mention, once', () => {
    const r = parsePolicy(
      [
        'version: 1',
        'channels: { ids: [C0ONCALL] }',
        'grants:',
        '  - { groups: [S0SRE, S0ENG], roles: [viewer], clusters: ["*"], namespaces: ["*"] }',
        '  - { users: [U0ALICE], roles: [operator], clusters: ["*"], namespaces: ["*"] }',
        '  - { groups: [S0SRE], users: [U0BOB], roles: [approver], clusters: ["*"], namespaces: ["*"] }',
      ].join('\n'),
      'p.yaml',
    );
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect(policyGroupIds(r.policy)).toEqual(['S0SRE', 'S0ENG']);
  });

  it.each([
    { ids: [], want: '' },
    {
      ids: ['S0SRE'],
      want: 'could not read user group S0SRE from Slack, so grants to it were not applied; try again in a minute',
    },
    {
      ids: ['S0SRE', 'S0ENG'],
      want: 'could not read user groups S0SRE, S0ENG from Slack, so grants to them were not applied; try again in a minute',
    },
  ])('says which groups could not be read: $ids', ({ ids, want }) => {
    expect(unresolvedGroupsMessage(ids)).toBe(want);
  });
});
