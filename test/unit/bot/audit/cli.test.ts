import { describe, expect, it } from '@jest/globals';
import { displayUrl, parseSince } from '../../../../bot/audit/cli.js';

const now = new Date('2026-11-27T12:00:00Z');

describe('parseSince', () => {
  const good: [string, string][] = [
    ['2026-11-27T00:00:00Z', '2026-11-27T00:00:00.000Z'],
    ['2026-11-27T01:30:00+01:00', '2026-11-27T00:30:00.000Z'],
    ['2026-11-27', '2026-11-27T00:00:00.000Z'],
    ['30m', '2026-11-27T11:30:00.000Z'],
    ['24h', '2026-11-26T12:00:00.000Z'],
    ['7d', '2026-11-20T12:00:00.000Z'],
    ['90s', '2026-11-27T11:58:30.000Z'],
  ];
  it.each(good)('reads %s as %s', (v, iso) => {
    expect(parseSince(v, now)?.toISOString()).toBe(iso);
  });

  it.each(['yesterday', '24', 'h', '-1h', '1w', '2026-13-40', '27/11/2026', ''])('refuses %j', (v) => {
    expect(parseSince(v, now)).toBeUndefined();
  });
});

describe('displayUrl', () => {
  it('hides a password and keeps the rest', () => {
    expect(displayUrl('redis://:s3cret@redis.internal:6380/2')).toBe('redis://:***@redis.internal:6380/2');
    expect(displayUrl('rediss://bot:s3cret@redis.internal:6380')).toBe(
      'rediss://bot:***@redis.internal:6380',
    );
    expect(displayUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });
});
