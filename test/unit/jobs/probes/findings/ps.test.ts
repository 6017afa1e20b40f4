import { describe, expect, it } from '@jest/globals';
import type { PsData } from '../../../../../jobs/contracts/probe.js';
import { probeFindings, probeText } from '../../../../../jobs/probes/findings/index.js';
import { processTree, stateLetter } from '../../../../../jobs/probes/findings/ps.js';
import { byId, ctxFor, evidenceOf, expectWellFormed, idSev, MiB } from './helpers.js';

const spec = { action: 'ps' } as const;
const ctx = ctxFor(spec);
type Proc = PsData['processes'][number];

function p(pid: number, ppid: number, comm: string, args: string, over: Partial<Proc> = {}): Proc {
  return {
    pid,
    hostPid: 40_000 + pid,
    ppid,
    comm,
    args,
    state: 'S',
    threads: 1,
    cpuPercent: 0,
    rssBytes: 2 * MiB,
    ...over,
  };
}

const tini = p(1, 0, 'tini', '/sbin/tini -- /opt/java/bin/java -jar /app/checkout.jar', {
  rssBytes: 0.9 * MiB,
});
const java = p(
  7,
  1,
  'java',
  '/opt/java/bin/java -Xmx384m -XX:+UseG1GC -jar /app/checkout.jar --server.port=8080',
  {
    threads: 58,
    cpuPercent: 12.5,
    rssBytes: 412 * MiB,
  },
);

function ps(...processes: Proc[]): PsData {
  return { action: 'ps', processes };
}

interface Case {
  name: string;
  data: PsData;
  want: [string, string][];
  evidence?: Record<string, string[]>;
  titles?: Record<string, RegExp>;
  next?: Record<string, string[]>;
}

const nodePid1 = p(1, 0, 'node', 'node /app/server.js', { threads: 11, rssBytes: 180 * MiB });
const zombies = (n: number, ppid: number) =>
  Array.from({ length: n }, (_, i) => p(100 + i, ppid, 'convert', '', { state: 'Z', rssBytes: 0 }));

const cases: Case[] = [
  {
    name: 'quiet: tini and java',
    data: ps(tini, java),
    want: [['no-problem-found', 'info']],
    evidence: { 'no-problem-found': ['2 processes, 59 threads', 'states: S 2'] },
  },
  {
    name: 'node as PID 1 leaves 7 zombies',
    data: ps(nodePid1, ...zombies(7, 1)),
    want: [['ps-zombies', 'warning']],
    titles: {
      'ps-zombies': /^7 zombie processes in container `app`: exited children that pid 1 `node` never reaped$/,
    },
    evidence: { 'ps-zombies': ['pid 100 (host 40100) ppid 1 state Z', 'PID 1 is `node`'] },
    next: {
      'ps-zombies': [
        'Run an init as PID 1 (tini or dumb-init as the ENTRYPOINT, or `shareProcessNamespace: true`) so exited children are reaped',
      ],
    },
  },
  {
    name: 'two zombies of a worker: info',
    data: ps(tini, java, p(20, 7, 'sh', 'sh -c /app/hook.sh'), ...zombies(2, 20)),
    want: [
      ['no-problem-found', 'info'],
      ['ps-zombies', 'info'],
    ],
  },
  {
    name: 'one process of three in D state',
    data: ps(
      tini,
      java,
      p(31, 7, 'rsync', 'rsync -a /data/ /mnt/nfs/backup/', { state: 'D', rssBytes: 6 * MiB }),
    ),
    want: [['ps-uninterruptible', 'warning']],
    titles: { 'ps-uninterruptible': /1 process stuck in uninterruptible I\/O \(state D\): pid 31 `rsync`/ },
    next: { 'ps-uninterruptible': ['kubectl describe node ip-10-0-3-17'] },
  },
  {
    name: 'every process in D state',
    data: ps(p(1, 0, 'postgres', 'postgres -D /var/lib/postgresql/data', { state: 'D (disk sleep)' })),
    want: [['ps-uninterruptible', 'critical']],
  },
  {
    name: 'java with 2,400 threads',
    data: ps(tini, { ...java, threads: 2400 }),
    want: [['ps-thread-explosion', 'warning']],
    titles: { 'ps-thread-explosion': /pid 7 `java` runs 2,400 threads/ },
    evidence: { 'ps-thread-explosion': ['threads in the container: 2,401'] },
  },
  {
    name: 'python at 198% CPU is context, not a problem',
    data: ps(p(1, 0, 'python3', 'python3 -m worker --concurrency 4', { cpuPercent: 198.4, threads: 6 })),
    want: [
      ['no-problem-found', 'info'],
      ['ps-top-cpu', 'info'],
    ],
    titles: { 'ps-top-cpu': /198% CPU \(about 2\.0 cores\)/ },
  },
  {
    name: 'a stopped process',
    data: ps(tini, { ...java, state: 'T' }),
    want: [['ps-stopped', 'warning']],
  },
];

describe('ps findings', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const findings = probeFindings(c.data, ctx);
    expectWellFormed(findings);
    expect(idSev(findings)).toEqual(c.want);
    for (const [id, lines] of Object.entries(c.evidence ?? {}))
      for (const l of lines) expect(evidenceOf(byId(findings, id))).toContain(l);
    for (const [id, re] of Object.entries(c.titles ?? {})) expect(byId(findings, id).title).toMatch(re);
    for (const [id, lines] of Object.entries(c.next ?? {}))
      for (const l of lines) expect(byId(findings, id).next).toContain(l);
  });

  it.each([
    ['S', 'S'],
    ['D (disk sleep)', 'D'],
    ['zombie', 'Z'],
    ['t (tracing stop)', 't'],
    ['', '?'],
  ])('state %j is %s', (raw, want) => {
    expect(stateLetter(raw)).toBe(want);
  });
});

describe('ps text', () => {
  const gunicorn = [
    p(1, 0, 'gunicorn', 'gunicorn app:app --workers 3 --bind 0.0.0.0:8000', { rssBytes: 38 * MiB }),
    p(8, 1, 'gunicorn', 'gunicorn app:app --workers 3 --bind 0.0.0.0:8000', {
      rssBytes: 96 * MiB,
      cpuPercent: 4.2,
      threads: 2,
    }),
    p(9, 1, 'gunicorn', 'gunicorn app:app --workers 3 --bind 0.0.0.0:8000', {
      rssBytes: 1.5 * 1024 * MiB,
      cpuPercent: 31,
    }),
    p(12, 9, 'sh', `sh -c ${'x'.repeat(300)}`),
  ];

  it('indents children under their parent, in tree order', () => {
    expect(processTree(gunicorn).map((x) => [x.p.pid, x.depth])).toEqual([
      [1, 0],
      [8, 1],
      [9, 1],
      [12, 2],
    ]);
    const lines = probeText(ps(...gunicorn), spec).split('\n');
    expect(lines[0]).toMatch(/^PID\s+S\s+THR\s+CPU%\s+RSS\s+COMMAND$/);
    const cmdCol = lines[0]!.indexOf('COMMAND');
    expect(lines[1]!.slice(cmdCol)).toMatch(/^gunicorn app:app/);
    expect(lines[2]!.slice(cmdCol)).toMatch(/^└ gunicorn/);
    expect(lines[4]!.slice(cmdCol)).toMatch(/^ {2}└ sh -c x+…$/);
    // PIDs right-aligned, RSS in human units, args cut to 60 characters
    expect(lines.slice(1).map((l) => l.indexOf(' ', 0) === 0 || /^\d/.test(l))).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(lines[3]).toMatch(/^ {2}9\s+S\s+1\s+31\.0\s+1\.50 GiB\s/);
    expect(lines[4]!.slice(cmdCol).length).toBe(60);
  });

  it('caps long process lists and stays under 2,500 characters', () => {
    const many = [
      tini,
      ...Array.from({ length: 60 }, (_, i) =>
        p(100 + i, 1, 'worker', `worker --id ${i} ${'-v '.repeat(30)}`),
      ),
    ];
    const text = probeText(ps(...many), spec);
    expect(text.length).toBeLessThanOrEqual(2500);
    expect(text).toMatch(/… \d+ more (processes|line\(s\) cut)$/);
  });
});
