import { describe, expect, it } from '@jest/globals';
import type { FdsData } from '../../../../../jobs/contracts/probe.js';
import { probeFindings, probeText } from '../../../../../jobs/probes/findings/index.js';
import { tcpState } from '../../../../../jobs/probes/program/proc-net.js';
import { byId, ctxFor, evidenceOf, expectWellFormed, idSev } from './helpers.js';

const spec = { action: 'fds' } as const;
const ctx = ctxFor(spec);
type Socket = FdsData['sockets'][number];

const sock = (remote: string, state: string, local = '10.244.1.23:43122'): Socket => ({
  proto: 'tcp',
  local,
  remote,
  state,
});
const times = (n: number, f: (i: number) => Socket) => Array.from({ length: n }, (_, i) => f(i));

function fds(over: Partial<FdsData>): FdsData {
  return {
    action: 'fds',
    open: 42,
    softLimit: 1_048_576,
    hardLimit: 1_048_576,
    byType: { socket: 12, file: 24, pipe: 4, anon_inode: 2 },
    top: [
      { fd: 0, target: '/dev/null' },
      { fd: 1, target: 'pipe:[398127]' },
      { fd: 2, target: 'pipe:[398128]' },
      { fd: 3, target: 'socket:[398140]' },
    ],
    sockets: [
      sock('0.0.0.0:0', 'LISTEN', '0.0.0.0:8080'),
      ...times(11, (i) => sock(`10.96.12.7:5432`, 'ESTABLISHED', `10.244.1.23:${40000 + i}`)),
    ],
    ...over,
  };
}

interface Case {
  name: string;
  data: FdsData;
  want: [string, string][];
  evidence?: Record<string, string[]>;
  titles?: Record<string, RegExp>;
}

const cases: Case[] = [
  {
    name: 'quiet',
    data: fds({}),
    want: [['no-problem-found', 'info']],
    evidence: { 'no-problem-found': ['open: 42 of 1,048,576', 'ESTABLISHED 11, LISTEN 1'] },
  },
  {
    name: '972 of 1024: critical',
    data: fds({ open: 972, softLimit: 1024, hardLimit: 524_288, byType: { socket: 930, file: 38, pipe: 4 } }),
    want: [['fds-near-limit', 'critical']],
    evidence: {
      'fds-near-limit': [
        'open: 972 of soft limit 1,024 (94.9%)',
        'hard limit: 524,288',
        'by type: socket 930, file 38, pipe 4',
      ],
    },
  },
  {
    name: '800 of 1024: warning',
    data: fds({ open: 800, softLimit: 1024, hardLimit: 1024 }),
    want: [['fds-near-limit', 'warning']],
  },
  {
    name: 'CLOSE_WAIT pile-up to the database (ss spelling and /proc/net/tcp code)',
    data: fds({
      open: 260,
      sockets: [
        ...times(120, (i) =>
          sock('10.96.12.7:5432', i % 2 ? 'CLOSE-WAIT' : '08', `10.244.1.23:${40000 + i}`),
        ),
        ...times(3, () => sock('10.96.40.2:6379', 'CLOSE_WAIT')),
      ],
    }),
    want: [['sockets-close-wait', 'warning']],
    titles: { 'sockets-close-wait': /^123 sockets in CLOSE_WAIT/ },
    evidence: {
      'sockets-close-wait': [
        'CLOSE_WAIT: 123 of 123 sockets',
        'peers: 10.96.12.7:5432 ×120, 10.96.40.2:6379 ×3',
      ],
    },
  },
  {
    name: 'nine CLOSE_WAIT is below the bar',
    data: fds({ sockets: times(9, () => sock('10.96.12.7:5432', 'CLOSE_WAIT')) }),
    want: [['no-problem-found', 'info']],
  },
  {
    name: 'SYN_SENT to an address that never answers',
    data: fds({ sockets: times(4, (i) => sock('10.0.8.15:9092', 'SYN_SENT', `10.244.1.23:${50000 + i}`)) }),
    want: [['sockets-syn-sent', 'warning']],
  },
  {
    name: 'thousands of TIME_WAIT',
    data: fds({ sockets: times(1500, (i) => sock('10.96.0.80:80', '06', `10.244.1.23:${30000 + i}`)) }),
    want: [
      ['no-problem-found', 'info'],
      ['sockets-time-wait', 'info'],
    ],
  },
];

describe('fds findings', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const findings = probeFindings(c.data, ctx);
    expectWellFormed(findings);
    expect(idSev(findings)).toEqual(c.want);
    for (const [id, lines] of Object.entries(c.evidence ?? {}))
      for (const l of lines) expect(evidenceOf(byId(findings, id))).toContain(l);
    for (const [id, re] of Object.entries(c.titles ?? {})) expect(byId(findings, id).title).toMatch(re);
  });

  it.each([
    ['08', 'CLOSE_WAIT'],
    ['CLOSE-WAIT', 'CLOSE_WAIT'],
    ['close_wait', 'CLOSE_WAIT'],
    ['0A', 'LISTEN'],
    ['ESTAB', 'ESTAB'],
  ])('tcp state %s → %s', (raw, want) => expect(tcpState(raw)).toBe(want));
});

describe('fds text', () => {
  it('shows open/limit, types, sockets by state and descriptors', () => {
    const text = probeText(
      fds({
        open: 972,
        softLimit: 1024,
        hardLimit: 524_288,
        sockets: times(12, () => sock('10.96.12.7:5432', 'CLOSE_WAIT')),
      }),
      spec,
    );
    const lines = text.split('\n');
    expect(lines[0]).toBe('open     972 / 1,024 soft (94.9%), hard 524,288');
    expect(lines[1]).toBe('by type  file 24, socket 12, pipe 4, anon_inode 2');
    expect(lines[2]).toBe('sockets  CLOSE_WAIT 12');
    expect(text).toContain('CLOSE_WAIT peers: 10.96.12.7:5432 ×12');
    expect(text).toMatch(/\n {2}0 {2}\/dev\/null\n {2}1 {2}pipe:\[398127\]/);
  });
});
