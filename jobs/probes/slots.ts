/**
 * Probe concurrency across every worker of a cluster, in Redis: at most one
 * probe per target container, at most `maxPerNode` per node. Both are leases
 * with an expiry, so a killed worker's slots free themselves (the probe pod
 * it left behind is gone by then too: the kubelet's deadline and the reaper).
 *
 * - container: a string key per cluster+containerID holding the holder
 *   (JSON: job, action, requester, until), `PX ttl`;
 * - node: a sorted set per cluster+node, member = job id, score = expiry
 *   (ms); expired members are dropped by the same Lua script that counts
 *   (slot-acquire.lua; slot-release.lua gives both back).
 *
 * Leases are keyed by job id, so a retried attempt of the same job takes its
 * own slots back instead of being refused by them.
 */
import type { Redis } from 'ioredis';
import { luaScript } from '../contracts/lua.js';
import { probeError } from './errors.js';

export interface SlotHolder {
  jobId: string;
  action: string;
  /** Slack user ID of whoever asked (shown as <@U…> in the busy message). */
  requester: string;
}

export interface SlotRequest extends SlotHolder {
  cluster: string;
  node: string;
  containerId: string;
  /** How long the lease lives unless released (ms). */
  ttlMs: number;
}

export interface ProbeSlots {
  /** Takes the container and a node slot, or throws probe_busy. Returns the release function (idempotent). */
  acquire(req: SlotRequest): Promise<() => Promise<void>>;
}

export interface SlotOptions {
  /** Key prefix (tests use a unique one). Default `poddebug:`. */
  prefix?: string;
  /** Probes at once on one node. Default 2. */
  maxPerNode?: number;
  /** Clock (ms) for the node set's scores; default Date.now. */
  now?: () => number;
}

/** Takes the container and a node slot, or says who holds them (the script's header documents KEYS/ARGV). */
export const ACQUIRE_SLOTS_LUA = luaScript(new URL('./slot-acquire.lua', import.meta.url));
/** Gives both back; idempotent. */
export const RELEASE_SLOTS_LUA = luaScript(new URL('./slot-release.lua', import.meta.url));

function keyPart(s: string): string {
  return s.replace(/[^A-Za-z0-9._/-]/g, '_');
}

/** Slot keys, for tests and operators. */
export function slotKeys(prefix: string, cluster: string, node: string, containerId: string) {
  return {
    // One hash tag, the cluster's node: both keys of a slot script on one Redis Cluster slot.
    container: `${prefix}probe-slot:{${keyPart(cluster)}:${keyPart(node)}}:container:${keyPart(containerId)}`,
    node: `${prefix}probe-slot:{${keyPart(cluster)}:${keyPart(node)}}:node`,
  };
}

export function createProbeSlots(redis: Redis, opts: SlotOptions = {}): ProbeSlots {
  const prefix = opts.prefix ?? 'poddebug:';
  const maxPerNode = opts.maxPerNode ?? 2;
  if (!Number.isInteger(maxPerNode) || maxPerNode < 1) throw new Error('maxPerNode must be an integer ≥ 1');
  const now = opts.now ?? Date.now;
  return {
    async acquire(req) {
      const keys = slotKeys(prefix, req.cluster, req.node, req.containerId);
      const t = now();
      const holder = JSON.stringify({
        jobId: req.jobId,
        action: req.action,
        requester: req.requester,
        until: new Date(t + req.ttlMs).toISOString(),
      });
      const ttl = Math.max(1000, Math.ceil(req.ttlMs));
      const r = (await redis.eval(
        ACQUIRE_SLOTS_LUA,
        2,
        keys.container,
        keys.node,
        t,
        ttl,
        req.jobId,
        holder,
        maxPerNode,
      )) as [number, string?];
      if (r[0] === 1) {
        let who = 'another probe';
        try {
          const h = JSON.parse(r[1] ?? '{}') as Partial<SlotHolder>;
          who = `another probe (${h.action ?? 'probe'} by <@${h.requester ?? 'unknown'}>)`;
        } catch {
          // keep the generic wording
        }
        throw probeError('probe_busy', `${who} is running on that container; try again when it ends.`, [
          'Only one probe may attach to a container at a time.',
        ]);
      }
      if (r[0] === 2)
        throw probeError(
          'probe_busy',
          `Node \`${req.node}\` already runs ${r[1]} probes (the limit is ${maxPerNode}); try again when one ends.`,
          [],
        );
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        await redis.eval(RELEASE_SLOTS_LUA, 2, keys.container, keys.node, req.jobId);
      };
    },
  };
}
