import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, realpathSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { KEYS, requestKeyPatterns } from '../../jobs/contracts/index.js';

/**
 * The Redis every test uses: `REDIS_URL`, which jest's globalSetup (test/support/test-redis.ts)
 * sets to a redis-server of this run's own when it was not set. Throws when it is missing, rather than
 * falling back to a shared Redis on 6379 that another test run may be using.
 */
export function testRedisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) {
    throw new Error(
      'REDIS_URL is not set: run the tests through jest (its globalSetup starts a Redis), or set REDIS_URL',
    );
  }
  return url;
}

/** A free loopback port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export function haveRedisServer(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0;
}

const WATCHDOG = fileURLToPath(new URL('./redis-watchdog.mjs', import.meta.url));

/**
 * Resolves once Redis at `url` answers PING (and, with `dir`, is the server working in that directory:
 * not another one that took the port first); false after `timeoutMs`, or at once if `stillRunning()`
 * turns false.
 */
export async function redisAnswers(
  url: string,
  timeoutMs: number,
  stillRunning: () => boolean = () => true,
  dir?: string,
): Promise<boolean> {
  const probe = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
  });
  probe.on('error', () => undefined);
  const until = Date.now() + timeoutMs;
  try {
    while (Date.now() < until && stillRunning()) {
      try {
        if (probe.status !== 'ready') await probe.connect();
        if ((await probe.ping()) !== 'PONG') continue;
        if (dir === undefined) return true;
        const [, actual] = (await probe.config('GET', 'dir')) as [string, string];
        return actual === realpathSync(dir);
      } catch {
        probe.disconnect();
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    return false;
  } finally {
    probe.disconnect();
  }
}

/**
 * A redis-server on a loopback port, without persistence, in a directory of its own, run through
 * test/support/redis-watchdog.mjs: it stops redis-server when this process ends, however it ends,
 * so no redis-server outlives a test run. The jest run's own Redis is one; fault tests start
 * another that they can stop and restart without disturbing the rest.
 */
export interface PrivateRedisOptions {
  /**
   * ACL users, name → password, each allowed every command and key; the `default` user is then off, so
   * nothing gets in without logging in. `url` logs in as the first.
   */
  users?: Record<string, string>;
  /** A node of a Redis Cluster (`cluster-enabled yes`); see test/support/redis-cluster.ts. */
  clusterNode?: boolean;
  /** More redis-server arguments (TLS: test/support/redis-cluster.ts). */
  extraArgs?: string[];
}

export class PrivateRedis {
  private proc?: ChildProcess;
  constructor(
    readonly port: number,
    private readonly opts: PrivateRedisOptions = {},
  ) {}

  get url(): string {
    const first = Object.keys(this.opts.users ?? {})[0];
    return first ? this.urlAs(first) : `redis://127.0.0.1:${this.port}`;
  }

  /** The URL that logs in as this ACL user (and password: default the user's own). */
  urlAs(user: string, password = this.opts.users?.[user] ?? ''): string {
    return `redis://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${this.port}`;
  }

  /** Starts one on a free port (another free port if that one was taken in the meantime). */
  static async start(opts: PrivateRedisOptions = {}): Promise<PrivateRedis> {
    let last: unknown;
    for (let i = 0; i < 5; i++) {
      const r = new PrivateRedis(await freePort(), opts);
      try {
        await r.start();
        return r;
      } catch (e) {
        last = e;
      }
    }
    throw last;
  }

  private running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async start(): Promise<void> {
    if (this.running()) return;
    // A directory of its own (no files are written without persistence; the watchdog removes it).
    const dir = mkdtempSync(join(tmpdir(), 'poddebug-test-redis-'));
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    args.push('--dir', dir);
    if (this.opts.clusterNode)
      args.push(
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        'nodes.conf',
        '--cluster-node-timeout',
        '5000',
      );
    args.push(...(this.opts.extraArgs ?? []));
    const users = Object.entries(this.opts.users ?? {});
    // One argv word per ACL rule: redis-server joins them into the config line `user <name> <rules…>`.
    for (const [name, password] of users)
      args.push('--user', name, 'on', `>${password}`, '~*', '&*', '+@all');
    if (users.length > 0) args.push('--user', 'default', 'off');
    // stdin is the watchdog's lifeline: it closes when this process ends.
    const proc = spawn(process.execPath, [WATCHDOG, dir, ...args], { stdio: ['pipe', 'ignore', 'inherit'] });
    this.proc = proc;
    // Neither the child nor its pipe keeps this process alive; stop() ends it.
    proc.unref();
    (proc.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    if (await redisAnswers(this.url, 5000, () => this.running(), dir)) return;
    await this.stop();
    throw new Error(`redis-server on 127.0.0.1:${this.port} did not start`);
  }

  /** Stops redis-server (a restart with start() gets the same port, empty). */
  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || !this.running()) return;
    p.ref(); // keep this process up until the watchdog has stopped redis-server
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.stdin?.end();
    });
  }
}

/**
 * Deletes the bot's request keys of one (test) cluster: records, approvers, locks, cancel flags, used
 * approvals and the open-request indexes (all carry the cluster's hash tag).
 */
export async function removeRequestKeys(redis: Redis, cluster: string): Promise<void> {
  const { record, approvalUsed } = requestKeyPatterns(cluster);
  for (const pattern of [record, approvalUsed, KEYS.channelOpen(cluster, '*')]) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  }
  await redis.del(KEYS.open(cluster));
}
