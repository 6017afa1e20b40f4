import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The worker's Prometheus series, on a registry of its own (several workers can share a process in tests).
 * Served on the health port's /metrics (jobs/health.ts).
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  /** Jobs by kind (job name) and outcome (completed, failed, retry), with their duration. */
  readonly jobDuration: Histogram<'kind' | 'outcome'>;
  /** Kubernetes API requests by status (the HTTP status; 0: not reached or timed out). */
  readonly apiRequests: Counter<'status'>;
  /** Kubernetes API requests that failed, by status. */
  readonly apiErrors: Counter<'status'>;
  /** Privileged probe runs by action and outcome (completed, failed). */
  readonly probeRuns: Counter<'action' | 'outcome'>;
  /** 1 while the last /version check reached the API server. */
  readonly apiReachable: Gauge;
  /** Unix time of the last heartbeat written to Redis. */
  readonly heartbeat: Gauge<'cluster'>;

  constructor(opts: { cluster: string; defaultMetrics?: boolean }) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ cluster: opts.cluster });
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'poddebug_worker_' });
    this.jobDuration = new Histogram({
      name: 'poddebug_job_duration_seconds',
      help: 'Duration of worker jobs by kind and outcome',
      labelNames: ['kind', 'outcome'],
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300],
      registers,
    });
    this.apiRequests = new Counter({
      name: 'poddebug_kube_api_requests_total',
      help: 'Kubernetes API requests by HTTP status (0: not reached)',
      labelNames: ['status'],
      registers,
    });
    this.apiErrors = new Counter({
      name: 'poddebug_kube_api_errors_total',
      help: 'Failed Kubernetes API requests by HTTP status (0: not reached)',
      labelNames: ['status'],
      registers,
    });
    this.probeRuns = new Counter({
      name: 'poddebug_probe_runs_total',
      help: 'Privileged probe runs by action and outcome',
      labelNames: ['action', 'outcome'],
      registers,
    });
    this.apiReachable = new Gauge({
      name: 'poddebug_worker_api_reachable',
      help: '1 while the last /version request reached the API server',
      registers,
    });
    this.heartbeat = new Gauge({
      name: 'poddebug_worker_heartbeat_timestamp_seconds',
      help: 'Unix time of the last heartbeat this worker wrote to Redis',
      labelNames: ['cluster'],
      registers,
    });
  }

  /** The observer createKubeReader calls after every API request. */
  readonly observeApi = (status: number): void => {
    const s = String(status);
    this.apiRequests.inc({ status: s });
    if (status === 0 || status >= 400) this.apiErrors.inc({ status: s });
  };
}
