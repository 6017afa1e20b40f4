/**
 * The bench's plumbing: processes (bot, worker, the bare receiver) started from this checkout with the
 * Node that runs the bench (the pinned one under `npm run bench`), their memory from /proc, one program's
 * wall time and peak RSS, percentiles.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
export const median = (xs: number[]): number => pct(xs, 50);
export const round = (x: number, digits = 1): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};
export const mib = (kib: number): number => round(kib / 1024);

/** Resident memory of a live process, KiB: now (VmRSS) and its peak so far (VmHWM). */
export function memKiB(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const get = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
  return { rss: get('VmRSS'), hwm: get('VmHWM') };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  ms: number,
  what: string,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

export async function waitHttpOk(url: string, ms: number, proc?: ChildProcess): Promise<void> {
  await waitFor(
    async () => {
      if (proc && proc.exitCode !== null) throw new Error(`${url}: the process exited with ${proc.exitCode}`);
      return fetch(url)
        .then((r) => r.ok)
        .catch(() => false);
    },
    ms,
    url,
  );
}

const quietStdio = (): ['ignore', 'ignore' | 'inherit', 'inherit'] => [
  'ignore',
  process.env.BENCH_LOG_LEVEL ? 'inherit' : 'ignore',
  'inherit',
];

/** Starts `node ARGS` (this Node) with env; stdout shown only with BENCH_LOG_LEVEL. */
export function startNode(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, args, { env, stdio: quietStdio() });
}

/** Stops a child (SIGTERM, then SIGKILL after 5 s) and waits for it. */
export async function stop(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  const t = setTimeout(() => p.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}

/**
 * The bare Bolt receiver (scripts/ack/bare-receiver.mjs, plain Node as the bot's bundle runs; env: its PORT,
 * QUEUE, …); resolves once it prints "ready".
 */
export async function startBareReceiver(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const p = spawn(process.execPath, ['scripts/ack/bare-receiver.mjs'], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    p.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('ready')) resolve();
    });
    p.once('exit', (c) => reject(new Error(`bare receiver exited with ${c}`)));
  });
  p.stdout?.resume();
  return p;
}

export interface Measured {
  wallMs: number;
  /** Largest resident set of the process or any one of its children (GNU time's %M), KiB; NaN without it. */
  peakKiB: number;
  status: number;
  stdout: string;
}

const GNU_TIME = '/usr/bin/time';

/**
 * Runs a program to the end: wall time, and peak RSS through GNU time when the machine has it. Asynchronous:
 * the simulator it talks to runs in the bench's own event loop.
 */
export async function measure(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-time-'));
  const out = join(dir, 'time');
  const useTime = existsSync(GNU_TIME);
  const t0 = performance.now();
  const p = useTime
    ? spawn(GNU_TIME, ['-f', '%M', '-o', out, cmd, ...args], { env, stdio: ['ignore', 'pipe', 'ignore'] })
    : spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'ignore'] });
  let stdout = '';
  p.stdout?.on('data', (b: Buffer) => {
    stdout += b.toString();
  });
  const status = await new Promise<number>((r) => p.once('close', (c) => r(c ?? -1)));
  const wallMs = performance.now() - t0;
  const peakKiB =
    useTime && existsSync(out) ? Number(readFileSync(out, 'utf8').trim().split('\n').at(-1)) : Number.NaN;
  rmSync(dir, { recursive: true, force: true });
  return { wallMs, peakKiB, status, stdout };
}

export function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}
