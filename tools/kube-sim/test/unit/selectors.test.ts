import { describe, expect, it } from '@jest/globals';
import {
  checkFieldsSupported,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  SelectorError,
} from '../../selectors.js';

const pod = {
  metadata: { name: 'p1', namespace: 'shop' },
  spec: { nodeName: 'n1', hostNetwork: false },
  status: { phase: 'Running', podIPs: [{ ip: '10.0.0.7' }] },
};

describe('parseFieldSelector', () => {
  it.each([
    ['metadata.name=p1', [{ field: 'metadata.name', op: '=', value: 'p1' }]],
    ['metadata.name==p1', [{ field: 'metadata.name', op: '=', value: 'p1' }]],
    ['status.phase!=Running', [{ field: 'status.phase', op: '!=', value: 'Running' }]],
    [
      'involvedObject.name=a,involvedObject.uid=u-1',
      [
        { field: 'involvedObject.name', op: '=', value: 'a' },
        { field: 'involvedObject.uid', op: '=', value: 'u-1' },
      ],
    ],
    ['metadata.name=a\\,b', [{ field: 'metadata.name', op: '=', value: 'a,b' }]],
    ['spec.nodeName=', [{ field: 'spec.nodeName', op: '=', value: '' }]],
    ['', []],
  ])('%s', (input, expected) => {
    expect(parseFieldSelector(input)).toEqual(expected);
  });

  it('rejects a term without an operator', () => {
    expect(() => parseFieldSelector('metadata.name')).toThrow(SelectorError);
  });
});

describe('matchesFields', () => {
  it.each([
    ['metadata.name=p1', true],
    ['metadata.name=p2', false],
    ['metadata.namespace=shop,spec.nodeName=n1', true],
    ['status.phase!=Running', false],
    ['status.phase!=Pending', true],
    ['spec.nodeName=', false],
    ['status.nominatedNodeName=', true],
    ['spec.hostNetwork=false', true],
    ['status.podIPs=10.0.0.7', true],
  ])('%s → %s', (sel, expected) => {
    expect(matchesFields(pod, parseFieldSelector(sel))).toBe(expected);
  });

  it('matches events on the involvedObject fields kubectl describe combines', () => {
    const ev = {
      involvedObject: { name: 'p1', namespace: 'shop', uid: 'u1', kind: 'Pod' },
      reason: 'BackOff',
    };
    expect(
      matchesFields(
        ev,
        parseFieldSelector('involvedObject.name=p1,involvedObject.namespace=shop,involvedObject.uid=u1'),
      ),
    ).toBe(true);
    expect(matchesFields(ev, parseFieldSelector('involvedObject.name=p1,involvedObject.uid=u2'))).toBe(false);
  });
});

describe('checkFieldsSupported', () => {
  it('accepts the fields the server supports for pods and events', () => {
    expect(() =>
      checkFieldsSupported('pods', '', parseFieldSelector('spec.nodeName=n,status.phase=Running')),
    ).not.toThrow();
    expect(() =>
      checkFieldsSupported('events', '', parseFieldSelector('involvedObject.kind=Node,type=Warning')),
    ).not.toThrow();
  });

  it('rejects an unsupported pod field with the server message', () => {
    expect(() => checkFieldsSupported('pods', '', parseFieldSelector('spec.foo=bar'))).toThrow(
      'field label not supported: spec.foo',
    );
  });

  it('falls back to any dotted path for kinds without a known list', () => {
    expect(() =>
      checkFieldsSupported('deployments', 'apps', parseFieldSelector('spec.replicas=1')),
    ).not.toThrow();
  });
});

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'frontend', rev: '3' };
  it.each([
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['missing!=x', true],
    ['app in (api, web)', true],
    ['app in (api)', false],
    ['app notin (api)', true],
    ['missing notin (api)', true],
    ['tier', true],
    ['missing', false],
    ['!missing', true],
    ['!app', false],
    ['app=web,tier in (frontend,backend),!canary', true],
    ['app=web,tier=backend', false],
    ['rev>2', true],
    ['rev<2', false],
    ['', true],
  ])('%s → %s', (sel, expected) => {
    expect(matchesLabels(labels, parseLabelSelector(sel))).toBe(expected);
  });

  it('treats absent labels as an empty set', () => {
    expect(matchesLabels(undefined, parseLabelSelector('!app'))).toBe(true);
    expect(matchesLabels(undefined, parseLabelSelector('app'))).toBe(false);
  });

  it.each(['app in ()', 'app in (a', 'bad key=1', ','])('rejects %j', (sel) => {
    expect(() => parseLabelSelector(sel)).toThrow(SelectorError);
  });
});
