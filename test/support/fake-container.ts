/**
 * A fake Kubernetes container on this Linux host, for testing the probe program for real: a process in new
 * PID/UTS/net/mount namespaces (`unshare`), placed in cgroup directories shaped like a kubelet layout, with its
 * own /etc/resolv.conf, a tiny DNS server on 127.0.0.1:53 inside its network namespace, and a workload that
 * makes observable syscalls. Needs root, `unshare` and `mount` (util-linux), `ip` (iproute2) and a writable
 * cgroup hierarchy; `fakeContainerSupport()` says why not.
 *
 * Always `stop()` it (afterAll/afterEach); `stopAllFakeContainers()` stops every one still running, and a
 * process exit hook kills what is left and removes its cgroup directories.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readlink, rm, rmdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type FakeLayout =
  | 'containerd-systemd'
  | 'containerd-cgroupfs'
  | 'crio-systemd'
  | 'crio-cgroupfs'
  | 'docker-systemd'
  | 'docker-cgroupfs'
  | 'kind-containerd-systemd'
  | 'containerd-runc-literal';

export const FAKE_LAYOUTS: readonly FakeLayout[] = [
  'containerd-systemd',
  'containerd-cgroupfs',
  'crio-systemd',
  'crio-cgroupfs',
  'docker-systemd',
  'docker-cgroupfs',
  'kind-containerd-systemd',
  'containerd-runc-literal',
];

export interface FakeContainerOptions {
  layout: FakeLayout;
  /** Which hierarchy to place it in; default v1 when a v1 memory hierarchy is mounted, else v2. */
  cgroup?: 'v1' | 'v2';
  /** memory.limit_in_bytes (v1) / memory.max (v2). Default: no limit. */
  memoryLimitBytes?: number;
  /** `busy` (default): the syscall loop, a listener, a CLOSE_WAIT socket, a child; `idle`: sleeps only. */
  script?: 'busy' | 'idle';
  /**
   * Give the container its own root directory (chroot into `rootDir`, with the host's /usr, /dev and the
   * /bin-style links bind-mounted read-only, its own /proc, /etc and /tmp), so `/proc/PID/root` is not
   * the host's: tests then plant symlinks, FIFOs and files in it.
   */
  ownRoot?: boolean;
  /** Stay in the node's namespaces, like `hostNetwork: true` / `hostPID: true` (needs `script: 'idle'`). */
  shareHost?: { net?: boolean; pid?: boolean };
}

export interface FakeContainer {
  /** Host PID of the container's main process (PID 1 inside its PID namespace). */
  pid: number;
  /** `<runtime>://<64 hex>`: containerd for containerd/kind layouts, cri-o and docker for theirs. */
  containerId: string;
  /** The 64-hex id alone. */
  id: string;
  podUid: string;
  layout: FakeLayout;
  cgroupVersion: 'v1' | 'v2';
  /** Every leaf cgroup directory the process was moved into. */
  cgroupDirs: string[];
  /** The cgroup path as /proc/PID/cgroup shows it (in the placed hierarchies). */
  cgroupPath: string;
  /** Where the memory limit was written, or null when none was asked for (or the controller is unavailable). */
  memoryLimitDir: string | null;
  /** The file bind-mounted over /etc/resolv.conf inside the container (with `ownRoot`: that file itself). */
  resolvConfPath: string;
  /** With `ownRoot`: the host path of the container's root directory; else null. */
  rootDir: string | null;
  /** The DNS name the fake DNS server answers (A 10.96.0.1); every other name gets NXDOMAIN. */
  knownName: string;
  knownAddress: string;
  /** TCP port the workload listens on (127.0.0.1, inside the netns). */
  listenPort: number;
  /** Port the workload connects to and gets ECONNREFUSED. */
  refusedPort: number;
  /** The file the workload fails to open (ENOENT). */
  missingFile: string;
  /** Secrets in the child process's argv (ps must redact them). */
  secrets: string[];
  stop(): Promise<void>;
}

const LISTEN_PORT = 8080;
const REFUSED_PORT = 9;
const MISSING_FILE = '/nonexistent/poddebug-probe-test';
const KNOWN_NAME = 'kubernetes.default.svc.cluster.local';
const KNOWN_ADDRESS = '10.96.0.1';
const SECRETS = ['hunter2-pw', 'hunter3-token'];

/** The cgroup path kubelet + runtime would give this container. Pure. */
export function layoutPath(layout: FakeLayout, id: string, podUid: string): string {
  const u = podUid.replaceAll('-', '_');
  const sd = (prefix: string) =>
    `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${u}.slice/${prefix}-${id}.scope`;
  switch (layout) {
    case 'containerd-systemd':
      return sd('cri-containerd');
    case 'crio-systemd':
      return sd('crio');
    case 'docker-systemd':
      return sd('docker');
    case 'containerd-cgroupfs':
      return `/kubepods/burstable/pod${podUid}/${id}`;
    case 'crio-cgroupfs':
      return `/kubepods/burstable/pod${podUid}/crio-${id}`;
    case 'docker-cgroupfs':
      return `/kubepods/besteffort/pod${podUid}/${id}`;
    case 'kind-containerd-systemd':
      return `/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod${u}.slice/cri-containerd-${id}.scope`;
    case 'containerd-runc-literal':
      return `/system.slice/containerd.service/kubepods-burstable-pod${u}.slice:cri-containerd:${id}`;
  }
}

function runtimeOf(layout: FakeLayout): string {
  if (layout.startsWith('crio')) return 'cri-o';
  if (layout.startsWith('docker')) return 'docker';
  return 'containerd';
}

interface Hierarchy {
  /** Mount point of the hierarchy. */
  mount: string;
  /** This process's cgroup path in it. */
  own: string;
  kind: 'memory' | 'systemd' | 'v2';
}

/** The cgroup hierarchies mounted here: v1 `memory` and `name=systemd`, and v2. */
export function cgroupHierarchies(): { v1: Hierarchy[]; v2: Hierarchy | null } {
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n');
  const self = readFileSync('/proc/self/cgroup', 'utf8').split('\n');
  const ownPath = (pred: (ctrls: string[]) => boolean, v2 = false): string => {
    for (const line of self) {
      const m = /^(\d+):([^:]*):(.*)$/.exec(line);
      if (!m) continue;
      if (v2 ? m[1] === '0' && m[2] === '' : pred(m[2]!.split(','))) return m[3]!;
    }
    return '/';
  };
  const v1: Hierarchy[] = [];
  let v2: Hierarchy | null = null;
  for (const line of mounts) {
    const [, mount, type, options] = line.split(' ');
    if (!mount || !options) continue;
    const opts = options.split(',');
    if (type === 'cgroup2' && v2 === null) v2 = { mount, own: ownPath(() => false, true), kind: 'v2' };
    if (type !== 'cgroup') continue;
    if (opts.includes('memory'))
      v1.push({ mount, own: ownPath((c) => c.includes('memory')), kind: 'memory' });
    if (opts.includes('name=systemd')) {
      v1.push({ mount, own: ownPath((c) => c.includes('name=systemd')), kind: 'systemd' });
    }
  }
  return { v1, v2 };
}

function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { stdio: 'ignore' }).status === 0;
}

/** null when a fake container can run here (with this cgroup version), else the reason it cannot. */
export function fakeContainerSupport(cgroup?: 'v1' | 'v2'): string | null {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not running as root';
  for (const cmd of ['unshare', 'mount', 'ip', 'nsenter']) if (!which(cmd)) return `${cmd} is not installed`;
  const probe = spawnSync('unshare', [
    '--pid',
    '--uts',
    '--net',
    '--mount',
    '--fork',
    '--mount-proc',
    'true',
  ]);
  if (probe.status !== 0) return `unshare cannot create namespaces: ${probe.stderr.toString().trim()}`;
  const h = cgroupHierarchies();
  const version = cgroup ?? defaultVersion(h);
  if (version === 'v1' && !h.v1.some((x) => x.kind === 'memory'))
    return 'no cgroup v1 memory hierarchy mounted';
  if (version === 'v2' && h.v2 === null) return 'no cgroup v2 hierarchy mounted';
  const target = version === 'v1' ? h.v1.find((x) => x.kind === 'memory')! : h.v2!;
  const testDir = join(
    target.mount,
    version === 'v1' ? target.own : '/',
    `poddebug-probe-check-${process.pid}`,
  );
  try {
    spawnSync('mkdir', [testDir]);
    if (!existsSync(testDir)) return `cannot create a cgroup under ${target.mount}`;
  } finally {
    try {
      rmdirSync(testDir);
    } catch {
      // not created
    }
  }
  return null;
}

function defaultVersion(h: ReturnType<typeof cgroupHierarchies>): 'v1' | 'v2' {
  return h.v1.some((x) => x.kind === 'memory') ? 'v1' : 'v2';
}

/** The container's workload, run with node as PID 1 of the new namespaces (CommonJS, no dependencies). */
const WORKLOAD = String.raw`
'use strict';
const { spawnSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const dgram = require('node:dgram');
const [resolvPath, script, listenPort, refusedPort, missing, knownName, knownAddress, netMode] = process.argv.slice(2);
const hostNet = netMode === 'host-net';
const s1 = process.env.FAKE_SECRET_1;
const s2 = process.env.FAKE_SECRET_2;
function must(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) {
    process.stderr.write(cmd + ' ' + args.join(' ') + ' failed: ' + r.stderr + '\n');
    process.exit(3);
  }
}
if (!hostNet) must('ip', ['link', 'set', 'lo', 'up']);
// With its own root the container's /etc/resolv.conf is already in place ('-').
if (resolvPath !== '-') must('mount', ['--bind', resolvPath, '/etc/resolv.conf']);
spawnSync('hostname', ['fake-pod'], { stdio: 'ignore' });

function answer(msg) {
  if (msg.length < 17) return null;
  const id = msg.readUInt16BE(0);
  const flags = msg.readUInt16BE(2);
  let off = 12;
  const labels = [];
  while (off < msg.length) {
    const len = msg[off];
    if (len === 0) { off++; break; }
    if (len > 63) return null;
    labels.push(msg.toString('latin1', off + 1, off + 1 + len));
    off += 1 + len;
  }
  if (off + 4 > msg.length) return null;
  const qtype = msg.readUInt16BE(off);
  const question = msg.subarray(12, off + 4);
  const name = labels.join('.').toLowerCase();
  const known = name === knownName;
  const answers = known && qtype === 1 ? 1 : 0;
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x8000 | 0x0400 | (flags & 0x0100) | 0x0080 | (known ? 0 : 3), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers, 6);
  const parts = [header, question];
  if (answers) {
    const rr = Buffer.alloc(16);
    rr.writeUInt16BE(0xc00c, 0);
    rr.writeUInt16BE(1, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(30, 6);
    rr.writeUInt16BE(4, 10);
    knownAddress.split('.').forEach((b, i) => { rr[12 + i] = Number(b); });
    parts.push(rr);
  }
  return Buffer.concat(parts);
}
const dns = dgram.createSocket('udp4');
dns.on('message', (msg, rinfo) => {
  const out = answer(msg);
  if (out) dns.send(out, rinfo.port, rinfo.address);
});
// Sharing the node's network namespace, the workload leaves the node's port 53 alone.
if (hostNet) process.stdout.write('init\n');
else dns.bind(53, '127.0.0.1', () => process.stdout.write('init\n'));

const held = [];
function start() {
  if (script === 'idle') {
    setInterval(() => {}, 1000);
    process.stdout.write('ready\n');
    return;
  }
  for (const f of ['/dev/null', '/etc/hostname', '/etc/resolv.conf']) held.push(fs.openSync(f, 'r'));
  held.push(Buffer.alloc(32 * 1024 * 1024, 7));
  const server = net.createServer({ allowHalfOpen: true }, (s) => { held.push(s); s.on('error', () => {}); });
  server.listen(Number(listenPort), '127.0.0.1', () => {
    // The client half-closes; the server side never does: CLOSE_WAIT.
    const c = net.connect(Number(listenPort), '127.0.0.1', () => c.end());
    c.on('error', () => {});
    held.push(c);
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '--', '--password=' + s1, 'API_TOKEN=' + s2], { stdio: 'ignore' });
    held.push(child);
    setInterval(() => {
      try { fs.openSync(missing, 'r'); } catch {}
      const s = net.connect(Number(refusedPort), '127.0.0.1');
      s.on('error', () => s.destroy());
      held.push(Buffer.alloc(1024));
      if (held.length > 2000) held.splice(10, 1000);
    }, 100);
    setTimeout(() => process.stdout.write('ready\n'), 200);
  });
}
process.stdin.once('data', start);
`;

interface Live {
  proc: ChildProcessWithoutNullStreams;
  innerPid: number | null;
  created: string[];
  tmp: string;
}
const live = new Set<Live>();
let exitHook = false;

function killSync(l: Live): void {
  for (const pid of [l.innerPid, l.proc.pid]) {
    if (!pid) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

function installExitHook(): void {
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => {
    for (const l of live) {
      killSync(l);
      for (const d of [...l.created].reverse()) {
        for (let i = 0; i < 200; i++) {
          try {
            rmdirSync(d);
            break;
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code === 'ENOENT') break;
          }
        }
      }
      if (mountsUnder(l.tmp).length === 0) rmSync(l.tmp, { recursive: true, force: true });
    }
  });
}

/** Stops every fake container still running (for afterAll). */
export async function stopAllFakeContainers(): Promise<void> {
  await Promise.all([...live].map((l) => stopLive(l)));
}

async function stopLive(l: Live): Promise<void> {
  if (!live.has(l)) return;
  killSync(l);
  if (l.proc.exitCode === null && l.proc.signalCode === null) {
    await new Promise<void>((r) => {
      const t = setTimeout(r, 5000);
      l.proc.once('exit', () => {
        clearTimeout(t);
        r();
      });
    });
  }
  // The namespace's other processes die with its PID 1; the cgroup empties once they are reaped.
  for (const d of [...l.created].reverse()) await removeCgroupDir(d);
  assertNothingMountedUnder(l.tmp);
  await rm(l.tmp, { recursive: true, force: true });
  live.delete(l);
}

async function removeCgroupDir(dir: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      await rmdir(dir);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY') throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`cannot remove cgroup ${dir}: still busy`);
}

/** Mount points of this (the host's) mount namespace at or under `dir`. */
function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
}

/** Never remove a directory tree a bind mount of the host's /usr could be under. */
function assertNothingMountedUnder(dir: string): void {
  const found = mountsUnder(dir);
  if (found.length > 0)
    throw new Error(`fake container: ${found.join(', ')} still mounted: not removing ${dir}`);
}

/** The container's own root: /usr, /dev and /proc as mount points, the host's /bin-style links, /etc, /tmp. */
async function makeRootDir(root: string, resolvConf: string): Promise<void> {
  for (const d of ['usr', 'dev', 'proc', 'etc', 'tmp']) await mkdir(join(root, d), { recursive: true });
  for (const d of ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']) {
    const link = await readlink(`/${d}`).catch(() => null);
    // A merged-/usr host links these into usr; a host with real directories is not supported here.
    if (link !== null) await symlink(link, join(root, d));
    else if (existsSync(`/${d}`))
      throw new Error(`fake container: /${d} is a directory, ownRoot needs merged /usr`);
  }
  await writeFile(join(root, 'etc/resolv.conf'), await readFile(resolvConf));
  await writeFile(join(root, 'etc/hostname'), 'fake-pod\n');
}

/**
 * Makes a new process (a `sleep`) take PID `pid`, which must be free, by setting the host's
 * `ns_last_pid` and forking right after (retried when another process takes it first), and moves it into
 * `cgroupDirs`: the same PID in the same cgroup, a different process. Kill it with `kill()`.
 */
export async function reusePid(pid: number, cgroupDirs: string[]): Promise<{ pid: number; kill(): void }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const got = spawnSync('sh', [
      '-c',
      'echo "$1" > /proc/sys/kernel/ns_last_pid && { sleep 120 </dev/null >/dev/null 2>&1 & echo $!; }',
      'sh',
      String(pid - 1),
    ]);
    const newPid = Number(got.stdout.toString().trim());
    if (got.status !== 0) throw new Error(`cannot set ns_last_pid: ${got.stderr.toString().trim()}`);
    const kill = () => {
      try {
        process.kill(newPid, 'SIGKILL');
      } catch {
        // gone
      }
    };
    if (newPid !== pid) {
      kill();
      continue;
    }
    for (const d of cgroupDirs) await writeFile(join(d, 'cgroup.procs'), String(pid));
    return { pid, kill };
  }
  throw new Error(`could not reuse pid ${pid} (other processes took it first)`);
}

/** Creates each missing directory on the way to `dir`, recording the ones it made (outermost first). */
async function mkdirs(base: string, rel: string, created: string[]): Promise<string> {
  let dir = base;
  for (const seg of rel.split('/').filter(Boolean)) {
    dir = join(dir, seg);
    if (!existsSync(dir)) {
      await mkdir(dir);
      created.push(dir);
    }
  }
  return dir;
}

function waitForLine(
  proc: ChildProcessWithoutNullStreams,
  want: string,
  ms: number,
  err: () => string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(
      () => done(new Error(`fake container: no "${want}" within ${ms} ms: ${err()}`)),
      ms,
    );
    const onData = (c: Buffer) => {
      buf += c.toString();
      if (buf.split('\n').includes(want)) done();
    };
    const onExit = (code: number | null) => done(new Error(`fake container exited (${code}): ${err()}`));
    function done(e?: Error) {
      clearTimeout(timer);
      proc.stdout.off('data', onData);
      proc.off('exit', onExit);
      if (e) reject(e);
      else resolve();
    }
    proc.stdout.on('data', onData);
    proc.once('exit', onExit);
  });
}

async function innerPidOf(outer: number): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const kids = (await readFile(`/proc/${outer}/task/${outer}/children`, 'utf8').catch(() => ''))
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    if (kids.length > 0) return Number(kids[0]);
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`fake container: unshare (pid ${outer}) has no child`);
}

/** Starts a fake container; see the module comment. Call `stop()` when done. */
export async function startFakeContainer(opts: FakeContainerOptions): Promise<FakeContainer> {
  const h = cgroupHierarchies();
  const version = opts.cgroup ?? defaultVersion(h);
  const reason = fakeContainerSupport(version);
  if (reason) throw new Error(`fake container unsupported: ${reason}`);
  installExitHook();

  const id = randomBytes(32).toString('hex');
  const podUid = randomUUID();
  const tag = `poddebug-fake-${id.slice(0, 8)}`;
  const path = `/${tag}${layoutPath(opts.layout, id, podUid)}`;
  const tmp = await mkdtemp(join(tmpdir(), 'poddebug-fake-'));
  const resolvConfPath = join(tmp, 'resolv.conf');
  await writeFile(
    resolvConfPath,
    `# poddebug fake container ${id.slice(0, 12)}\nsearch default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 127.0.0.1\noptions ndots:5\n`,
  );
  const shareNet = opts.shareHost?.net === true;
  const sharePid = opts.shareHost?.pid === true;
  if ((shareNet || sharePid) && opts.script !== 'idle')
    throw new Error('fake container: shareHost needs script: idle (the busy workload binds ports)');
  const rootDir = opts.ownRoot ? join(tmp, 'root') : null;
  const workloadArgs = (resolvArg: string) => [
    resolvArg,
    opts.script ?? 'busy',
    String(LISTEN_PORT),
    String(REFUSED_PORT),
    MISSING_FILE,
    KNOWN_NAME,
    KNOWN_ADDRESS,
    shareNet ? 'host-net' : 'own-net',
  ];
  const nsFlags = [
    ...(sharePid ? [] : ['--pid']),
    '--uts',
    ...(shareNet ? [] : ['--net']),
    '--mount',
    // Mounts made inside never reach the host's mount namespace (the root's binds must not).
    '--propagation',
    'private',
    '--fork',
    ...(sharePid || rootDir ? [] : ['--mount-proc']),
  ];
  let command: string[];
  if (rootDir) {
    await makeRootDir(rootDir, resolvConfPath);
    await writeFile(join(rootDir, 'workload.cjs'), WORKLOAD);
    // The Node running the tests may live outside /usr (the project's pinned `node` dev dependency, in
    // node_modules): its binary is bound at /node inside (it links only libraries under /usr).
    await writeFile(join(rootDir, 'node'), '');
    // Inside the new mount namespace: bind the host's programs read-only, a fresh /proc, then chroot.
    command = [
      'sh',
      '-c',
      'set -e; root=$1; node=$2; shift 2; for d in usr dev; do mount --bind -o ro "/$d" "$root/$d"; done; mount --bind -o ro "$node" "$root/node"; mount -t proc proc "$root/proc"; exec chroot "$root" "$@"',
      'sh',
      rootDir,
      process.execPath,
      '/node',
      '/workload.cjs',
      ...workloadArgs('-'),
    ];
  } else {
    const workload = join(tmp, 'workload.cjs');
    await writeFile(workload, WORKLOAD);
    command = [process.execPath, workload, ...workloadArgs(resolvConfPath)];
  }

  const proc = spawn('unshare', [...nsFlags, '--', ...command], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, FAKE_SECRET_1: SECRETS[0], FAKE_SECRET_2: SECRETS[1] },
  });
  let stderr = '';
  proc.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const l: Live = { proc, innerPid: null, created: [], tmp };
  live.add(l);
  try {
    await waitForLine(proc, 'init', 10_000, () => stderr);
    const pid = await innerPidOf(proc.pid!);
    l.innerPid = pid;

    const cgroupDirs: string[] = [];
    let memoryLimitDir: string | null = null;
    if (version === 'v1') {
      for (const hier of h.v1) {
        const dir = await mkdirs(hier.mount, `${hier.own}${path}`.replace(/^\/+/, ''), l.created);
        if (hier.kind === 'memory' && opts.memoryLimitBytes !== undefined) {
          await writeFile(join(dir, 'memory.limit_in_bytes'), String(opts.memoryLimitBytes));
          memoryLimitDir = dir;
        }
        await writeFile(join(dir, 'cgroup.procs'), String(pid));
        cgroupDirs.push(dir);
      }
    } else {
      const v2 = h.v2!;
      const rootCtrls = (await readFile(join(v2.mount, 'cgroup.controllers'), 'utf8').catch(() => '')).split(
        /\s+/,
      );
      const withMemory = opts.memoryLimitBytes !== undefined && rootCtrls.includes('memory');
      const segs = path.split('/').filter(Boolean);
      let dir = v2.mount;
      for (const seg of segs) {
        if (withMemory)
          await writeFile(join(dir, 'cgroup.subtree_control'), '+memory').catch(() => undefined);
        dir = join(dir, seg);
        if (!existsSync(dir)) {
          await mkdir(dir);
          l.created.push(dir);
        }
      }
      if (withMemory && existsSync(join(dir, 'memory.max'))) {
        await writeFile(join(dir, 'memory.max'), String(opts.memoryLimitBytes));
        memoryLimitDir = dir;
      }
      await writeFile(join(dir, 'cgroup.procs'), String(pid));
      cgroupDirs.push(dir);
    }
    proc.stdin.write('go\n');
    await waitForLine(proc, 'ready', 10_000, () => stderr);
    return {
      pid,
      id,
      containerId: `${runtimeOf(opts.layout)}://${id}`,
      podUid,
      layout: opts.layout,
      cgroupVersion: version,
      cgroupDirs,
      cgroupPath: path,
      memoryLimitDir,
      resolvConfPath: rootDir ? join(rootDir, 'etc/resolv.conf') : resolvConfPath,
      rootDir,
      knownName: KNOWN_NAME,
      knownAddress: KNOWN_ADDRESS,
      listenPort: LISTEN_PORT,
      refusedPort: REFUSED_PORT,
      missingFile: MISSING_FILE,
      secrets: [...SECRETS],
      stop: () => stopLive(l),
    };
  } catch (e) {
    await stopLive(l).catch(() => undefined);
    throw e;
  }
}
