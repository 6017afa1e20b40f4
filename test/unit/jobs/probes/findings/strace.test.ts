import { describe, expect, it } from '@jest/globals';
import type { StraceData } from '../../../../../jobs/contracts/probe.js';
import { probeFindings, probeText } from '../../../../../jobs/probes/findings/index.js';
import { errnoId, subjectOf } from '../../../../../jobs/probes/findings/strace.js';
import { byId, ctxFor, evidenceOf, expectWellFormed, idSev } from './helpers.js';

const spec = { action: 'strace', durationSec: 30, full: false, failedOnly: false } as const;
const ctx = ctxFor(spec);

/** Rows of a `strace -c` table as strace prints it (the probe program parses the same text). */
function rowsOf(table: string): StraceData['summary'] {
  const rows: StraceData['summary'] = [];
  for (const line of table.split('\n')) {
    const m = /^\s*([\d.]+)\s+([\d.]+)\s+(\d+)\s+(\d+)\s+(\d+)?\s*(\S+)\s*$/.exec(line);
    if (!m || m[6] === 'total') continue;
    rows.push({
      pctTime: Number(m[1]),
      seconds: Number(m[2]),
      usecsPerCall: Number(m[3]),
      calls: Number(m[4]),
      errors: Number(m[5] ?? 0),
      syscall: m[6]!,
    });
  }
  return rows;
}

/** `strace -f -c -w -o x curl -s http://127.0.0.1:5432`, run on a dev box. */
const CURL_TABLE = `% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 41.66    0.010748        1791         6           poll
 13.95    0.003598          23       152           mmap
  7.95    0.002051          50        41           read
  7.39    0.001907          28        66        16 openat
  6.26    0.001615          29        55           close
  4.85    0.001252          23        54         1 newfstatat
  4.53    0.001170          34        34           mprotect
  3.91    0.001009        1009         1           execve
  1.79    0.000462          25        18           futex
  1.59    0.000409          16        25           rt_sigaction
  1.18    0.000303          37         8           brk
  0.90    0.000233          77         3         3 connect
  0.67    0.000173          19         9           fcntl
  0.36    0.000092          30         3           socket
  0.35    0.000091          90         1           munmap
  0.35    0.000091          22         4           setsockopt
  0.32    0.000083          41         2         2 ioctl
  0.25    0.000066          65         1           sendto
  0.24    0.000062          62         1           lseek
  0.20    0.000051          25         2           getrandom
  0.17    0.000043          21         2           pread64
  0.16    0.000041          13         3           getsockname
  0.12    0.000030          29         1         1 access
  0.11    0.000029          28         1           socketpair
  0.11    0.000029          14         2           getpeername
  0.10    0.000027          26         1           sysinfo
  0.08    0.000022          21         1           geteuid
  0.07    0.000019          19         1           prlimit64
  0.07    0.000019          19         1           recvfrom
  0.07    0.000019          18         1           rseq
  0.06    0.000016          15         1           arch_prctl
  0.05    0.000014          13         1           set_tid_address
  0.05    0.000013          12         1           set_robust_list
  0.05    0.000013          12         1           getsockopt
------ ----------- ----------- --------- --------- ----------------
100.00    0.025800          51       504        23 total`;

/** A Go service that cannot reach its database, traced for 30 s. */
const GO_TABLE = `% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 62.10    1.843210         153     12040           futex
 20.31    0.602800          89      6771           epoll_pwait
  6.02    0.178700          14     12760      6340 read
  4.11    0.122000          19      6420           write
  3.80    0.112800         564       200       200 connect
  2.02    0.060000          20      3000           nanosleep
  1.64    0.048700          24      2000           getsockopt
------ ----------- ----------- --------- --------- ----------------
100.00    2.968210          68     43191      6540 total`;

const refused = (port: number, ip: string, fd = 12) =>
  `connect(${fd}, {sa_family=AF_INET, sin_port=htons(${port}), sin_addr=inet_addr("${ip}")}, 16) = -1 ECONNREFUSED (Connection refused)`;

function strace(over: Partial<StraceData>): StraceData {
  return { action: 'strace', summary: [], errors: [], slowCalls: [], threads: 1, summaryText: '', ...over };
}

describe('subjectOf: the path or address a strace line is about', () => {
  it.each([
    [refused(5432, '10.96.12.7'), '10.96.12.7:5432'],
    [
      'connect(5, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2001:db8::1", &sin6_addr), sin6_scope_id=0}, 28) = -1 ENETUNREACH (Network is unreachable)',
      '[2001:db8::1]:443',
    ],
    [
      'connect(3, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT (No such file or directory)',
      'unix:/var/run/nscd/socket',
    ],
    [
      'openat(AT_FDCWD, "/etc/ssl/certs/ca-certificates.crt", O_RDONLY) = -1 ENOENT (No such file or directory)',
      '/etc/ssl/certs/ca-certificates.crt',
    ],
    ['/etc/app/config.yaml', '/etc/app/config.yaml'],
    // the probe program's form
    ['connect 10.96.12.7:5432', '10.96.12.7:5432'],
    ['connect (SO_ERROR) 10.96.12.7:5432', '10.96.12.7:5432'],
    ['openat /etc/ssl/certs/ca-certificates.crt', '/etc/ssl/certs/ca-certificates.crt'],
    ['connect /var/run/nscd/socket', '/var/run/nscd/socket'],
  ])('%s', (line, want) => {
    expect(subjectOf(line)).toBe(want);
  });

  it('makes kebab-case ids from errno names', () => {
    expect(errnoId('ECONNREFUSED')).toBe('strace-errors-econnrefused');
    expect(errnoId('ERESTART_RESTARTBLOCK')).toBe('strace-errors-erestart-restartblock');
  });
});

interface Case {
  name: string;
  data: StraceData;
  want: [string, string][];
  evidence?: Record<string, string[]>;
  next?: Record<string, string[]>;
  titles?: Record<string, RegExp>;
}

const cases: Case[] = [
  {
    name: 'database refuses: ECONNREFUSED to a ClusterIP on 5432, EAGAIN on sockets, mostly futex',
    data: strace({
      summary: rowsOf(GO_TABLE),
      threads: 14,
      errors: [
        {
          errno: 'EAGAIN',
          count: 6340,
          syscalls: ['read'],
          examples: ['read(9, 0xc000512000, 4096) = -1 EAGAIN (Resource temporarily unavailable)'],
        },
        {
          errno: 'ECONNREFUSED',
          count: 200,
          syscalls: ['connect'],
          examples: [refused(5432, '10.96.12.7'), refused(5432, '10.96.12.7', 13)],
        },
      ],
    }),
    want: [
      ['strace-errors-econnrefused', 'warning'],
      ['strace-errors-eagain', 'info'],
      ['strace-waiting', 'info'],
    ],
    evidence: {
      'strace-errors-econnrefused': ['ECONNREFUSED ×200 in connect', 'inet_addr("10.96.12.7")'],
      'strace-waiting': [
        'futex: 62.1% of syscall time, 1.843210 s, 12,040 calls',
        'threads traced: 14',
        '1,440 calls/s',
      ],
    },
    titles: { 'strace-errors-econnrefused': /10\.96\.12\.7:5432 \(PostgreSQL\)/ },
    next: {
      'strace-errors-econnrefused': [
        'kubectl get svc -A -o wide | grep -F 10.96.12.7',
        '/poddebug netcheck checkout-7d9f8b6c5-x2kqp -n shop -c app --cluster prod 10.96.12.7:5432',
        '/poddebug strace checkout-7d9f8b6c5-x2kqp -n shop -c app --cluster prod --trace network --full',
      ],
    },
  },
  {
    name: 'a non-blocking connect refused (SO_ERROR), as the probe program reports it',
    data: strace({
      summary: rowsOf(GO_TABLE),
      errors: [
        {
          errno: 'ECONNREFUSED',
          count: 200,
          syscalls: ['connect (SO_ERROR)'],
          examples: ['connect (SO_ERROR) 10.96.12.7:5432'],
        },
        { errno: 'EAGAIN', count: 6340, syscalls: ['read'], examples: [] },
        {
          errno: 'ENOENT',
          count: 3,
          syscalls: ['openat'],
          examples: ['openat /etc/ssl/certs/ca-certificates.crt'],
        },
      ],
    }),
    want: [
      ['strace-errors-econnrefused', 'warning'],
      ['strace-errors-enoent', 'warning'],
      ['strace-errors-eagain', 'info'],
      ['strace-waiting', 'info'],
    ],
    evidence: { 'strace-errors-econnrefused': ['ECONNREFUSED ×200 in connect (SO_ERROR)'] },
    titles: {
      'strace-errors-econnrefused': /10\.96\.12\.7:5432 \(PostgreSQL\)/,
      'strace-errors-enoent': /CA bundle `\/etc\/ssl\/certs\/ca-certificates\.crt`/,
    },
    next: { 'strace-errors-econnrefused': ['kubectl get svc -A -o wide | grep -F 10.96.12.7'] },
  },
  {
    name: 'missing CA bundle among library lookups',
    data: strace({
      summary: rowsOf(CURL_TABLE),
      errors: [
        {
          errno: 'ENOENT',
          count: 17,
          syscalls: ['openat', 'access'],
          examples: [
            'access("/etc/ld.so.preload", R_OK) = -1 ENOENT (No such file or directory)',
            'openat(AT_FDCWD, "/usr/lib/locale/C.UTF-8/LC_CTYPE", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)',
            'openat(AT_FDCWD, "/etc/ssl/certs/ca-certificates.crt", O_RDONLY) = -1 ENOENT (No such file or directory)',
          ],
        },
      ],
    }),
    want: [
      ['strace-errors-enoent', 'warning'],
      ['strace-busy', 'info'],
    ],
    titles: { 'strace-errors-enoent': /CA bundle `\/etc\/ssl\/certs\/ca-certificates\.crt`/ },
    evidence: { 'strace-errors-enoent': ['ENOENT ×17 in openat, access', 'TLS'] },
  },
  {
    name: 'only library, locale and rc-file lookups fail (a real curl trace): quiet',
    data: strace({
      summary: rowsOf(CURL_TABLE),
      errors: [
        {
          errno: 'ENOENT',
          count: 16,
          syscalls: ['openat', 'access', 'connect'],
          examples: [
            'access("/etc/ld.so.preload", R_OK) = -1 ENOENT (No such file or directory)',
            'openat(AT_FDCWD, "/usr/lib/locale/locale-archive", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)',
            'openat(AT_FDCWD, "/root/.curlrc", O_RDONLY) = -1 ENOENT (No such file or directory)',
            'connect(3, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT (No such file or directory)',
          ],
        },
      ],
    }),
    want: [
      ['no-problem-found', 'info'],
      ['strace-errors-enoent', 'info'],
      ['strace-busy', 'info'],
    ],
    titles: { 'strace-busy': /`poll` 41\.7%, `mmap` 13\.9%, `read` 7\.9%/ },
  },
  {
    name: 'missing config file from a ConfigMap',
    data: strace({
      summary: rowsOf(GO_TABLE),
      errors: [
        {
          errno: 'ENOENT',
          count: 30,
          syscalls: ['openat'],
          examples: [
            'openat(AT_FDCWD, "/etc/checkout/config.yaml", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)',
          ],
        },
      ],
    }),
    want: [
      ['strace-errors-enoent', 'warning'],
      ['strace-waiting', 'info'],
    ],
    titles: { 'strace-errors-enoent': /\/etc\/checkout\/config\.yaml/ },
    next: {
      'strace-errors-enoent': [
        `kubectl -n shop get pod checkout-7d9f8b6c5-x2kqp -o jsonpath='{.spec.containers[?(@.name=="app")].volumeMounts}'`,
      ],
    },
  },
  {
    name: 'clone fails with EAGAIN: the PID limit',
    data: strace({
      summary: rowsOf(GO_TABLE),
      errors: [
        {
          errno: 'EAGAIN',
          count: 52,
          syscalls: ['clone'],
          examples: [
            'clone(child_stack=0x7f..., flags=CLONE_VM|CLONE_FS) = -1 EAGAIN (Resource temporarily unavailable)',
          ],
        },
      ],
    }),
    want: [
      ['strace-errors-eagain', 'critical'],
      ['strace-waiting', 'info'],
    ],
    evidence: { 'strace-errors-eagain': ['EAGAIN ×52 in clone', 'pids.max'] },
  },
  {
    name: 'ETIMEDOUT from futex is a timed wait; from connect it is a dropped packet',
    data: strace({
      summary: rowsOf(GO_TABLE),
      errors: [
        {
          errno: 'ETIMEDOUT',
          count: 900,
          syscalls: ['futex'],
          examples: [
            'futex(0xc000080148, FUTEX_WAIT_PRIVATE, 0, {tv_sec=0, tv_nsec=20000}) = -1 ETIMEDOUT (Connection timed out)',
          ],
        },
      ],
    }),
    want: [
      ['no-problem-found', 'info'],
      ['strace-errors-etimedout', 'info'],
      ['strace-waiting', 'info'],
    ],
  },
  {
    name: 'connect times out to an external address',
    data: strace({
      summary: rowsOf(GO_TABLE),
      errors: [
        {
          errno: 'ETIMEDOUT',
          count: 4,
          syscalls: ['connect'],
          examples: [
            'connect(8, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("52.94.236.248")}, 16) = -1 ETIMEDOUT (Connection timed out)',
          ],
        },
      ],
    }),
    want: [
      ['strace-errors-etimedout', 'warning'],
      ['strace-waiting', 'info'],
    ],
    evidence: { 'strace-errors-etimedout': ['ETIMEDOUT ×4 in connect'] },
    titles: { 'strace-errors-etimedout': /52\.94\.236\.248:443 \(HTTPS\)/ },
    next: { 'strace-errors-etimedout': ['kubectl -n shop get networkpolicy'] },
  },
  {
    name: 'slow fsync is reported; a 5 s epoll_wait is just idle',
    data: strace({
      summary: rowsOf(GO_TABLE),
      slowCalls: [
        {
          syscall: 'epoll_pwait',
          seconds: 5.001,
          line: '[pid 12] epoll_pwait(4, [], 128, 5000, NULL, 0) = 0 <5.001234>',
        },
        { syscall: 'fsync', seconds: 2.412, line: '[pid 31] fsync(17) = 0 <2.412377>' },
      ],
    }),
    want: [
      ['strace-slow-calls', 'warning'],
      ['strace-waiting', 'info'],
    ],
    titles: { 'strace-slow-calls': /^1 call blocked for 1 s or more: fsync 2\.4 s$/ },
    evidence: { 'strace-slow-calls': ['2.412 s: [pid 31] fsync(17) = 0 <2.412377>'] },
  },
  {
    name: 'no syscall completed in 30 s',
    data: strace({ summary: [], threads: 3 }),
    want: [['strace-no-syscalls', 'warning']],
    titles: { 'strace-no-syscalls': /30 s/ },
  },
  {
    name: 'sched_yield spin',
    data: strace({
      summary: [
        { syscall: 'sched_yield', calls: 1_800_000, errors: 0, seconds: 2.1, usecsPerCall: 1, pctTime: 91.3 },
        { syscall: 'futex', calls: 300, errors: 0, seconds: 0.2, usecsPerCall: 666, pctTime: 8.7 },
      ],
    }),
    want: [
      ['strace-spinning', 'warning'],
      ['strace-busy', 'info'],
    ],
    titles: { 'strace-spinning': /sched_yield 60,000 calls\/s/ },
  },
  {
    name: 'out of file descriptors',
    data: strace({
      summary: rowsOf(GO_TABLE),
      errors: [
        {
          errno: 'EMFILE',
          count: 311,
          syscalls: ['accept4'],
          examples: [
            'accept4(3, 0xc0001a5b00, [112], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EMFILE (Too many open files)',
          ],
        },
      ],
    }),
    want: [
      ['strace-errors-emfile', 'critical'],
      ['strace-waiting', 'info'],
    ],
    next: {
      'strace-errors-emfile': ['/poddebug fds checkout-7d9f8b6c5-x2kqp -n shop -c app --cluster prod'],
    },
  },
];

describe('strace findings', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const findings = probeFindings(c.data, ctx);
    expectWellFormed(findings);
    expect(idSev(findings)).toEqual(c.want);
    for (const [id, lines] of Object.entries(c.evidence ?? {})) {
      for (const l of lines) expect(evidenceOf(byId(findings, id))).toContain(l);
    }
    for (const [id, lines] of Object.entries(c.next ?? {})) {
      for (const l of lines) expect(byId(findings, id).next).toContain(l);
    }
    for (const [id, re] of Object.entries(c.titles ?? {})) expect(byId(findings, id).title).toMatch(re);
  });
});

describe('strace text', () => {
  const text = probeText(strace({ summary: rowsOf(CURL_TABLE), threads: 2 }), spec);
  const lines = text.split('\n');

  it('shows the top 10 syscalls by time, how many more, and the total', () => {
    expect(lines[0]).toMatch(/^syscall\s+% time\s+seconds\s+calls\s+errors$/);
    const names = lines.slice(1, 11).map((l) => l.split(/\s+/)[0]);
    expect(names).toEqual([
      'poll',
      'mmap',
      'read',
      'openat',
      'close',
      'newfstatat',
      'mprotect',
      'execve',
      'futex',
      'rt_sigaction',
    ]);
    expect(lines[11]).toBe('… 24 more syscalls');
    expect(lines[12]).toMatch(/^total\s+100\.00\s+0\.025800\s+504\s+23$/);
    expect(text).toContain('threads traced: 2');
  });

  it('right-aligns the numeric columns', () => {
    const header = lines[0]!;
    const callsEnd = header.indexOf('calls') + 'calls'.length;
    const secondsEnd = header.indexOf('seconds') + 'seconds'.length;
    for (const l of [...lines.slice(1, 11), lines[12]!]) {
      expect(l[callsEnd - 1]).toMatch(/\d/);
      expect(l[callsEnd] ?? ' ').toBe(' ');
      expect(l.slice(secondsEnd - 8, secondsEnd)).toMatch(/^\d\.\d{6}$/);
    }
  });

  it('lists the failed calls with their address', () => {
    const t = probeText(
      strace({
        summary: rowsOf(GO_TABLE),
        errors: [
          {
            errno: 'ECONNREFUSED',
            count: 200,
            syscalls: ['connect'],
            examples: [refused(5432, '10.96.12.7')],
          },
        ],
      }),
      spec,
    );
    expect(t).toMatch(/ECONNREFUSED\s+200\s+connect\s+10\.96\.12\.7:5432/);
  });
});
