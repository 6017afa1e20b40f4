import { describe, expect, it } from '@jest/globals';
import { loadBotConfig } from '../../../bot/config.js';
import { loadWorkerConfig } from '../../../jobs/config.js';

describe('bot configuration', () => {
  const base = {
    SLACK_BOT_TOKEN: 'xoxb-1-2-3',
    SLACK_SIGNING_SECRET: 'abcdefgh12345678',
    POLICY_FILE: '/etc/poddebug/policy/policy.yaml',
  };
  it('has documented defaults', () => {
    const c = loadBotConfig(base);
    expect(c.PORT).toBe(3000);
    expect(c.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(c.CLUSTERS).toEqual(['default']);
  });
  it('keeps the audit stream on one Redis Cluster slot: its key needs a hash tag', () => {
    expect(loadBotConfig(base).AUDIT_STREAM_KEY).toBe('{poddebug:audit}');
    expect(loadBotConfig({ ...base, AUDIT_STREAM_KEY: 'audit:{team-a}' }).AUDIT_STREAM_KEY).toBe(
      'audit:{team-a}',
    );
    for (const key of ['poddebug:audit', 'poddebug:{}:audit'])
      expect(() => loadBotConfig({ ...base, AUDIT_STREAM_KEY: key })).toThrow(
        `AUDIT_STREAM_KEY: ${JSON.stringify(key)} has no hash tag: use one such as {poddebug:audit}`,
      );
  });
  it('splits CLUSTERS and keeps the first as the default', () => {
    expect(loadBotConfig({ ...base, CLUSTERS: 'prod-eu, prod-us' }).CLUSTERS).toEqual(['prod-eu', 'prod-us']);
  });
  it('names every bad variable and never prints a secret', () => {
    let msg = '';
    try {
      loadBotConfig({ SLACK_BOT_TOKEN: 'xoxp-user-token-secret', CLUSTERS: 'Prod EU', PORT: 'eighty' });
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/SLACK_BOT_TOKEN/);
    expect(msg).toMatch(/CLUSTERS/);
    expect(msg).toMatch(/PORT/);
    expect(msg).not.toContain('xoxp-user-token-secret');
  });
  it('needs a signing secret in HTTP mode', () => {
    expect(() => loadBotConfig({ SLACK_BOT_TOKEN: 'xoxb-1', POLICY_FILE: '/p.yaml' })).toThrow(
      /SLACK_SIGNING_SECRET/,
    );
  });
  it('needs a policy file: without one nothing would be allowed', () => {
    expect(() =>
      loadBotConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 'abcdefgh12345678' }),
    ).toThrow(/POLICY_FILE/);
  });
  it('accepts Socket Mode without a signing secret', () => {
    expect(
      loadBotConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1-2', POLICY_FILE: '/p.yaml' })
        .SLACK_APP_TOKEN,
    ).toBe('xapp-1-2');
  });
});

describe('worker configuration', () => {
  it('requires a cluster name and range-checks numbers', () => {
    expect(() => loadWorkerConfig({})).toThrow(/CLUSTER/);
    expect(() => loadWorkerConfig({ CLUSTER: 'prod', WORKER_CONCURRENCY: '0' })).toThrow(
      /WORKER_CONCURRENCY/,
    );
    expect(loadWorkerConfig({ CLUSTER: 'prod' }).WORKER_CONCURRENCY).toBe(4);
  });
  const PINNED = `ghcr.io/x/poddebug-probe@sha256:${'ab'.repeat(32)}`;
  it('refuses to start with probes on and no approval public key, saying why', () => {
    expect(() => loadWorkerConfig({ CLUSTER: 'prod', PROBE_IMAGE: PINNED })).toThrow(
      /APPROVAL_PUBLIC_KEYS_FILE: required with PROBE_IMAGE/,
    );
    expect(
      loadWorkerConfig({ CLUSTER: 'prod', PROBE_IMAGE: PINNED, APPROVAL_PUBLIC_KEYS_FILE: '/k' })
        .APPROVAL_PUBLIC_KEYS_FILE,
    ).toBe('/k');
  });
  it('refuses a PROBE_IMAGE without a digest (a tag could move under root pods on the nodes)', () => {
    for (const image of [
      'ghcr.io/x/poddebug-probe:1',
      'ghcr.io/x/poddebug-probe',
      `ghcr.io/x/p@sha256:${'ab'.repeat(31)}`,
    ])
      expect(() =>
        loadWorkerConfig({ CLUSTER: 'prod', PROBE_IMAGE: image, APPROVAL_PUBLIC_KEYS_FILE: '/k' }),
      ).toThrow(
        'PROBE_IMAGE: must be pinned by digest (e.g. ghcr.io/example/poddebug-probe@sha256:<64 hex digits>), not a tag',
      );
  });
});
