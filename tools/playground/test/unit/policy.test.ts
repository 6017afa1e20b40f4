import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { parsePolicy } from '../../../../bot/policy/parse.js';
import { PEOPLE } from '../../people.js';

const FILE = 'tools/playground/policy.yaml';

describe("the playground's demo policy", () => {
  it('parses, and grants exactly the people the page offers as described', () => {
    const text = readFileSync(FILE, 'utf8');
    const r = parsePolicy(text, FILE);
    if (!r.ok) throw new Error(r.errors.join('\n'));
    const roles = (id: string) => r.policy.grants.filter((g) => g.users.includes(id)).flatMap((g) => g.roles);
    const by = Object.fromEntries(PEOPLE.map((p) => [p.name, roles(p.id).sort()]));
    expect(by).toEqual({
      riya: ['privileged', 'viewer'],
      ama: ['approver', 'viewer'],
      ben: ['approver', 'viewer'],
      victor: [],
    });
    expect(r.policy.approvals?.overrides).toEqual([
      expect.objectContaining({ actions: ['strace', 'tcpdump'], count: 2 }),
    ]);
  });
});
