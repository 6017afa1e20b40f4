import { describe, expect, it } from '@jest/globals';
import { redisUrlProblem } from '../../../../jobs/contracts/index.js';

describe('which Redis URLs start-up accepts', () => {
  it.each([
    ['rediss://user:pw@redis.example:6380', false, false],
    ['rediss://redis.example:6380', false, true],
    ['redis://127.0.0.1:6379', false, false],
    ['redis://localhost:6379', false, false],
    ['redis://[::1]:6379', false, false],
    ['redis://redis.example:6379', true, false],
    ['redis://127.0.0.1:7000', true, true],
  ])('%s (plain text allowed: %s, cluster: %s)', (url, allow, cluster) => {
    expect(redisUrlProblem(url, allow, cluster)).toBeUndefined();
  });

  it('refuses plain text to a remote host, naming the host and the opt-in', () => {
    expect(redisUrlProblem('redis://redis.example:6379', false)).toMatch(
      /plain redis:\/\/ to redis\.example \(not loopback\).*REDIS_ALLOW_PLAINTEXT=true/,
    );
  });

  it('refuses plain text to a Redis Cluster even on loopback: its client goes to every node the cluster announces', () => {
    expect(redisUrlProblem('redis://127.0.0.1:7000', false, true)).toMatch(
      /plain redis:\/\/ to a Redis Cluster .*every node the cluster announces.*REDIS_ALLOW_PLAINTEXT=true/,
    );
  });

  it('refuses what is not a redis URL', () => {
    expect(redisUrlProblem('127.0.0.1:6379', false)).toMatch(/scheme|not a URL/);
    expect(redisUrlProblem('http://redis.example', false)).toMatch(/scheme http: is not redis: or rediss:/);
  });
});
