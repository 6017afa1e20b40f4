import { Command, InvalidArgumentError } from 'commander';
import { connectRedis } from '../../jobs/contracts/redis-connect.js';
import type { AuditKey } from './chain.js';
import { loadAuditKeys } from './keys.js';
import {
  AuditStream,
  auditKeyProblem,
  DEFAULT_AUDIT_KEY,
  DEFAULT_CHECKPOINT_MS,
  exportLine,
} from './stream.js';

/**
 * `poddebug audit verify` and `poddebug audit export`: check the audit
 * stream's hash chain, or print its events as JSON lines.
 */

export interface AuditCliIo {
  /** Where results go. Default process.stdout. */
  stdout?: (s: string) => void;
  /** Where errors and usage messages go. Default process.stderr. */
  stderr?: (s: string) => void;
  /** The clock `--since 24h` counts back from. */
  now?: () => Date;
  /** Give up connecting to Redis after this long. Default 3000 ms. */
  connectTimeoutMs?: number;
}

const DURATION = /^(\d{1,6})([smhd])$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/** `--since`: an ISO time (`2026-11-27T00:00:00Z`, `2026-11-27`) or a duration back from now (`30m`, `24h`, `7d`). */
export function parseSince(value: string, now: Date): Date | undefined {
  const d = DURATION.exec(value);
  if (d) return new Date(now.getTime() - Number(d[1]) * UNIT_MS[d[2] as keyof typeof UNIT_MS]);
  if (!ISO.test(value)) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : new Date(t);
}

/** The URL with any password replaced, for messages. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(unparseable URL)';
  }
}

function redisUrl(v: string): string {
  let ok = false;
  try {
    ok = /^rediss?:$/.test(new URL(v).protocol);
  } catch {
    ok = false;
  }
  if (!ok) throw new InvalidArgumentError('expects a Redis URL such as redis://127.0.0.1:6379');
  return v;
}

function streamKey(v: string): string {
  if (!/^[!-~]{1,200}$/.test(v)) {
    throw new InvalidArgumentError('expects a Redis key without spaces, such as {poddebug:audit}');
  }
  const problem = auditKeyProblem(v);
  if (problem) throw new InvalidArgumentError(problem);
  return v;
}

interface Common {
  redis: string;
  /** `redis` names a node of a Redis Cluster. */
  cluster: boolean;
  key: string;
  keys?: AuditKey[];
}

function duration(v: string): number {
  const d = DURATION.exec(v);
  if (!d || Number(d[1]) === 0) throw new InvalidArgumentError('expects a duration such as 5m, 1h');
  return Number(d[1]) * UNIT_MS[d[2] as keyof typeof UNIT_MS];
}

/** Runs `poddebug audit …` (argv as process.argv: node, script, 'audit', …); resolves to the exit status. */
export async function auditMain(argv: string[], io: AuditCliIo = {}): Promise<number> {
  const out = io.stdout ?? ((s: string) => void process.stdout.write(s));
  const err = io.stderr ?? ((s: string) => void process.stderr.write(s));
  const now = io.now ?? (() => new Date());
  let status = 0;

  const withStream = async (opts: Common, fn: (s: AuditStream) => Promise<number>): Promise<number> => {
    const redis = connectRedis(
      { url: opts.redis, cluster: opts.cluster },
      {
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectTimeout: io.connectTimeoutMs ?? 3000,
        retryStrategy: () => null,
      },
    );
    let cause: Error | undefined;
    redis.on('error', (e: Error) => {
      cause = e; // reported below, once
    });
    try {
      await redis.connect();
    } catch (e) {
      err(
        `poddebug: cannot reach Redis at ${displayUrl(opts.redis)}: ${(cause ?? (e as Error)).message}\n` +
          '  give the right address with --redis URL or REDIS_URL\n',
      );
      // (after a refused connection the client has ended; disconnect() would hold a 2 s timer)
      if (redis.status !== 'end') redis.disconnect();
      return 1;
    }
    try {
      return await fn(new AuditStream(redis, { key: opts.key, ...(opts.keys ? { keys: opts.keys } : {}) }));
    } catch (e) {
      err(`poddebug: audit stream ${opts.key}: ${(e as Error).message}\n`);
      return 1;
    } finally {
      redis.disconnect();
    }
  };

  const program = new Command('poddebug')
    .configureOutput({ writeOut: out, writeErr: err })
    .exitOverride()
    .showHelpAfterError('(run poddebug audit --help for usage)');
  const audit = program
    .command('audit')
    .description('check or export the hash-chained audit stream in Redis')
    .configureOutput({ writeOut: out, writeErr: err })
    .exitOverride()
    .showHelpAfterError('(run poddebug audit --help for usage)');
  const common = (c: Command) =>
    c
      .option(
        '--redis <url>',
        'Redis holding the audit stream (default: $REDIS_URL or redis://127.0.0.1:6379)',
        redisUrl,
      )
      .option(
        '--redis-cluster',
        'the Redis URL names a node of a Redis Cluster (default: $REDIS_CLUSTER = true)',
      )
      .option('--key <key>', 'the audit stream key', streamKey, DEFAULT_AUDIT_KEY);
  const resolveRedis = (o: { redis?: string; redisCluster?: boolean }) => ({
    redis: o.redis ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    cluster: o.redisCluster ?? process.env.REDIS_CLUSTER === 'true',
  });

  common(
    audit
      .command('verify')
      .description(
        'check the hash chain (edited, inserted or deleted entries) and that every request has its requested entry',
      ),
  )
    .option(
      '--key-file <path>',
      'the audit HMAC keys, <kid>:<base64 secret> a line (default: $AUDIT_HMAC_KEYS_FILE, the file the bot reads)',
    )
    .option('--unkeyed', 'check a chain written without a key (proves nothing against a Redis writer)')
    .option(
      '--checkpoint-every <duration>',
      "the bot's AUDIT_CHECKPOINT_MS as a duration (5m); the newest checkpoint may be twice that old",
      duration,
      DEFAULT_CHECKPOINT_MS,
    )
    .action(
      async (o: {
        redis?: string;
        key: string;
        keyFile?: string;
        unkeyed?: boolean;
        checkpointEvery: number;
      }) => {
        const keyFile = o.keyFile ?? process.env.AUDIT_HMAC_KEYS_FILE;
        let keys: AuditKey[] | undefined;
        if (keyFile && o.unkeyed) {
          err('poddebug: give either a key file or --unkeyed, not both\n');
          status = 2;
          return;
        }
        if (!keyFile && !o.unkeyed) {
          err(
            'poddebug: audit verify needs the audit HMAC key(s): give --key-file FILE or set AUDIT_HMAC_KEYS_FILE\n' +
              '  (the file the bot reads). Without the key a chain rewritten whole would look intact;\n' +
              '  --unkeyed checks a chain the bot wrote without a key.\n',
          );
          status = 2;
          return;
        }
        if (keyFile) {
          try {
            keys = loadAuditKeys(keyFile, o.keyFile ? '--key-file' : 'AUDIT_HMAC_KEYS_FILE');
          } catch (e) {
            err(`poddebug: ${(e as Error).message}\n`);
            status = 2;
            return;
          }
        }
        status = await verifyWith(
          { ...resolveRedis(o), key: o.key, ...(keys ? { keys } : {}) },
          o.checkpointEvery,
        );
      },
    );

  const verifyWith = (c: Common, checkpointEveryMs: number) =>
    withStream(c, async (s) => {
      const r = await s.verify({ maxCheckpointAgeMs: 2 * checkpointEveryMs });
      const count = `${r.count} ${r.count === 1 ? 'entry' : 'entries'}`;
      if (r.ok) {
        out(`audit stream ${s.key}: ${count}, intact\n`);
        return 0;
      }
      const n = r.problems.length;
      out(`audit stream ${s.key}: ${count}, ${n} ${n === 1 ? 'problem' : 'problems'}:\n`);
      for (const p of r.problems) out(`  ${p.kind}: ${p.message}\n`);
      return 1;
    });

  common(
    audit
      .command('export')
      .description('print the audit events as JSON lines: {id, seq, prev, hash, ...event}')
      .option(
        '--since <when>',
        'only entries from then on: an ISO time (2026-11-27T00:00:00Z) or 30m, 24h, 7d',
        (v) => {
          const d = parseSince(v, now());
          if (!d) {
            throw new InvalidArgumentError(
              'expects an ISO time such as 2026-11-27T00:00:00Z, or a duration such as 30m, 24h, 7d',
            );
          }
          return d;
        },
      ),
  ).action(async (o: { redis?: string; key: string; since?: Date }) => {
    status = await withStream({ ...resolveRedis(o), key: o.key }, async (s) => {
      for await (const e of s.read(o.since ? { since: o.since } : {})) out(`${exportLine(e)}\n`);
      return 0;
    });
  });

  try {
    await program.parseAsync(argv, { from: 'node' });
    return status;
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    if (code === 'commander.helpDisplayed' || code === 'commander.version') return 0;
    if (code.startsWith('commander.')) return 2; // commander printed the message
    err(`poddebug: ${(e as Error).message}\n`);
    return 1;
  }
}
