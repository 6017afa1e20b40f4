#!/usr/bin/env node
/**
 * Runs one redis-server for the tests and makes sure it does not outlive them.
 *
 * `node redis-watchdog.mjs <dir> <redis-server arguments…>`. The test process that starts this holds its
 * stdin: when that process ends in any way (tests done, failed, Ctrl-C, even SIGKILL), stdin reaches EOF and
 * the watchdog stops redis-server, removes `dir` (the server's own temporary directory) and exits. SIGINT,
 * SIGTERM and SIGHUP stop it too. If redis-server exits by itself, so does the watchdog (status 1).
 * Plain JavaScript: it runs without the TypeScript loader.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';

const [dir, ...args] = process.argv.slice(2);
const redis = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'inherit'] });
let stopping = false;

function exit(code) {
  if (dir) rmSync(dir, { recursive: true, force: true });
  process.exit(code);
}

function stop() {
  if (stopping) return;
  stopping = true;
  if (redis.exitCode !== null || redis.signalCode !== null) exit(0);
  redis.kill('SIGTERM');
  setTimeout(() => redis.kill('SIGKILL'), 2000).unref();
}

redis.on('error', (err) => {
  process.stderr.write(`redis-watchdog: cannot run redis-server: ${err.message}\n`);
  exit(127);
});
redis.on('exit', () => exit(stopping ? 0 : 1));
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, stop);
