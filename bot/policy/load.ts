import { createHash } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import { parsePolicy } from './parse.js';
import type { Policy } from './schema.js';

/**
 * A policy file that cannot be used: unreadable, or not a valid policy. The
 * message is the reasons, one per line (`file:line:col: path: reason`, or
 * `cannot read <path>: ENOENT: …`), fit to print as the bot refuses to start.
 */
export class PolicyFileError extends Error {
  override readonly name = 'PolicyFileError';
  constructor(
    readonly file: string,
    readonly errors: string[],
  ) {
    super(errors.join('\n'));
  }
}

/** The first 12 hex digits of the sha256 of the policy text: the version shown in logs. */
export function policyVersion(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/** Reads and parses a policy file; throws {@link PolicyFileError} when it cannot be read or is invalid. */
export async function loadPolicyFile(path: string): Promise<Policy> {
  return (await readPolicy(path)).policy;
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    // Node's message ends with ", open '<path>'": the path is already said once.
    const message = (err as { message?: unknown }).message;
    const reason = typeof message === 'string' ? message.replace(/, \w+ '.*'$/s, '') : String(err);
    throw new PolicyFileError(path, [`cannot read ${path}: ${reason}`]);
  }
}

async function readPolicy(path: string): Promise<{ policy: Policy; text: string }> {
  const text = await readText(path);
  const parsed = parsePolicy(text, path);
  if (!parsed.ok) throw new PolicyFileError(path, parsed.errors);
  return { policy: parsed.policy, text };
}

export type ReloadResult =
  /** The file holds the policy in force (possibly again, after a refused edit). */
  | { status: 'unchanged'; version: string }
  /** A new valid policy is now in force. */
  | { status: 'reloaded'; version: string; previous: string }
  /** The file changed to something invalid or unreadable; the last good policy stays in force. */
  | { status: 'refused'; version: string; errors: string[] };

export interface PolicyWatcherOptions {
  /** How often the file is re-read and its hash compared. Default 2000 ms. */
  intervalMs?: number;
  logger: Logger;
  /** Called after a valid new policy is swapped in. */
  onChange?: (policy: Policy, version: string) => void;
  /**
   * Also watch the file's directory with fs.watch to react sooner than the next poll.
   * Polling stays on either way (inotify misses ConfigMap symlink swaps on some setups). Default true.
   */
  watchDirectory?: boolean;
}

/**
 * Keeps the policy in force in step with its file. In Kubernetes the file is a
 * mounted ConfigMap, updated by an atomic symlink swap (`..data` → a new
 * timestamped directory), which a watch on the file itself misses. So the
 * watcher re-reads the path every `intervalMs` and compares content hashes
 * (and, as a shortcut, reacts to fs.watch events on the directory). A valid
 * change is swapped in; an invalid or missing file keeps the last good policy
 * and is logged once per distinct problem.
 */
export class PolicyWatcher {
  private timer?: NodeJS.Timeout;
  private dirWatcher?: FSWatcher;
  private debounce?: NodeJS.Timeout;
  private running: Promise<ReloadResult> | undefined;
  /** Identifies the last problem reported, so the same broken content is logged once. */
  private lastProblem: string | undefined;
  private stopped = false;

  private constructor(
    readonly path: string,
    private policy: Policy,
    private ver: string,
    private readonly logger: Logger,
    private readonly onChange?: (policy: Policy, version: string) => void,
  ) {}

  /** Loads the file (throws {@link PolicyFileError} when it is missing or invalid) and starts watching it. */
  static async start(path: string, opts: PolicyWatcherOptions): Promise<PolicyWatcher> {
    const { policy, text } = await readPolicy(path);
    const logger = opts.logger.child({ component: 'policy', file: path });
    const w = new PolicyWatcher(path, policy, policyVersion(text), logger, opts.onChange);
    logger.info({ policyVersion: w.ver }, 'policy loaded');
    w.timer = setInterval(() => void w.reload(), opts.intervalMs ?? 2000);
    w.timer.unref();
    if (opts.watchDirectory ?? true) w.watchDirectory();
    return w;
  }

  /** The policy in force. */
  current(): Policy {
    return this.policy;
  }

  /** sha256 of the text in force, first 12 hex digits. */
  version(): string {
    return this.ver;
  }

  /**
   * Re-reads the file now (the poll, fs.watch events, SIGHUP and tests call this).
   * A call made while a reload runs reads again after it, so no change is missed.
   */
  reload(): Promise<ReloadResult> {
    if (this.running) return this.running.then(() => this.reload());
    this.running = this.reloadOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.debounce);
    this.dirWatcher?.close();
    this.dirWatcher = undefined;
  }

  private async reloadOnce(): Promise<ReloadResult> {
    let text: string;
    try {
      text = await readText(this.path);
    } catch (err) {
      const errors = err instanceof PolicyFileError ? err.errors : [String(err)];
      return this.refuse(`unreadable:${errors.join('\n')}`, errors);
    }
    const version = policyVersion(text);
    if (version === this.ver) {
      if (this.lastProblem !== undefined) {
        this.lastProblem = undefined;
        this.logger.info({ policyVersion: version }, 'policy file is back to the policy in force');
      }
      return { status: 'unchanged', version };
    }
    const parsed = parsePolicy(text, this.path);
    if (!parsed.ok) return this.refuse(`invalid:${version}`, parsed.errors);

    const previous = this.ver;
    this.policy = parsed.policy;
    this.ver = version;
    this.lastProblem = undefined;
    this.logger.info({ policyVersion: version, previous }, 'policy reloaded');
    if (this.onChange) {
      try {
        this.onChange(parsed.policy, version);
      } catch (err) {
        this.logger.error({ err }, 'policy onChange callback failed');
      }
    }
    return { status: 'reloaded', version, previous };
  }

  private refuse(problem: string, errors: string[]): ReloadResult {
    if (this.lastProblem !== problem) {
      this.lastProblem = problem;
      this.logger.error(
        { policyVersion: this.ver, errors },
        'policy reload refused; keeping the last good policy',
      );
    }
    return { status: 'refused', version: this.ver, errors };
  }

  /** fs.watch on the directory: catches edits and ConfigMap `..data` swaps early. Best effort. */
  private watchDirectory(): void {
    try {
      const name = basename(this.path);
      this.dirWatcher = watch(dirname(this.path), { persistent: false }, (_event, file) => {
        // A ConfigMap swap renames `..data`; an editor may write a temporary file. Any of those, or an unknown name.
        if (file && file !== name && !String(file).startsWith('..')) return;
        clearTimeout(this.debounce);
        this.debounce = setTimeout(() => {
          if (!this.stopped) void this.reload();
        }, 50);
        this.debounce.unref();
      });
      this.dirWatcher.on('error', (err) => {
        this.logger.debug({ err }, 'policy directory watch failed; polling continues');
        this.dirWatcher?.close();
        this.dirWatcher = undefined;
      });
    } catch (err) {
      this.logger.debug({ err }, 'cannot watch the policy directory; polling only');
    }
  }
}
