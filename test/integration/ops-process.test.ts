/**
 * The worker process as shipped (dist/): it refuses to start without a valid, reachable cluster (no silent
 * fallback to http://localhost:8080) and with a plain redis:// to a remote host; started against the
 * simulator it serves its health port and writes its heartbeat; SIGTERM with Redis down exits in time.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { startKubeSim } from '../../tools/kube-sim/index.js';
import { scrape } from '../support/prom-text.js';
import { freePort } from '../support/redis-server.js';

const run = promisify(execFile);
const WORKER = join(process.cwd(), 'dist/jobs/worker-main.js');
const it_ = existsSync(WORKER) ? it : it.skip;

async function refusal(env: Record<string, string>) {
  return run(process.execPath, [WORKER], {
    env: { PATH: process.env.PATH ?? '', HOME: mkdtempSync(join(tmpdir(), 'poddebug-home-')), ...env },
    timeout: 20_000,
  }).then(
    () => ({ code: 0, stderr: '' }),
    (e: { code?: number; stderr?: string }) => ({ code: e.code, stderr: e.stderr ?? '' }),
  );
}

describe('the worker process', () => {
  it_(
    'refuses to start without a cluster configuration, naming what is missing',
    async () => {
      const r = await refusal({ CLUSTER: 'prod-eu', LOG_LEVEL: 'silent' });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/no kubeconfig at .*\.kube\/config; set KUBECONFIG/);
    },
    30_000,
  );

  it_(
    'refuses to start when the API server does not answer /version',
    async () => {
      const r = await refusal({
        CLUSTER: 'prod-eu',
        KUBECONFIG: join(process.cwd(), 'test/fixtures/unreachable.kubeconfig'),
        API_TIMEOUT_MS: '1000',
        LOG_LEVEL: 'silent',
      });
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/API server at http:\/\/127\.0\.0\.1:1 did not answer \/version/);
    },
    30_000,
  );

  it_(
    'refuses a PROBE_IMAGE without a digest, saying how to pin it',
    async () => {
      const r = await refusal({
        CLUSTER: 'prod-eu',
        PROBE_IMAGE: 'ghcr.io/example/poddebug-probe:0.1.0',
        APPROVAL_PUBLIC_KEYS_FILE: '/nonexistent',
      });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        'PROBE_IMAGE: must be pinned by digest (e.g. ghcr.io/example/poddebug-probe@sha256:<64 hex digits>), not a tag',
      );
      expect(r.stderr).toContain('digest: sha256:');
    },
    30_000,
  );

  it_(
    'refuses a plain redis:// to a remote host unless REDIS_ALLOW_PLAINTEXT=true',
    async () => {
      const r = await refusal({ CLUSTER: 'prod-eu', REDIS_URL: 'redis://redis.example:6379' });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/REDIS_URL: plain redis:\/\/ to redis\.example .*REDIS_ALLOW_PLAINTEXT=true/);
    },
    30_000,
  );

  it_(
    'serves its health port; SIGTERM with Redis down exits within the grace period',
    async () => {
      const sim = await startKubeSim({ fixtures: [] });
      const port = await freePort();
      let child: ChildProcess | undefined;
      try {
        child = spawn(process.execPath, [WORKER], {
          env: {
            PATH: process.env.PATH ?? '',
            CLUSTER: 'ops-sigterm',
            KUBECONFIG: sim.kubeconfigPath,
            REDIS_URL: `redis://127.0.0.1:${await freePort()}`, // nothing listens: Redis is down
            WORKER_HEALTH_PORT: String(port),
            SHUTDOWN_TIMEOUT_MS: '3000',
            LOG_LEVEL: 'silent',
          },
          stdio: 'ignore',
        });
        const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
        const base = `http://127.0.0.1:${port}`;
        const end = Date.now() + 15_000;
        let ready = 0;
        while (Date.now() < end && ready !== 200) {
          ready = await fetch(`${base}/readyz`).then(
            (r) => r.status,
            () => 0,
          );
          if (ready !== 200) await new Promise((r) => setTimeout(r, 100));
        }
        expect(ready).toBe(200);
        expect((await fetch(`${base}/healthz`)).status).toBe(200);
        const m = await scrape(`${base}/metrics`);
        expect(m.sum('poddebug_worker_api_reachable', { cluster: 'ops-sigterm' })).toBe(1);
        const t0 = Date.now();
        child.kill('SIGTERM');
        await exited;
        // The pod's grace period is 75 s; with SHUTDOWN_TIMEOUT_MS=3000 it must be gone within a few seconds.
        expect(Date.now() - t0).toBeLessThan(8000);
      } finally {
        if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await sim.close();
      }
    },
    40_000,
  );
});
