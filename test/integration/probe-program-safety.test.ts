/**
 * The probe program against hostile or shifting targets, for real (root, real namespaces and cgroups):
 * a container root full of traps for the resolv.conf read, targets sharing the node's network or PID
 * namespace, a container whose cgroup names another pod, and a PID reused during `mem --watch`.
 * Skips with the reason when fake containers cannot run here.
 */

import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ProbeSpec } from '../../jobs/contracts/probe.js';
import {
  type FakeContainer,
  fakeContainerSupport,
  reusePid,
  startFakeContainer,
  stopAllFakeContainers,
} from '../support/fake-container.js';
import { ok, probe } from '../support/probe-program-run.js';

const reason =
  fakeContainerSupport() ??
  (existsSync('/proc/sys/kernel/ns_last_pid')
    ? null
    : 'no /proc/sys/kernel/ns_last_pid (needed to reuse a PID)');
if (reason) console.log(`probe-program safety tests skipped: ${reason}`);
const suite = reason ? describe.skip : describe;

const NETCHECK: ProbeSpec = { action: 'netcheck', targets: [] };

afterAll(async () => {
  await stopAllFakeContainers();
}, 20_000);

suite("netcheck reads resolv.conf only inside the container's root", () => {
  let fc: FakeContainer;
  let root: string;
  let resolv: string;
  /** A host directory holding a "secret" resolv.conf the container must never be able to show. */
  let hostDir: string;
  let hostSecret: string;
  let original: string;

  beforeAll(async () => {
    fc = await startFakeContainer({ layout: 'containerd-systemd', script: 'idle', ownRoot: true });
    root = fc.rootDir!;
    resolv = fc.resolvConfPath;
    original = execFileSync('cat', [resolv]).toString();
    hostDir = await mkdtemp(join(tmpdir(), 'poddebug-host-'));
    hostSecret = `HOST-SECRET-${randomBytes(6).toString('hex')}`;
    await writeFile(join(hostDir, 'resolv.conf'), `# ${hostSecret}\nnameserver 10.66.66.66\n`);
  }, 20_000);
  afterAll(async () => {
    await fc?.stop();
    if (hostDir) await rm(hostDir, { recursive: true, force: true });
  }, 20_000);

  /** Replaces the container's /etc/resolv.conf (as seen from the host, in its root directory). */
  async function plant(make: (path: string) => Promise<void>): Promise<void> {
    await rm(resolv, { force: true });
    await make(resolv);
  }

  async function netcheck() {
    const started = Date.now();
    const r = ok(await probe(fc, NETCHECK));
    if (r.data.action !== 'netcheck') throw new Error('wrong action');
    return { r, data: r.data, elapsed: Date.now() - started, all: JSON.stringify(r) };
  }

  it('reads a normal file and resolves with it', async () => {
    await plant((p) => writeFile(p, original));
    const { data, r } = await netcheck();
    expect(data.resolvConf).toContain(fc.id.slice(0, 12));
    expect(data.dns.find((d) => d.name === 'kubernetes.default.svc')).toMatchObject({
      addresses: [fc.knownAddress],
    });
    expect(r.notes.join(' ')).not.toMatch(/resolv\.conf/);
  }, 30_000);

  it("resolves an absolute symlink at the container's root: the container's file, never the host's", async () => {
    const inRoot = join(root, hostDir, 'resolv.conf');
    await mkdir(dirname(inRoot), { recursive: true });
    await writeFile(inRoot, `# the container's own copy\n${original}`);
    await plant((p) => symlink(join(hostDir, 'resolv.conf'), p));
    const first = await netcheck();
    expect(first.data.resolvConf).toContain("the container's own copy");
    expect(first.all).not.toContain(hostSecret);

    // Without the copy inside the root, the symlink dangles: nothing is read from the host.
    await rm(inRoot);
    const second = await netcheck();
    expect(second.data.resolvConf).toBe('');
    expect(second.all).not.toContain(hostSecret);
    expect(second.r.notes.join(' ')).toMatch(/no \/etc\/resolv\.conf .*does not exist/);
  }, 60_000);

  it("stops `..` at the container's root", async () => {
    const inRoot = join(root, hostDir, 'resolv.conf');
    await mkdir(dirname(inRoot), { recursive: true });
    await writeFile(inRoot, `# reached from the container's root\n${original}`);
    await plant((p) => symlink(`../../../../../../../../..${hostDir}/resolv.conf`, p));
    const { data, all } = await netcheck();
    expect(data.resolvConf).toContain("reached from the container's root");
    expect(all).not.toContain(hostSecret);
    // The same escape through a directory symlink.
    await mkdir(join(root, 'tmp/up'), { recursive: true });
    await rm(join(root, 'tmp/up/x'), { force: true });
    await symlink('../../../../..', join(root, 'tmp/up/x'));
    await plant((p) => symlink(`/tmp/up/x${hostDir}/resolv.conf`, p));
    const again = await netcheck();
    expect(again.data.resolvConf).toContain("reached from the container's root");
    expect(again.all).not.toContain(hostSecret);
    await rm(inRoot);
  }, 60_000);

  it('returns promptly on a FIFO with a clear note', async () => {
    await plant((p) => Promise.resolve(void execFileSync('mkfifo', [p])));
    const { data, r, elapsed } = await netcheck();
    expect(data.resolvConf).toBe('');
    expect(r.notes.join(' ')).toMatch(/\/etc\/resolv\.conf was not read: .*is a fifo, not a regular file/);
    expect(elapsed).toBeLessThan(15_000);
  }, 30_000);

  it('refuses /dev/zero and bounds an oversized file', async () => {
    await plant((p) => symlink('/dev/zero', p));
    const zero = await netcheck();
    expect(zero.data.resolvConf).toBe('');
    expect(zero.r.notes.join(' ')).toMatch(/\/dev\/zero is a char device, not a regular file/);

    const big = `${original}${`# padding ${'x'.repeat(80)}\n`.repeat(3000)}`;
    expect(big.length).toBeGreaterThan(200 * 1024);
    await plant((p) => writeFile(p, big));
    const { data, r } = await netcheck();
    expect(data.resolvConf).toContain(fc.id.slice(0, 12));
    expect(data.resolvConf.length).toBeLessThanOrEqual(4096);
    expect(r.notes.join(' ')).toMatch(/larger than 65536 bytes: only the first 65536 were read/);
    // The nameserver at the top still counts.
    expect(data.dns.find((d) => d.name === 'kubernetes.default.svc')?.addresses).toEqual([fc.knownAddress]);
  }, 60_000);

  it('gives up on a symlink loop with a note', async () => {
    await rm(join(root, 'etc/loop-a'), { force: true });
    await rm(join(root, 'etc/loop-b'), { force: true });
    await symlink('loop-b', join(root, 'etc/loop-a'));
    await symlink('/etc/loop-a', join(root, 'etc/loop-b'));
    await plant((p) => symlink('loop-a', p));
    const { data, r } = await netcheck();
    expect(data.resolvConf).toBe('');
    expect(r.notes.join(' ')).toMatch(/more than 40 symlinks/);
    await unlink(join(root, 'etc/loop-a'));
    await unlink(join(root, 'etc/loop-b'));
  }, 30_000);

  it('reads nothing when the process is gone before the read', async () => {
    const other = await startFakeContainer({ layout: 'crio-cgroupfs', script: 'idle', ownRoot: true });
    const run = await probe(other, NETCHECK, () => other.stop());
    expect(run.result).toMatchObject({ ok: false, code: 'container_changed' });
  }, 30_000);
});

suite("targets sharing the node's namespaces", () => {
  it('network: tcpdump, netcheck and fds are refused unless the request allowed it; mem is not node-wide', async () => {
    const fc = await startFakeContainer({
      layout: 'containerd-cgroupfs',
      script: 'idle',
      shareHost: { net: true },
    });
    try {
      for (const spec of [
        { action: 'tcpdump', durationSec: 1, filter: [] },
        NETCHECK,
        { action: 'fds' },
      ] as ProbeSpec[]) {
        const run = await probe(fc, spec);
        expect(run.code).toBe(1);
        expect(run.result).toMatchObject({ ok: false, code: 'host_namespace' });
        if (!run.result.ok) expect(run.result.message).toMatch(/node's network namespace/);
      }
      // A PID-only allowance does not cover the network.
      expect(
        (await probe(fc, { action: 'fds' }, undefined, { hostScope: { pid: true } })).result,
      ).toMatchObject({
        ok: false,
        code: 'host_namespace',
      });
      const allowed = ok(await probe(fc, { action: 'fds' }, undefined, { hostScope: { network: true } }));
      expect(allowed.pid).toBe(fc.pid);
      expect(ok(await probe(fc, { action: 'mem' })).pid).toBe(fc.pid);
    } finally {
      await fc.stop();
    }
  }, 60_000);

  it('PID: ps is refused unless the request allowed it', async () => {
    const fc = await startFakeContainer({ layout: 'crio-systemd', script: 'idle', shareHost: { pid: true } });
    try {
      const run = await probe(fc, { action: 'ps' });
      expect(run.result).toMatchObject({ ok: false, code: 'host_namespace' });
      if (!run.result.ok) expect(run.result.message).toMatch(/node's PID namespace/);
      const allowed = ok(await probe(fc, { action: 'ps' }, undefined, { hostScope: { pid: true } }));
      expect(allowed.pid).toBe(fc.pid);
      // Its own network namespace: fds needs no allowance.
      expect(ok(await probe(fc, { action: 'fds' })).pid).toBe(fc.pid);
    } finally {
      await fc.stop();
    }
  }, 60_000);

  it('a container in its own namespaces needs no allowance', async () => {
    const fc = await startFakeContainer({ layout: 'docker-cgroupfs', script: 'idle' });
    try {
      expect(ok(await probe(fc, { action: 'ps' })).pid).toBe(fc.pid);
      expect(ok(await probe(fc, { action: 'fds' })).pid).toBe(fc.pid);
    } finally {
      await fc.stop();
    }
  }, 60_000);
});

suite("the pod UID in the container's cgroup path", () => {
  it.each(['containerd-systemd', 'containerd-cgroupfs'] as const)(
    '%s: another pod UID is refused, the right one in either spelling runs',
    async (layout) => {
      const fc = await startFakeContainer({ layout, script: 'idle' });
      try {
        const wrong = await probe(fc, { action: 'mem' }, undefined, { podUid: randomUUID() });
        expect(wrong.result).toMatchObject({ ok: false, code: 'pod_mismatch' });
        if (!wrong.result.ok) expect(wrong.result.message).toContain(fc.podUid);
        expect(ok(await probe(fc, { action: 'mem' })).pid).toBe(fc.pid);
        const underscored = fc.podUid.replaceAll('-', '_');
        expect(ok(await probe(fc, { action: 'mem' }, undefined, { podUid: underscored })).pid).toBe(fc.pid);
      } finally {
        await fc.stop();
      }
    },
    30_000,
  );
});

suite('mem --watch and a reused PID', () => {
  it('stops sampling when the PID now belongs to another process in the same cgroup', async () => {
    // The swap lands between two samples; a sample that falls into the gap sees the PID gone instead, so
    // try again (a few times) until the reuse itself is what the watch sees.
    let reused = false;
    for (let attempt = 0; attempt < 4 && !reused; attempt++) {
      const fc = await startFakeContainer({ layout: 'containerd-systemd', script: 'idle' });
      let impostor: { kill(): void } | undefined;
      try {
        const running = probe(fc, { action: 'mem', watchSec: 8 });
        // Mid-way between the samples at about 1 s and 2 s after the start.
        await new Promise((r) => setTimeout(r, 1500));
        process.kill(fc.pid, 'SIGKILL');
        for (let i = 0; i < 100 && existsSync(`/proc/${fc.pid}`); i++)
          await new Promise((r) => setTimeout(r, 5));
        impostor = await reusePid(fc.pid, fc.cgroupDirs);
        const r = ok(await running);
        if (r.data.action !== 'mem') throw new Error('wrong action');
        const notes = r.notes.join(' ');
        // Whatever the watch saw, it stopped, and no sample is from after the swap.
        expect(r.data.samples.length).toBeLessThan(9);
        // Every sample is the container's node process (tens of MiB), none the impostor `sleep`'s.
        expect(r.data.samples.length).toBeGreaterThan(0);
        for (const s of r.data.samples) expect(s.rssBytes).toBeGreaterThan(16 * 1024 * 1024);
        if (/now another process \(start time changed\)/.test(notes)) {
          expect(notes).toMatch(/watching stopped after \d+ s: pid \d+ is now another process/);
          reused = true;
        } else {
          expect(notes).toMatch(/exited|is gone/);
        }
      } finally {
        impostor?.kill();
        await fc.stop();
      }
    }
    expect(reused).toBe(true);
  }, 90_000);
});
