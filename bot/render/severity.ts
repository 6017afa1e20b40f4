/** Severity markers, counts and the one-line verdict. Pure. */
import { type Finding, type Severity, sortFindings, worstSeverity } from '../../jobs/contracts/finding.js';

/** Emoji shown before a finding of each severity. */
export const SEVERITY_MARKER: Record<Severity, string> = { critical: '🔴', warning: '🟠', info: '🔵' };

/** Emoji for a result with no critical or warning findings. */
export const HEALTHY_MARKER = '✅';

/** Findings per severity. */
export interface SeverityCounts {
  critical: number;
  warning: number;
  info: number;
}

/** Counts findings per severity. */
export function countBySeverity(findings: readonly Finding[]): SeverityCounts {
  const counts: SeverityCounts = { critical: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}

/** Healthy means nothing critical and nothing worth a warning; info findings are context only. */
export function isHealthy(findings: readonly Finding[]): boolean {
  const c = countBySeverity(findings);
  return c.critical === 0 && c.warning === 0;
}

/** "2 critical, 1 warning" (zero counts left out); "no problems" when all are zero. */
export function formatCounts(c: SeverityCounts, withInfo = false): string {
  const parts: string[] = [];
  if (c.critical > 0) parts.push(`${c.critical} critical`);
  if (c.warning > 0) parts.push(`${c.warning} warning${c.warning === 1 ? '' : 's'}`);
  if (withInfo && c.info > 0) parts.push(`${c.info} info`);
  return parts.length > 0 ? parts.join(', ') : 'no problems';
}

/** The marker for a whole result: its worst severity, or ✅ when healthy. */
export function verdictMarker(findings: readonly Finding[]): string {
  const worst = worstSeverity(findings);
  return worst === 'info' ? HEALTHY_MARKER : SEVERITY_MARKER[worst];
}

/**
 * One plain-text line (no mrkdwn, at most 200 characters): the top
 * finding's title (the deepest cause, see sortFindings) with how many other problems there are, or
 * "Healthy: no problems found" when nothing is critical or a warning.
 */
export function verdictLine(findings: Finding[]): string {
  const sorted = sortFindings(findings);
  const worst = sorted[0];
  const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();
  if (worst === undefined || worst.severity === 'info') {
    const notes = sorted.length;
    return `Healthy: no problems found${notes > 0 ? ` (${notes} note${notes === 1 ? '' : 's'})` : ''}`;
  }
  const problems = sorted.filter((f) => f.severity !== 'info').length;
  const suffix = problems > 1 ? ` (+${problems - 1} more problem${problems > 2 ? 's' : ''})` : '';
  const title = oneLine(worst.title);
  const max = 200 - suffix.length;
  return `${title.length > max ? `${title.slice(0, max - 1)}…` : title}${suffix}`;
}
