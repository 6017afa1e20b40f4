/**
 * `poddebug redis-acl --clusters a,b`: Redis ACL users so that Redis stops being one shared secret. The bot
 * gets one user; each cluster's worker gets its own, limited to its own BullMQ queue, its probe slots, the
 * keys a probe run writes (artefacts, the single-use approval mark, its heartbeat) and read-only access to
 * request records (the run is checked against them). A worker's user cannot write a request record or touch
 * another cluster's queue. Pure: builds the lines; the CLI prints them.
 */
import { randomBytes } from 'node:crypto';
import {
  artefactKey,
  isClusterName,
  KEYS,
  QUEUE_PREFIX,
  queueName,
  requestKeyPatterns,
} from '../contracts/index.js';
import { slotKeys } from '../probes/slots.js';

export interface AclOptions {
  clusters: readonly string[];
  /** The bot's user name. Default poddebug-bot. */
  botUser?: string;
  /** Worker users are `<prefix><cluster>`. Default poddebug-worker-. */
  workerPrefix?: string;
  /** A password per user name; default: 32 random bytes, hex. */
  password?: (user: string) => string;
  /** Print `ACL SETUSER default off` too (the password-less default user). Default true. */
  disableDefault?: boolean;
}

export interface AclUser {
  user: string;
  password: string;
  /** `ACL SETUSER …` as an argv (no shell: each element is one argument). */
  argv: string[];
}

/**
 * Commands: everything but the administrative and dangerous ones (FLUSHALL, CONFIG, KEYS, DEBUG, SHUTDOWN, …),
 * plus the few of those BullMQ and ioredis call (INFO for the server version).
 */
const COMMANDS = [
  '-@all',
  '+@read',
  '+@write',
  '+@scripting',
  '+@connection',
  '+@transaction',
  '+@fast',
  '+@slow',
  '-@admin',
  '-@dangerous',
  '+info',
  '+time',
];

/** The key patterns of a cluster's worker (`%R~` read only, `%W~` write only, `~` both) and its one pub/sub channel (`&`). */
export function workerKeyPatterns(cluster: string): string[] {
  const slots = slotKeys('poddebug:', cluster, 'NODE', 'CONTAINER');
  const requests = requestKeyPatterns(cluster);
  return [
    // Its own BullMQ queue: jobs, locks, events, metrics.
    `~${QUEUE_PREFIX}:${queueName(cluster)}:*`,
    // Its probe slots (the node slot is shared by every worker of the cluster only).
    `~${slots.container.replace('NODE', '*').replace(/CONTAINER$/, '*')}`,
    `~${slots.node.replace('NODE', '*')}`,
    // What a probe run writes: artefacts (the bot uploads them), the single-use approval mark, its heartbeat.
    `%W~${artefactKey('*', '*')}`,
    `~${requests.approvalUsed}`,
    `~${KEYS.heartbeat(cluster)}`,
    // The bot's records of this cluster's requests (approvers, lock, the cancel flag of `/poddebug cancel`):
    // read, never written; other clusters' records not at all.
    `%R~${requests.record}`,
    // The cluster's cancel channel (subscribe).
    `&${KEYS.cancelChannel(cluster)}`,
  ];
}

function password(o: AclOptions, user: string): string {
  return o.password ? o.password(user) : randomBytes(32).toString('hex');
}

/** The users, in order: the bot, one worker per cluster. Throws on a cluster name that is not a DNS label. */
export function redisAclUsers(o: AclOptions): AclUser[] {
  const bad = o.clusters.filter((c) => !isClusterName(c));
  if (bad.length > 0 || o.clusters.length === 0) {
    throw new Error(
      `--clusters: ${bad.length ? `not DNS-1123 labels: ${bad.join(', ')}` : 'give at least one cluster'} (e.g. prod-eu,prod-us)`,
    );
  }
  if (new Set(o.clusters).size !== o.clusters.length) throw new Error('--clusters: a cluster is named twice');
  const bot = o.botUser ?? 'poddebug-bot';
  const prefix = o.workerPrefix ?? 'poddebug-worker-';
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(bot)) throw new Error('--bot-user: letters, digits, . _ - only');
  if (!/^[A-Za-z0-9._-]{0,40}$/.test(prefix)) throw new Error('--worker-prefix: letters, digits, . _ - only');
  const user = (name: string, rules: string[]): AclUser => {
    const pw = password(o, name);
    return {
      user: name,
      password: pw,
      argv: ['ACL', 'SETUSER', name, 'reset', 'on', `>${pw}`, 'resetchannels', ...rules],
    };
  };
  return [
    // The bot: every key (request records, queues of every cluster, audit stream, rate limits), no admin commands.
    user(bot, ['~*', '&*', ...COMMANDS]),
    ...o.clusters.map((c) => user(`${prefix}${c}`, [...workerKeyPatterns(c), ...COMMANDS])),
  ];
}

/** The lines `poddebug redis-acl` prints: comments, then one `ACL SETUSER` per user (redis-cli reads them). */
export function redisAclLines(o: AclOptions): string[] {
  const users = redisAclUsers(o);
  const lines = [
    '# poddebug Redis ACL users. Apply with: redis-cli --user <admin> --pass <…> < this-file',
    '# Passwords were generated now: put each into the REDIS_URL of its process, e.g.',
    `#   bot:              redis://${users[0]!.user}:<password>@redis.example:6379`,
    `#   worker of ${o.clusters[0]}: redis://${users[1]!.user}:<password>@redis.example:6379`,
  ];
  for (const u of users) lines.push(u.argv.join(' '));
  if (o.disableDefault ?? true) {
    lines.push('# The default user has no password: turn it off once an admin user of yours exists.');
    lines.push('ACL SETUSER default off');
  }
  return lines;
}
