import { createHash } from 'node:crypto';
import { PROBE_LINE_MARKER, type ProbeResultLine } from '../../../../jobs/contracts/probe.js';
import { ProbeOutputError, parseProbeOutput } from '../../../../jobs/probes/output.js';

const M = PROBE_LINE_MARKER;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function result(artefacts: { name: string; data: Buffer }[] = []): ProbeResultLine {
  return {
    type: 'result',
    ok: true,
    pid: 4242,
    containerId: `containerd://${'b'.repeat(64)}`,
    resolvedVia: 'cgroup',
    argv: ['ps'],
    exitCode: 0,
    durationMs: 12,
    data: { action: 'ps', processes: [] },
    artefacts: artefacts.map((a) => ({
      name: a.name,
      contentType: 'application/octet-stream',
      bytes: a.data.length,
      sha256: sha(a.data),
      truncated: false,
    })),
    notes: [],
  };
}

function chunkLines(name: string, data: Buffer, size = 48 * 1024): string[] {
  const out: string[] = [];
  for (let i = 0, seq = 0; i < data.length || (i === 0 && seq === 0); i += size, seq++) {
    out.push(
      `${M}${JSON.stringify({ type: 'chunk', name, seq, data: data.subarray(i, i + size).toString('base64') })}`,
    );
    if (data.length === 0) break;
  }
  return out;
}

const line = (v: unknown) => `${M}${JSON.stringify(v)}`;

describe('parseProbeOutput', () => {
  it('returns the one result line and ignores other output', () => {
    const out = parseProbeOutput(['node: warning something', line(result()), 'bye', ''].join('\n'));
    expect(out.line).toEqual(result());
    expect(out.artefacts.size).toBe(0);
    expect(out.otherLines).toEqual(['node: warning something', 'bye']);
  });

  it('reassembles chunked artefacts (round trip, several artefacts, binary data)', () => {
    const pcap = Buffer.from(Array.from({ length: 150_000 }, (_, i) => (i * 7919) % 256));
    const trace = Buffer.from('openat(AT_FDCWD, "/etc/hosts") = 3\n'.repeat(1000));
    const text = [
      ...chunkLines('capture.pcap', pcap),
      'stderr noise between artefacts',
      ...chunkLines('strace.txt', trace, 1000),
      line(
        result([
          { name: 'capture.pcap', data: pcap },
          { name: 'strace.txt', data: trace },
        ]),
      ),
    ].join('\n');
    const out = parseProbeOutput(text);
    expect(out.artefacts.get('capture.pcap')?.equals(pcap)).toBe(true);
    expect(out.artefacts.get('strace.txt')?.equals(trace)).toBe(true);
  });

  it('accepts CRLF line ends', () => {
    expect(parseProbeOutput(`${line(result())}\r\n`).line.ok).toBe(true);
  });

  it('passes a failure result line through', () => {
    const fail = { type: 'result', ok: false, code: 'container_changed', message: 'container id differs' };
    expect(parseProbeOutput(line(fail)).line).toEqual(fail);
  });

  const data = Buffer.from('x'.repeat(5000));
  const good = chunkLines('a.txt', data, 1000);
  const cases: [string, string[], RegExp][] = [
    ['no result line', ['just output', ...good], /no result line; its last output: just output/],
    ['several result lines', [line(result()), line(result())], /2 result lines/],
    [
      'a tampered chunk',
      [
        ...good.slice(0, 2),
        good[2]!.replace(/"data":"eH/, '"data":"eX'),
        ...good.slice(3),
        line(result([{ name: 'a.txt', data }])),
      ],
      /sha256 mismatch/,
    ],
    [
      'chunks out of order',
      [good[0]!, good[2]!, good[1]!, ...good.slice(3), line(result([{ name: 'a.txt', data }]))],
      /chunk seq 2 where 1 was expected/,
    ],
    [
      'a missing first chunk (rotated log)',
      [...good.slice(1), line(result([{ name: 'a.txt', data }]))],
      /first chunk has seq 1.*rotated/,
    ],
    [
      'a lost last chunk',
      [...good.slice(0, -1), line(result([{ name: 'a.txt', data }]))],
      /4000 bytes arrived, the result says 5000/,
    ],
    [
      'interleaved artefacts',
      [...chunkLines('b.txt', data, 1000).slice(0, 1), good[0]!, ...chunkLines('b.txt', data, 1000).slice(1)],
      /not consecutive|seq/,
    ],
    ['an artefact with no chunks', [line(result([{ name: 'a.txt', data }]))], /no chunk of it arrived/],
    ['chunks not listed in the result', [...good, line(result())], /does not list it/],
    ['a marker line that is not JSON', [`${M}{"type":"result",`], /not JSON/],
    ['a malformed result line', [line({ type: 'result', ok: true })], /malformed result line/],
    ['an unknown marker type', [line({ type: 'progress' })], /unknown marker line type/],
    ['non-base64 chunk data', [line({ type: 'chunk', name: 'a.txt', seq: 0, data: '!!' })], /not base64/],
  ];
  it.each(cases)('refuses %s', (_, lines, re) => {
    expect(() => parseProbeOutput(lines.join('\n'))).toThrow(ProbeOutputError);
    expect(() => parseProbeOutput(lines.join('\n'))).toThrow(re);
  });
});
