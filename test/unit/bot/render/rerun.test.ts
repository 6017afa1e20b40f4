import { describe, expect, it } from '@jest/globals';
import { encodeRerunValue, parseRerunValue } from '../../../../bot/render/index.js';
import type { TargetRef } from '../../../../jobs/contracts/target.js';

describe('rerun button value', () => {
  const targets: TargetRef[] = [
    { kind: 'pod', name: 'checkout-7d9f8b-x2kq', namespace: 'shop' },
    { kind: 'pod', name: 'web-0', namespace: 'shop', container: 'app' },
    { kind: 'deploy', name: 'checkout', namespace: 'shop' },
    { kind: 'sts', name: 'postgres', namespace: 'db', container: 'postgres' },
    { kind: 'job', name: 'migrate-42', namespace: 'shop' },
  ];

  it.each(targets)('round-trips %j', (target) => {
    const value = encodeRerunValue({ cluster: 'prod', target });
    expect(parseRerunValue(value)).toEqual({ cluster: 'prod', target });
  });

  it('is compact JSON with short keys', () => {
    expect(
      encodeRerunValue({
        cluster: 'prod',
        target: { kind: 'pod', name: 'web-0', namespace: 'shop', container: 'app' },
      }),
    ).toBe('{"c":"prod","k":"pod","n":"web-0","ns":"shop","ct":"app"}');
  });

  const forged: Array<[string, string]> = [
    ['not JSON', '{c:prod}'],
    ['empty', ''],
    ['JSON array', '["prod","pod","web-0"]'],
    ['JSON null', 'null'],
    ['missing namespace', '{"c":"prod","k":"pod","n":"web-0"}'],
    ['unknown kind', '{"c":"prod","k":"rs","n":"web-0","ns":"shop"}'],
    ['invalid pod name', '{"c":"prod","k":"pod","n":"Web_0","ns":"shop"}'],
    ['injected namespace', '{"c":"prod","k":"pod","n":"web-0","ns":"--all"}'],
    ['invalid container', '{"c":"prod","k":"pod","n":"web-0","ns":"shop","ct":"a b"}'],
    ['invalid cluster', '{"c":"Prod!","k":"pod","n":"web-0","ns":"shop"}'],
    ['extra field', '{"c":"prod","k":"pod","n":"web-0","ns":"shop","admin":true}'],
    ['wrong type', '{"c":"prod","k":"pod","n":42,"ns":"shop"}'],
    ['over 2000 chars', `{"c":"prod","k":"pod","n":"web-0","ns":"shop","ct":"app"}${' '.repeat(2000)}`],
  ];

  it.each(forged)('refuses %s', (_label, value) => {
    expect(parseRerunValue(value)).toBeUndefined();
  });

  it('accepts the over-long value once trimmed, so the length check is what refused it', () => {
    expect(parseRerunValue('{"c":"prod","k":"pod","n":"web-0","ns":"shop","ct":"app"}')).toBeDefined();
  });

  it('refuses to encode a target without a namespace', () => {
    expect(() => encodeRerunValue({ cluster: 'prod', target: { kind: 'pod', name: 'web-0' } })).toThrow(
      /namespace/,
    );
  });
});
