/** Shared pieces of the probe program: the failure type, tool execution with caps, small file helpers. */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { PROBE_FAILURE_CODES, ProbeData, ProbeInput } from '../../contracts/probe.js';

export type ProbeFailureCode = (typeof PROBE_FAILURE_CODES)[number];

/** A refusal or failure with its code; becomes the `ok: false` result line. */
export class ProbeFailure extends Error {
  constructor(
    readonly code: ProbeFailureCode,
    message: string,
    readonly argv?: string[],
  ) {
    super(message);
    this.name = 'ProbeFailure';
  }
}

/** An artefact before it is streamed: the bytes as stored (after the cap). */
export interface Artefact {
  name: string;
  contentType: string;
  bytes: Buffer;
  truncated: boolean;
  note?: string;
  title?: string;
}

export interface ActionContext {
  input: ProbeInput;
  pid: number;
  /** First 12 characters of the container id, for file names and messages. */
  shortId: string;
  notes: string[];
  /** Re-resolves the container right before the tool runs; throws `container_changed` when it moved. */
  confirm(): Promise<void>;
  /** Why the PID is no longer the container's main process (gone, reused, left the cgroup), or null. */
  changed(): Promise<string | null>;
  /** Like `changed`, but throws `container_changed` naming `what` (work done by PID number). */
  recheck(what: string): Promise<void>;
  /** Where tool stderr goes (the program's stderr). */
  log(text: string): void;
}

export interface ActionResult {
  argv: string[];
  exitCode: number | null;
  data: ProbeData;
  artefacts: Artefact[];
}

export interface ToolRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stdoutBytes: number;
  stdoutTruncated: boolean;
  stderr: string;
  /** Set when `attached.check` found the PID no longer the container's. */
  ownerChanged?: string;
}

export interface ToolOptions {
  /** Bytes of stdout kept (the rest is counted and dropped). */
  stdoutCap: number;
  /** Bytes of stderr kept. */
  stderrCap?: number;
  /** Called with every stdout chunk (before capping), e.g. to mine lines. */
  onStdout?: (chunk: Buffer) => void;
  /** Which stream is the data (capped, handed to onStdout); the other is kept as log text. Default stdout. */
  dataStream?: 'stdout' | 'stderr';
  /** Kill with SIGKILL after this long, a backstop behind `timeout`. */
  killAfterMs: number;
  cwd?: string;
  /**
   * Re-check after the tool attached by PID: once `marker` shows on the tool's stderr (or at its exit when
   * it never did), `check` runs; a non-null answer (the PID changed owner) stops the tool (SIGINT, which
   * `timeout` forwards, then SIGKILL) and is returned as `ownerChanged`.
   */
  attached?: { marker: RegExp; check: () => Promise<string | null> };
}

/** Runs an argv array (never a shell). A missing binary becomes `tool_missing`. */
export function runTool(argv: string[], opts: ToolOptions): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = argv;
    const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'], shell: false, cwd: opts.cwd });
    const kept: Buffer[] = [];
    let keptBytes = 0;
    let total = 0;
    let stderr = '';
    const stderrCap = opts.stderrCap ?? 64 * 1024;
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs);
    const [data, text] =
      opts.dataStream === 'stderr' ? [child.stderr, child.stdout] : [child.stdout, child.stderr];
    // The attach re-check: runs once, when the marker shows on stderr (or at exit).
    let checking: Promise<void> | null = null;
    let ownerChanged: string | undefined;
    let seen = '';
    let stopTimer: NodeJS.Timeout | undefined;
    const runCheck = (): Promise<void> => {
      checking ??= opts.attached!.check().then(
        (why) => {
          if (why === null) return;
          ownerChanged = why;
          if (child.exitCode === null && child.signalCode === null) {
            child.kill('SIGINT');
            stopTimer = setTimeout(() => child.kill('SIGKILL'), 2000);
          }
        },
        (e: unknown) => {
          ownerChanged = `the re-check failed: ${e instanceof Error ? e.message : String(e)}`;
          child.kill('SIGKILL');
        },
      );
      return checking;
    };
    if (opts.attached) {
      child.stderr.on('data', (chunk: Buffer) => {
        if (checking) return;
        seen = (seen + chunk.toString('utf8')).slice(-4096);
        if (opts.attached!.marker.test(seen)) void runCheck();
      });
    }
    data.on('data', (chunk: Buffer) => {
      total += chunk.length;
      opts.onStdout?.(chunk);
      if (keptBytes < opts.stdoutCap) {
        const part = chunk.subarray(0, opts.stdoutCap - keptBytes);
        kept.push(part);
        keptBytes += part.length;
      }
    });
    text.on('data', (chunk: Buffer) => {
      if (stderr.length < stderrCap) stderr += chunk.toString('utf8').slice(0, stderrCap - stderr.length);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (err.code === 'ENOENT')
        reject(new ProbeFailure('tool_missing', `${cmd} is not installed in the probe image`, argv));
      else if (err.code === 'EACCES' || err.code === 'EPERM') {
        reject(new ProbeFailure('permission_denied', `cannot run ${cmd}: ${err.code}`, argv));
      } else reject(new ProbeFailure('tool_failed', `cannot run ${cmd}: ${err.message}`, argv));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(stopTimer);
      const done = () =>
        resolve({
          exitCode: code,
          signal,
          stdout: Buffer.concat(kept),
          stdoutBytes: total,
          stdoutTruncated: total > keptBytes,
          stderr,
          ...(ownerChanged !== undefined ? { ownerChanged } : {}),
        });
      if (opts.attached) void runCheck().then(done);
      else done();
    });
  });
}

/** Splits a byte stream into lines (UTF-8), calling `onLine` for each complete line. */
export function lineSplitter(onLine: (line: string) => void): { push(chunk: Buffer): void; end(): void } {
  let rest = '';
  return {
    push(chunk) {
      rest += chunk.toString('utf8');
      let i = rest.indexOf('\n');
      while (i >= 0) {
        onLine(rest.slice(0, i));
        rest = rest.slice(i + 1);
        i = rest.indexOf('\n');
      }
      if (rest.length > 64 * 1024) rest = rest.slice(0, 64 * 1024);
    },
    end() {
      if (rest !== '') onLine(rest);
      rest = '';
    },
  };
}

/** Reads a text file, at most `max` bytes; null when it does not exist. Permission errors become ProbeFailure. */
export async function readText(path: string, max = 1024 * 1024): Promise<string | null> {
  try {
    const buf = await readFile(path);
    return buf.subarray(0, max).toString('utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return null;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new ProbeFailure(
        'permission_denied',
        `cannot read ${path}: ${code} (does the probe have CAP_SYS_PTRACE?)`,
      );
    }
    throw e;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `timeout` (and nsenter) exit 127 when the tool is not installed, 126 when it cannot be run. */
export function checkExec(run: ToolRun, log: string, argv: string[]): void {
  const missing = /failed to (?:run command|execute) .(\S+?).?: No such file or directory/.exec(log);
  if (run.exitCode === 127 || missing) {
    throw new ProbeFailure(
      'tool_missing',
      `${missing?.[1] ?? argv[0]} is not installed in the probe image`,
      argv,
    );
  }
  if (run.exitCode === 126)
    throw new ProbeFailure('permission_denied', `cannot execute: ${log.trim().slice(-300)}`, argv);
}
