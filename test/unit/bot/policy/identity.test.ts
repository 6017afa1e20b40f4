import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { WebClient } from '@slack/web-api';
import {
  type IdentityConfig,
  IdentityConfigError,
  IdentityMapper,
  loadIdentityConfig,
  parseIdentityConfig,
} from '../../../../bot/policy/identity.js';
import { type SlackDouble, slackClient, startSlackDouble } from '../../../../tools/slack-double/index.js';

const TOKEN = 'xoxb-test-token';

const errorsOf = (text: string): string[] => {
  const r = parseIdentityConfig(text, 'identity.yaml');
  if (r.ok) throw new Error('expected the config to be refused');
  return r.errors;
};

describe('parseIdentityConfig', () => {
  it('reads a static map with per-user and shared groups (YAML)', () => {
    const r = parseIdentityConfig(
      [
        'mode: static',
        'groups: [slack-users]',
        'staticMap:',
        '  U0ALICE: { user: alice@example.com, groups: [sre] }',
        '  U0BOB: { user: bob }',
      ].join('\n'),
      'identity.yaml',
    );
    expect(r).toEqual({
      ok: true,
      config: {
        mode: 'static',
        groups: ['slack-users'],
        staticMap: { U0ALICE: { user: 'alice@example.com', groups: ['sre'] }, U0BOB: { user: 'bob' } },
      },
    });
  });

  it('reads JSON too', () => {
    const r = parseIdentityConfig('{"mode": "email", "emailDomains": ["example.com"]}', 'identity.json');
    expect(r).toEqual({ ok: true, config: { mode: 'email', emailDomains: ['example.com'] } });
  });

  it.each([
    ['', /identity\.yaml: the file is empty; it needs at least "mode: email"/],
    ['mode: ldap', /identity\.yaml: mode: mode: one of off, email, static/],
    ['mode: static', /identity\.yaml: staticMap: mode static needs staticMap/],
    ['mode: email\nemial: x', /identity\.yaml: \(top level\): unknown key\(s\) emial/],
    [
      'mode: static\nstaticMap:\n  alice: { user: alice }',
      /staticMap.alice: a Slack user ID such as U0123ABCD/,
    ],
    [
      'mode: static\nstaticMap:\n  U0ALICE: { user: "" }',
      /staticMap.U0ALICE.user: a Kubernetes user name, not empty/,
    ],
    ['mode: email\ngroups: [system:masters]', /groups.0: system:masters passes every RBAC check/],
    [
      'mode: email\nemailDomains: ["@Example.com"]',
      /emailDomains.0: a lower-case domain such as example.com/,
    ],
    ['mode: email\nmode: off', /identity\.yaml: Map keys must be unique/],
    ['mode: [email', /identity\.yaml: /],
  ])('refuses %j with a message naming the problem', (text, expected) => {
    const errors = errorsOf(text);
    expect(errors.join('\n')).toMatch(expected);
  });
});

describe('loadIdentityConfig', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'identity-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('loads a valid file', async () => {
    const file = join(dir, 'ok.yaml');
    await writeFile(file, 'mode: email\n');
    await expect(loadIdentityConfig(file)).resolves.toEqual({ mode: 'email' });
  });

  it('names a missing file', async () => {
    const file = join(dir, 'missing.yaml');
    const err = await loadIdentityConfig(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IdentityConfigError);
    expect((err as Error).message).toContain(`${file}: cannot read it (no such file)`);
  });

  it('names a directory given instead of a file', async () => {
    await expect(loadIdentityConfig(dir)).rejects.toThrow('it is a directory, not a file');
  });

  it('lists every problem of an invalid file', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'mode: static\ngroups: [""]\n');
    const err = (await loadIdentityConfig(file).catch((e: unknown) => e)) as IdentityConfigError;
    expect(err.problems).toEqual([
      `${file}: groups.0: a Kubernetes user name, not empty`,
      `${file}: staticMap: mode static needs staticMap: { U0123ABCD: { user: alice@example.com } }`,
    ]);
  });
});

describe('IdentityMapper with the real WebClient against the Slack double', () => {
  let slack: SlackDouble;
  let client: WebClient;

  beforeAll(async () => {
    slack = await startSlackDouble();
    client = slackClient(slack, { token: TOKEN, retryConfig: { retries: 0 } });
  });
  afterAll(() => slack.close());
  beforeEach(() => {
    slack.reset();
    slack.addUser({ id: 'U0ALICE', name: 'alice', email: 'Alice@Example.com' });
    slack.addUser({ id: 'U0NOMAIL', name: 'nomail' });
    slack.addUser({ id: 'U0MALLORY', name: 'mallory', email: 'mallory@evil.example' });
  });

  const email: IdentityConfig = { mode: 'email', groups: ['slack-users'] };

  it('email mode: the profile email, lower-cased, with the shared groups and system:authenticated', async () => {
    const m = new IdentityMapper(email, client);
    await expect(m.toKube('U0ALICE')).resolves.toEqual({
      ok: true,
      user: 'alice@example.com',
      groups: ['slack-users', 'system:authenticated'],
    });
  });

  it('email mode: no email in the profile is refused with the reason', async () => {
    const r = await new IdentityMapper(email, client).toKube('U0NOMAIL');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(
      /^Your Slack profile has no email, so poddebug cannot map you to a Kubernetes user/,
    );
  });

  it('email mode: a Slack error (unknown user) is refused, naming the error', async () => {
    const r = await new IdentityMapper(email, client).toKube('U0GHOST');
    expect(r).toEqual({
      ok: false,
      reason: expect.stringContaining('users.info: user_not_found'),
    });
  });

  it('email mode: an address outside emailDomains is refused', async () => {
    const m = new IdentityMapper({ mode: 'email', emailDomains: ['example.com'] }, client);
    expect((await m.toKube('U0ALICE')).ok).toBe(true);
    const r = await m.toKube('U0MALLORY');
    expect(r).toEqual({
      ok: false,
      reason: expect.stringContaining('mallory@evil.example is not in a domain poddebug maps'),
    });
  });

  it('email mode: caches the lookup for ttlMs, then asks Slack again', async () => {
    let now = 1_000_000;
    const m = new IdentityMapper(email, client, { ttlMs: 60_000, now: () => now });
    await m.toKube('U0ALICE');
    await m.toKube('U0ALICE');
    expect(slack.calls('users.info')).toHaveLength(1);
    now += 60_001;
    slack.addUser({ id: 'U0ALICE', name: 'alice', email: 'alice@new.example.com' });
    await expect(m.toKube('U0ALICE')).resolves.toMatchObject({ user: 'alice@new.example.com' });
    expect(slack.calls('users.info')).toHaveLength(2);
  });

  it('email mode: a failed lookup is not cached', async () => {
    const m = new IdentityMapper(email, client);
    slack.failWith('users.info', 'internal_error', 1);
    expect((await m.toKube('U0ALICE')).ok).toBe(false);
    expect((await m.toKube('U0ALICE')).ok).toBe(true);
  });

  const stat: IdentityConfig = {
    mode: 'static',
    groups: ['slack-users'],
    staticMap: { U0ALICE: { user: 'alice', groups: ['sre', 'slack-users'] } },
  };

  it('static mode: maps listed users without calling Slack', async () => {
    const m = new IdentityMapper(stat, client);
    await expect(m.toKube('U0ALICE')).resolves.toEqual({
      ok: true,
      user: 'alice',
      groups: ['sre', 'slack-users', 'system:authenticated'],
    });
    expect(slack.calls('users.info')).toHaveLength(0);
  });

  it.each(['U0BOB', 'constructor', '__proto__'])(
    'static mode: %s (not in the map) is refused',
    async (id) => {
      const r = await new IdentityMapper(stat, client).toKube(id);
      expect(r).toEqual({
        ok: false,
        reason: expect.stringContaining(`Your Slack user (${id}) is not mapped`),
      });
    },
  );

  it('off: never maps', async () => {
    const r = await new IdentityMapper({ mode: 'off' }, client).toKube('U0ALICE');
    expect(r.ok).toBe(false);
  });
});
