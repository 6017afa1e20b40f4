import { type Finding, finding } from '../../contracts/finding.js';
import { RECENT_MS, type RuleContext } from './context.js';
import { eventLastSeen, formatEvent, humanDuration, podStatusString, readyString, toMillis } from './util.js';

/**
 * The closing finding when nothing is wrong: `healthy` for a Running pod with
 * every container ready (or a Succeeded pod), `no-problem-found` for any other
 * state with nothing to report (e.g. a pod created seconds ago).
 */
export function healthyFinding(ctx: RuleContext): Finding {
  const pod = ctx.pod;
  const status = podStatusString(pod);
  const ready = readyString(pod);
  const containers = pod.status?.containerStatuses ?? [];
  const judged = ctx.containers.filter((c) => !c.init || c.sidecar);
  const restarts = containers.reduce((n, c) => n + c.restartCount, 0);
  const ev = [`status: ${status}`, `ready: ${ready}`, `restarts: ${restarts}`];
  const node = ctx.g.node;
  if (node) {
    const r = node.status?.conditions?.find((c) => c.type === 'Ready');
    ev.push(`node ${node.metadata?.name}: Ready=${r?.status ?? '?'}`);
  }
  const warnings = ctx.events.filter((e) => {
    const seen = eventLastSeen(e);
    return e.type === 'Warning' && seen !== undefined && ctx.now - seen <= RECENT_MS;
  });
  ev.push(
    warnings.length === 0
      ? 'Warning events in the last hour: none'
      : `Warning events in the last hour: ${warnings.length} (latest: ${formatEvent(warnings[0]!, ctx.now)})`,
  );
  const succeeded = pod.status?.phase === 'Succeeded';
  const allReady = judged.length > 0 && judged.every((c) => c.status?.ready && c.status.state?.running);
  const deleting = Boolean(pod.metadata?.deletionTimestamp);
  if (!deleting && (succeeded || (pod.status?.phase === 'Running' && allReady))) {
    const title = succeeded
      ? `Pod \`${ctx.name}\` completed successfully (${status})`
      : `Pod \`${ctx.name}\` is healthy: Running, ${ready} containers ready${restarts > 0 ? `, ${restarts} old restart(s)` : ''}`;
    return finding('healthy', 'info', title, ev, [
      'If users still see errors, look past the pod: its Service and endpoints, or the upstream it calls',
      `kubectl logs -n ${ctx.ns} ${ctx.name} --all-containers --tail=50`,
    ]);
  }
  const created = toMillis(pod.metadata?.creationTimestamp);
  const age = created === undefined ? '' : `, created ${humanDuration(ctx.now - created)} ago`;
  return finding(
    'no-problem-found',
    'info',
    `No problem found yet: pod \`${ctx.name}\` is ${status} (${ready} ready${age})`,
    ev,
    [
      `Run diagnose again in a minute`,
      `kubectl get events -n ${ctx.ns} --field-selector involvedObject.name=${ctx.name} -w`,
    ],
  );
}
