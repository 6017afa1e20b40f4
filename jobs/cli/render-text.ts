/**
 * Plain-text rendering of a diagnosis for a terminal: a target line, the
 * verdict, each finding with a severity tag, indented evidence and "next:"
 * steps, the owner's pods as a table, and what could not be read. Pure.
 *
 * Text from the cluster (log lines, event messages) is untrusted: control
 * characters are shown as `\u001b` so a log line cannot move the cursor,
 * clear the screen or recolour the rest of the output.
 */
import type { DiagnoseResult, Sibling } from '../contracts/diagnose.js';
import { type Finding, type Severity, sortFindings } from '../contracts/finding.js';

/** Options for {@link renderText}. */
export interface RenderTextOptions {
  /** Use ANSI colours for severity tags (only when writing to a terminal). */
  color: boolean;
  /** Cluster or kubeconfig context name, shown on the target line. */
  cluster?: string;
}

type Diagnosed = Extract<DiagnoseResult, { outcome: 'diagnosed' }>;
type Ambiguous = Extract<DiagnoseResult, { outcome: 'ambiguous' }>;

const ANSI = {
  critical: '\u001b[1;31m',
  warning: '\u001b[1;33m',
  info: '\u001b[36m',
  healthy: '\u001b[1;32m',
  dim: '\u001b[2m',
  reset: '\u001b[0m',
} as const;

const TAG: Record<Severity, string> = { critical: '[CRITICAL]', warning: '[WARNING]', info: '[INFO]' };

/** Renders any result; the returned text ends with a newline. */
export function renderText(r: DiagnoseResult, opts: RenderTextOptions): string {
  const lines = r.outcome === 'ambiguous' ? ambiguousLines(r, opts) : diagnosedLines(r, opts);
  return `${lines.join('\n')}\n`;
}

/** Shows control and invisible formatting characters escaped; tabs become spaces. */
function safe(s: string): string {
  return s.replace(/\t/g, '  ').replace(/[\p{Cc}\p{Cf}]/gu, (c) => {
    const cp = c.codePointAt(0)!;
    return cp > 0xffff ? `\\u{${cp.toString(16)}}` : `\\u${cp.toString(16).padStart(4, '0')}`;
  });
}

/** Safe single lines of a possibly multi-line string. */
function safeLines(s: string): string[] {
  return s.split(/\r?\n/).map(safe);
}

function paint(text: string, style: keyof typeof ANSI, opts: RenderTextOptions): string {
  return opts.color ? `${ANSI[style]}${text}${ANSI.reset}` : text;
}

function diagnosedLines(r: Diagnosed, opts: RenderTextOptions): string[] {
  const findings = sortFindings(r.findings);
  const out: string[] = [];
  const where = opts.cluster ? `  (cluster ${safe(opts.cluster)})` : '';
  const label = r.target.kind === 'Pod' ? 'pod:' : `${r.target.kind.toLowerCase()}:`;
  out.push(`${label.padEnd(10)}${safe(r.target.namespace)}/${safe(r.target.name)}${where}`);
  if (r.owner && r.target.kind !== 'Pod') {
    out.push(`owner:    ${safe(r.owner.kind)} ${safe(r.owner.name)}: ${safe(r.owner.reason)}`);
  } else if (r.owner) {
    out.push(
      `owner:    ${safe(r.owner.kind)} ${safe(r.owner.name)}, picked this pod: ${safe(r.owner.reason)}`,
    );
  }
  out.push(`verdict:  ${verdict(findings, opts)}`);

  for (const f of findings) {
    out.push('', ...findingLines(f, opts, findings));
  }
  if (r.siblings.length > 0) {
    const of = r.owner ? ` of ${safe(r.owner.kind)} ${safe(r.owner.name)}` : '';
    out.push('', `pods${of} (${r.siblings.length}):`, ...siblingTable(r.siblings).map((l) => `  ${l}`));
  }
  if (r.gaps.length > 0) {
    out.push('', paint('could not read (checks that need these did not run):', 'warning', opts));
    for (const g of r.gaps) out.push(`  - ${safeLines(g).join(' ')}`);
  }
  out.push(
    '',
    paint(`${r.stats.apiRequests} API requests in ${formatDuration(r.stats.durationMs)}`, 'dim', opts),
  );
  return out;
}

function verdict(findings: readonly Finding[], opts: RenderTextOptions): string {
  const worst = findings[0];
  if (worst === undefined || worst.severity === 'info') {
    const notes = findings.length > 0 ? ` (${findings.length} note${findings.length === 1 ? '' : 's'})` : '';
    return `${paint('HEALTHY', 'healthy', opts)}  no problems found${notes}`;
  }
  const problems = findings.filter((f) => f.severity !== 'info').length;
  const more = problems > 1 ? ` (+${problems - 1} more problem${problems > 2 ? 's' : ''})` : '';
  return `${paint(worst.severity.toUpperCase(), worst.severity, opts)}  ${safeLines(worst.title).join(' ')}${more}`;
}

/** "because <title> (id)" for each finding that explains this one. */
export function becauseLines(f: Finding, all: readonly Finding[]): string[] {
  return (f.causedBy ?? []).map((id) => {
    const cause = all.find((x) => x.id === id);
    return cause ? `because ${cause.title.replace(/\s+/g, ' ')} (${id})` : `because ${id}`;
  });
}

function findingLines(f: Finding, opts: RenderTextOptions, all: readonly Finding[] = []): string[] {
  const out = [`${paint(TAG[f.severity], f.severity, opts)} ${safeLines(f.title).join(' ')}  (${f.id})`];
  for (const b of becauseLines(f, all)) out.push(`  ${safeLines(b).join(' ')}`);
  for (const e of f.evidence) for (const l of safeLines(e)) out.push(`    ${l}`);
  for (const n of f.next) out.push(`  next: ${safeLines(n).join(' ')}`);
  return out;
}

function siblingTable(siblings: readonly Sibling[]): string[] {
  const rows = [['NAME', 'STATUS', 'READY', 'RESTARTS', 'NODE']].concat(
    siblings.map((s) => [s.name, s.status, s.ready, String(s.restarts), s.node ?? '-'].map(safe)),
  );
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
}

function ambiguousLines(r: Ambiguous, opts: RenderTextOptions): string[] {
  const where = opts.cluster ? ` on ${safe(opts.cluster)}` : '';
  const out = [
    `pod name ${safe(r.name)} matches pods in ${r.candidates.length} namespaces${where}; pick one:`,
  ];
  const refs = r.candidates.map((c) => `${safe(c.namespace)}/${safe(c.name)}`);
  const width = Math.max(...refs.map((s) => s.length));
  r.candidates.forEach((c, i) => {
    out.push(`  ${refs[i]!.padEnd(width)}  poddebug diagnose ${safe(c.name)} -n ${safe(c.namespace)}`);
  });
  return out;
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
