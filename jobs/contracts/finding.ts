import { z } from 'zod';

/** How bad a finding is. `critical`: the pod does not do its job; `warning`: degraded or at risk; `info`: context. */
export const SeveritySchema = z.enum(['critical', 'warning', 'info']);
export type Severity = z.infer<typeof SeveritySchema>;

/** Ordering used everywhere findings are listed: worst first. */
export const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/**
 * One thing the rules found. `id` is stable kebab-case (tests, dashboards and
 * follow-up buttons key on it); `evidence` holds the exact fields, event lines
 * or log lines that show it; `next` holds concrete next steps (a kubectl
 * command, a /poddebug command, a config change).
 */
export const FindingSchema = z.object({
  id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'finding ids are kebab-case'),
  severity: SeveritySchema,
  title: z.string().min(1),
  evidence: z.array(z.string()),
  next: z.array(z.string()),
  /** Ids of the other findings of the same result this one explains (it is their cause). */
  causes: z.array(z.string()).optional(),
  /** Ids of the other findings of the same result that explain this one ("because …"). */
  causedBy: z.array(z.string()).optional(),
});
export type Finding = z.infer<typeof FindingSchema>;

/** Builds a finding (the rules of diagnose and of the probes both use it). */
export function finding(
  id: string,
  severity: Severity,
  title: string,
  evidence: string[],
  next: string[],
): Finding {
  return { id, severity, title, evidence, next };
}

/**
 * Causal depth of a diagnose finding id: the lower, the deeper the cause. The
 * node under a pod comes first, then the owner that cannot create pods, then
 * what the logs and the spec say (a dependency down, a bad probe), then the
 * termination, then its consequences (crash loop, restarts, not ready), then
 * the owner's view of them (rollout stuck, Job failed). Ids not listed (the
 * probes' findings) share the middle rank, so only severity orders them.
 */
export const CAUSAL_RANK: Record<string, number> = {
  'node-not-ready': 0,
  'node-pressure': 0,
  'node-oom': 0,
  'create-failed': 1,
  'dependency-unreachable': 2,
  'dns-failure': 2,
  'tls-error': 2,
  'permission-denied': 2,
  'exec-format-error': 2,
  'runtime-oom': 2,
  'probe-misconfigured': 2,
  'cpu-throttled': 2,
  'container-config-error': 2,
  'failed-mount': 2,
  'image-pull': 2,
  'invalid-image': 2,
  unschedulable: 2,
  'unschedulable-pvc': 2,
  'app-error': 4,
  'oom-killed': 4,
  'command-not-found': 4,
  'exit-code': 4,
  'killed-not-oom': 4,
  'exits-zero-restart-always': 4,
  'liveness-failing': 4,
  'crash-loop': 5,
  'init-container-failing': 5,
  'high-restarts': 5,
  'readiness-failing': 5,
  'rollout-stuck': 6,
  'job-failed': 6,
};
const DEFAULT_CAUSAL_RANK = 3;

/** The causal rank of a finding id (lower = deeper cause). */
export function causalRank(id: string): number {
  return CAUSAL_RANK[id] ?? DEFAULT_CAUSAL_RANK;
}

/**
 * Ordering used everywhere findings are listed: problems (critical, warning)
 * before context (info); among problems the deepest cause first, then the
 * worst severity; the order is otherwise kept (stable sort).
 */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  const key = (f: Finding) => [f.severity === 'info' ? 1 : 0, causalRank(f.id), SEVERITY_RANK[f.severity]];
  return [...findings].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! - kb[i]!;
    return 0;
  });
}

/** The worst severity among findings (`info` when there are none). */
export function worstSeverity(findings: readonly Finding[]): Severity {
  let worst: Severity = 'info';
  for (const f of findings) if (SEVERITY_RANK[f.severity] < SEVERITY_RANK[worst]) worst = f.severity;
  return worst;
}
