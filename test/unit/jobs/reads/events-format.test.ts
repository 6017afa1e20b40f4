import { describe, expect, it } from '@jest/globals';
import {
  type AnyEvent,
  ageColumn,
  aggregateEvents,
  describeEvents,
  eventsTable,
  humanDuration,
  normaliseEvent,
} from '../../../../jobs/reads/events-format.js';

const NOW = Date.parse('2026-11-20T10:00:00Z');
const at = (minAgo: number) => new Date(NOW - minAgo * 60_000).toISOString();

const core = (o: Partial<AnyEvent> & { uid?: string } = {}): AnyEvent => ({
  metadata: { uid: o.uid ?? 'u-core', creationTimestamp: at(30) },
  involvedObject: { kind: 'Pod', name: 'web-0', namespace: 'shop', fieldPath: 'spec.containers{app}' },
  reason: 'BackOff',
  message: 'Back-off restarting failed container app',
  type: 'Warning',
  count: 5,
  firstTimestamp: at(30),
  lastTimestamp: at(2),
  source: { component: 'kubelet', host: 'node-1' },
  ...o,
});

const v1 = (o: Partial<AnyEvent> & { uid?: string } = {}): AnyEvent => ({
  metadata: { uid: o.uid ?? 'u-v1', creationTimestamp: at(20) },
  regarding: { kind: 'Pod', name: 'web-0', namespace: 'shop' },
  reason: 'Evicting',
  note: 'memory pressure',
  type: 'Warning',
  eventTime: at(20),
  reportingController: 'kubelet',
  series: { count: 3, lastObservedTime: at(1) },
  ...o,
});

describe('normaliseEvent reads both shapes', () => {
  it('core/v1: count, first and last timestamps, source', () => {
    expect(normaliseEvent(core())).toEqual({
      type: 'Warning',
      reason: 'BackOff',
      object: 'Pod/web-0',
      fieldPath: 'spec.containers{app}',
      from: 'kubelet, node-1',
      message: 'Back-off restarting failed container app',
      count: 5,
      first: NOW - 30 * 60_000,
      last: NOW - 2 * 60_000,
    });
  });

  it('events.k8s.io/v1: series count and last observed time, eventTime as first, note as message', () => {
    const r = normaliseEvent(v1());
    expect(r).toMatchObject({ object: 'Pod/web-0', message: 'memory pressure', count: 3, from: 'kubelet' });
    expect(r.first).toBe(NOW - 20 * 60_000);
    expect(r.last).toBe(NOW - 60_000);
  });

  it('events.k8s.io/v1 with the deprecated fields a converted core event carries', () => {
    const r = normaliseEvent({
      regarding: { kind: 'Pod', name: 'p' },
      deprecatedCount: 4,
      deprecatedFirstTimestamp: at(10),
      deprecatedLastTimestamp: at(5),
      deprecatedSource: { component: 'kubelet' },
    });
    expect(r).toMatchObject({ count: 4, first: NOW - 600_000, last: NOW - 300_000, from: 'kubelet' });
  });

  it('an event with no times and no count counts once, times unknown', () => {
    const r = normaliseEvent({ involvedObject: { kind: 'Pod', name: 'p' }, reason: 'X' });
    expect(r.count).toBe(1);
    expect(Number.isNaN(r.last)).toBe(true);
  });
});

describe('aggregateEvents', () => {
  it('the same event read through both groups (same uid) counts once', () => {
    const rows = aggregateEvents([core(), core()]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.count).toBe(5);
  });

  it('events differing only in their times are aggregated: counts added, earliest first, latest last', () => {
    const rows = aggregateEvents([
      core({ uid: 'a', count: 2, firstTimestamp: at(50), lastTimestamp: at(40) }),
      core({ uid: 'b', count: 3, firstTimestamp: at(30), lastTimestamp: at(1) }),
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ count: 5, first: NOW - 50 * 60_000, last: NOW - 60_000 });
  });

  it('sorts by last seen, oldest first; filters warnings and a since window', () => {
    const normal = core({
      uid: 'n',
      type: 'Normal',
      reason: 'Pulled',
      message: 'pulled',
      lastTimestamp: at(45),
    });
    const rows = aggregateEvents([v1(), core(), normal]);
    expect(rows.map((r) => r.reason)).toEqual(['Pulled', 'BackOff', 'Evicting']);
    expect(aggregateEvents([v1(), core(), normal], { warningsOnly: true }).map((r) => r.reason)).toEqual([
      'BackOff',
      'Evicting',
    ]);
    expect(aggregateEvents([v1(), core(), normal], { sinceMs: NOW - 90_000 }).map((r) => r.reason)).toEqual([
      'Evicting',
    ]);
  });
});

describe('kubectl-like rendering', () => {
  it.each<[number, string]>([
    [0, '0s'],
    [45, '45s'],
    [119, '119s'],
    [200, '3m20s'],
    [600, '10m'],
    [3 * 3600, '3h'],
    [5 * 3600 + 180, '5h3m'],
    [20 * 3600, '20h'],
    [3 * 86400 + 4 * 3600, '3d4h'],
    [15 * 86400, '15d'],
    [800 * 86400, '2y'],
  ])('humanDuration(%i s) = %s', (sec, want) => {
    expect(humanDuration(sec * 1000)).toBe(want);
  });

  it('the Age column says how often and over how long', () => {
    expect(ageColumn(normaliseEvent(core()), NOW)).toBe('2m (x5 over 30m)');
    expect(ageColumn(normaliseEvent(core({ count: 1 })), NOW)).toBe('2m');
  });

  it('the table and the describe section have aligned columns', () => {
    const rows = aggregateEvents([core(), v1()]);
    const table = eventsTable(rows, NOW).split('\n');
    expect(table[0]).toMatch(/^LAST SEEN {2}TYPE {5}REASON {4}OBJECT {28}COUNT {2}FIRST SEEN {2}MESSAGE$/);
    expect(table[1]).toMatch(
      /^2m {9}Warning {2}BackOff {3}Pod\/web-0 \(spec.containers\{app\}\) {2}5 {6}30m {9}Back-off/,
    );
    expect(eventsTable([], NOW)).toBe('No events found.\n');
    const section = describeEvents(rows, NOW);
    expect(section[0]).toBe('Events:');
    expect(section[1]).toBe(`  Type     Reason    Age${' '.repeat(16)}From${' '.repeat(13)}Message`);
    expect(section[2]).toMatch(/^ {2}-{4} {5}-{6} {4}-{3} {16}-{4} {13}-{7}$/);
    expect(describeEvents([], NOW)).toEqual(['Events:  <none>']);
  });
});
