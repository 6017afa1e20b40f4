import { type Finding, finding } from '../../contracts/finding.js';
import { eventLines, eventsWith, logsCommand, podArgs, type RuleContext } from './context.js';
import { isCrashLooping, terminationLine, terminationOf } from './terminations.js';
import { errorLines, podStatusString } from './util.js';

/** Init containers (not native sidecars) that crash or exit non-zero, blocking the pod's start. */
export function initContainerRule(ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  for (const c of ctx.containers) {
    if (!c.init || c.sidecar || !c.status) continue;
    const term = c.status.state?.terminated;
    const failing = isCrashLooping(c) || (term !== undefined && term.exitCode !== 0);
    if (!failing) continue;
    const tv = terminationOf(c);
    const ev = [`status: ${podStatusString(ctx.pod)}`];
    if (c.status.state?.waiting?.reason)
      ev.push(`initContainerStatuses[${c.name}].state.waiting.reason: ${c.status.state.waiting.reason}`);
    if (tv) ev.push(terminationLine(tv));
    ev.push(`restartCount: ${c.status.restartCount}`);
    const initCond = ctx.pod.status?.conditions?.find((x) => x.type === 'Initialized');
    if (initCond)
      ev.push(
        `condition Initialized=${initCond.status}${initCond.reason ? ` reason=${initCond.reason}` : ''}`,
      );
    const blocked = (ctx.pod.status?.containerStatuses ?? [])
      .filter((s) => s.state?.waiting?.reason === 'PodInitializing')
      .map((s) => s.name);
    if (blocked.length > 0) ev.push(`waiting PodInitializing: ${blocked.join(', ')}`);
    ev.push(...eventLines(ctx, eventsWith(ctx, ['BackOff'], { container: c.name }), 1));
    ev.push(...errorLines(tv?.log).map((l) => `${tv?.logLabel ?? 'log'}: ${l}`));
    out.push(
      finding(
        'init-container-failing',
        'critical',
        `Init container \`${c.name}\` is failing (${podStatusString(ctx.pod)}), so the main containers never start`,
        ev,
        [
          logsCommand(ctx, c, tv?.previous ?? false),
          `kubectl describe pod ${podArgs(ctx)}  # the main containers' logs only say PodInitializing`,
        ],
      ),
    );
  }
  return out;
}
