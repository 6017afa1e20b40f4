/**
 * Runs a simulated container's argv as a LOCAL process, shared by node-executor.ts (probe pods) and
 * container-runtime.ts (ephemeral containers, created pods): spawn with an argv array (never a shell) in
 * its own process group, stdout and stderr captured line by line as the kubelet writes a container's
 * log, an optional timeout that kills the group, and the exit reported once the output is flushed.
 * What an exit means for the pod's status stays with the caller.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export interface LocalProcessSpec {
  /** Non-empty: argv[0] is the executable. */
  argv: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** The process group is killed (SIGKILL) after this long. */
  timeoutMs?: number;
}

export interface LocalProcessHandlers {
  /** Whole lines of stdout or stderr (each stream buffered on its own), newline-terminated. */
  output: (text: string) => void;
  /** The executable started. */
  spawned?: () => void;
  /** It could not start (the 'error' event). */
  error: (e: Error) => void;
  /** It exited and its output was flushed; `timedOut` when the timeout killed it. */
  close: (code: number | null, signal: NodeJS.Signals | null, timedOut: boolean) => void;
}

/** Starts the process: its child, or what spawn threw (nothing started). */
export function startLocalProcess(
  spec: LocalProcessSpec,
  on: LocalProcessHandlers,
): { child: ChildProcess } | { thrown: unknown } {
  let child: ChildProcess;
  try {
    child = spawn(spec.argv[0]!, spec.argv.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      env: spec.env,
      ...(spec.cwd ? { cwd: spec.cwd } : {}),
    });
  } catch (e) {
    return { thrown: e };
  }
  const out = lineBuffer(on.output);
  const err = lineBuffer(on.output);
  child.stdout?.on('data', (d: Buffer) => out.push(d));
  child.stderr?.on('data', (d: Buffer) => err.push(d));
  let timedOut = false;
  const timer =
    spec.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          killProcessGroup(child);
        }, spec.timeoutMs);
  child.on('error', (e) => {
    if (timer) clearTimeout(timer);
    on.error(e);
  });
  if (on.spawned) child.on('spawn', on.spawned);
  child.on('close', (code, signal) => {
    if (timer) clearTimeout(timer);
    out.flush();
    err.flush();
    on.close(code, signal, timedOut);
  });
  return { child };
}

function lineBuffer(append: (s: string) => void) {
  let buf = '';
  return {
    push: (d: Buffer) => {
      buf += d.toString('utf8');
      const i = buf.lastIndexOf('\n');
      if (i >= 0) {
        append(buf.slice(0, i + 1));
        buf = buf.slice(i + 1);
      }
    },
    flush: () => {
      if (buf) append(`${buf}\n`);
      buf = '';
    },
  };
}

/** True while the process has not exited. */
export function isAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** SIGKILL to the process group (the child alone if that fails); nothing when it has exited. */
export function killProcessGroup(child: ChildProcess): void {
  if (!child.pid || !isAlive(child)) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Kills every process and resolves once all have closed. */
export async function killAndWait(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (!isAlive(c)) return resolve();
          c.once('close', () => resolve());
          killProcessGroup(c);
        }),
    ),
  );
}
