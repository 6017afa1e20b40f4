/**
 * Reading a file inside a container's root (`/proc/PID/root/...`) without ever leaving it.
 *
 * `/proc/PID/root` is a directory the container controls: a symlink `etc/resolv.conf -> /etc/shadow` is
 * resolved by the kernel relative to *our* root when read through that path, so a plain `readFile` could
 * hand a host file to Slack; a FIFO would hang the read; `/dev/zero` would never end. Here the path is walked
 * one component at a time from an open directory fd (through `/proc/self/fd/N/<name>`, i.e. openat), never
 * letting the kernel follow a symlink (`O_NOFOLLOW`): symlinks are resolved by us, relative to the
 * container's root (absolute targets restart at it, `..` stops at it), with a bound on hops. The final file
 * must be a regular file (checked before opening and again with fstat on the opened fd; opened `O_NONBLOCK`
 * so a FIFO swapped in cannot block) and is read up to a size bound.
 *
 * `resolveInRoot` is pure over a small fs interface (`DirFs`), so the walk is unit-tested with an in-memory
 * tree; `readFileInRoot` runs it over real fds.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, readSync } from 'node:fs';
import { ProbeFailure } from './common.js';

/** Symlinks followed in one resolution (Linux's own limit is 40). */
export const MAX_SYMLINK_HOPS = 40;
/** Default bound on the bytes read. */
export const ROOT_READ_MAX = 64 * 1024;

export type EntryKind = 'dir' | 'file' | 'symlink' | 'fifo' | 'socket' | 'char device' | 'block device';

/** The little a walk needs from a filesystem; `H` is an open directory. */
export interface DirFs<H> {
  /** What `name` in `dir` is, not following a symlink; null when it does not exist. */
  kind(dir: H, name: string): EntryKind | null;
  /** The target of the symlink `name` in `dir`. */
  readlink(dir: H, name: string): string;
  /** Opens the directory `name` in `dir`, refusing to follow a symlink (throws when it is not a directory). */
  openDir(dir: H, name: string): H;
  close(dir: H): void;
}

export type Resolution<H> =
  /** The final component is a regular file: `name` in the open directory `dir`; call `release` when done. */
  | { found: true; dir: H; name: string; release(): void }
  | { found: false; reason: 'missing' | 'not_regular' | 'loop' | 'not_dir'; message: string };

/**
 * Resolves `path` inside the directory `root` as if `root` were `/`, never leaving it. On success the
 * caller owns the returned directory (and must `release()`); `root` itself is never closed here.
 */
export function resolveInRoot<H>(
  fs: DirFs<H>,
  root: H,
  path: string,
  maxHops = MAX_SYMLINK_HOPS,
): Resolution<H> {
  const stack: H[] = [root];
  const closeAbove = (depth: number) => {
    while (stack.length > depth) fs.close(stack.pop()!);
  };
  let rest = split(path);
  let hops = 0;
  let shown = '';
  try {
    while (rest.length > 0) {
      const name = rest.shift()!;
      if (name === '..') {
        // `..` at the container's root stays at the root, as in the kernel's own root handling.
        if (stack.length > 1) fs.close(stack.pop()!);
        shown = shown.slice(0, Math.max(0, shown.lastIndexOf('/')));
        continue;
      }
      const last = rest.length === 0;
      shown = `${shown}/${name}`;
      const top = stack[stack.length - 1]!;
      const kind = fs.kind(top, name);
      if (kind === null) {
        closeAbove(1);
        return { found: false, reason: 'missing', message: `${shown_(shown)} does not exist` };
      }
      if (kind === 'symlink') {
        if (++hops > maxHops) {
          closeAbove(1);
          return {
            found: false,
            reason: 'loop',
            message: `more than ${maxHops} symlinks while resolving ${path} (a symlink loop?)`,
          };
        }
        const target = fs.readlink(top, name);
        if (target === '') {
          closeAbove(1);
          return { found: false, reason: 'missing', message: `${shown_(shown)} is an empty symlink` };
        }
        // An absolute target restarts at the container's root, never ours.
        if (target.startsWith('/')) {
          closeAbove(1);
          shown = '';
        } else {
          shown = shown.slice(0, shown.lastIndexOf('/'));
        }
        rest = [...split(target), ...rest];
        continue;
      }
      if (last) {
        if (kind === 'file') {
          const dir = stack[stack.length - 1]!;
          // Everything above the root is the caller's now (the root itself stays the caller's anyway).
          const owned = stack.splice(1);
          const release = () => {
            for (const d of owned.reverse()) fs.close(d);
          };
          return { found: true, dir, name, release };
        }
        closeAbove(1);
        return {
          found: false,
          reason: 'not_regular',
          message: `${shown_(shown)} is a ${kind === 'dir' ? 'directory' : kind}, not a regular file`,
        };
      }
      if (kind !== 'dir') {
        closeAbove(1);
        return { found: false, reason: 'not_dir', message: `${shown_(shown)} is a ${kind}, not a directory` };
      }
      stack.push(fs.openDir(top, name));
    }
    closeAbove(1);
    return { found: false, reason: 'not_regular', message: `${path} names a directory, not a file` };
  } catch (e) {
    closeAbove(1);
    throw e;
  }
}

/** A path the container chose, fit for a message: control characters replaced, at most 200 characters. */
function shown_(p: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing them is the point
  const clean = p.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 200 ? `${clean.slice(0, 200)}…` : clean;
}

function split(path: string): string[] {
  return path.split('/').filter((s) => s !== '' && s !== '.');
}

export type RootRead =
  | { ok: true; text: string; bytes: number; truncated: boolean }
  | { ok: false; reason: 'missing' | 'not_regular' | 'loop' | 'not_dir' | 'changed'; message: string };

const at = (fd: number, name: string) => `/proc/self/fd/${fd}/${name}`;

/** The real `DirFs`: directories are fds, each step an `openat` through `/proc/self/fd/N/<name>`. */
export const fdDirFs: DirFs<number> = {
  kind(dir, name) {
    const st = lstatSync(at(dir, name), { throwIfNoEntry: false });
    if (!st) return null;
    if (st.isSymbolicLink()) return 'symlink';
    if (st.isDirectory()) return 'dir';
    if (st.isFile()) return 'file';
    if (st.isFIFO()) return 'fifo';
    if (st.isSocket()) return 'socket';
    if (st.isCharacterDevice()) return 'char device';
    return 'block device';
  },
  readlink: (dir, name) => readlinkSync(at(dir, name), 'utf8'),
  openDir: (dir, name) =>
    openSync(at(dir, name), constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW),
  close: (dir) => closeSync(dir),
};

/**
 * Reads `path` inside the root directory open as `rootFd` (e.g. an fd of `/proc/PID/root`), at most `max`
 * bytes. Never follows a symlink out of the root; refuses anything but a regular file.
 */
export function readFileInRoot(rootFd: number, path: string, max = ROOT_READ_MAX): RootRead {
  let r: Resolution<number>;
  try {
    r = resolveInRoot(fdDirFs, rootFd, path);
  } catch (e) {
    return { ok: false, reason: 'changed', message: `${path} changed while it was resolved (${errCode(e)})` };
  }
  if (!r.found) return { ok: false, reason: r.reason, message: r.message };
  let fd: number | undefined;
  try {
    fd = openSync(
      at(r.dir, r.name),
      constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY,
    );
    if (!fstatSync(fd).isFile()) {
      return { ok: false, reason: 'not_regular', message: `${path} is not a regular file (it changed)` };
    }
    const buf = Buffer.alloc(max + 1);
    let n = 0;
    while (n < buf.length) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
    }
    const truncated = n > max;
    const bytes = Math.min(n, max);
    return { ok: true, text: buf.subarray(0, bytes).toString('utf8'), bytes, truncated };
  } catch (e) {
    return { ok: false, reason: 'changed', message: `${path} could not be read (${errCode(e)})` };
  } finally {
    if (fd !== undefined) closeSync(fd);
    r.release();
  }
}

/**
 * Opens the root directory of process `pid` (`<procRoot>/<pid>/root`, which the kernel resolves to that
 * process's root in its own mount namespace). Null when the process is gone.
 */
export function openProcessRoot(procRoot: string, pid: number): number | null {
  try {
    return openSync(`${procRoot}/${pid}/root`, constants.O_RDONLY | constants.O_DIRECTORY);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return null;
    throw new ProbeFailure(
      'permission_denied',
      `cannot open ${procRoot}/${pid}/root: ${code ?? String(e)} (does the probe have CAP_SYS_PTRACE?)`,
    );
  }
}

function errCode(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
}
