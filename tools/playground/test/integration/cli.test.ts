/**
 * `npm run playground` as a person runs it: it prints the page's URL, serves the page, and Ctrl-C (SIGINT)
 * stops everything it started (its Redis included); without redis-server it says which package to install.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import { redisAnswers } from '../../../../test/support/redis-server.js';

const MAIN = 'tools/playground/main.ts';

function run(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += String(d);
  });
  child.stderr.on('data', (d) => {
    err += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => out, err: () => err };
}

/** Polls until f's value is defined; an async f is awaited (its Promise itself is never undefined). */
async function until<T>(f: () => T | undefined | PromiseLike<T | undefined>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('npm run playground', () => {
  it('prints the URL, serves the page, and stops everything on Ctrl-C', async () => {
    const { REDIS_URL: _r, ...env } = process.env;
    const p = run(['--port', '0', '--no-probes'], env);
    try {
      const url = await until(
        () => /poddebug playground: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(p.out())?.[1],
        30_000,
      );
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<title>poddebug playground</title>');
      expect(p.out()).toContain('Node probes cannot run here: node probes are switched off (--no-probes)');
      // The Redis it started, found through the page's state: the audit trail reads from it.
      const state = (await (await fetch(`${url}pg/state?user=U0PGREQ01`)).json()) as { audit: unknown[] };
      expect(state.audit).toEqual([]);
      const redisPort = await redisPortOf(p.child.pid!);
      expect(await redisAnswers(`redis://127.0.0.1:${redisPort}`, 2000)).toBe(true);
      p.child.kill('SIGINT');
      expect(await p.exited).toBe(0);
      expect(p.out()).toContain('stopping');
      await expect(fetch(url)).rejects.toThrow();
      expect(await redisAnswers(`redis://127.0.0.1:${redisPort}`, 2000)).toBe(false);
    } finally {
      p.child.kill('SIGKILL');
    }
  }, 60_000);

  it('without redis-server on PATH and no REDIS_URL: says which package to install', async () => {
    const { REDIS_URL: _r, ...env } = process.env;
    const p = run(['--no-probes'], { ...env, PATH: '/nonexistent' });
    expect(await p.exited).toBe(1);
    expect(p.err()).toContain('install the `redis-server` package');
  }, 30_000);

  it('refuses a bad port with a short message', async () => {
    const p = run(['--port', 'eighty'], process.env);
    expect(await p.exited).toBe(2);
    expect(p.err()).toBe('playground: --port expects a port number (0 to 65535)\n');
  }, 30_000);
});

/** The port of the redis-server the playground (pid) started: its watchdog child's argv names it. */
async function redisPortOf(pid: number): Promise<number> {
  const { readFileSync, readdirSync } = await import('node:fs');
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== pid) continue;
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      const i = argv.indexOf('--port');
      if (i >= 0 && argv.some((a) => a.endsWith('redis-watchdog.mjs'))) return Number(argv[i + 1]);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`no redis watchdog under pid ${pid}`);
}
