/**
 * The probe program against a real process: a fake container (new PID/UTS/net/mount namespaces, cgroups
 * shaped like kubelet layouts) on this host. Needs root, util-linux, iproute2, strace and tcpdump; skips
 * with the reason otherwise.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ProbeInput, ProbeSpec } from '../../jobs/contracts/probe.js';
import { toolArgv } from '../../jobs/contracts/probe-argv.js';
import {
  cgroupHierarchies,
  FAKE_LAYOUTS,
  type FakeContainer,
  fakeContainerSupport,
  startFakeContainer,
  stopAllFakeContainers,
} from '../support/fake-container.js';
import { ok, parseOutput, probe } from '../support/probe-program-run.js';

const reason = fakeContainerSupport();
const missingTools = ['strace', 'tcpdump'].filter(
  (t) => !['/usr/bin', '/usr/sbin', '/bin', '/sbin'].some((d) => existsSync(`${d}/${t}`)),
);
const skip = reason ?? (missingTools.length ? `${missingTools.join(', ')} not installed` : null);
if (skip) console.log(`probe-program integration tests skipped: ${skip}`);
const suite = skip ? describe.skip : describe;

suite('probe program on a fake container', () => {
  let fc: FakeContainer;
  beforeAll(async () => {
    fc = await startFakeContainer({ layout: 'containerd-systemd', memoryLimitBytes: 512 * 1024 * 1024 });
  }, 20_000);
  afterAll(async () => {
    await stopAllFakeContainers();
  }, 20_000);

  it('strace: the missing file the workload opens shows in the summary and the errors', async () => {
    const spec: ProbeSpec = { action: 'strace', durationSec: 2, full: true, failedOnly: false };
    const run = await probe(fc, spec);
    const r = ok(run);
    expect(r.pid).toBe(fc.pid);
    expect(r.argv).toContain(String(fc.pid));
    // The program runs the argv approvers were shown, with the PID it resolved.
    expect(r.argv).toEqual(toolArgv(spec, fc.pid));
    if (r.data.action !== 'strace') throw new Error('wrong action');
    const openat = r.data.summary.find((s) => s.syscall === 'openat');
    expect(openat?.errors).toBeGreaterThan(0);
    const enoent = r.data.errors.find((e) => e.errno === 'ENOENT');
    expect(enoent?.examples).toContain(`openat ${fc.missingFile}`);
    const refused = r.data.errors.find((e) => e.errno === 'ECONNREFUSED');
    expect(refused?.examples.join(' ')).toContain(`127.0.0.1:${fc.refusedPort}`);
    expect(r.data.threads).toBeGreaterThan(1);
    const [meta] = r.artefacts;
    const bytes = Buffer.concat(run.chunks.get(meta!.name) ?? []);
    expect(meta!.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(bytes.toString()).toContain(fc.missingFile);
    // without --data no buffer is printed (`write(5, ""..., 8)`), while paths and addresses stay whole
    expect(r.argv.join(' ')).toContain('strace -f -C -T -s 0 ');
    expect(bytes.toString()).not.toMatch(/\b(?:read|write|pread64|pwrite64|sendto|recvfrom)\(\d+, "[^"]/);
    expect(bytes.toString()).toContain(`sin_port=htons(${fc.refusedPort})`);
  });

  it('strace --data: the argv approvers saw prints 128 bytes of each buffer', async () => {
    const spec: ProbeSpec = { action: 'strace', durationSec: 2, full: true, failedOnly: false, data: true };
    const run = await probe(fc, spec);
    const r = ok(run);
    expect(r.argv).toEqual(toolArgv(spec, fc.pid));
    expect(r.argv.join(' ')).toContain('strace -f -C -T -s 128 ');
    const [meta] = r.artefacts;
    const text = Buffer.concat(run.chunks.get(meta!.name) ?? []).toString();
    expect(text).toContain(fc.missingFile);
    // a buffer, when the workload read or wrote one while traced (libuv's eventfd: 8 bytes), shows its bytes
    for (const line of text
      .split('\n')
      .filter((l) => /\b(?:read|write)\(\d+, "/.test(l) && / = 8 </.test(l))) {
      expect(line).toMatch(/\((?:\d+), "[^"]/);
    }
  });

  it('mem: RSS, the cgroup limit and samples', async () => {
    const r = ok(await probe(fc, { action: 'mem', watchSec: 5 }));
    if (r.data.action !== 'mem') throw new Error('wrong action');
    expect(r.data.status.VmRSS).toBeGreaterThan(32 * 1024 * 1024);
    expect(r.data.threads).toBeGreaterThan(1);
    if (fc.memoryLimitDir) {
      expect(r.data.cgroup.limitBytes).toBe(512 * 1024 * 1024);
      expect(r.data.cgroup.path).toContain(fc.id);
      expect(r.data.cgroup.usageBytes).toBeGreaterThan(0);
    }
    expect(r.data.samples.length).toBeGreaterThanOrEqual(5);
    expect(r.data.samples.every((s) => s.rssBytes > 0)).toBe(true);
  });

  it('ps: the processes of its PID namespace, secrets redacted', async () => {
    const r = ok(await probe(fc, { action: 'ps' }));
    if (r.data.action !== 'ps') throw new Error('wrong action');
    const main = r.data.processes.find((p) => p.hostPid === fc.pid);
    // comm is what the kernel holds for the process (Node 24 names its main thread `MainThread`, Node 20 leaves `node`).
    const comm = readFileSync(`/proc/${fc.pid}/comm`, 'utf8').trim();
    expect(['node', 'MainThread']).toContain(comm);
    expect(main).toMatchObject({ pid: 1, ppid: 0, comm });
    const child = r.data.processes.find((p) => p.args.includes('--password='));
    expect(child).toMatchObject({ ppid: 1 });
    expect(child!.pid).toBeGreaterThan(1);
    const all = JSON.stringify(r.data.processes);
    for (const s of fc.secrets) expect(all).not.toContain(s);
    // Nothing from outside the namespace: not this test process.
    expect(r.data.processes.some((p) => p.hostPid === process.pid)).toBe(false);
  });

  it('fds: counts, the limit, the listener and a CLOSE_WAIT socket', async () => {
    const r = ok(await probe(fc, { action: 'fds' }));
    if (r.data.action !== 'fds') throw new Error('wrong action');
    expect(r.data.open).toBeGreaterThan(5);
    expect(r.data.byType.socket).toBeGreaterThan(2);
    expect(r.data.top.map((t) => t.target)).toContain('/etc/hostname');
    expect(r.data.softLimit).toBeGreaterThan(0);
    expect(r.data.sockets).toContainEqual({
      proto: 'tcp',
      local: `127.0.0.1:${fc.listenPort}`,
      remote: '0.0.0.0:0',
      state: 'LISTEN',
    });
    expect(
      r.data.sockets.some((s) => s.state === 'CLOSE_WAIT' && s.local === `127.0.0.1:${fc.listenPort}`),
    ).toBe(true);
  });

  it('netcheck: the pod resolver answers the service name; an unknown name and a refused port are reported', async () => {
    const r = ok(
      await probe(fc, {
        action: 'netcheck',
        targets: [
          { host: 'nothing-here.invalid' },
          { host: '127.0.0.1', port: fc.refusedPort },
          { host: '127.0.0.1', port: fc.listenPort },
        ],
      }),
    );
    if (r.data.action !== 'netcheck') throw new Error('wrong action');
    expect(r.data.resolvConf).toContain(fc.id.slice(0, 12));
    expect(r.data.dns.find((d) => d.name === 'kubernetes.default.svc')).toMatchObject({
      addresses: [fc.knownAddress],
    });
    expect(r.data.dns.find((d) => d.name === 'nothing-here.invalid')).toMatchObject({
      addresses: [],
      error: 'ENOTFOUND',
    });
    expect(r.data.tcp).toContainEqual(
      expect.objectContaining({ port: fc.refusedPort, ok: false, error: 'ECONNREFUSED' }),
    );
    expect(r.data.tcp).toContainEqual(expect.objectContaining({ port: fc.listenPort, ok: true }));
    expect(r.data.listening.map((s) => s.local)).toContain(`127.0.0.1:${fc.listenPort}`);
  });

  it('tcpdump: packets to the refused port are captured in the pod network namespace', async () => {
    const spec: ProbeSpec = {
      action: 'tcpdump',
      durationSec: 2,
      filter: ['tcp', 'port', String(fc.refusedPort)],
    };
    const run = await probe(fc, spec);
    const r = ok(run);
    expect(r.argv).toEqual(toolArgv(spec, fc.pid));
    if (r.data.action !== 'tcpdump') throw new Error('wrong action');
    expect(r.data.packets).toBeGreaterThan(0);
    const pcap = Buffer.concat(run.chunks.get(r.artefacts[0]!.name)!);
    expect(pcap.readUInt32LE(0)).toBe(0xa1b2c3d4);
    expect(pcap.length).toBe(r.artefacts[0]!.bytes);
  });

  it('runs as a real child process from its entry file', async () => {
    const input: ProbeInput = {
      spec: { action: 'fds' },
      containerId: fc.containerId,
      podUid: fc.podUid,
      procRoot: '/proc',
      cgroupRoot: '/sys/fs/cgroup',
      workDir: '/tmp',
    };
    const b64 = Buffer.from(JSON.stringify(input)).toString('base64url');
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'jobs/probes/program/main.ts', '--input', b64],
        { timeout: 30_000 },
        (err, stdout) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout }),
      );
    });
    const run = parseOutput(
      code,
      stdout.split('\n').filter((l) => l !== ''),
    );
    expect(ok(run).pid).toBe(fc.pid);
  });
});

suite('container resolution', () => {
  afterAll(async () => {
    await stopAllFakeContainers();
  }, 20_000);

  const v2 = cgroupHierarchies().v2 !== null;
  const cases: [string, 'v1' | 'v2' | 'default'][] = FAKE_LAYOUTS.map((l) => [l, 'default']);
  if (v2 && fakeContainerSupport('v2') === null)
    cases.push(['containerd-systemd', 'v2'], ['crio-cgroupfs', 'v2']);

  it.each(cases)('finds a %s container (cgroup %s) by its ID', async (layout, cgroup) => {
    const fc = await startFakeContainer({
      layout: layout as (typeof FAKE_LAYOUTS)[number],
      script: 'idle',
      ...(cgroup !== 'default' ? { cgroup } : {}),
    });
    try {
      const r = ok(await probe(fc, { action: 'mem' }));
      expect(r.pid).toBe(fc.pid);
      expect(r.resolvedVia).toBe('cgroup');
    } finally {
      await fc.stop();
    }
    expect(fc.cgroupDirs.some((d) => existsSync(d))).toBe(false);
  });

  it('refuses the old ID once the container was replaced by one with a new ID', async () => {
    const old = await startFakeContainer({ layout: 'containerd-cgroupfs', script: 'idle' });
    await old.stop();
    const replacement = await startFakeContainer({ layout: 'containerd-cgroupfs', script: 'idle' });
    try {
      const run = await probe(old, { action: 'ps' });
      expect(run.code).toBe(1);
      expect(run.result).toMatchObject({ ok: false, code: 'container_not_found' });
      expect(ok(await probe(replacement, { action: 'mem' })).pid).toBe(replacement.pid);
    } finally {
      await replacement.stop();
    }
  });

  it('stops with container_changed when the process goes away between resolution and the tool', async () => {
    const fc = await startFakeContainer({ layout: 'crio-systemd', script: 'idle' });
    const run = await probe(fc, { action: 'strace', durationSec: 1, full: false, failedOnly: false }, () =>
      fc.stop(),
    );
    expect(run.result).toMatchObject({ ok: false, code: 'container_changed' });
  });
});
