import { expect } from '@jest/globals';
import { type Finding, FindingSchema } from '../../../../../jobs/contracts/finding.js';
import type { ProbeSpec } from '../../../../../jobs/contracts/probe.js';
import type { ProbeFindingContext } from '../../../../../jobs/probes/findings/index.js';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

export function ctxFor(spec: ProbeSpec, extra: Partial<ProbeFindingContext> = {}): ProbeFindingContext {
  return {
    spec,
    target: { namespace: 'shop', pod: 'checkout-7d9f8b6c5-x2kqp', container: 'app', node: 'ip-10-0-3-17' },
    cluster: 'prod',
    ...extra,
  };
}

export function byId(findings: readonly Finding[], id: string): Finding {
  const f = findings.find((x) => x.id === id);
  if (!f) throw new Error(`no finding ${id}; got ${findings.map((x) => x.id).join(', ')}`);
  return f;
}

/** [id, severity] pairs, for table assertions. */
export function idSev(findings: readonly Finding[]): [string, string][] {
  return findings.map((f) => [f.id, f.severity]);
}

/** Every finding is valid, one line titled, actionable, names the real pod, and the list is worst first. */
export function expectWellFormed(findings: readonly Finding[]): void {
  expect(findings.length).toBeGreaterThan(0);
  const rank = { critical: 0, warning: 1, info: 2 } as const;
  for (const f of findings) {
    expect(FindingSchema.safeParse(f).success).toBe(true);
    expect(f.title).not.toContain('\n');
    expect(f.next.length).toBeGreaterThan(0);
    expect(f.next.join('\n')).not.toMatch(/\b(POD|NS)\b/);
    for (const n of f.next.filter((x) => x.startsWith('/poddebug'))) {
      expect(n).toContain('checkout-7d9f8b6c5-x2kqp -n shop');
    }
  }
  const ranks = findings.map((f) => rank[f.severity]);
  expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
  // ids are unique within one result
  expect(new Set(findings.map((f) => f.id)).size).toBe(findings.length);
}

export function evidenceOf(f: Finding): string {
  return f.evidence.join('\n');
}
