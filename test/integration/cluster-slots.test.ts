/**
 * Redis Cluster: every Lua script call and every MULTI/EXEC the product makes names keys of one hash slot
 * (Redis Cluster refuses CROSSSLOT otherwise). Observed, not listed: Redis's MONITOR records every command
 * while a diagnose and an approved privileged probe (plan, approval, signed run, artefacts, audit trail) run
 * through the whole stack; `COMMAND GETKEYS` names each command's keys as the server sees them; CRC16 slots
 * from `cluster-key-slot` (what ioredis's Cluster client uses).
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import calculateSlot from 'cluster-key-slot';
import { Redis } from 'ioredis';
import { KEYS, QUEUE_PREFIX, queueName } from '../../jobs/contracts/index.js';
import { slotKeys } from '../../jobs/probes/slots.js';
import { fakeProbeExecutor } from '../support/probe-flow.js';
import { testRedisUrl } from '../support/redis-server.js';
import { type Stack, startStack } from '../support/stack.js';
import { putFlowTarget, runWholeFlow, WHOLE_FLOW_POLICY } from '../support/whole-flow.js';

/** One command MONITOR saw: the client address (`lua` for a command a script made) and its argv. */
interface Seen {
  client: string;
  argv: string[];
}

let stack: Stack;
let monitor: Redis;
let monitoring: Redis;
let admin: Redis;
const seen: Seen[] = [];

beforeAll(async () => {
  admin = new Redis(testRedisUrl());
  monitor = new Redis(testRedisUrl());
  monitoring = await monitor.monitor();
  monitoring.on('monitor', (_time: string, args: string[], source: string) => {
    seen.push({ client: source, argv: args.map(String) });
  });
  stack = await startStack({
    fixtures: 'test/fixtures/scenarios',
    policy: WHOLE_FLOW_POLICY,
    probes: { executor: fakeProbeExecutor() },
  });
  putFlowTarget(stack);
}, 30_000);

afterAll(async () => {
  await stack?.close();
  monitoring?.disconnect();
  monitor?.disconnect();
  admin?.disconnect();
});

/** The keys of one command, as the server extracts them. */
async function keysOf(argv: string[]): Promise<string[]> {
  const name = argv[0]!.toLowerCase();
  if (name === 'evalsha' || name === 'eval') return argv.slice(3, 3 + Number(argv[2]));
  try {
    return (await admin.call('COMMAND', 'GETKEYS', ...argv)) as string[];
  } catch {
    return []; // a command without keys
  }
}

it('each script call and MULTI names keys of one slot, through a diagnose and an approved probe', async () => {
  // A diagnose, an approved probe, `jobs` and `cancel`.
  const { approvedId: requestId } = await runWholeFlow(stack);
  await new Promise((r) => setTimeout(r, 500));

  // Group: scripts one by one; MULTI … EXEC per client connection.
  const groups: { what: string; keys: string[] }[] = [];
  const open = new Map<string, { what: string; keys: string[] }>();
  for (const s of seen.splice(0)) {
    const name = s.argv[0]!.toLowerCase();
    if (s.client.startsWith('lua')) continue; // inside a script: checked as the script's keys
    if (name === 'multi') open.set(s.client, { what: 'MULTI', keys: [] });
    else if (name === 'exec' || name === 'discard') {
      const g = open.get(s.client);
      if (g && g.keys.length > 1) groups.push(g);
      open.delete(s.client);
    } else if (open.has(s.client)) {
      const g = open.get(s.client)!;
      g.keys.push(...(await keysOf(s.argv)));
      g.what += ` ${name}`;
    } else if ((name === 'evalsha' || name === 'eval') && Number(s.argv[2]) > 1) {
      groups.push({ what: `${name} ${s.argv[1]!.slice(0, 12)}`, keys: await keysOf(s.argv) });
    }
  }
  // The flows made multi-key calls (BullMQ's scripts, the request scripts, the audit append, slots).
  expect(groups.length).toBeGreaterThan(20);
  const ours = groups.filter((g) => g.keys.some((k) => k.includes(stack.cluster) || k.includes(requestId)));
  expect(ours.length).toBeGreaterThan(5);
  const crossSlot = groups
    .map((g) => ({ ...g, slots: [...new Set(g.keys.map((k) => calculateSlot(k)))] }))
    .filter((g) => g.slots.length > 1);
  expect(crossSlot).toEqual([]);
});

it('keys used together share a slot by construction (the hash tags of the contracts)', () => {
  const id = 'prb-prod-0123456789abcdef01234567';
  const slot = calculateSlot;
  // A request's keys, its queue's (one MULTI adds the job and writes the record) and its cluster's
  // open-request indexes (one script writes the record and both).
  const q = `${QUEUE_PREFIX}:${queueName('prod')}`;
  expect(
    new Set(
      [
        KEYS.request(id),
        KEYS.approvers(id),
        KEYS.lock(id),
        KEYS.cancel(id),
        KEYS.approvalUsed(id),
        KEYS.open('prod'),
        KEYS.channelOpen('prod', 'C0INCIDENT'),
        `${q}:wait`,
        `${q}:active`,
        `${q}:meta`,
        `${q}:events`,
        `${q}:run-${id}`,
      ].map(slot),
    ).size,
  ).toBe(1);
  // The gate's one script: rate-limit counters and heartbeats.
  expect(slot(`${KEYS.rateLimitPrefix}:commands:user:60s:U1`)).toBe(slot(KEYS.heartbeat('prod')));
  expect(slot(KEYS.heartbeat('prod-eu'))).toBe(slot(KEYS.heartbeat('prod')));
  const s = slotKeys('poddebug:', 'prod', 'node-a', 'containerd://abc');
  expect(slot(s.container)).toBe(slot(s.node));
  // Two clusters' queues and requests need not share one.
  expect(slot(`${QUEUE_PREFIX}:${queueName('prod')}:wait`)).not.toBe(
    slot(`${QUEUE_PREFIX}:${queueName('prod-eu')}:wait`),
  );
  expect(slot(KEYS.request(id))).not.toBe(slot(KEYS.request('prb-prod-eu-0123456789abcdef01234567')));
  // A key is never made from a string that is not a request id.
  expect(() => KEYS.request('*')).toThrow('not a request id');
});
