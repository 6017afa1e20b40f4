/** Realistic results for the renderer tests, shaped like the rules produce them. */
import type { DiagnoseResult } from '../../../../jobs/contracts/diagnose.js';
import type { Finding } from '../../../../jobs/contracts/finding.js';

export type Diagnosed = Extract<DiagnoseResult, { outcome: 'diagnosed' }>;

export const crashLoop: Finding = {
  id: 'crash-loop-back-off',
  severity: 'critical',
  title: 'Container app is in CrashLoopBackOff: it exited with code 1 fourteen times in 38 minutes',
  evidence: [
    'state.waiting.reason: CrashLoopBackOff',
    'lastState.terminated: exitCode=1 reason=Error finishedAt=2024-05-02T03:12:09Z',
    'restartCount: 14',
    'log: Error: connect ECONNREFUSED 10.0.3.17:5432',
    'log:     at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)',
  ],
  next: [
    'kubectl logs -n shop checkout-7d9f8b-x2kq -c app --previous',
    'Check that the database at 10.0.3.17:5432 accepts connections from this namespace',
  ],
};

export const memoryLimit: Finding = {
  id: 'oom-killed',
  severity: 'warning',
  title: 'Container app was OOMKilled 2 times: memory limit 256Mi',
  evidence: ['lastState.terminated.reason: OOMKilled', 'resources.limits.memory: 256Mi'],
  next: ['Raise resources.limits.memory or find the leak: kubectl top pod -n shop checkout-7d9f8b-x2kq'],
};

export const nodeNote: Finding = {
  id: 'node-pressure-none',
  severity: 'info',
  title: 'Node ip-10-0-3-17 reports no pressure conditions',
  evidence: ['MemoryPressure=False DiskPressure=False PIDPressure=False'],
  next: [],
};

/** A diagnosed result for shop/checkout-7d9f8b-x2kq reached through deploy/checkout. */
export function diagnosed(findings: Finding[], extra: Partial<Diagnosed> = {}): Diagnosed {
  return {
    outcome: 'diagnosed',
    target: { kind: 'Pod', namespace: 'shop', name: 'checkout-7d9f8b-x2kq' },
    siblings: [],
    findings,
    gaps: [],
    stats: { apiRequests: 7, durationMs: 1840 },
    ...extra,
  };
}

export const ctx = { cluster: 'prod', jobId: 'diag-prod-0123456789abcdef01234567', requestedBy: 'U0123ABCD' };

/** `n` log lines, numbered, like a noisy container writes them. */
export function logLines(n: number, prefix = 'log'): string[] {
  return Array.from(
    { length: n },
    (_, i) =>
      `${prefix}: 2024-05-02T03:12:${String(i % 60).padStart(2, '0')}Z request ${i} failed: upstream timeout after 30000ms`,
  );
}

/** All mrkdwn text in a message, for assertions about what a user would read. */
export function allText(blocks: unknown): string {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'text' && typeof x === 'string') out.push(x);
        else walk(x);
      }
    }
  };
  walk(blocks);
  return out.join('\n');
}
