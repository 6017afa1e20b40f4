import type { Finding } from '../../contracts/finding.js';

const LOG_EFFECTS = [
  'app-error',
  'exit-code',
  'command-not-found',
  'killed-not-oom',
  'crash-loop',
  'high-restarts',
  'readiness-failing',
  'liveness-failing',
  'init-container-failing',
];
const TERMINATION_EFFECTS = ['crash-loop', 'high-restarts', 'init-container-failing', 'job-failed'];
const PROBE_EFFECTS = [
  'liveness-failing',
  'readiness-failing',
  'killed-not-oom',
  'crash-loop',
  'high-restarts',
];
const NODE_EFFECTS = [
  'evicted',
  'stuck-terminating',
  'readiness-failing',
  'killed-not-oom',
  'exit-code',
  'crash-loop',
  'oom-killed',
];

/** Which finding ids a finding id can explain. Container-level pairs link only within one container. */
const EXPLAINS: Record<string, string[]> = {
  'dependency-unreachable': LOG_EFFECTS,
  'dns-failure': LOG_EFFECTS,
  'tls-error': LOG_EFFECTS,
  'permission-denied': LOG_EFFECTS,
  'runtime-oom': LOG_EFFECTS,
  'exec-format-error': LOG_EFFECTS,
  'probe-misconfigured': PROBE_EFFECTS,
  'cpu-throttled': PROBE_EFFECTS,
  'app-error': TERMINATION_EFFECTS,
  'exit-code': TERMINATION_EFFECTS,
  'oom-killed': TERMINATION_EFFECTS,
  'command-not-found': TERMINATION_EFFECTS,
  'exits-zero-restart-always': TERMINATION_EFFECTS,
  'killed-not-oom': TERMINATION_EFFECTS,
  'liveness-failing': ['killed-not-oom', 'crash-loop', 'high-restarts'],
  'create-failed': ['rollout-stuck', 'job-failed'],
  'crash-loop': ['rollout-stuck', 'job-failed'],
  'init-container-failing': ['rollout-stuck', 'job-failed'],
  'image-pull': ['rollout-stuck'],
  'invalid-image': ['rollout-stuck'],
  'container-config-error': ['rollout-stuck'],
  unschedulable: ['rollout-stuck'],
  'node-not-ready': NODE_EFFECTS,
  'node-pressure': NODE_EFFECTS,
  'node-oom': NODE_EFFECTS,
};

/** The container a finding is about, from its title (`Container \`api\``, `Init container \`migrate\``). */
export function subjectOf(f: Finding): string | undefined {
  return /^(?:Init c|C)ontainer `([^`]+)`/.exec(f.title)?.[1];
}

/**
 * Sets `causes` / `causedBy` (ids) on findings that explain one another:
 * a log cause explains the termination and the crash loop of the same
 * container, a termination its crash loop, the owner's create failure the
 * stuck rollout, the node what it does to the pod. Info findings (history)
 * neither explain nor are explained.
 */
export function linkFindings(findings: readonly Finding[]): Finding[] {
  const out = findings.map((f) => ({ ...f }));
  for (const cause of out) {
    if (cause.severity === 'info') continue;
    const effects = EXPLAINS[cause.id];
    if (!effects) continue;
    const cs = subjectOf(cause);
    for (const effect of out) {
      if (effect === cause || effect.severity === 'info' || !effects.includes(effect.id)) continue;
      const es = subjectOf(effect);
      if (cs !== undefined && es !== undefined && cs !== es) continue;
      cause.causes = [...new Set([...(cause.causes ?? []), effect.id])];
      effect.causedBy = [...new Set([...(effect.causedBy ?? []), cause.id])];
    }
  }
  return out;
}
