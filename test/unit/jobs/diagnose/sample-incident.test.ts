import { describe, expect, it } from '@jest/globals';
import { FindingSchema } from '../../../../jobs/contracts/finding.js';
import { runRules } from '../../../../jobs/diagnose/rules/index.js';
import { loadGathered, type ScenarioExpect, scenarioAt } from '../../../support/scenarios.js';

/** What `npm run demo` shows: each pod of the shop incident and what diagnose must say about it. */
const CASES: ScenarioExpect[] = [
  {
    pod: 'checkout-7d9f8b6c5-x2kqp',
    findings: [
      {
        id: 'oom-killed',
        severity: 'critical',
        evidence: ['reason=OOMKilled exitCode=137', 'limits.memory: 512Mi', 'eviction disabled'],
      },
      { id: 'crash-loop', severity: 'critical', evidence: ['restartCount: 6'] },
      {
        id: 'node-pressure',
        severity: 'warning',
        evidence: ['MemoryPressure=True', 'Attempting to reclaim memory'],
      },
    ],
    absent: ['healthy', 'readiness-failing', 'killed-not-oom'],
  },
  { pod: 'checkout-7d9f8b6c5-m4zrt', findings: [{ id: 'healthy', severity: 'info' }] },
  {
    pod: 'payments-5c6d7f8b9-r7wtn',
    findings: [
      {
        id: 'image-pull',
        severity: 'critical',
        evidence: [
          'registry.shop.internal/payments:2.14.0',
          'insufficient_scope',
          'imagePullSecrets: shop-registry',
        ],
      },
    ],
    absent: ['healthy', 'rollout-stuck'],
  },
  { pod: 'payments-6f8d7c9b5-8nhtp', findings: [{ id: 'healthy', severity: 'info' }] },
  {
    pod: 'search-6b8c9d7f4-kq9vz',
    findings: [{ id: 'readiness-failing', severity: 'warning', evidence: ['statuscode: 503'] }],
    absent: ['healthy', 'crash-loop'],
  },
  { pod: 'cart-58f6d9c7b-zt5lp', findings: [{ id: 'healthy', severity: 'info' }] },
  {
    pod: 'db-migrate-q9w4x',
    findings: [
      { id: 'job-failed', severity: 'critical', evidence: ['BackoffLimitExceeded'] },
      { id: 'app-error', severity: 'critical', evidence: ['lock timeout'] },
    ],
    absent: ['healthy'],
  },
];

describe('the sample incident (namespace shop)', () => {
  it.each(CASES.map((c) => [c.pod, c] as const))('%s', (_pod, want) => {
    const findings = runRules(loadGathered(scenarioAt('test/fixtures/sample-incident', 'shop', want)));
    for (const f of findings) expect(FindingSchema.safeParse(f).success).toBe(true);
    for (const w of want.findings) {
      const got = findings.find((f) => f.id === w.id);
      expect([w.id, got?.severity]).toEqual([w.id, w.severity]);
      for (const ev of w.evidence ?? []) {
        expect([w.id, ev, got?.evidence.some((l) => l.includes(ev))]).toEqual([w.id, ev, true]);
      }
    }
    for (const id of want.absent ?? []) expect(findings.map((f) => f.id)).not.toContain(id);
    if (want.findings.length === 1 && want.findings[0]!.id === 'healthy')
      expect(findings.map((f) => f.id)).toEqual(['healthy']);
  });

  it('names the auth problem in the payments title', () => {
    const want = CASES.find((c) => c.pod.startsWith('payments-5c'))!;
    const f = runRules(loadGathered(scenarioAt('test/fixtures/sample-incident', 'shop', want))).find(
      (x) => x.id === 'image-pull',
    )!;
    expect(f.title).toBe(
      'Container `payments` cannot pull image `registry.shop.internal/payments:2.14.0`: registry denied access (authentication)',
    );
    expect(f.next.join('\n')).toContain('kubectl get secret shop-registry -n shop');
  });
});
