import { describe, expect, it } from '@jest/globals';
import {
  approvalsNeeded,
  canApprove,
  decide,
  matchGlob,
  type PolicyRequest,
} from '../../../../bot/policy/decide.js';
import { type Policy, type PolicyInput, PolicySchema } from '../../../../bot/policy/schema.js';

const policy = (input: Omit<PolicyInput, 'version'>): Policy => PolicySchema.parse({ version: 1, ...input });

const base: Omit<PolicyInput, 'version'> = {
  contact: '#sre-platform',
  channels: { ids: ['C0ONCALL'], names: ['inc-*', 'ops-?'] },
  grants: [
    { users: ['U0ALICE'], roles: ['viewer'], clusters: ['*'], namespaces: ['*'] },
    {
      groups: ['S0SRE'],
      roles: ['viewer', 'operator', 'privileged'],
      clusters: ['prod-*'],
      namespaces: ['*'],
    },
    { groups: ['S0PAY'], roles: ['operator'], clusters: ['*'], namespaces: ['payments', 'payments-*'] },
    { channels: ['C0STAGING'], roles: ['viewer'], clusters: ['staging'], namespaces: ['*'] },
    { groups: ['S0LEADS'], roles: ['approver'], clusters: ['*'], namespaces: ['*'] },
    { users: ['U0PAYLEAD'], roles: ['approver'], clusters: ['prod-eu'], namespaces: ['payments'] },
  ],
};
const p = policy(base);

const req = (over: Partial<PolicyRequest> = {}): PolicyRequest => ({
  userId: 'U0ALICE',
  userGroups: [],
  channelId: 'C0ONCALL',
  channelName: 'sre-oncall',
  action: 'diagnose',
  cluster: 'prod-eu',
  namespace: 'shop',
  ...over,
});

describe('decide', () => {
  it.each<[string, Partial<PolicyRequest>, boolean]>([
    ['a user grant allows its role', {}, true],
    ['deny by default: unknown user', { userId: 'U0MALLORY' }, false],
    ['deny by default: empty groups', { userId: 'U0BOB', userGroups: [] }, false],
    ['a role does not imply another (viewer cannot debug)', { action: 'debug' }, false],
    ['unknown action', { action: 'rm-rf' }, false],
    ['user-group grant', { userId: 'U0BOB', userGroups: ['S0OTHER', 'S0SRE'], action: 'strace' }, true],
    [
      'user-group grant outside its cluster glob',
      { userId: 'U0BOB', userGroups: ['S0SRE'], cluster: 'staging' },
      false,
    ],
    [
      'group grant, namespace exact',
      { userId: 'U0BOB', userGroups: ['S0PAY'], action: 'debug', namespace: 'payments' },
      true,
    ],
    [
      'group grant, namespace glob',
      { userId: 'U0BOB', userGroups: ['S0PAY'], action: 'debug', namespace: 'payments-eu' },
      true,
    ],
    [
      'group grant, namespace outside glob',
      { userId: 'U0BOB', userGroups: ['S0PAY'], action: 'debug', namespace: 'paymentsx' },
      false,
    ],
    [
      'group grant, namespace prefix only',
      { userId: 'U0BOB', userGroups: ['S0PAY'], action: 'debug', namespace: 'x-payments' },
      false,
    ],
    [
      'group grant does not give another role',
      { userId: 'U0BOB', userGroups: ['S0PAY'], action: 'strace', namespace: 'payments' },
      false,
    ],
    [
      'channel grant in its channel',
      { userId: 'U0BOB', channelId: 'C0STAGING', channelName: 'inc-1', cluster: 'staging' },
      true,
    ],
    [
      'channel grant from another channel',
      { userId: 'U0BOB', channelId: 'C0OTHER', channelName: 'inc-2', cluster: 'staging' },
      false,
    ],
  ])('%s', (_name, over, allow) => {
    expect(decide(p, req(over)).allow).toBe(allow);
  });

  it('a channel grant applies to anyone running the command in that (allowed) channel', () => {
    const q = policy({ ...base, channels: { ids: ['C0STAGING'] } });
    expect(decide(q, req({ userId: 'U0BOB', channelId: 'C0STAGING', cluster: 'staging' })).allow).toBe(true);
    expect(decide(q, req({ userId: 'U0BOB', channelId: 'C0STAGING', cluster: 'prod-eu' })).allow).toBe(false);
  });

  it.each<[string, string, string, boolean]>([
    ['listed id', 'C0ONCALL', 'renamed', true],
    ['name glob *', 'C0ANY', 'inc-2031-checkout', true],
    ['name glob * matches an empty run', 'C0ANY', 'inc-', true],
    ['leading # ignored', 'C0ANY', '#inc-7', true],
    ['name glob ?', 'C0ANY', 'ops-a', true],
    ['? is one character', 'C0ANY', 'ops-ab', false],
    ['glob is anchored', 'C0ANY', 'old-inc-7', false],
    ['other channel', 'C0RANDOM', 'random', false],
    ['DM without a name', 'D0DM', '', false],
  ])('channel restriction: %s', (_name, channelId, channelName, allow) => {
    const d = decide(p, req({ channelId, channelName }));
    expect(d.allow).toBe(allow);
    if (!d.allow) {
      expect(d.reason).toMatch(/not allowed in/);
      expect(d.reason).toContain(channelId);
      expect(d.grantHint).toContain('#sre-platform');
    }
  });

  it('a denial names the action, the scope and the role that would allow it', () => {
    const d = decide(
      p,
      req({ userId: 'U0BOB', action: 'tcpdump', cluster: 'prod-us', namespace: 'checkout' }),
    );
    expect(d).toEqual({
      allow: false,
      reason: expect.stringMatching(/tcpdump.*cluster prod-us, namespace checkout/),
      grantHint: expect.stringMatching(
        /role privileged for cluster prod-us, namespace checkout.*#sre-platform/,
      ),
    });
  });

  it('the channel check comes first, even for a user with a grant', () => {
    const d = decide(p, req({ channelId: 'C0RANDOM', channelName: 'random' }));
    expect(d.allow).toBe(false);
    if (!d.allow) expect(d.reason).toMatch(/#random \(C0RANDOM\)/);
  });

  it('an empty policy denies everything', () => {
    const q = policy({ channels: { ids: ['C0ONCALL'] } });
    expect(decide(q, req()).allow).toBe(false);
  });
});

describe('approval counts', () => {
  const q = policy({
    ...base,
    approvals: {
      overrides: [
        { actions: ['tcpdump'], clusters: ['prod-*'], namespaces: ['payments*'], count: 2 },
        { namespaces: ['kube-system'], count: 3 },
        { actions: ['debug'], namespaces: ['payments'], count: 1 },
      ],
    },
  });
  it.each<[string, string, string, number]>([
    ['diagnose', 'prod-eu', 'shop', 0],
    ['debug', 'prod-eu', 'shop', 0],
    ['strace', 'prod-eu', 'shop', 1],
    ['tcpdump', 'prod-eu', 'shop', 1],
    ['tcpdump', 'prod-eu', 'payments', 2],
    ['tcpdump', 'staging', 'payments', 1],
    ['strace', 'prod-eu', 'payments', 1],
    ['strace', 'prod-eu', 'kube-system', 3],
    ['diagnose', 'prod-eu', 'kube-system', 0],
    ['debug', 'prod-eu', 'payments', 1],
  ])('%s in %s/%s needs %i', (action, cluster, namespace, n) => {
    expect(approvalsNeeded(q, action, cluster, namespace)).toBe(n);
  });

  it('decide reports the count for an allowed request', () => {
    const sre = { userId: 'U0BOB', userGroups: ['S0SRE'] };
    expect(decide(q, req({ ...sre, action: 'tcpdump', namespace: 'payments' }))).toEqual({
      allow: true,
      needsApprovals: 2,
    });
    expect(decide(q, req({ ...sre, action: 'diagnose' }))).toEqual({ allow: true, needsApprovals: 0 });
  });

  it('defaults: every privileged action needs one approval', () => {
    expect(p.approvals.count).toBe(1);
    for (const a of ['strace', 'tcpdump', 'mem', 'ps', 'fds', 'netcheck']) {
      expect(approvalsNeeded(p, a, 'prod-eu', 'shop')).toBe(1);
    }
    for (const a of ['diagnose', 'logs', 'events', 'debug', 'connectivity']) {
      expect(approvalsNeeded(p, a, 'prod-eu', 'shop')).toBe(0);
    }
  });
});

describe('canApprove', () => {
  const request = req({ userId: 'U0BOB', userGroups: ['S0SRE', 'S0LEADS'], action: 'strace' });
  it.each<[string, string, string[], Partial<PolicyRequest>, boolean]>([
    ['an approver in scope', 'U0CAROL', ['S0LEADS'], {}, true],
    ['self-approval refused, even for an approver', 'U0BOB', ['S0LEADS'], {}, false],
    ['a non-approver', 'U0ALICE', [], {}, false],
    ['privileged is not approver', 'U0DAVE', ['S0SRE'], {}, false],
    ['user approver in scope', 'U0PAYLEAD', [], { namespace: 'payments' }, true],
    ['user approver outside namespace', 'U0PAYLEAD', [], { namespace: 'shop' }, false],
    ['user approver outside cluster', 'U0PAYLEAD', [], { cluster: 'prod-us', namespace: 'payments' }, false],
  ])('%s', (_name, userId, userGroups, over, allow) => {
    const r = canApprove(p, { userId, userGroups }, { ...request, ...over });
    expect(r.allow).toBe(allow);
  });

  it('says why self-approval is refused', () => {
    const r = canApprove(p, { userId: 'U0BOB', userGroups: ['S0LEADS'] }, request);
    expect(r).toEqual({ allow: false, reason: expect.stringMatching(/own request/) });
  });
});

describe('globs', () => {
  it.each<[string, string, boolean]>([
    ['*', '', true],
    ['*', 'anything', true],
    ['prod-*', 'prod-eu', true],
    ['prod-*', 'prod', false],
    ['prod-*', 'preprod-eu', false],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['a.c', 'abc', false],
    ['a.c', 'a.c', true],
    ['(x)+', '(x)+', true],
    ['(x)+', 'xx', false],
    ['*-eu-*', 'prod-eu-1', true],
  ])('%s ~ %s → %s', (glob, value, ok) => {
    expect(matchGlob(glob, value)).toBe(ok);
  });
});
