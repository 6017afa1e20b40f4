import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { loadPolicyFile, PolicyFileError, PolicyWatcher } from '../../../../bot/policy/load.js';

const here = dirname(fileURLToPath(import.meta.url));
const examplePath = join(here, '../../../../bot/policy/example.yaml');

const policyText = (channel: string, contact = '#sre') =>
  `version: 1\ncontact: "${contact}"\nchannels:\n  ids: [${channel}]\n`;
/** Line 4 has a channel name where an ID belongs. */
const brokenText = 'version: 1\nchannels:\n  ids:\n    - "#oncall"\n';
const sha12 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);

interface LogLine {
  level: number;
  msg: string;
  policyVersion?: string;
  previous?: string;
  errors?: string[];
}

function captureLogger() {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, lines, msgs: () => lines.map((l) => l.msg) };
}

/** Polls until f's value is truthy; an async f is awaited (its Promise itself is always truthy). */
async function waitFor<T>(
  f: () => T | undefined | false | PromiseLike<T | undefined | false>,
  timeoutMs = 3000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function thrown(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

let dir: string;
const watchers: PolicyWatcher[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'poddebug-policy-'));
});
afterEach(async () => {
  for (const w of watchers.splice(0)) w.stop();
  await rm(dir, { recursive: true, force: true });
});

async function start(path: string, opts: { intervalMs?: number; watchDirectory?: boolean } = {}) {
  const log = captureLogger();
  const changes: string[] = [];
  const w = await PolicyWatcher.start(path, {
    intervalMs: opts.intervalMs ?? 60_000,
    watchDirectory: opts.watchDirectory ?? false,
    logger: log.logger,
    onChange: (_p, version) => changes.push(version),
  });
  watchers.push(w);
  return { w, log, changes };
}

describe('loadPolicyFile', () => {
  it('loads example.yaml', async () => {
    const p = await loadPolicyFile(examplePath);
    expect(p.channels.ids).toContain('C0SREONCALL');
  });

  it('refuses an invalid file with file:line:col errors, one per line', async () => {
    const file = join(dir, 'policy.yaml');
    await writeFile(file, `${brokenText}grants:\n  - users: [alice]\n    roles: [viewer]\n`);
    const err = await thrown(loadPolicyFile(file));
    expect(err).toBeInstanceOf(PolicyFileError);
    const lines = err.message.split('\n');
    expect(lines).toHaveLength((err as PolicyFileError).errors.length);
    expect(lines[0]).toBe(`${file}:4:7: channels.ids[0]: a Slack channel ID such as C0123ABCD (not a #name)`);
    expect(lines.some((l) => l.startsWith(`${file}:6:`) && l.includes('grants[0].users[0]'))).toBe(true);
  });

  it('says it cannot read a missing file', async () => {
    const file = join(dir, 'nope.yaml');
    const err = await thrown(loadPolicyFile(file));
    expect(err).toBeInstanceOf(PolicyFileError);
    expect(err.message).toBe(`cannot read ${file}: ENOENT: no such file or directory`);
  });
});

describe('PolicyWatcher', () => {
  it('refuses to start on an invalid or missing file', async () => {
    const file = join(dir, 'policy.yaml');
    await writeFile(file, brokenText);
    const err = await thrown(start(file));
    expect(err).toBeInstanceOf(PolicyFileError);
    expect(err.message).toContain(`${file}:4:7: channels.ids[0]`);
    const missing = await thrown(start(join(dir, 'missing.yaml')));
    expect(missing.message).toContain('ENOENT');
  });

  it('swaps in a valid change, with its version, and logs it', async () => {
    const file = join(dir, 'policy.yaml');
    const v1 = policyText('C0ONE');
    const v2 = policyText('C0TWO');
    await writeFile(file, v1);
    const { w, log, changes } = await start(file);
    expect(w.version()).toBe(sha12(v1));
    expect(w.current().channels.ids).toEqual(['C0ONE']);

    expect(await w.reload()).toEqual({ status: 'unchanged', version: sha12(v1) });
    await writeFile(file, v2);
    expect(await w.reload()).toEqual({ status: 'reloaded', version: sha12(v2), previous: sha12(v1) });
    expect(w.current().channels.ids).toEqual(['C0TWO']);
    expect(w.version()).toBe(sha12(v2));
    expect(changes).toEqual([sha12(v2)]);
    const reloaded = log.lines.filter((l) => l.msg === 'policy reloaded');
    expect(reloaded).toEqual([
      expect.objectContaining({ level: 30, policyVersion: sha12(v2), previous: sha12(v1) }),
    ]);
  });

  it('keeps the last good policy on a broken edit, reporting each broken content once', async () => {
    const file = join(dir, 'policy.yaml');
    const good = policyText('C0GOOD');
    await writeFile(file, good);
    const { w, log, changes } = await start(file);

    await writeFile(file, brokenText);
    const r = await w.reload();
    const errors = [`${file}:4:7: channels.ids[0]: a Slack channel ID such as C0123ABCD (not a #name)`];
    expect(r).toEqual({ status: 'refused', version: sha12(good), errors });
    await w.reload();
    await w.reload();
    expect(w.current().channels.ids).toEqual(['C0GOOD']);
    expect(w.version()).toBe(sha12(good));
    const refusals = () => log.lines.filter((l) => l.msg.startsWith('policy reload refused'));
    expect(refusals()).toHaveLength(1);
    expect(refusals()[0]).toMatchObject({ level: 50, policyVersion: sha12(good), errors });

    // A different mistake is a new problem: reported again.
    await writeFile(file, 'version: 2\nchannels:\n  ids: [C0GOOD]\n');
    await w.reload();
    await w.reload();
    expect(refusals()).toHaveLength(2);
    expect(refusals()[1]!.errors).toEqual([`${file}:1:10: version: must be 1 (the only policy format)`]);

    // Put back: nothing to swap, and the next mistake is reported afresh.
    await writeFile(file, good);
    expect(await w.reload()).toEqual({ status: 'unchanged', version: sha12(good) });
    await writeFile(file, brokenText);
    await w.reload();
    expect(refusals()).toHaveLength(3);
    expect(changes).toEqual([]);
  });

  it('keeps the last good policy when the file disappears, and logs that once', async () => {
    const file = join(dir, 'policy.yaml');
    await writeFile(file, policyText('C0GOOD'));
    const { w, log } = await start(file);
    await unlink(file);
    const r = await w.reload();
    expect(r.status).toBe('refused');
    expect(r.status === 'refused' && r.errors).toEqual([
      `cannot read ${file}: ENOENT: no such file or directory`,
    ]);
    await w.reload();
    expect(w.current().channels.ids).toEqual(['C0GOOD']);
    expect(log.msgs().filter((m) => m.startsWith('policy reload refused'))).toHaveLength(1);

    await writeFile(file, policyText('C0BACK'));
    expect((await w.reload()).status).toBe('reloaded');
    expect(w.current().channels.ids).toEqual(['C0BACK']);
  });

  describe('a ConfigMap volume, updated by swapping the ..data symlink', () => {
    /** The layout kubelet writes: policy.yaml → ..data/policy.yaml, ..data → ..<timestamp>/. */
    async function configMapDir(
      text: string,
    ): Promise<{ file: string; swap: (text: string) => Promise<void> }> {
      let n = 0;
      const writeVersion = async (t: string) => {
        const ts = `..2026_01_01_00_00_0${n++}.${process.pid}`;
        await mkdir(join(dir, ts));
        await writeFile(join(dir, ts, 'policy.yaml'), t);
        return ts;
      };
      const first = await writeVersion(text);
      await symlink(first, join(dir, '..data'));
      await symlink('..data/policy.yaml', join(dir, 'policy.yaml'));
      return {
        file: join(dir, 'policy.yaml'),
        swap: async (t: string) => {
          const next = await writeVersion(t);
          await symlink(next, join(dir, '..data_tmp'));
          await rename(join(dir, '..data_tmp'), join(dir, '..data')); // atomic
        },
      };
    }

    it('notices the swap by polling', async () => {
      const v1 = policyText('C0ONE');
      const v2 = policyText('C0TWO');
      const cm = await configMapDir(v1);
      const { w, log, changes } = await start(cm.file, { intervalMs: 50, watchDirectory: false });
      expect(w.current().channels.ids).toEqual(['C0ONE']);

      await cm.swap(v2);
      expect(await readFile(cm.file, 'utf8')).toBe(v2);
      await waitFor(() => changes.length === 1);
      expect(w.current().channels.ids).toEqual(['C0TWO']);
      expect(log.lines.find((l) => l.msg === 'policy reloaded')).toMatchObject({
        policyVersion: sha12(v2),
        previous: sha12(v1),
      });

      // A broken ConfigMap update is refused once, however many polls see it.
      await cm.swap(brokenText);
      await waitFor(() => log.msgs().some((m) => m.startsWith('policy reload refused')));
      await new Promise((r) => setTimeout(r, 300)); // several more polls
      expect(log.msgs().filter((m) => m.startsWith('policy reload refused'))).toHaveLength(1);
      expect(w.current().channels.ids).toEqual(['C0TWO']);
    });

    it('notices the swap through the directory watch, before the next poll', async () => {
      const cm = await configMapDir(policyText('C0ONE'));
      const { w, changes } = await start(cm.file, { intervalMs: 60_000, watchDirectory: true });
      await cm.swap(policyText('C0TWO'));
      await waitFor(() => changes.length === 1);
      expect(w.current().channels.ids).toEqual(['C0TWO']);
    });
  });

  it('stops polling after stop()', async () => {
    const file = join(dir, 'policy.yaml');
    await writeFile(file, policyText('C0ONE'));
    const { w, changes } = await start(file, { intervalMs: 30, watchDirectory: true });
    w.stop();
    await writeFile(file, policyText('C0TWO'));
    await new Promise((r) => setTimeout(r, 200));
    expect(changes).toEqual([]);
    expect(w.current().channels.ids).toEqual(['C0ONE']);
  });
});
