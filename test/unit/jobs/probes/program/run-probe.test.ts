import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  PROBE_LINE_MARKER,
  ProbeChunkLineSchema,
  ProbeResultLineSchema,
} from '../../../../../jobs/contracts/probe.js';
import { toolArgv } from '../../../../../jobs/contracts/probe-argv.js';
import { keyedValue, memoryCgroupCandidates, parseLimit } from '../../../../../jobs/probes/program/mem.js';
import { childInput } from '../../../../../jobs/probes/program/netcheck.js';
import {
  CHUNK_BYTES,
  emitArtefact,
  parseArgs,
  runProbe,
} from '../../../../../jobs/probes/program/run-probe.js';
import { filterProblem, parseTcpdumpStats } from '../../../../../jobs/probes/program/tcpdump.js';

const ID = 'a172cedcae47474b615c54d510a5d84a8dea3032e958587430b413538be3f333';

function collect() {
  const lines: string[] = [];
  return { lines, io: { write: (l: string) => void lines.push(l) } };
}
const parseLine = (l: string): unknown => {
  expect(l.startsWith(PROBE_LINE_MARKER)).toBe(true);
  return JSON.parse(l.slice(PROBE_LINE_MARKER.length));
};

describe('runProbe input validation', () => {
  it.each([
    ['not an object', 'hello'],
    ['unknown action', { spec: { action: 'rm' }, containerId: `containerd://${ID}`, podUid: 'u' }],
    [
      'strace over the duration cap',
      {
        spec: { action: 'strace', durationSec: 999, full: false, failedOnly: false },
        containerId: `containerd://${ID}`,
        podUid: 'u',
      },
    ],
    [
      'extra field',
      { spec: { action: 'ps' }, containerId: `containerd://${ID}`, podUid: 'u', shell: 'sh -c id' },
    ],
    ['bad container id', { spec: { action: 'ps' }, containerId: 'containerd://short', podUid: 'u' }],
  ])('refuses %s with one invalid_input result line', async (_name, input) => {
    const { lines, io } = collect();
    const code = await runProbe(input, io);
    expect(code).toBe(2);
    expect(lines).toHaveLength(1);
    const line = ProbeResultLineSchema.parse(parseLine(lines[0]!));
    expect(line).toMatchObject({ ok: false, code: 'invalid_input' });
  });

  it('refuses an id that matches no process', async () => {
    const { lines, io } = collect();
    const code = await runProbe(
      { spec: { action: 'ps' }, containerId: `containerd://${ID}`, podUid: 'u' },
      io,
    );
    expect(code).toBe(1);
    expect(ProbeResultLineSchema.parse(parseLine(lines[0]!))).toMatchObject({
      ok: false,
      code: 'container_not_found',
    });
  });
});

describe('parseArgs', () => {
  it('decodes --input base64url JSON', () => {
    const b64 = Buffer.from(JSON.stringify({ a: 1 })).toString('base64url');
    expect(parseArgs(['--input', b64])).toEqual({ input: { a: 1 } });
  });
  it.each([
    [[]],
    [['--input']],
    [['--inputs', 'e30']],
    [['--input', 'not base64!']],
    [['--input', 'bm90IGpzb24']],
  ])('refuses %j', (argv) => {
    expect('error' in parseArgs(argv)).toBe(true);
  });
});

describe('emitArtefact', () => {
  it('streams consecutive chunks of at most 48 KiB that reassemble to the bytes, with their sha256', () => {
    const bytes = Buffer.alloc(CHUNK_BYTES * 2 + 100);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) % 256;
    const { lines, io } = collect();
    const meta = emitArtefact(io, { name: 'trace.txt', contentType: 'text/plain', bytes, truncated: false });
    const chunks = lines.map((l) => ProbeChunkLineSchema.parse(parseLine(l)));
    expect(chunks.map((c) => c.seq)).toEqual([0, 1, 2]);
    for (const c of chunks) expect(Buffer.from(c.data, 'base64').length).toBeLessThanOrEqual(48 * 1024);
    expect(Buffer.concat(chunks.map((c) => Buffer.from(c.data, 'base64'))).equals(bytes)).toBe(true);
    expect(meta).toMatchObject({
      bytes: bytes.length,
      truncated: false,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
  });
  it('sends one empty chunk for an empty artefact', () => {
    const { lines, io } = collect();
    emitArtefact(io, { name: 'e.pcap', contentType: 'x', bytes: Buffer.alloc(0), truncated: false });
    expect(lines.map((l) => ProbeChunkLineSchema.parse(parseLine(l)))).toEqual([
      { type: 'chunk', name: 'e.pcap', seq: 0, data: '' },
    ]);
  });
});

describe('tcpdump', () => {
  it('refuses filter tokens that look like options or shell', () => {
    expect(filterProblem(['tcp', 'port', '80'])).toBeNull();
    expect(filterProblem(['tcp[13]&2!=0'])).toBeNull();
    expect(filterProblem(['-z', 'sh'])).toMatch(/starts with "-"/);
    expect(filterProblem(['port', '80;id'])).toMatch(/characters/);
    expect(filterProblem(Array(41).fill('tcp'))).toMatch(/tokens/);
  });
  it('puts the filter after "--" and never -z/-Z', () => {
    const argv = toolArgv({ action: 'tcpdump', durationSec: 5, filter: ['port', '53'] }, 42, {
      procRoot: '/proc',
    });
    expect(argv.slice(-3)).toEqual(['--', 'port', '53']);
    expect(argv).toContain('--net=/proc/42/ns/net');
    expect(argv).not.toContain('-z');
    expect(argv).not.toContain('-Z');
    expect(argv.slice(0, 6)).toEqual(['timeout', '-s', 'INT', '-k', '5', '5']);
  });
  it('reads the packet count from the closing stats', () => {
    const err =
      'tcpdump: listening on lo, link-type EN10MB (Ethernet), snapshot length 128 bytes\n6 packets captured\n12 packets received by filter\n0 packets dropped by kernel\n';
    expect(parseTcpdumpStats(err)).toEqual({
      packets: 6,
      stats: ['6 packets captured', '12 packets received by filter', '0 packets dropped by kernel'],
    });
    expect(
      parseTcpdumpStats("tcpdump: any: You don't have permission to capture on that device\n").packets,
    ).toBeNull();
  });
});

describe('mem helpers', () => {
  const hybrid =
    '4:memory:/kubepods/burstable/podx/abc\n1:name=systemd:/kubepods/burstable/podx/abc\n0::/kubepods/burstable/podx/abc\n';
  it('finds v1 memory first on a hybrid host, v2 first on a pure v2 host', () => {
    expect(memoryCgroupCandidates(hybrid, '/sys/fs/cgroup', false).map((c) => c.dir)).toEqual([
      '/sys/fs/cgroup/memory/kubepods/burstable/podx/abc',
      '/sys/fs/cgroup/unified/kubepods/burstable/podx/abc',
    ]);
    expect(memoryCgroupCandidates('0::/kubepods.slice/x.scope\n', '/host/cgroup', true)).toEqual([
      { version: 2, path: '/kubepods.slice/x.scope', dir: '/host/cgroup/kubepods.slice/x.scope' },
    ]);
  });
  it('reads limits: "max" and v1 huge values are no limit', () => {
    expect(parseLimit('max\n')).toBeNull();
    expect(parseLimit('9223372036854771712\n')).toBeNull();
    expect(parseLimit('536870912\n')).toBe(536870912);
    expect(parseLimit(null)).toBeNull();
  });
  it('reads keyed counters', () => {
    const events = 'low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\noom_group_kill 0\n';
    expect(keyedValue(events, 'oom')).toBe(3);
    expect(keyedValue(events, 'oom_kill')).toBe(2);
    expect(keyedValue('oom_kill_disable 0\nunder_oom 0\noom_kill 4\n', 'oom_kill')).toBe(4);
  });
});

describe('netcheck childInput', () => {
  it('checks kubernetes.default.svc plus targets, TCP only where a port is given, with the pod resolver', () => {
    const input = childInput(
      {
        action: 'netcheck',
        targets: [{ host: 'db.shop', port: 5432 }, { host: 'cache.shop' }, { host: '10.0.0.1', port: 80 }],
      },
      'search shop.svc.cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n',
    );
    expect(input).toEqual({
      names: ['kubernetes.default.svc', 'db.shop', 'cache.shop'],
      tcp: [
        { host: 'db.shop', port: 5432 },
        { host: '10.0.0.1', port: 80 },
      ],
      nameservers: ['10.96.0.10'],
      search: ['shop.svc.cluster.local'],
      ndots: 5,
      timeoutMs: 3000,
    });
  });
});
