/**
 * Redis connections of the bot, the worker and the CLI: one server, or a Redis Cluster. On a Redis Cluster
 * (`REDIS_CLUSTER=true`), REDIS_URL names one of its nodes (any); the client learns the others and follows
 * their slots. The URL's user, password and TLS (`rediss://`) apply to every node.
 *
 * Either way the caller gets ioredis's command interface: the cluster client speaks it too, and each of
 * poddebug's scripts, transactions and pipelines names keys of one slot (see KEYS in requests.ts), so they
 * run on a cluster unchanged.
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';

/** Where Redis is, as configured (REDIS_URL, REDIS_CLUSTER). */
export interface RedisTarget {
  url: string;
  /** REDIS_URL names a node of a Redis Cluster. */
  cluster: boolean;
}

/**
 * A connection to `t` with ioredis `opts` (as for one server: `retryStrategy`, `enableOfflineQueue` and
 * `lazyConnect` become the cluster client's own, the rest apply to each node). Typed as `Redis`: the
 * cluster client has the same commands.
 */
export function connectRedis(t: RedisTarget, opts: RedisOptions = {}): Redis {
  if (!t.cluster) return new Redis(t.url, opts);
  const u = new URL(t.url);
  const { retryStrategy, enableOfflineQueue, lazyConnect, ...node } = opts;
  const cluster = new Cluster([{ host: u.hostname, port: Number(u.port || 6379) }], {
    redisOptions: {
      ...node,
      ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
      ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
      ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    },
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    ...(lazyConnect === undefined ? {} : { lazyConnect }),
    ...(retryStrategy ? { clusterRetryStrategy: (times: number) => retryStrategy(times) ?? null } : {}),
    // A slot that moved is followed at once (MOVED/ASK); the whole map is read again every 5 s at most.
    slotsRefreshInterval: 5000,
  });
  return cluster as unknown as Redis;
}
