import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { loadFixtures, logPathInfo, parseObjects } from '../../fixtures.js';

describe('parseObjects', () => {
  it('reads multi-document YAML and flattens kind: List', () => {
    const objs = parseObjects(
      [
        'apiVersion: v1\nkind: Node\nmetadata: {name: n1}',
        '---',
        'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p1, namespace: a}',
        '---',
        'apiVersion: v1\nkind: PodList\nitems:\n- metadata: {name: p2, namespace: a}',
        '---',
        '# empty document',
      ].join('\n'),
      'x.yaml',
    );
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Node/n1', 'Pod/p1', 'Pod/p2']);
  });

  it('names the file when a document is not an object', () => {
    expect(() => parseObjects('kind: Pod\nmetadata: {}', 'bad.yaml')).toThrow('bad.yaml');
  });
});

describe('logPathInfo', () => {
  it.each([
    [
      join('x', 'logs', 'ns', 'p', 'app.log'),
      { namespace: 'ns', pod: 'p', container: 'app', previous: false },
    ],
    [
      join('x', 'logs', 'ns', 'p', 'app.previous.log'),
      { namespace: 'ns', pod: 'p', container: 'app', previous: true },
    ],
    [join('x', 'other', 'ns', 'p', 'app.log'), undefined],
  ])('%s', (path, expected) => {
    expect(logPathInfo(path)).toEqual(expected);
  });
});

describe('loadFixtures', () => {
  it('loads objects and logs from the test fixture tree', async () => {
    const { objects, logs } = await loadFixtures([join(import.meta.dirname, 'fixtures')]);
    expect(
      objects
        .filter((o) => o.kind === 'Pod')
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['batch-runner', 'web-7d9f8b6c5d-x2k4p']);
    expect(objects.filter((o) => o.kind === 'Event')).toHaveLength(6);
    expect(logs.map((l) => `${l.container}${l.previous ? ' (previous)' : ''}`).sort()).toEqual([
      'app',
      'app (previous)',
      'sidecar',
    ]);
  });
});
