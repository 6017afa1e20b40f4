import type { Sibling } from '../contracts/index.js';
import type { Pod } from '../k8s/types.js';
import { podStatusString, readyString } from './rules/util.js';

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** A workload's spec.selector as the labelSelector query string. Empty selector → undefined (never list everything). */
export function labelSelectorString(s: LabelSelector | undefined): string | undefined {
  if (!s) return undefined;
  const parts = Object.entries(s.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of s.matchExpressions ?? []) {
    const vals = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${vals})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${vals})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.length ? parts.join(',') : undefined;
}

const BAD_WAITING = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
  'PreStartHookError',
  'PostStartHookError',
]);

function restarts(p: Pod): number {
  return [...(p.status?.containerStatuses ?? []), ...(p.status?.initContainerStatuses ?? [])].reduce(
    (n, c) => n + (c.restartCount ?? 0),
    0,
  );
}

/** How bad a pod looks from its status alone; the owner's worst pod is the one diagnosed. */
export function badness(p: Pod): number {
  const word = podStatusString(p);
  let score = 0;
  // Init:CrashLoopBackOff, Init:Error… are bad; Init:0/1 is an init container still at work.
  if (BAD_WAITING.has(word) || (word.startsWith('Init:') && !/^Init:\d+\/\d+$/.test(word))) score += 100;
  if (p.status?.phase === 'Failed' || word === 'Evicted') score += 80;
  if (p.status?.phase === 'Pending') score += 60;
  if (word === 'Terminating') score += 40;
  const cs = p.status?.containerStatuses ?? [];
  if (p.status?.phase === 'Running' && cs.some((c) => !c.ready)) score += 30;
  return score + Math.min(restarts(p), 20);
}

/** Sibling summary line for the thread. */
export function sibling(p: Pod): Sibling {
  return {
    name: p.metadata?.name ?? '',
    phase: p.status?.phase ?? 'Unknown',
    status: podStatusString(p),
    ready: readyString(p),
    restarts: restarts(p),
    node: p.spec?.nodeName,
  };
}
