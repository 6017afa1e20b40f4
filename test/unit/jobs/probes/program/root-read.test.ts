import { execFileSync } from 'node:child_process';
import {
  closeSync,
  constants,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  type DirFs,
  type EntryKind,
  readFileInRoot,
  resolveInRoot,
} from '../../../../../jobs/probes/program/root-read.js';

/** An in-memory tree: a directory maps names to entries; a symlink is its target string. */
type Node = { dir: Record<string, Node> } | { link: string } | { file: string } | { kind: EntryKind };

/** A DirFs over the tree; handles are numbers; counts what is open so leaks show. */
function memFs(tree: Record<string, Node>) {
  const open = new Map<number, Record<string, Node>>();
  let next = 1;
  const root = next++;
  open.set(root, tree);
  const dirOf = (h: number) => {
    const d = open.get(h);
    if (!d) throw new Error(`handle ${h} is not open`);
    return d;
  };
  const fs: DirFs<number> = {
    kind(h, name) {
      const n = dirOf(h)[name];
      if (!n) return null;
      if ('dir' in n) return 'dir';
      if ('link' in n) return 'symlink';
      if ('file' in n) return 'file';
      return n.kind;
    },
    readlink(h, name) {
      const n = dirOf(h)[name];
      if (!n || !('link' in n)) throw new Error('EINVAL');
      return n.link;
    },
    openDir(h, name) {
      const n = dirOf(h)[name];
      if (!n || !('dir' in n)) throw Object.assign(new Error('ELOOP or ENOTDIR'), { code: 'ELOOP' });
      const id = next++;
      open.set(id, n.dir);
      return id;
    },
    close(h) {
      if (!open.delete(h)) throw new Error(`double close of ${h}`);
    },
  };
  const contentOf = (h: number, name: string) => {
    const n = dirOf(h)[name];
    return n && 'file' in n ? n.file : undefined;
  };
  return { fs, root, contentOf, openCount: () => open.size };
}

/** A container root: /etc/resolv.conf variants, a /dev, a nested tree. */
function tree(resolv: Node): Record<string, Node> {
  return {
    etc: {
      dir: {
        'resolv.conf': resolv,
        'real.conf': { file: 'nameserver 10.0.0.10' },
        'loop-a': { link: 'loop-b' },
        'loop-b': { link: '/etc/loop-a' },
      },
    },
    run: {
      dir: { systemd: { dir: { resolve: { dir: { 'stub.conf': { file: 'nameserver 127.0.0.53' } } } } } },
    },
    dev: { dir: { zero: { kind: 'char device' }, fifo: { kind: 'fifo' } } },
    up: { dir: { x: { link: '../../../..' } } },
  };
}

function read(resolv: Node, path = '/etc/resolv.conf') {
  const m = memFs(tree(resolv));
  const r = resolveInRoot(m.fs, m.root, path);
  const out = r.found ? { found: true as const, text: m.contentOf(r.dir, r.name) } : r;
  if (r.found) r.release();
  // Only the root stays open, whatever happened.
  expect(m.openCount()).toBe(1);
  return out;
}

describe('resolveInRoot (pure walk over a DirFs)', () => {
  it('finds a regular file', () => {
    expect(read({ file: 'nameserver 1.1.1.1' })).toEqual({ found: true, text: 'nameserver 1.1.1.1' });
  });

  it('resolves an absolute symlink from the container root, through directories', () => {
    expect(read({ link: '/run/systemd/resolve/stub.conf' })).toEqual({
      found: true,
      text: 'nameserver 127.0.0.53',
    });
  });

  it('resolves a relative symlink from its own directory', () => {
    expect(read({ link: 'real.conf' })).toEqual({ found: true, text: 'nameserver 10.0.0.10' });
    expect(read({ link: './../etc/./real.conf' })).toEqual({ found: true, text: 'nameserver 10.0.0.10' });
  });

  it('stops `..` at the root, in the path and in link targets', () => {
    expect(read({ link: '../../../../../etc/real.conf' })).toEqual({
      found: true,
      text: 'nameserver 10.0.0.10',
    });
    expect(read({ link: '/up/x/up/x/etc/real.conf' })).toEqual({ found: true, text: 'nameserver 10.0.0.10' });
    expect(read({ file: 'x' }, '/../../etc/../../etc/resolv.conf')).toEqual({ found: true, text: 'x' });
  });

  it('says what is missing', () => {
    expect(read({ link: '/host/etc/shadow' })).toMatchObject({
      found: false,
      reason: 'missing',
      message: '/host does not exist',
    });
    expect(read({ link: '' })).toMatchObject({ found: false, reason: 'missing' });
    // A name the container chose is cut and cleaned before it reaches a message.
    const long = read({ link: `/\u001b[31m${'a'.repeat(500)}` });
    expect(long).toMatchObject({ found: false, reason: 'missing' });
    if (!long.found) expect(long.message).toBe(`/?[31m${'a'.repeat(194)}… does not exist`);
  });

  it('refuses anything but a regular file', () => {
    expect(read({ link: '/dev/zero' })).toMatchObject({
      found: false,
      reason: 'not_regular',
      message: '/dev/zero is a char device, not a regular file',
    });
    expect(read({ kind: 'fifo' })).toMatchObject({
      reason: 'not_regular',
      message: expect.stringMatching(/fifo/),
    });
    expect(read({ link: '/etc' })).toMatchObject({
      reason: 'not_regular',
      message: '/etc is a directory, not a regular file',
    });
    expect(read({ dir: {} })).toMatchObject({ reason: 'not_regular' });
    expect(read({ file: 'x' }, '/')).toMatchObject({
      reason: 'not_regular',
      message: '/ names a directory, not a file',
    });
    expect(read({ link: '/etc/real.conf/x' })).toMatchObject({ reason: 'not_dir' });
    expect(read({ link: '/dev/fifo/x' })).toMatchObject({ reason: 'not_dir' });
  });

  it('gives up on a symlink loop', () => {
    expect(read({ link: 'loop-a' })).toMatchObject({ found: false, reason: 'loop' });
    expect(read({ link: 'resolv.conf' })).toMatchObject({ found: false, reason: 'loop' });
  });

  it('follows up to the hop bound and not one more', () => {
    const chain = (n: number): Record<string, Node> => {
      const dir: Record<string, Node> = { f0: { file: 'end' } };
      for (let i = 1; i <= n; i++) dir[`f${i}`] = { link: `f${i - 1}` };
      return dir;
    };
    const ok = memFs(chain(5));
    const r = resolveInRoot(ok.fs, ok.root, '/f5', 5);
    expect(r.found).toBe(true);
    if (r.found) r.release();
    const over = memFs(chain(6));
    expect(resolveInRoot(over.fs, over.root, '/f6', 5)).toMatchObject({ found: false, reason: 'loop' });
    expect(over.openCount()).toBe(1);
  });

  it('closes what it opened when the fs throws midway', () => {
    const m = memFs(tree({ link: '/run/systemd/resolve/stub.conf' }));
    const failing: DirFs<number> = {
      ...m.fs,
      kind: (h, name) => {
        if (name === 'stub.conf') throw new Error('EIO');
        return m.fs.kind(h, name);
      },
    };
    expect(() => resolveInRoot(failing, m.root, '/etc/resolv.conf')).toThrow('EIO');
    expect(m.openCount()).toBe(1);
  });
});

describe('readFileInRoot on the real filesystem', () => {
  let base: string;
  let root: string;
  let rootFd: number;
  let outside: string;
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'poddebug-rootread-'));
    root = join(base, 'root');
    outside = join(base, 'outside');
    mkdirSync(join(root, 'etc'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret'), 'HOST SECRET');
    // The same absolute path inside the root holds the container's file.
    mkdirSync(join(root, outside), { recursive: true });
    writeFileSync(join(root, outside, 'secret'), 'container file');
    writeFileSync(join(root, 'etc/plain'), 'nameserver 10.0.0.10\n');
    writeFileSync(join(root, 'etc/big'), 'a'.repeat(100_000));
    symlinkSync(join(outside, 'secret'), join(root, 'etc/abs'));
    symlinkSync(`../../../../../../..${join(outside, 'secret')}`, join(root, 'etc/rel'));
    symlinkSync('/etc/passwd', join(root, 'etc/passwd-link'));
    symlinkSync('self-loop', join(root, 'etc/self-loop'));
    execFileSync('mkfifo', [join(root, 'etc/fifo')]);
    rootFd = openSync(root, constants.O_RDONLY | constants.O_DIRECTORY);
  });
  afterAll(() => {
    closeSync(rootFd);
    rmSync(base, { recursive: true, force: true });
  });

  it('reads a plain file', () => {
    expect(readFileInRoot(rootFd, '/etc/plain')).toEqual({
      ok: true,
      text: 'nameserver 10.0.0.10\n',
      bytes: 21,
      truncated: false,
    });
  });

  it('resolves absolute and escaping symlinks inside the root, never to the host file', () => {
    expect(readFileInRoot(rootFd, '/etc/abs')).toMatchObject({ ok: true, text: 'container file' });
    expect(readFileInRoot(rootFd, '/etc/rel')).toMatchObject({ ok: true, text: 'container file' });
    expect(readFileInRoot(rootFd, '/etc/passwd-link')).toMatchObject({ ok: false, reason: 'missing' });
  });

  it('refuses a FIFO without blocking, and a loop', () => {
    expect(readFileInRoot(rootFd, '/etc/fifo')).toMatchObject({ ok: false, reason: 'not_regular' });
    expect(readFileInRoot(rootFd, '/etc/self-loop')).toMatchObject({ ok: false, reason: 'loop' });
  });

  it('reads at most the bound and says it cut', () => {
    expect(readFileInRoot(rootFd, '/etc/big', 1000)).toEqual({
      ok: true,
      text: 'a'.repeat(1000),
      bytes: 1000,
      truncated: true,
    });
    expect(readFileInRoot(rootFd, '/etc/big')).toMatchObject({ ok: true, bytes: 65536, truncated: true });
  });
});
