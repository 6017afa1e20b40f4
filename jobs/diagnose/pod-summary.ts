/**
 * An owner's pods reduced page by page to what the answer needs: counts by
 * phase and by status, restarts in all, the worst pod (kept whole: it is the
 * one diagnosed) and the next worst few as sibling lines. Memory stays
 * bounded whatever the owner's size. Pure.
 */
import type { Sibling } from '../contracts/index.js';
import type { Pod } from '../k8s/types.js';
import { badness, sibling } from './select.js';

/** Sibling lines kept besides the worst pod. */
export const MAX_SIBLINGS = 20;

export interface PodSummary {
  total: number;
  byPhase: Record<string, number>;
  /** kubectl's STATUS word (Running, CrashLoopBackOff, Evicted, …) → pods. */
  byStatus: Record<string, number>;
  restarts: number;
  /** The pod to diagnose: the first of the highest badness, in list order. */
  worst?: Pod;
  worstScore: number;
  worstSeq: number;
  /** The next worst pods (badness descending, list order among equals), at most `keep`. */
  others: { score: number; seq: number; line: Sibling }[];
  /** Name of the last pod added (where a cut list stopped). */
  last?: string;
  keep: number;
}

export function emptySummary(keep = MAX_SIBLINGS): PodSummary {
  return { total: 0, byPhase: {}, byStatus: {}, restarts: 0, worstScore: -1, worstSeq: -1, others: [], keep };
}

function insertOther(s: PodSummary, o: PodSummary['others'][number]): void {
  // Sorted by score descending, then by list order (as a stable sort of the whole list would be).
  let i = s.others.length;
  while (
    i > 0 &&
    (s.others[i - 1]!.score < o.score || (s.others[i - 1]!.score === o.score && s.others[i - 1]!.seq > o.seq))
  )
    i--;
  if (i >= s.keep) return;
  s.others.splice(i, 0, o);
  if (s.others.length > s.keep) s.others.pop();
}

/** Adds one page of pods (in list order) to the summary. */
export function addPods(s: PodSummary, pods: readonly Pod[]): void {
  for (const p of pods) {
    const line = sibling(p);
    const seq = s.total;
    s.total++;
    s.byPhase[line.phase] = (s.byPhase[line.phase] ?? 0) + 1;
    s.byStatus[line.status] = (s.byStatus[line.status] ?? 0) + 1;
    s.restarts += line.restarts;
    s.last = line.name;
    const score = badness(p);
    if (score > s.worstScore) {
      if (s.worst) insertOther(s, { score: s.worstScore, seq: s.worstSeq, line: sibling(s.worst) });
      s.worst = p;
      s.worstScore = score;
      s.worstSeq = seq;
    } else {
      insertOther(s, { score, seq, line });
    }
  }
}

/** The sibling lines, worst first (the diagnosed pod not among them). */
export function siblingsOf(s: PodSummary): Sibling[] {
  return s.others.map((o) => o.line);
}

/** "4990 Running, 9 Pending, 1 CrashLoopBackOff", most common first. */
export function statusCounts(s: PodSummary): string {
  return Object.entries(s.byStatus)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([status, n]) => `${n} ${status}`)
    .join(', ');
}

/**
 * Why this pod was picked, as the owner line says it; with the totals when
 * not every pod is listed, and what was not read when the list was cut.
 */
export function pickReason(s: PodSummary, cut?: { after: string }): string {
  const n = cut ? `the first ${s.total}` : String(s.total);
  const base =
    s.total === 1 && !cut
      ? 'its only pod'
      : s.worstScore === 0
        ? `none of ${cut ? '' : 'its '}${n} pods looks unhealthy; showing one`
        : `worst of ${n} pods`;
  const listed = s.others.length + 1;
  const notes: string[] = [];
  if (s.total > listed) {
    notes.push(
      `${statusCounts(s)}; ${s.restarts} restart${s.restarts === 1 ? '' : 's'} in all; the ${s.others.length} next worst are listed`,
    );
  }
  if (cut)
    notes.push(
      `the list was cut after ${s.total} pods: pods after \`${cut.after}\` in name order were not read`,
    );
  return notes.length > 0 ? `${base} (${notes.join('; ')})` : base;
}
