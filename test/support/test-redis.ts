/**
 * The Redis this test run uses, set up by jest's globalSetup (jest-global-setup.mjs) and stopped by its
 * globalTeardown (jest-global-teardown.mjs); those two are plain modules that load this one with tsx,
 * because jest loads global hooks outside its module mapping.
 *
 * - REDIS_URL set: the tests use that Redis (checked to answer, so a wrong URL fails at once).
 * - REDIS_URL unset: a redis-server of this run's own on a free loopback port, no persistence; REDIS_URL
 *   is set for the tests (jest starts the test files after this, in this process or in workers it forks,
 *   so they all see it). teardown() stops it; if the run is interrupted or killed, the
 *   watchdog it runs under stops it (test/support/redis-watchdog.mjs). Two runs side by side thus use
 *   two Redis servers and cannot see each other's keys.
 * - Neither: fails at once, naming the package to install.
 *
 * A run of unit tests only (every path pattern under test/unit) needs no Redis and starts none.
 */
import { haveRedisServer, PrivateRedis, redisAnswers } from './redis-server.js';

const TEST_REDIS = Symbol.for('poddebug.testRedis');

/** An error jest prints as just its message (a stack adds nothing to "install redis-server"). */
function short(message: string): Error {
  const e = new Error(message);
  e.stack = message;
  return e;
}

function withoutPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(not a URL)';
  }
}

function unitOnly(globalConfig: { testPathPatterns?: unknown }): boolean {
  const p = globalConfig.testPathPatterns as { patterns?: string[] } | string[] | undefined;
  const patterns = Array.isArray(p) ? p : (p?.patterns ?? []);
  return patterns.length > 0 && patterns.every((x) => /(^|\/)test\/unit(\/|$)/.test(x));
}

export async function setup(globalConfig: { testPathPatterns?: unknown }): Promise<void> {
  const given = process.env.REDIS_URL;
  if (given) {
    if (!(await redisAnswers(given, 3000))) {
      throw short(
        `REDIS_URL=${withoutPassword(given)} does not answer. Start that Redis, or unset REDIS_URL and the tests start their own.`,
      );
    }
    return;
  }
  if (unitOnly(globalConfig)) return;
  if (!haveRedisServer()) {
    throw short(
      'The tests need Redis and redis-server is not on PATH: install the `redis-server` package ' +
        '(apt-get install redis-server; Homebrew: redis), or set REDIS_URL to a Redis the tests may use.',
    );
  }
  const redis = await PrivateRedis.start();
  process.env.REDIS_URL = redis.url;
  (globalThis as Record<symbol, unknown>)[TEST_REDIS] = redis;
}

export async function teardown(): Promise<void> {
  const g = globalThis as Record<symbol, unknown>;
  const redis = g[TEST_REDIS] as PrivateRedis | undefined;
  if (!redis) return;
  delete g[TEST_REDIS];
  delete process.env.REDIS_URL;
  await redis.stop();
}
