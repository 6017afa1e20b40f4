/**
 * The scenarios `npm run chaos` runs (one table row each) and their sizes: the short run fits CI, the full run
 * is the operator's bad day at scale. A fault starts at 40 % of its burst and resolves once it is over.
 */
import type { ChaosStack } from './stack.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sizes and durations: the short run fits CI (a few minutes on 2 shared cores). */
export function chaosParams(short: boolean) {
  return short
    ? {
        commands: 24,
        burstMs: 6000,
        soak: 150,
        soakMs: 15_000,
        lockMs: 10_000,
        apiFaultMs: 8000,
        redisDownMs: 3000,
        stormMs: 35_000,
        stormRetryAfterSec: 5,
        slackOutageMs: 8000,
        settleMaxMs: 70_000,
        maxMinutes: 15,
      }
    : {
        commands: 100,
        burstMs: 12_000,
        soak: 1000,
        soakMs: 60_000,
        lockMs: 30_000,
        apiFaultMs: 15_000,
        redisDownMs: 5000,
        stormMs: 60_000,
        stormRetryAfterSec: 20,
        slackOutageMs: 20_000,
        settleMaxMs: 120_000,
        maxMinutes: 60,
      };
}

export type ChaosParams = ReturnType<typeof chaosParams>;

/** Routes commands to bot replicas in turn, skipping those it knows are down (as a load balancer would). */
export class Balancer {
  private n = 0;
  readonly down = new Set<number>();
  constructor(private readonly ports: number[]) {}
  next(): number {
    for (let i = 0; i < this.ports.length; i++) {
      const k = this.n++ % this.ports.length;
      if (!this.down.has(k)) return this.ports[k]!;
    }
    return this.ports[this.n++ % this.ports.length]!;
  }
}

export interface FaultResult {
  /** Wait at least this long after the fault ended before judging (retries still due). */
  minSettleMs?: number;
  note?: string;
}

export interface Ctx {
  stack: ChaosStack;
  lb: Balancer;
}

export interface Scenario {
  name: string;
  what: string;
  commands?: number;
  soak?: boolean;
  /** Starts at 40 % of the burst; resolves once the fault is over (processes back, listeners open). */
  fault?: (c: Ctx) => Promise<FaultResult | undefined>;
}

async function killBot(c: Ctx, signal: NodeJS.Signals): Promise<FaultResult> {
  const i = 0;
  const bot = c.stack.bots[i]!;
  // On SIGTERM the endpoint is removed as the signal goes out; a SIGKILLed pod keeps getting traffic until
  // the load balancer's health check notices (here 1 s).
  if (signal === 'SIGTERM') c.lb.down.add(i);
  const stopping = bot.stop(signal, 30_000);
  if (signal === 'SIGKILL') await sleep(1000);
  c.lb.down.add(i);
  await stopping;
  await sleep(3000); // restart back-off
  await c.stack.startBot(i);
  c.lb.down.delete(i);
  return {};
}

/** The scenarios, in the order they run; `soak` is the soak's command count. */
export function scenarios(P: ChaosParams, soak: number): Scenario[] {
  return [
    { name: 'baseline', what: 'no fault' },
    {
      name: 'worker-kill9',
      what: 'kill -9 a worker mid-burst, restarted 3 s later',
      fault: async (c) => {
        const active = await c.stack.activeJobs().catch(() => undefined);
        await c.stack.workers[0]!.stop('SIGKILL');
        await sleep(3000);
        c.stack.workers[0]!.start();
        return { note: `${active ?? '?'} jobs active (both workers) when worker0 was killed` };
      },
    },
    {
      name: 'bot-sigkill',
      what: 'SIGKILL a bot replica inside a burst',
      fault: (c) => killBot(c, 'SIGKILL'),
    },
    {
      name: 'bot-sigterm',
      what: 'SIGTERM a bot replica inside a burst',
      fault: (c) => killBot(c, 'SIGTERM'),
    },
    {
      name: 'redis-restart',
      what: `Redis stopped (AOF kept) for ${P.redisDownMs / 1000} s mid-burst`,
      fault: async (c) => {
        await c.stack.redis.stop('SIGTERM', 20_000);
        await sleep(P.redisDownMs);
        await c.stack.startRedis();
        return {};
      },
    },
    {
      name: 'api-500',
      what: `API simulator answers 500 for ${P.apiFaultMs / 1000} s`,
      fault: async (c) => {
        const heal = c.stack.sim.fail({ path: /.*/, status: 500 });
        await sleep(P.apiFaultMs);
        heal();
        return {};
      },
    },
    {
      name: 'api-refused',
      what: `API simulator refuses connections for ${P.apiFaultMs / 1000} s`,
      fault: async (c) => {
        await c.stack.refuseApi();
        await sleep(P.apiFaultMs);
        await c.stack.acceptApi();
        return {};
      },
    },
    {
      name: 'slack-429-storm',
      what: `Slack answers 429 (Retry-After ${P.stormRetryAfterSec} s) for ${P.stormMs / 1000} s`,
      fault: async (c) => {
        c.stack.slack.storm({ untilMs: Date.now() + P.stormMs, retryAfterSec: P.stormRetryAfterSec });
        await sleep(P.stormMs);
        // Calls caught in the storm retry after Retry-After plus the WebClient's growing back-off.
        return { minSettleMs: P.stormRetryAfterSec * 1000 + 30_000 };
      },
    },
    {
      name: 'slack-500',
      what: `Slack answers 500 for ${P.slackOutageMs / 1000} s`,
      fault: async (c) => {
        c.stack.slack.outage({ untilMs: Date.now() + P.slackOutageMs, status: 500 });
        await sleep(P.slackOutageMs);
        return { minSettleMs: 20_000 };
      },
    },
    { name: 'soak', what: `${soak} commands, bot/worker RSS must not grow without bound`, soak: true },
  ];
}
