/**
 * Fault injection rules: fail requests matching a method and path pattern
 * with a status code or a connection reset, a limited number of times.
 */

/** A rule as callers give it to KubeSim.fail(). */
export interface FaultRule {
  /** HTTP method to match (any when absent). */
  method?: string;
  /** Tested against the path alone and against path+query; either matching counts. */
  path: RegExp;
  /** HTTP status to answer with a proper Status body, or 'reset' to destroy the socket. */
  status: number | 'reset';
  /** How many requests to fail (default: all). */
  times?: number;
  /** Overrides the Status message. */
  message?: string;
}

/** RegExp.test from the start of the string, even for /g or /y patterns. */
function testFresh(re: RegExp, s: string): boolean {
  re.lastIndex = 0;
  return re.test(s);
}

interface ActiveRule {
  rule: FaultRule;
  remaining: number;
}

/** The rules in force, first added first matched. */
export class FaultList {
  private rules: ActiveRule[] = [];

  /** Adds a rule; returns a function that removes it. */
  add(rule: FaultRule): () => void {
    const active: ActiveRule = { rule, remaining: rule.times ?? Number.POSITIVE_INFINITY };
    this.rules.push(active);
    return () => {
      this.rules = this.rules.filter((r) => r !== active);
    };
  }

  /** Finds the first matching rule with uses left and consumes one use. */
  take(method: string, pathname: string, fullPath: string): FaultRule | undefined {
    for (const a of this.rules) {
      if (a.remaining <= 0) continue;
      if (a.rule.method && a.rule.method.toUpperCase() !== method.toUpperCase()) continue;
      if (!testFresh(a.rule.path, pathname) && !testFresh(a.rule.path, fullPath)) continue;
      a.remaining -= 1;
      return a.rule;
    }
    return undefined;
  }
}
