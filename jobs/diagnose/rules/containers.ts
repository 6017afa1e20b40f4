import { type Finding, finding } from '../../contracts/finding.js';
import {
  type ContainerView,
  eventLines,
  eventsCommand,
  eventsWith,
  logsCommand,
  podArgs,
  type RuleContext,
} from './context.js';
import { exitCodeMeaning } from './exit-codes.js';
import { isCrashLooping, terminationLine, terminationOf } from './terminations.js';
import { humanDuration, oneLine, toMillis } from './util.js';

/** Restarts at or above this count are worth a finding on their own. */
export const HIGH_RESTARTS = 5;
const DAY_MS = 24 * 60 * 60 * 1000;

function lastExitText(c: ContainerView): string {
  const tv = terminationOf(c);
  if (!tv) return '';
  return `, last exit: ${tv.t.reason ?? exitCodeMeaning(tv.t.exitCode).meaning} (${tv.t.exitCode})`;
}

/** Main containers and native sidecars in CrashLoopBackOff (init containers: see init rules). */
export function crashLoopRule(ctx: RuleContext): Finding[] {
  return ctx.containers
    .filter((c) => (!c.init || c.sidecar) && isCrashLooping(c))
    .map((c) => {
      const st = c.status!;
      const ev = [`state.waiting.reason: CrashLoopBackOff`];
      if (st.state?.waiting?.message) ev.push(`state.waiting.message: ${oneLine(st.state.waiting.message)}`);
      ev.push(`restartCount: ${st.restartCount}`);
      const tv = terminationOf(c);
      if (tv) ev.push(terminationLine(tv));
      ev.push(...eventLines(ctx, eventsWith(ctx, ['BackOff'], { container: c.name }), 2));
      return finding(
        'crash-loop',
        'critical',
        `Container \`${c.name}\` is crash looping (CrashLoopBackOff, ${st.restartCount} restarts${lastExitText(c)})`,
        ev,
        [logsCommand(ctx, c, true), `kubectl describe pod ${podArgs(ctx)}`, eventsCommand(ctx)],
      );
    });
}

/** Containers that restarted often without a crash loop explaining it. */
export function highRestartsRule(ctx: RuleContext): Finding[] {
  return (
    ctx.containers
      // a container waiting now (CrashLoopBackOff, hook or config errors) is explained by another finding
      .filter((c) => (c.status?.restartCount ?? 0) >= HIGH_RESTARTS && !c.status?.state?.waiting)
      .filter((c) => !c.init || c.sidecar || c.status?.state?.terminated?.exitCode !== 0)
      .map((c) => {
        const st = c.status!;
        const tv = terminationOf(c);
        const fin = toMillis(tv?.t.finishedAt);
        const recent = fin === undefined || ctx.now - fin <= DAY_MS;
        const ev = [`restartCount: ${st.restartCount}`];
        if (tv) ev.push(terminationLine(tv));
        if (tv) ev.push(`exit ${tv.t.exitCode}: ${exitCodeMeaning(tv.t.exitCode).meaning}`);
        const running = st.state?.running?.startedAt;
        if (running) ev.push(`state.running.startedAt: ${running}`);
        const ago = fin === undefined ? '' : `, last ${humanDuration(ctx.now - fin)} ago`;
        return finding(
          'high-restarts',
          recent ? 'warning' : 'info',
          `Container \`${c.name}\` has restarted ${st.restartCount} times${ago}`,
          ev,
          [logsCommand(ctx, c, true), eventsCommand(ctx)],
        );
      })
  );
}
