import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { decide } from '../../../../bot/policy/decide.js';
import { parsePolicy } from '../../../../bot/policy/parse.js';

const here = dirname(fileURLToPath(import.meta.url));
const examplePath = join(here, '../../../../bot/policy/example.yaml');

const errorsOf = (text: string): string[] => {
  const r = parsePolicy(text, 'policy.yaml');
  if (r.ok) throw new Error('expected the policy to be refused');
  return r.errors;
};

const minimal = 'version: 1\nchannels:\n  ids: [C0ONCALL]\n';

describe('parsePolicy', () => {
  it('parses example.yaml, and it means what its comments say', () => {
    const r = parsePolicy(readFileSync(examplePath, 'utf8'), 'example.yaml');
    if (!r.ok) throw new Error(r.errors.join('\n'));
    const p = r.policy;
    expect(p.grants.length).toBeGreaterThan(3);
    expect(p.expiry).toEqual({ pendingMinutes: 30, approvedNotStartedMinutes: 5 });
    const onCall = {
      userId: 'U0BOB',
      userGroups: ['S0SREONCALL'],
      channelId: 'C0XYZ',
      channelName: 'inc-2031-checkout-down',
      cluster: 'prod-eu',
    };
    expect(decide(p, { ...onCall, action: 'tcpdump', namespace: 'payments' })).toEqual({
      allow: true,
      needsApprovals: 2,
    });
    expect(decide(p, { ...onCall, action: 'strace', namespace: 'shop' })).toEqual({
      allow: true,
      needsApprovals: 1,
    });
    expect(decide(p, { ...onCall, action: 'strace', cluster: 'staging', namespace: 'shop' }).allow).toBe(
      false,
    );
  });

  it('fills every default in a minimal policy', () => {
    const r = parsePolicy(minimal, 'policy.yaml');
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect(r.policy.grants).toEqual([]);
    expect(r.policy.approvals).toEqual({
      actions: ['strace', 'tcpdump', 'mem', 'ps', 'fds', 'netcheck'],
      count: 1,
      overrides: [],
    });
    expect(r.policy.expiry).toEqual({ pendingMinutes: 30, approvedNotStartedMinutes: 5 });
    expect(r.policy.rateLimits.commands.perUser).toEqual({ max: 30, windowSeconds: 60 });
    expect(r.policy.rateLimits.privileged.perChannel).toEqual({ max: 20, windowSeconds: 3600 });
  });

  it('keeps a partly given rate limit section and defaults the rest', () => {
    const r = parsePolicy(
      `${minimal}rateLimits:\n  privileged:\n    perUser: { max: 2, windowSeconds: 600 }\n`,
      'policy.yaml',
    );
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect(r.policy.rateLimits.privileged.perUser).toEqual({ max: 2, windowSeconds: 600 });
    expect(r.policy.rateLimits.privileged.perChannel).toEqual({ max: 20, windowSeconds: 3600 });
    expect(r.policy.rateLimits.commands.perUser).toEqual({ max: 30, windowSeconds: 60 });
  });

  it.each<[string, string, RegExp[]]>([
    ['YAML syntax error', 'version: 1\nchannels: {ids: [C1]\n', [/^policy\.yaml:3:1: /]],
    [
      'duplicate key',
      'version: 1\nversion: 1\nchannels:\n  ids: [C0A]\n',
      [/^policy\.yaml:2:1: .*[Mm]ap keys must be unique/],
    ],
    ['empty file', '', [/^policy\.yaml:1:1: \(policy\): the policy is empty/]],
    ['wrong version', 'version: 2\nchannels:\n  ids: [C0A]\n', [/^policy\.yaml:1:10: version: must be 1/]],
    ['missing channels', 'version: 1\n', [/^policy\.yaml:1:1: channels: required/]],
    [
      'no channel allowed',
      'version: 1\nchannels: {}\n',
      [/^policy\.yaml:2:11: channels: list at least one channel/],
    ],
    [
      'channel name instead of id',
      'version: 1\nchannels:\n  ids: ["#general"]\n',
      [/^policy\.yaml:3:9: channels\.ids\[0\]: a Slack channel ID/],
    ],
    [
      'unknown key (typo)',
      `${minimal}grants:\n  - users: [U0A]\n    roles: [viewer]\n    clusters: ["*"]\n    namespace: [shop]\n`,
      [
        /^policy\.yaml:8:5: grants\[0\]\.namespace: unknown key "namespace"/,
        /^policy\.yaml:5:5: grants\[0\]\.namespaces: required/,
      ],
    ],
    [
      'unknown role',
      `${minimal}grants:\n  - users: [U0A]\n    roles: [viewer, admin]\n    clusters: ["*"]\n    namespaces: ["*"]\n`,
      [/^policy\.yaml:6:21: grants\[0\]\.roles\[1\]: a role: one of viewer, operator, privileged, approver/],
    ],
    [
      'user handle instead of id',
      `${minimal}grants:\n  - users: ["@alice"]\n    roles: [viewer]\n    clusters: ["*"]\n    namespaces: ["*"]\n`,
      [/^policy\.yaml:5:13: grants\[0\]\.users\[0\]: a Slack user ID/],
    ],
    [
      'grant without a subject',
      `${minimal}grants:\n  - roles: [viewer]\n    clusters: ["*"]\n    namespaces: ["*"]\n`,
      [/^policy\.yaml:5:5: grants\[0\]: a grant needs at least one of users, groups or channels/],
    ],
    [
      'approver granted to a channel',
      `${minimal}grants:\n  - channels: [C0A]\n    roles: [approver]\n    clusters: ["*"]\n    namespaces: ["*"]\n`,
      [/^policy\.yaml:6:12: grants\[0\]\.roles: approver cannot be granted to a channel/],
    ],
    [
      'empty scope',
      `${minimal}grants:\n  - users: [U0A]\n    roles: [viewer]\n    clusters: []\n    namespaces: ["Shop"]\n`,
      [
        /^policy\.yaml:7:15: grants\[0\]\.clusters: list at least one cluster/,
        /^policy\.yaml:8:18: grants\[0\]\.namespaces\[0\]: a namespace name or pattern/,
      ],
    ],
    [
      'bad approval count',
      `${minimal}approvals:\n  count: 0\n  overrides:\n    - actions: [rm]\n      count: 2\n`,
      [
        /^policy\.yaml:5:10: approvals\.count: /,
        /^policy\.yaml:7:17: approvals\.overrides\[0\]\.actions\[0\]: an action: one of /,
      ],
    ],
    [
      'bad expiry',
      `${minimal}expiry:\n  pendingMinutes: "30m"\n`,
      [/^policy\.yaml:5:19: expiry\.pendingMinutes: /],
    ],
  ])('reports file:line:col and the reason: %s', (_name, text, expected) => {
    const errors = errorsOf(text);
    expect(errors).toHaveLength(expected.length);
    for (const re of expected) expect(errors).toContainEqual(expect.stringMatching(re));
  });

  it('names the file it was given', () => {
    const r = parsePolicy('version: 3\n', '/etc/poddebug/policy.yaml');
    expect(r.ok).toBe(false);
    if (!r.ok) for (const e of r.errors) expect(e).toMatch(/^\/etc\/poddebug\/policy\.yaml:\d+:\d+: /);
  });
});
