import { describe, expect, it } from '@jest/globals';
import { eventToCore, eventToV1 } from '../../event-convert.js';
import { sliceLog } from '../../log-text.js';
import type { KubeObject } from '../../store.js';

const times = [
  '2026-11-20T09:00:00Z',
  '2026-11-20T09:10:00Z',
  '2026-11-20T09:20:00Z',
  '2026-11-20T09:30:00Z',
];
const text = 'one\ntwo\nthree\nfour\n';

describe('sliceLog: the kubelet’s order (tail, then since, then timestamps, then limitBytes)', () => {
  it('timestamps prefix each line with its runtime time', () => {
    expect(sliceLog(text, { timestamps: true, times }).toString()).toBe(
      times.map((t, i) => `${t} ${['one', 'two', 'three', 'four'][i]}\n`).join(''),
    );
  });

  it('since skips older lines', () => {
    expect(sliceLog(text, { sinceMs: Date.parse('2026-11-20T09:15:00Z'), times }).toString()).toBe(
      'three\nfour\n',
    );
  });

  it('tail is taken before since: the last 3 lines, then those since 09:25 → one line', () => {
    expect(
      sliceLog(text, { tailLines: 3, sinceMs: Date.parse('2026-11-20T09:25:00Z'), times }).toString(),
    ).toBe('four\n');
  });

  it('limitBytes cuts what timestamps produced', () => {
    expect(sliceLog(text, { timestamps: true, times, limitBytes: 10 }).toString()).toBe('2026-11-20');
  });

  it('lines without a time of their own take the instance start', () => {
    expect(sliceLog('a\nb\n', { timestamps: true, defaultTime: '2026-11-20T08:00:00Z' }).toString()).toBe(
      '2026-11-20T08:00:00Z a\n2026-11-20T08:00:00Z b\n',
    );
    expect(
      sliceLog('a\nb\n', {
        sinceMs: Date.parse('2026-11-20T09:00:00Z'),
        defaultTime: '2026-11-20T08:00:00Z',
      }).toString(),
    ).toBe('');
  });

  it('without since and timestamps the text is served as stored', () => {
    expect(sliceLog('x\ny', { tailLines: 1 }).toString()).toBe('y');
  });
});

describe('events in both API groups', () => {
  const core = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'e1', namespace: 'shop', uid: 'u1' },
    involvedObject: { kind: 'Pod', name: 'web-0' },
    message: 'Back-off',
    count: 4,
    firstTimestamp: '2026-11-20T09:00:00Z',
    lastTimestamp: '2026-11-20T09:30:00Z',
    source: { component: 'kubelet', host: 'n1' },
    reportingComponent: 'kubelet',
    reason: 'BackOff',
    type: 'Warning',
  } as unknown as KubeObject;

  it('core/v1 → events.k8s.io/v1 renames the fields as the API server converts them', () => {
    expect(eventToV1(core)).toEqual({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'e1', namespace: 'shop', uid: 'u1' },
      regarding: { kind: 'Pod', name: 'web-0' },
      note: 'Back-off',
      deprecatedCount: 4,
      deprecatedFirstTimestamp: '2026-11-20T09:00:00Z',
      deprecatedLastTimestamp: '2026-11-20T09:30:00Z',
      deprecatedSource: { component: 'kubelet', host: 'n1' },
      reportingController: 'kubelet',
      reason: 'BackOff',
      type: 'Warning',
    });
  });

  it('and back', () => {
    expect(eventToCore(eventToV1(core))).toEqual(core);
  });
});
