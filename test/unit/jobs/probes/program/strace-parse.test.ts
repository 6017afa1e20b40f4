import { describe, expect, it } from '@jest/globals';
import {
  isSummaryHeader,
  parseStraceSummary,
  sockaddr,
  TraceMiner,
  threadsFromStraceStderr,
} from '../../../../../jobs/probes/program/strace-parse.js';

// Captured on this host: `timeout -s INT 2 strace -f -C -T -s 128 -p PID` of a node process that opens a
// missing file and connects to a closed port every 100 ms (strace 6.1).
const SUMMARY = `% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 28.55    0.000467           7        60           epoll_pwait
 27.20    0.000445          22        20        20 connect
 12.59    0.000206           5        40           epoll_ctl
  9.78    0.000160           8        20           close
  9.78    0.000160           8        20        20 openat
  2.32    0.000038           1        20           getsockopt
------ ----------- ----------- --------- --------- ----------------
100.00    0.001636           8       200        40 total`;

const TRACE_FILE = `9185  openat(AT_FDCWD, "/nonexistent/poddebug-probe-test", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory) <0.000042>
9185  socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 19 <0.000038>
9185  connect(19, {sa_family=AF_INET, sin_port=htons(1), sin_addr=inet_addr("127.0.0.1")}, 16) = -1 EINPROGRESS (Operation now in progress) <0.000085>
9185  getsockopt(19, SOL_SOCKET, SO_ERROR, [ECONNREFUSED], [4]) = 0 <0.000015>
9192  futex(0x5660460, FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME, 0, NULL, FUTEX_BITSET_MATCH_ANY <unfinished ...>
9185  epoll_pwait(14, [], 1024, 99, NULL, 8) = 0 <0.099263>
9192  <... futex resumed>) = 0 <1.503000>
9185  openat(AT_FDCWD, "/nonexistent/poddebug-probe-test", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory) <0.000030>
9185  epoll_pwait(14,  <detached ...>`;

// The same on stderr (no -o): strace prefixes "[pid N] ".
const TRACE_STDERR = `[pid 20611] openat(AT_FDCWD, "/etc/app.conf", O_RDONLY) = -1 EACCES (Permission denied) <0.000162>
[pid 20611] connect(25, {sa_family=AF_INET6, sin6_port=htons(5432), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = -1 ECONNREFUSED (Connection refused) <0.000307>
[pid 20612] connect(26, {sa_family=AF_UNIX, sun_path="/run/app.sock"}, 110) = -1 ENOENT (No such file or directory) <0.000020>`;

describe('parseStraceSummary', () => {
  it('reads every row of the -c table but the total', () => {
    const rows = parseStraceSummary(SUMMARY);
    expect(rows).toHaveLength(6);
    expect(rows[1]).toEqual({
      syscall: 'connect',
      calls: 20,
      errors: 20,
      seconds: 0.000445,
      usecsPerCall: 22,
      pctTime: 27.2,
    });
    expect(rows[0]).toMatchObject({ syscall: 'epoll_pwait', calls: 60, errors: 0 });
    expect(rows.map((r) => r.syscall)).not.toContain('total');
  });

  it('finds nothing in text without a table', () => {
    expect(parseStraceSummary('strace: Process 1 attached\n')).toEqual([]);
  });

  it('knows the header line', () => {
    expect(isSummaryHeader(SUMMARY.split('\n')[0]!)).toBe(true);
    expect(isSummaryHeader('9185  openat(...)')).toBe(false);
  });
});

describe('threadsFromStraceStderr', () => {
  it.each([
    ['strace: Process 9185 attached with 7 threads\nstrace: Process 9185 detached\n', 7],
    ['strace: Process 42 attached\n', 1],
    ['strace: attach: ptrace(PTRACE_SEIZE, 42): Operation not permitted\n', null],
  ])('%j → %s', (text, want) => {
    expect(threadsFromStraceStderr(text)).toBe(want);
  });
});

describe('sockaddr', () => {
  it('formats IPv4, IPv6 and unix addresses', () => {
    expect(sockaddr('19, {sa_family=AF_INET, sin_port=htons(1), sin_addr=inet_addr("127.0.0.1")}, 16')).toBe(
      '127.0.0.1:1',
    );
    expect(sockaddr(TRACE_STDERR.split('\n')[1]!)).toBe('[::1]:5432');
    expect(sockaddr('{sa_family=AF_UNIX, sun_path="/run/app.sock"}')).toBe('/run/app.sock');
  });
});

describe('TraceMiner', () => {
  it('groups failed calls by errno, with paths and the address of an async connect failure', () => {
    const m = new TraceMiner();
    for (const l of TRACE_FILE.split('\n')) m.line(l);
    expect(m.errors()).toEqual([
      {
        errno: 'ENOENT',
        count: 2,
        syscalls: ['openat'],
        examples: ['openat /nonexistent/poddebug-probe-test'],
      },
      {
        errno: 'ECONNREFUSED',
        count: 1,
        syscalls: ['connect (SO_ERROR)'],
        examples: ['connect (SO_ERROR) 127.0.0.1:1'],
      },
      { errno: 'EINPROGRESS', count: 1, syscalls: ['connect'], examples: ['connect 127.0.0.1:1'] },
    ]);
    expect(m.threadsSeen()).toBe(2);
  });

  it('names the fd of a failed read or write whose buffer -s 0 left empty', () => {
    const m = new TraceMiner();
    m.line('812   write(7, ""..., 27) = -1 EPIPE (Broken pipe) <0.000011>');
    m.line('812   read(9, ""..., 4096) = -1 EAGAIN (Resource temporarily unavailable) <0.000004>');
    expect(
      m
        .errors()
        .flatMap((e) => e.examples)
        .sort(),
    ).toEqual(['read fd 9', 'write fd 7']);
  });

  it('lists slow calls longest first, resumed calls under their own name', () => {
    const m = new TraceMiner();
    for (const l of TRACE_FILE.split('\n')) m.line(l);
    expect(m.slowCalls().map((c) => [c.syscall, c.seconds])).toEqual([
      ['futex', 1.503],
      ['epoll_pwait', 0.099263],
    ]);
  });

  it('reads the [pid N] prefix strace uses on stderr', () => {
    const m = new TraceMiner();
    for (const l of TRACE_STDERR.split('\n')) m.line(l);
    expect(m.errors()).toEqual([
      { errno: 'EACCES', count: 1, syscalls: ['openat'], examples: ['openat /etc/app.conf'] },
      { errno: 'ECONNREFUSED', count: 1, syscalls: ['connect'], examples: ['connect [::1]:5432'] },
      { errno: 'ENOENT', count: 1, syscalls: ['connect'], examples: ['connect /run/app.sock'] },
    ]);
    expect(m.threadsSeen()).toBe(2);
  });

  it('keeps at most 10 distinct examples and 20 slow calls', () => {
    const m = new TraceMiner();
    for (let i = 0; i < 30; i++) {
      m.line(
        `[pid 1] openat(AT_FDCWD, "/missing/${i}", O_RDONLY) = -1 ENOENT (No such file or directory) <0.${String(i + 10).padStart(6, '0')}>`,
      );
      m.line(`[pid 1] read(3, "", 10) = 0 <1.${String(i).padStart(6, '0')}>`);
    }
    const [g] = m.errors();
    expect(g!.count).toBe(30);
    expect(g!.examples).toHaveLength(10);
    expect(m.slowCalls()).toHaveLength(20);
    expect(m.slowCalls()[0]!.seconds).toBe(1.000029);
  });
});
