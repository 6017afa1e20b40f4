import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type KubeConfig, VersionApi } from '@kubernetes/client-node';
import type { Logger } from './log.js';
import type { WorkerMetrics } from './metrics.js';
import { withTimeout } from './timeout.js';

/** Asks the API server for /version; resolves to its gitVersion or throws with a reason a person can act on. */
export async function apiServerVersion(kc: KubeConfig, timeoutMs: number): Promise<string> {
  const api = kc.makeApiClient(VersionApi);
  const v = await withTimeout(
    api.getCode(),
    timeoutMs,
    () => new Error(`the API server did not answer /version within ${timeoutMs} ms`),
  );
  return v.gitVersion;
}

/**
 * Readiness: the API server answered /version at start and answers it periodically. A worker whose API server
 * is unreachable stays alive (/healthz) but leaves readiness, and poddebug_worker_api_reachable says so.
 */
export class ApiReadiness {
  private ok = false;
  private timer: NodeJS.Timeout | undefined;
  constructor(
    private readonly check: () => Promise<unknown>,
    private readonly opts: { everyMs: number; logger: Logger; metrics?: WorkerMetrics },
  ) {}

  /** The first check; throws when the API server is not reached. */
  async start(): Promise<void> {
    await this.check();
    this.set(true);
    this.timer = setInterval(() => void this.tick(), this.opts.everyMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      await this.check();
      if (!this.ok) this.opts.logger.info('API server reachable again');
      this.set(true);
    } catch (err) {
      if (this.ok) this.opts.logger.warn({ err: (err as Error).message }, 'API server unreachable');
      this.set(false);
    }
  }

  private set(ok: boolean): void {
    this.ok = ok;
    this.opts.metrics?.apiReachable.set(ok ? 1 : 0);
  }

  ready(): boolean {
    return this.ok;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** The worker's health port: /healthz (the process answers), /readyz (see ready) and /metrics. */
export async function startHealthServer(opts: {
  port: number;
  host?: string;
  ready: () => boolean;
  metrics: WorkerMetrics;
}): Promise<{ port: number; server: Server; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    } else if (path === '/readyz') {
      const ok = opts.ready();
      res
        .writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' })
        .end(ok ? 'ready' : 'API server not reached');
    } else if (path === '/metrics') {
      opts.metrics.registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': opts.metrics.registry.contentType }).end(body),
        () => res.writeHead(500).end(),
      );
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    server,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
