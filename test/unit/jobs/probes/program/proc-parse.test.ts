import { describe, expect, it } from '@jest/globals';
import {
  formatCmdline,
  nsPid,
  parseMaxOpenFiles,
  parseProcStat,
  parseSmapsRollup,
  parseStatusKb,
  redactArgs,
} from '../../../../../jobs/probes/program/proc-parse.js';

const STATUS = `Name:	node
State:	S (sleeping)
NSpid:	17528	1
PPid:	17520
VmPeak:	  959664 kB
VmRSS:	   77312 kB
RssAnon:	   40512 kB
Threads:	7
`;

describe('parseStatusKb', () => {
  it('turns kB fields into bytes and keeps the rest as text', () => {
    const { bytes, fields } = parseStatusKb(STATUS);
    expect(bytes.VmRSS).toBe(77312 * 1024);
    expect(bytes.VmPeak).toBe(959664 * 1024);
    expect(bytes.RssAnon).toBe(40512 * 1024);
    expect(bytes.Threads).toBeUndefined();
    expect(fields.Threads).toBe('7');
  });
});

describe('nsPid', () => {
  it('is the last NSpid value (the innermost namespace)', () => {
    expect(nsPid(STATUS)).toBe(1);
    expect(nsPid('NSpid:\t4242\n')).toBe(4242);
    expect(nsPid('Name: x\n')).toBeNull();
  });
});

describe('parseProcStat', () => {
  it('reads fields after the last ")" even when comm holds spaces and parentheses', () => {
    const text =
      '4242 (my (weird) app) S 4200 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 7 0 123456 1000000 2000 18446744073709551615';
    expect(parseProcStat(text)).toEqual({
      pid: 4242,
      comm: 'my (weird) app',
      state: 'S',
      ppid: 4200,
      utime: 250,
      stime: 50,
      numThreads: 7,
      startTime: 123456,
      rssPages: 2000,
    });
  });

  it('refuses garbage', () => {
    expect(parseProcStat('')).toBeNull();
    expect(parseProcStat('12 no parens')).toBeNull();
  });
});

describe('parseSmapsRollup', () => {
  it('skips the header and converts kB', () => {
    const text =
      '55d4c5a00000-7ffd2b5f3000 ---p 00000000 00:00 0                          [rollup]\nRss:               77312 kB\nPss:               42788 kB\n';
    expect(parseSmapsRollup(text)).toEqual({ Rss: 77312 * 1024, Pss: 42788 * 1024 });
  });
});

describe('parseMaxOpenFiles', () => {
  it.each([
    ['Max open files            20000                20000                files     \n', 20000, 20000],
    ['Max open files            1024                 1048576              files\n', 1024, 1048576],
    ['Max open files            unlimited            unlimited            files\n', null, null],
    ['', null, null],
  ])('%j', (text, soft, hard) => {
    expect(parseMaxOpenFiles(text)).toEqual({ soft, hard });
  });
});

describe('redactArgs', () => {
  it('hides secret values and keeps everything else', () => {
    expect(
      redactArgs([
        'app',
        '--password=hunter2',
        '--db-token=abc',
        '--token',
        'tok123',
        'GITHUB_TOKEN=ghp_x',
        'DB_PASSWORD=pw',
        '--port=8080',
        'PATH=/bin',
      ]),
    ).toEqual([
      'app',
      '--password=***',
      '--db-token=***',
      '--token',
      '***',
      'GITHUB_TOKEN=***',
      'DB_PASSWORD=***',
      '--port=8080',
      'PATH=/bin',
    ]);
  });
});

describe('formatCmdline', () => {
  it('joins NUL-separated args, redacts and caps at 200 characters', () => {
    expect(formatCmdline('node\0server.js\0--token=s3cret\0')).toBe('node server.js --token=***');
    const long = formatCmdline(`java\0${'x'.repeat(500)}\0`);
    expect(long).toHaveLength(200);
    expect(long.endsWith('…')).toBe(true);
    expect(formatCmdline('a\0b\nc\0')).toBe('a b c');
  });
});
