/**
 * The integration tests' shared helpers: the poll awaits an async condition (a pending promise is not "true")
 * and fails on its deadline naming what it waited for; the policy builder writes YAML the bot's own parser
 * reads as the grants it was given.
 */
import { describe, expect, it } from '@jest/globals';
import { parsePolicy } from '../../../bot/policy/parse.js';
import { approver, GENEROUS, policyYaml, probePolicy, requester, viewer } from '../../support/policies.js';
import { until } from '../../support/poll.js';

describe('until', () => {
  it('waits for an async condition’s value, not its promise, and resolves with it', async () => {
    let n = 0;
    const t0 = Date.now();
    const v = await until(async () => (++n >= 3 ? { n } : false), 2000, { everyMs: 20 });
    expect(v).toEqual({ n: 3 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(30);
  });

  it('fails at its deadline, naming what it waited for and the last error', async () => {
    const t0 = Date.now();
    await expect(until(async () => false, 200, { what: 'the pod is gone' })).rejects.toThrow(
      /not within 200 ms: the pod is gone/,
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    const err = await until(() => {
      throw new Error('no audit line yet');
    }, 100).catch((e: Error) => e);
    expect(String(err)).toMatch(/last error .*no audit line yet/);
  });
});

describe('policyYaml', () => {
  it('the bot’s parser reads the grants, approvals and limits it was given', () => {
    const parsed = parsePolicy(
      policyYaml({
        contact: '#sre',
        grants: [requester('U0A'), viewer('U0V', ['shop']), approver(['U0B', 'U0C'])],
        approvals: 1,
        rateLimits: GENEROUS,
      }),
      'policy.yaml',
    );
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.policy.channels.ids).toEqual(['C0INCIDENT']);
    expect(parsed.policy.grants).toEqual([
      expect.objectContaining({ users: ['U0A'], roles: ['viewer', 'privileged'], namespaces: ['shop'] }),
      expect.objectContaining({ users: ['U0V'], roles: ['viewer'], namespaces: ['shop'] }),
      expect.objectContaining({ users: ['U0B', 'U0C'], roles: ['approver'], namespaces: ['*'] }),
    ]);
    expect(parsed.policy.approvals?.count).toBe(1);
    expect(parsed.policy.rateLimits?.commands?.perUser).toEqual({ max: 1000, windowSeconds: 60 });
  });

  it('probePolicy: the requester in shop, the approver anywhere', () => {
    const parsed = parsePolicy(probePolicy('U0A', 'U0B'), 'policy.yaml');
    expect(parsed.ok && parsed.policy.grants.map((g) => [g.users, g.roles, g.namespaces])).toEqual([
      [['U0A'], ['viewer', 'privileged'], ['shop']],
      [['U0B'], ['approver'], ['*']],
    ]);
  });
});
