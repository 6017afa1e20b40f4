import { describe, expect, it } from '@jest/globals';
import { redisAclLines, redisAclUsers, workerKeyPatterns } from '../../../../jobs/cli/redis-acl.js';

describe('poddebug redis-acl', () => {
  const fixed = (u: string) => `pw-${u}`;

  it('a bot user with every key, and one worker user per cluster limited to its own keys', () => {
    const users = redisAclUsers({ clusters: ['prod-eu', 'prod-us'], password: fixed });
    expect(users.map((u) => u.user)).toEqual([
      'poddebug-bot',
      'poddebug-worker-prod-eu',
      'poddebug-worker-prod-us',
    ]);
    expect(users[0]!.argv).toEqual(expect.arrayContaining(['~*', '>pw-poddebug-bot', '-@dangerous']));
    const eu = users[1]!.argv;
    expect(eu.slice(0, 6)).toEqual([
      'ACL',
      'SETUSER',
      'poddebug-worker-prod-eu',
      'reset',
      'on',
      '>pw-poddebug-worker-prod-eu',
    ]);
    expect(eu).toEqual(
      expect.arrayContaining([
        '~poddebug:{poddebug-prod-eu}:*',
        // Its own cluster's request records (with their approvers and cancel flags): read only.
        '%R~poddebug:req:{poddebug-prod-eu}:*',
        '~poddebug:approval-used:{poddebug-prod-eu}:*',
        '~poddebug:worker:{poddebug:gate}:prod-eu',
        '%W~poddebug:artefact:{*:*}',
        // `/poddebug cancel`: its own cluster's cancel channel only.
        '&poddebug:cancel:prod-eu',
      ]),
    );
    // Nothing of the other cluster, and no key pattern that reaches everything.
    expect(eu.join(' ')).not.toMatch(/prod-us|~\*(\s|$)|~poddebug:\*/);
  });

  it('scopes the slots to the cluster (prod does not reach prod-eu)', () => {
    const p = workerKeyPatterns('prod');
    expect(p).toContain('~poddebug:probe-slot:{prod:*}:container:*');
    expect(p).toContain('~poddebug:probe-slot:{prod:*}:node');
    expect(p).toContain('~poddebug:{poddebug-prod}:*');
  });

  it('prints comments and ACL SETUSER lines, then turns the default user off', () => {
    const lines = redisAclLines({ clusters: ['a'], password: fixed });
    expect(lines.filter((l) => l.startsWith('ACL SETUSER')).map((l) => l.split(' ')[2])).toEqual([
      'poddebug-bot',
      'poddebug-worker-a',
      'default',
    ]);
    expect(lines.at(-1)).toBe('ACL SETUSER default off');
    expect(redisAclLines({ clusters: ['a'], password: fixed, disableDefault: false }).join('\n')).not.toMatch(
      /default off/,
    );
  });

  it('generates a fresh random password per user', () => {
    const [a, b] = redisAclUsers({ clusters: ['a'] });
    expect(a!.password).toMatch(/^[0-9a-f]{64}$/);
    expect(a!.password).not.toBe(b!.password);
  });

  it.each([
    [{ clusters: [] }, /give at least one cluster/],
    [{ clusters: ['Prod EU'] }, /not DNS-1123 labels: Prod EU/],
    [{ clusters: ['a', 'a'] }, /named twice/],
    [{ clusters: ['a'], botUser: 'bot user' }, /--bot-user/],
  ])('refuses %j', (o, msg) => {
    expect(() => redisAclUsers(o)).toThrow(msg);
  });
});
