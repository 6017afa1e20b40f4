/**
 * Redis connections of the bot, the worker and the CLI: one server, or a Redis Cluster. On a Redis Cluster
 * (`REDIS_CLUSTER=true`), REDIS_URL names one of its nodes (any); the client learns the others and follows
 * their slots. The URL's user and password apply to every node, and `rediss://` turns on TLS to every node.
 *
 * Either way the caller gets ioredis's command interface: the cluster client speaks it too, and each of
 * poddebug's scripts, transactions and pipelines names keys of one slot (see KEYS in requests.ts), so they
 * run on a cluster unchanged. One difference callers must know: on a cluster, `maxRetriesPerRequest` has no
 * effect (ioredis's cluster client has no per-command retry limit): with the offline queue on, a command
 * waits for as long as the cluster is down, so whatever must not hang bounds it itself (withDeadline).
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
  // An IPv6 literal comes out of URL with its brackets, which no resolver takes.
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const cluster = new Cluster([{ host, port: Number(u.port || 6379) }], {
    redisOptions: {
      ...node,
      ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
      ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
      ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    },
    // Connect to each node by the name it is known by (the URL's host, then what the cluster announces),
    // not by an address looked up first: TLS checks the certificate against that name. A cluster behind TLS
    // should announce hostnames its certificates cover (`cluster-preferred-endpoint-type hostname`).
    dnsLookup: (address, callback) => callback(null, address),
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    ...(lazyConnect === undefined ? {} : { lazyConnect }),
    ...(retryStrategy ? { clusterRetryStrategy: (times: number) => retryStrategy(times) ?? null } : {}),
    // A slot that moved is followed at once (MOVED/ASK); the whole map is read again every 5 s at most.
    slotsRefreshInterval: 5000,
  });
  return cluster as unknown as Redis;
}
