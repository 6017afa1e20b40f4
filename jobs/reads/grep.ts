/**
 * `--grep` for logs: the pattern runs on re2js, a port of RE2 whose matching time is linear in the input
 * (no backtracking: `(a+)+$` cannot explode), and the whole filter runs under a time budget on top, so even
 * a huge log cannot keep a worker busy past it: the lines not yet looked at are dropped and the result says
 * so. Pure apart from the clock it is given.
 */
import type { RE2JS } from 're2js';

export { compileGrep } from '../contracts/reads.js';

export interface GrepOutcome<T> {
  kept: T[];
  /** Lines looked at before the budget ran out (all of them when `cut` is false). */
  scanned: number;
  cut: boolean;
}

/**
 * Keeps the items whose text matches, looking at the clock every `checkEvery` items: once `budgetMs` has
 * passed, it stops and reports how far it got.
 */
export function grepLines<T>(
  items: readonly T[],
  text: (item: T) => string,
  re: RE2JS,
  budgetMs: number,
  now: () => number = () => performance.now(),
  checkEvery = 64,
): GrepOutcome<T> {
  const start = now();
  const kept: T[] = [];
  for (let i = 0; i < items.length; i++) {
    if (i % checkEvery === 0 && i > 0 && now() - start > budgetMs) return { kept, scanned: i, cut: true };
    const item = items[i]!;
    if (re.test(text(item))) kept.push(item);
  }
  return { kept, scanned: items.length, cut: false };
}
