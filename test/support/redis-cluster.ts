/**
 * A real Redis Cluster for tests: three redis-server masters on loopback ports (each a PrivateRedis, so none
 * outlives the run), the 16384 slots split between them, joined with CLUSTER MEET. What a Redis Cluster does
 * and a single server does not: it refuses a script or a MULTI whose keys span slots (CROSSSLOT), and it
 * answers MOVED for a key another node serves.
 *
 * With `tls`, each node also serves TLS on a port of its own, with a certificate for `localhost` from a CA
 * made for the run (openssl), the cluster bus over TLS, and announces itself as `localhost` (what a cluster
 * behind TLS does: its clients check certificates against the names it announces). The plain ports stay
 * for the fixture's own set-up.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, PrivateRedis, type PrivateRedisOptions } from './redis-server.js';

const SLOTS = 16384;

export interface ClusterOptions {
  masters?: number;
  /** ACL users on every node (the `default` user then off); the fixture logs in as the first. */
  users?: PrivateRedisOptions['users'];
  tls?: boolean;
}

/** The run's CA and a `localhost` server certificate (EC P-256, one day), in `dir`. */
function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const f = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const run = (args: string[]) => {
    const r = spawnSync('openssl', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr || r.error?.message}`);
  };
  run([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.crt'),
    '-days',
    '1',
    '-subj',
    '/CN=poddebug-test-ca',
  ]);
  run(['req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=localhost']);
  writeFileSync(f('ext.cnf'), 'subjectAltName=DNS:localhost\n');
  run(
    [
      'x509',
      '-req',
      '-in',
      f('server.csr'),
      '-CA',
      f('ca.crt'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
    ].concat(['-out', f('server.crt'), '-days', '1', '-extfile', f('ext.cnf')]),
  );
  return { ca: f('ca.crt'), cert: f('server.crt'), key: f('server.key') };
}

export class RedisClusterFixture {
  private constructor(
    readonly nodes: PrivateRedis[],
    /** With `tls`: each node's TLS port, and the CA file that signed their certificates. */
    readonly tls: { ports: number[]; ca: string } | undefined,
    private readonly dir: string | undefined,
  ) {}

  /** The URL of the first node (the client discovers the others). */
  get url(): string {
    return this.nodes[0]!.url;
  }

  static async start(o: ClusterOptions = {}): Promise<RedisClusterFixture> {
    const masters = o.masters ?? 3;
    const nodes: PrivateRedis[] = [];
    const dir = o.tls ? mkdtempSync(join(tmpdir(), 'poddebug-test-tls-')) : undefined;
    try {
      const certs = dir ? makeCertificates(dir) : undefined;
      const tlsPorts: number[] = [];
      for (let i = 0; i < masters; i++) {
        const extraArgs: string[] = [];
        if (certs) {
          const port = await freePort();
          tlsPorts.push(port);
          extraArgs.push(
            '--tls-port',
            String(port),
            '--tls-cert-file',
            certs.cert,
            '--tls-key-file',
            certs.key,
          );
          extraArgs.push('--tls-ca-cert-file', certs.ca, '--tls-auth-clients', 'no', '--tls-cluster', 'yes');
          extraArgs.push(
            '--cluster-announce-hostname',
            'localhost',
            '--cluster-preferred-endpoint-type',
            'hostname',
          );
        }
        nodes.push(
          await PrivateRedis.start({ clusterNode: true, ...(o.users ? { users: o.users } : {}), extraArgs }),
        );
      }
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
        // Over TLS the cluster bus listens beside the TLS port: MEET names that one.
        for (const [i, n] of nodes.entries())
          if (i > 0)
            await clients[0]!.call('CLUSTER', 'MEET', '127.0.0.1', String(certs ? tlsPorts[i] : n.port));
        // Every node sees every slot served, by the nodes it has met.
        const until = Date.now() + 20_000;
        for (;;) {
          const infos = (await Promise.all(clients.map((c) => c.call('CLUSTER', 'INFO')))) as string[];
          const formed = (s: string) =>
            /cluster_state:ok/.test(s) && new RegExp(`cluster_known_nodes:${masters}\\b`).test(s);
          if (infos.every(formed)) break;
          if (Date.now() > until) throw new Error(`the Redis Cluster did not form:\n${infos.join('\n')}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      } finally {
        for (const c of clients) c.disconnect();
      }
      return new RedisClusterFixture(nodes, certs ? { ports: tlsPorts, ca: certs.ca } : undefined, dir);
    } catch (e) {
      await Promise.all(nodes.map((n) => n.stop()));
      if (dir) rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}
