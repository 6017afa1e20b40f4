/**
 * The processes `npm run chaos` runs and breaks: its own redis-server (AOF, in a temp dir, so a restart keeps
 * the data), bot replicas and workers as real `node dist/…` processes, the API simulator behind a TCP proxy
 * the harness can close (connections refused), and the Slack double in-process. Loopback only. `close()`
 * stops everything it started and removes the temp dir; it is safe to call twice and from a signal handler.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { QUEUE_PREFIX, queueName } from '../../jobs/contracts/index.js';
import { type KubeSim, startKubeSim } from '../../tools/kube-sim/index.js';
import { type SlackDouble, startSlackDouble } from '../../tools/slack-double/index.js';

export const SECRET = 'chaos-signing-secret-5d1e';
export const TOKEN = 'xoxb-chaos-token';
export const USERS = ['UCHAOS0', 'UCHAOS1', 'UCHAOS2', 'UCHAOS3', 'UCHAOS4'] as const;
const PROBE_NAMESPACE = 'poddebug-probes';

/** Any channel, the chaos users as viewers everywhere, rate limits out of the way. */
const POLICY = `version: 1
channels: { names: ["*"] }
grants:
  - users: [${USERS.join(', ')}]
    roles: [viewer]
    clusters: ["*"]
    namespaces: ["*"]
rateLimits:
  commands:
    perUser: { max: 1000000, windowSeconds: 60 }
    perChannel: { max: 1000000, windowSeconds: 60 }
`;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A child process the harness can start, kill and start again with the same arguments. */
export class Proc {
  child?: ChildProcess;
  private exited?: Promise<void>;
  starts = 0;

  constructor(
    readonly name: string,
    private readonly cmd: string,
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv,
    private readonly logPath: string,
  ) {}

  get pid(): number | undefined {
    return this.child && this.child.exitCode === null && this.child.signalCode === null
      ? this.child.pid
      : undefined;
  }

  start(): void {
    const fd = openSync(this.logPath, 'a');
    const child = spawn(this.cmd, this.args, { env: this.env, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    this.child = child;
    this.starts += 1;
    this.exited = new Promise((r) => child.once('exit', () => r()));
  }

  /** Sends `signal`; waits up to `waitMs` for the exit, then SIGKILLs. Resolves once it is gone. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', waitMs = 20_000): Promise<void> {
    const child = this.child;
    if (!child || this.pid === undefined) return;
    child.kill(signal);
    const gone = await Promise.race([this.exited!.then(() => true), sleep(waitMs).then(() => false)]);
    if (!gone) {
      child.kill('SIGKILL');
      await this.exited;
    }
  }

  /** VmRSS in MiB (undefined when not running). */
  rssMiB(): number | undefined {
    const pid = this.pid;
    if (pid === undefined) return undefined;
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : undefined;
    } catch {
      return undefined;
    }
  }
}

/** A TCP proxy in front of the simulator: `refuse()` closes the listener (ECONNREFUSED), `accept()` reopens it. */
class Gate {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: number) {}

  async accept(): Promise<void> {
    if (this.server) return;
    const server = createServer((c) => {
      const u = tcpConnect(this.target, '127.0.0.1');
      for (const s of [c, u]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          c.destroy();
          u.destroy();
        });
      }
      c.pipe(u);
      u.pipe(c);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async refuse(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((r) => {
      server.close(() => r());
      for (const s of this.sockets) s.destroy();
    });
  }
}

export interface ChaosStackOptions {
  bots: number;
  workers: number;
  workerConcurrency: number;
  lockMs: number;
  /** Added to every API request, so that a diagnose takes long enough for a kill to land inside one. */
  apiLatencyMs: number;
  logLevel: string;
  /** Keep the temp dir (logs, AOF, audit log) instead of removing it. */
  keep: boolean;
}

/** The one Kubernetes cluster of the chaos stack (its workers' CLUSTER, the bots' default). */
export const CHAOS_CLUSTER = 'chaos';

export class ChaosStack {
  readonly dir = mkdtempSync(join(tmpdir(), 'poddebug-chaos-'));
  readonly cluster = CHAOS_CLUSTER;
  readonly auditKey = '{poddebug:audit:chaos}';
  sim!: KubeSim;
  slack!: SlackDouble;
  redis!: Proc;
  redisPort = 0;
  bots: Proc[] = [];
  botPorts: number[] = [];
  workers: Proc[] = [];
  private gate!: Gate;
  private client?: Redis;
  private closed = false;

  constructor(readonly o: ChaosStackOptions) {}

  get redisUrl(): string {
    return `redis://127.0.0.1:${this.redisPort}`;
  }

  async start(): Promise<void> {
    this.redisPort = await freePort();
    this.redis = new Proc(
      'redis',
      'redis-server',
      [
        '--port',
        String(this.redisPort),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--appendonly',
        'yes',
        '--save',
        '',
      ],
      process.env,
      join(this.dir, 'redis.log'),
    );
    await this.startRedis();
    this.sim = await startKubeSim({
      fixtures: 'test/fixtures/sample-incident',
      rebaseTime: '2026-11-20T10:00:00Z',
      latencyMs: this.o.apiLatencyMs,
    });
    this.sim.put({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: PROBE_NAMESPACE, labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } },
    });
    this.gate = new Gate(Number(new URL(this.sim.url).port));
    await this.gate.accept();
    const kubeconfig = join(this.dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      readFileSync(this.sim.kubeconfigPath, 'utf8')
        .split(this.sim.url)
        .join(`http://127.0.0.1:${this.gate.port}`),
    );
    this.slack = await startSlackDouble({ botToken: TOKEN });
    const policyFile = join(this.dir, 'policy.yaml');
    writeFileSync(policyFile, POLICY);
    const common = { ...process.env, REDIS_URL: this.redisUrl, LOG_LEVEL: this.o.logLevel };
    for (let i = 0; i < this.o.bots; i++) {
      const port = await freePort();
      this.botPorts.push(port);
      this.bots.push(
        new Proc(
          `bot${i}`,
          process.execPath,
          ['dist/bot/main.js'],
          {
            ...common,
            SLACK_BOT_TOKEN: TOKEN,
            SLACK_SIGNING_SECRET: SECRET,
            SLACK_API_URL: this.slack.apiUrl,
            PORT: String(port),
            CLUSTERS: this.cluster,
            POLICY_FILE: policyFile,
            AUDIT_STREAM_KEY: this.auditKey,
            AUDIT_LOG_FILE: join(this.dir, `audit-bot${i}.log`),
          },
          join(this.dir, `bot${i}.log`),
        ),
      );
    }
    for (let i = 0; i < this.o.workers; i++) {
      this.workers.push(
        new Proc(
          `worker${i}`,
          process.execPath,
          ['dist/jobs/worker-main.js'],
          {
            ...common,
            CLUSTER: this.cluster,
            KUBECONFIG: kubeconfig,
            WORKER_CONCURRENCY: String(this.o.workerConcurrency),
            WORKER_LOCK_MS: String(this.o.lockMs),
          },
          join(this.dir, `worker${i}.log`),
        ),
      );
    }
    for (const w of this.workers) w.start();
    for (let i = 0; i < this.bots.length; i++) await this.startBot(i);
  }

  /** Starts redis-server (again) and waits until it answers PING. */
  async startRedis(): Promise<void> {
    this.redis.start();
    for (let i = 0; i < 200; i++) {
      const probe = new Redis(this.redisUrl, {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      probe.on('error', () => undefined);
      const ok = await probe
        .connect()
        .then(() => probe.ping())
        .then(() => true)
        .catch(() => false);
      probe.disconnect();
      if (ok) return;
      await sleep(50);
    }
    throw new Error(`redis-server did not start (see ${join(this.dir, 'redis.log')})`);
  }

  /** Starts bot replica i and waits for /readyz. */
  async startBot(i: number): Promise<void> {
    this.bots[i]!.start();
    const url = `http://127.0.0.1:${this.botPorts[i]}/readyz`;
    for (let n = 0; n < 400; n++) {
      const ok = await fetch(url, { signal: AbortSignal.timeout(1000) })
        .then((r) => r.ok)
        .catch(() => false);
      if (ok) return;
      if (this.bots[i]!.pid === undefined) break;
      await sleep(50);
    }
    throw new Error(`bot${i} did not become ready (see ${join(this.dir, `bot${i}.log`)})`);
  }

  refuseApi(): Promise<void> {
    return this.gate.refuse();
  }

  acceptApi(): Promise<void> {
    return this.gate.accept();
  }

  /** The harness's own connection (audit reads), created on first use. */
  redisClient(): Redis {
    if (!this.client) {
      this.client = new Redis(this.redisUrl, { maxRetriesPerRequest: 2 });
      this.client.on('error', () => undefined);
    }
    return this.client;
  }

  /** Audit event types per request id, read from the audit stream. */
  async auditIndex(): Promise<Map<string, Set<string>>> {
    const out = new Map<string, Set<string>>();
    const r = this.redisClient();
    let start = '-';
    for (;;) {
      const page = (await r.xrange(this.auditKey, start, '+', 'COUNT', 2000)) as [string, string[]][];
      for (const [, fields] of page) {
        const i = fields.indexOf('event');
        if (i < 0) continue;
        try {
          const e = JSON.parse(fields[i + 1] ?? '') as { requestId?: string; type?: string };
          if (!e.requestId || !e.type) continue;
          const set = out.get(e.requestId) ?? new Set<string>();
          set.add(e.type);
          out.set(e.requestId, set);
        } catch {
          // not an event this harness can read: counted as missing
        }
      }
      if (page.length < 2000) return out;
      start = `(${page[page.length - 1]![0]}`;
    }
  }

  /** Jobs a worker is running right now (BullMQ's active list): shows that a kill hit work in progress. */
  activeJobs(): Promise<number> {
    return this.redisClient().llen(`${QUEUE_PREFIX}:${queueName(this.cluster)}:active`);
  }

  /** Probe pods still in the simulator (they must all be gone once requests are final). */
  async leftoverPods(): Promise<number> {
    const res = await fetch(`${this.sim.url}/api/v1/namespaces/${PROBE_NAMESPACE}/pods`);
    const body = (await res.json()) as { items?: unknown[] };
    return body.items?.length ?? 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      this.client?.disconnect();
      await Promise.all([...this.bots, ...this.workers, this.redis].map((p) => p?.stop('SIGKILL', 5000)));
      await this.gate?.refuse().catch(() => undefined);
      await this.sim?.close().catch(() => undefined);
      await this.slack?.close().catch(() => undefined);
    } finally {
      if (!this.o.keep) rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
