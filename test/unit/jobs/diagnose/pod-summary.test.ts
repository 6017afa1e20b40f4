import { describe, expect, it } from '@jest/globals';
import { addPods, emptySummary, pickReason, siblingsOf } from '../../../../jobs/diagnose/pod-summary.js';
import { badness, sibling } from '../../../../jobs/diagnose/select.js';
import type { Pod } from '../../../../jobs/k8s/types.js';

const running = (name: string, restarts = 0): Pod => ({
  metadata: { name },
  status: {
    phase: 'Running',
    containerStatuses: [
      { name: 'app', image: 'x', imageID: '', ready: true, restartCount: restarts, state: { running: {} } },
    ],
  },
});
const crashing = (name: string, restarts: number): Pod => ({
  metadata: { name },
  status: {
    phase: 'Running',
    containerStatuses: [
      {
        name: 'app',
        image: 'x',
        imageID: '',
        ready: false,
        restartCount: restarts,
        state: { waiting: { reason: 'CrashLoopBackOff' } },
      },
    ],
  },
});
const pending = (name: string): Pod => ({ metadata: { name }, status: { phase: 'Pending' } });

/** What the old code did with the whole list: a stable sort by badness. */
function wholeList(pods: Pod[]) {
  const ranked = [...pods].sort((a, b) => badness(b) - badness(a));
  return { worst: ranked[0]!.metadata!.name, siblings: ranked.slice(1).map(sibling) };
}

describe('an owner’s pods reduced page by page', () => {
  it('picks the same pod and siblings as sorting the whole list, however the list is paged', () => {
    const pods = [
      running('a'),
      pending('b'),
      crashing('c', 3),
      running('d', 2),
      crashing('e', 9),
      pending('f'),
      running('g'),
      crashing('h', 9),
    ];
    for (const pageSize of [1, 3, 8]) {
      const s = emptySummary();
      for (let i = 0; i < pods.length; i += pageSize) addPods(s, pods.slice(i, i + pageSize));
      const expected = wholeList(pods);
      expect(s.worst?.metadata?.name).toBe(expected.worst);
      expect(siblingsOf(s)).toEqual(expected.siblings);
    }
  });

  it('keeps only the next worst few, and counts every pod', () => {
    const pods = Array.from({ length: 5000 }, (_, i) =>
      i === 4321 ? crashing(`p${i}`, 7) : running(`p${i}`),
    );
    const s = emptySummary(5);
    for (let i = 0; i < pods.length; i += 500) addPods(s, pods.slice(i, i + 500));
    expect(s.worst?.metadata?.name).toBe('p4321');
    expect(s.total).toBe(5000);
    expect(s.byStatus).toEqual({ Running: 4999, CrashLoopBackOff: 1 });
    expect(s.restarts).toBe(7);
    expect(siblingsOf(s).map((x) => x.name)).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    expect(pickReason(s)).toBe(
      'worst of 5000 pods (4999 Running, 1 CrashLoopBackOff; 7 restarts in all; the 5 next worst are listed)',
    );
  });

  it('words the pick as before for small owners, and says when the list was cut', () => {
    const one = emptySummary();
    addPods(one, [running('a')]);
    expect(pickReason(one)).toBe('its only pod');
    const calm = emptySummary();
    addPods(calm, [running('a'), running('b')]);
    expect(pickReason(calm)).toBe('none of its 2 pods looks unhealthy; showing one');
    const bad = emptySummary();
    addPods(bad, [running('a'), pending('b')]);
    expect(pickReason(bad)).toBe('worst of 2 pods');
    expect(pickReason(bad, { after: 'b' })).toBe(
      'worst of the first 2 pods (the list was cut after 2 pods: pods after `b` in name order were not read)',
    );
  });
});
