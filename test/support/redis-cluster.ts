/**
 * A real Redis Cluster for tests: three redis-server masters on loopback ports (each a PrivateRedis, so none
 * outlives the run), the 16384 slots split between them, joined with CLUSTER MEET. What a Redis Cluster does
 * and a single server does not: it refuses a script or a MULTI whose keys span slots (CROSSSLOT), and it
 * answers MOVED for a key another node serves.
 */
import { Redis } from 'ioredis';
import { PrivateRedis, type PrivateRedisOptions } from './redis-server.js';

const SLOTS = 16384;

export class RedisClusterFixture {
  private constructor(readonly nodes: PrivateRedis[]) {}

  /** The URL of the first node (the client discovers the others). */
  get url(): string {
    return this.nodes[0]!.url;
  }

  /** `users`: ACL users on every node (the `default` user then off); the fixture logs in as the first. */
  static async start(masters = 3, users?: PrivateRedisOptions['users']): Promise<RedisClusterFixture> {
    const nodes: PrivateRedis[] = [];
    try {
      for (let i = 0; i < masters; i++)
        nodes.push(await PrivateRedis.start({ clusterNode: true, ...(users ? { users } : {}) }));
      const clients = nodes.map((n) => new Redis(n.url, { maxRetriesPerRequest: 1 }));
      try {
        const per = Math.ceil(SLOTS / masters);
        await Promise.all(
          clients.map((c, i) => {
            const slots: number[] = [];
            for (let s = i * per; s < Math.min(SLOTS, (i + 1) * per); s++) slots.push(s);
            return c.call('CLUSTER', 'ADDSLOTS', ...slots.map(String));
          }),
        );
        for (const n of nodes.slice(1))
          await clients[0]!.call('CLUSTER', 'MEET', '127.0.0.1', String(n.port));
        // Every node sees every slot served, by the nodes it has met.
        const until = Date.now() + 20_000;
        for (;;) {
          const infos = (await Promise.all(clients.map((c) => c.call('CLUSTER', 'INFO')))) as string[];
          if (
            infos.every(
              (s) => /cluster_state:ok/.test(s) && new RegExp(`cluster_known_nodes:${masters}\\b`).test(s),
            )
          )
            break;
          if (Date.now() > until) throw new Error(`the Redis Cluster did not form:\n${infos.join('\n')}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      } finally {
        for (const c of clients) c.disconnect();
      }
      return new RedisClusterFixture(nodes);
    } catch (e) {
      await Promise.all(nodes.map((n) => n.stop()));
      throw e;
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}
