/** `describe`: the object (and an owner's pods, read by its selector) with its events, as kubectl shows it. */
import type { KubeReader } from '../k8s/client.js';
import { describeOwner } from './describe-owner.js';
import { describePod } from './describe-pod.js';
import { eventSubjects, gatherEvents } from './events.js';
import { aggregateEvents } from './events-format.js';
import type { ReadText } from './logs.js';
import type { ReadTarget } from './resolve.js';

export async function readDescribe(reader: KubeReader, target: ReadTarget, now: Date): Promise<ReadText> {
  // kubectl describe shows the object's own events (not its pods').
  const { events, notes } = await gatherEvents(reader, target.namespace, eventSubjects(target, false));
  const rows = aggregateEvents(events);
  const text =
    target.kind === 'pod'
      ? describePod(target.pod, rows, now.getTime())
      : describeOwner(target.owner, target.pods, rows, now.getTime());
  const name =
    target.kind === 'pod'
      ? `pod/${target.pod.metadata?.name}`
      : `${target.owner.kind.toLowerCase()}/${target.owner.obj.metadata?.name}`;
  const warnings = rows.filter((r) => r.type === 'Warning').length;
  return {
    text,
    verdict: `${name}: ${rows.length} event${rows.length === 1 ? '' : 's'}${warnings ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : ''}`,
    summary: [`kubectl describe ${name} -n ${target.namespace}`],
    notes,
  };
}
