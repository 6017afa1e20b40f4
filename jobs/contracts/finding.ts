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

export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]);
}
