import { type WebClient, WebClientEvent } from '@slack/web-api';
import type { Queue } from 'bullmq';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { isRequestId } from '../jobs/contracts/index.js';
import type { AuditLog } from './audit/index.js';

/** How a command ended for the user: acked (work started or help shown), refused (with a reason), failed. */
export type CommandOutcome = 'acked' | 'refused' | 'failed';

/** Audit event types that are approval outcomes of a privileged request. */
const APPROVAL_OUTCOMES: Record<string, string> = {
  approval: 'approver_added',
  approved: 'approved',
  denied: 'denied',
  cancelled: 'cancelled',
  expired: 'expired',
  voided: 'voided',
};

/**
 * The bot's Prometheus series, on a registry of its own (tests run several bots in one process). Served on
 * the HTTP receiver's /metrics (or the health server's in Socket Mode).
 */
export class BotMetrics {
  readonly registry = new Registry();
  readonly commands: Counter<'verb' | 'outcome' | 'reason'>;
  readonly ackSeconds: Histogram<'verb'>;
  readonly approvals: Counter<'outcome'>;
  readonly slackCalls: Counter<'method'>;
  readonly slackRateLimited: Counter;
  readonly auditAppendFailures: Counter;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'poddebug_bot_' });
    this.commands = new Counter({
      name: 'poddebug_commands_total',
      help: 'Slash commands by verb and outcome (acked, refused with a reason, failed)',
      labelNames: ['verb', 'outcome', 'reason'],
      registers,
    });
    this.ackSeconds = new Histogram({
      name: 'poddebug_command_ack_seconds',
      help: 'Time from receiving a slash command to acknowledging it (Slack allows 3 s)',
      labelNames: ['verb'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 2.5, 3, 5],
      registers,
    });
    this.approvals = new Counter({
      name: 'poddebug_approvals_total',
      help: 'Approval steps of privileged requests by outcome',
      labelNames: ['outcome'],
      registers,
    });
    this.slackCalls = new Counter({
      name: 'poddebug_slack_api_calls_total',
      help: 'Slack Web API calls by method',
      labelNames: ['method'],
      registers,
    });
    this.slackRateLimited = new Counter({
      name: 'poddebug_slack_rate_limited_total',
      help: 'Slack Web API answers 429 (rate limited)',
      registers,
    });
    this.auditAppendFailures = new Counter({
      name: 'poddebug_audit_append_failures_total',
      help: 'Audit events that could not be appended to the Redis stream (only in the audit log file)',
      registers,
    });
  }

  command(verb: string, outcome: CommandOutcome, reason = ''): void {
    this.commands.inc({ verb, outcome, reason });
  }

  /** Counts every Web API call of this client, and its 429s. */
  instrumentSlack(client: WebClient): void {
    // Every Web API call goes through makeRequest (the method shortcuts are bound to apiCall at construction,
    // so that cannot be wrapped): once per call, its retries inside.
    const c = client as unknown as { makeRequest: (url: string, ...rest: unknown[]) => Promise<unknown> };
    const request = c.makeRequest.bind(client);
    c.makeRequest = (url: string, ...rest: unknown[]) => {
      this.slackCalls.inc({ method: /\/api\/([\w.]+)$/.exec(url)?.[1] ?? 'upload' });
      return request(url, ...rest);
    };
    client.on(WebClientEvent.RATE_LIMITED, () => this.slackRateLimited.inc());
  }

  /** Approval outcomes and append failures, as the audit log records them. */
  instrumentAudit(audit: AuditLog): void {
    const record = audit.record.bind(audit) as (...a: Parameters<AuditLog['record']>) => Promise<unknown>;
    audit.record = (async (...args: Parameters<AuditLog['record']>) => {
      const [e] = args;
      try {
        const r = await record(...args);
        const outcome = APPROVAL_OUTCOMES[e.type];
        if (outcome && r !== undefined && isRequestId(e.requestId, 'privileged'))
          this.approvals.inc({ outcome });
        return r;
      } catch (err) {
        this.auditAppendFailures.inc();
        throw err;
      }
    }) as AuditLog['record'];
  }

  /**
   * Per-cluster queue series, read from Redis at each scrape (bounded by timeoutMs): jobs by state, the age
   * of the oldest waiting job, and whether a worker's heartbeat is alive.
   */
  queueGauges(opts: {
    queues: () => Iterable<[string, Queue]>;
    workerAlive: (cluster: string) => Promise<boolean>;
    redisUp: () => Promise<boolean>;
    timeoutMs: number;
  }): void {
    const registers = [this.registry];
    const within = <T>(p: Promise<T>): Promise<T> =>
      Promise.race([
        p,
        new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timeout')), opts.timeoutMs).unref()),
      ]);
    const depth = new Gauge({
      name: 'poddebug_queue_jobs',
      help: 'Jobs in each cluster queue by state',
      labelNames: ['cluster', 'state'],
      registers,
      collect: async () => {
        depth.reset();
        await Promise.all(
          [...opts.queues()].map(async ([cluster, q]) => {
            try {
              const counts = await within(q.getJobCounts('waiting', 'prioritized', 'delayed', 'active'));
              for (const [state, n] of Object.entries(counts)) depth.set({ cluster, state }, n);
            } catch {
              // Redis down: no sample (poddebug_redis_up says why)
            }
          }),
        );
      },
    });
    const oldest = new Gauge({
      name: 'poddebug_queue_oldest_waiting_seconds',
      help: 'Age of the oldest job waiting in each cluster queue (0 when none waits)',
      labelNames: ['cluster'],
      registers,
      collect: async () => {
        oldest.reset();
        await Promise.all(
          [...opts.queues()].map(async ([cluster, q]) => {
            try {
              const [job] = await within(q.getJobs(['wait', 'prioritized'], 0, 0, true));
              oldest.set({ cluster }, job ? Math.max(0, (Date.now() - job.timestamp) / 1000) : 0);
            } catch {
              // no sample
            }
          }),
        );
      },
    });
    const alive = new Gauge({
      name: 'poddebug_worker_alive',
      help: '1 when a worker of the cluster wrote its heartbeat within the last 60 s',
      labelNames: ['cluster'],
      registers,
      collect: async () => {
        alive.reset();
        await Promise.all(
          [...opts.queues()].map(async ([cluster]) => {
            try {
              alive.set({ cluster }, (await within(opts.workerAlive(cluster))) ? 1 : 0);
            } catch {
              // no sample
            }
          }),
        );
      },
    });
    const redisUp = new Gauge({
      name: 'poddebug_redis_up',
      help: '1 when the bot reaches Redis (PING), 0 otherwise; read at each scrape',
      registers,
      collect: async () => {
        redisUp.set((await opts.redisUp()) ? 1 : 0);
      },
    });
  }
}
