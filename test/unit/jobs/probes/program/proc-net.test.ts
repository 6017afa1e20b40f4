import { describe, expect, it } from '@jest/globals';
import {
  decodeHexEndpoint,
  parseProcNetInet,
  parseProcNetUnix,
  socketInode,
} from '../../../../../jobs/probes/program/proc-net.js';

// Lines as this host's kernel printed them.
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:B723 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 59380 1 0000000079e90077 100 0 0 10 0
   1: 0100007F:1F90 0100007F:B582 08 00000000:00000000 00:00000000 00000000     0        0 42276 1 0000000075426275 100 0 0 10 0
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1111 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000   106        0 7187 1 00000000afe3fb66 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000A00000A:D431 01 00000000:00000000 00:00000000 00000000     0        0 7190 1 00000000afe3fb66 100 0 0 10 0
`;
const UDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  100: 0100007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 42280 2 0000000000000000 0
`;
const UNIX = `Num       RefCount Protocol Flags    Type St Inode Path
000000005b6438c2: 00000002 00000000 00010000 0001 01  5211 /var/run/postgresql/.s.PGSQL.5432
000000004d15ad21: 00000003 00000000 00000000 0001 03 29683
000000004d15ad22: 00000002 00000000 00000000 0002 01 29690 @abstract name
`;

describe('decodeHexEndpoint', () => {
  it.each([
    ['0100007F:1F90', '127.0.0.1:8080'],
    ['00000000:0000', '0.0.0.0:0'],
    ['0A00020F:01BB', '15.2.0.10:443'],
    ['00000000000000000000000001000000:1111', '[::1]:4369'],
    ['00000000000000000000000000000000:0050', '[::]:80'],
    ['0000000000000000FFFF00000100007F:1F90', '[::ffff:127.0.0.1]:8080'],
    ['B80D0120000000000000000001000000:0016', '[2001:db8::1]:22'],
  ])('%s → %s', (hex, want) => {
    expect(decodeHexEndpoint(hex)).toBe(want);
  });

  it('refuses what is not an endpoint', () => {
    expect(decodeHexEndpoint('0100007F')).toBeNull();
    expect(decodeHexEndpoint('XYZ:0050')).toBeNull();
  });
});

describe('parseProcNetInet', () => {
  it('reads tcp rows with states and inodes', () => {
    expect(parseProcNetInet(TCP, 'tcp')).toEqual([
      { proto: 'tcp', local: '127.0.0.1:46883', remote: '0.0.0.0:0', state: 'LISTEN', inode: 59380 },
      { proto: 'tcp', local: '127.0.0.1:8080', remote: '127.0.0.1:46466', state: 'CLOSE_WAIT', inode: 42276 },
    ]);
  });

  it('reads tcp6 rows', () => {
    const rows = parseProcNetInet(TCP6, 'tcp6');
    expect(rows.map((r) => [r.local, r.remote, r.state])).toEqual([
      ['[::1]:4369', '[::]:0', 'LISTEN'],
      ['[::ffff:127.0.0.1]:8080', '[::ffff:10.0.0.10]:54321', 'ESTABLISHED'],
    ]);
  });

  it('shows an unconnected UDP socket as UNCONN', () => {
    expect(parseProcNetInet(UDP, 'udp')).toEqual([
      { proto: 'udp', local: '127.0.0.1:53', remote: '0.0.0.0:0', state: 'UNCONN', inode: 42280 },
    ]);
  });
});

describe('parseProcNetUnix', () => {
  it('reads listening, connected and abstract sockets', () => {
    expect(parseProcNetUnix(UNIX)).toEqual([
      {
        proto: 'unix/stream',
        local: '/var/run/postgresql/.s.PGSQL.5432',
        remote: '*',
        state: 'LISTEN',
        inode: 5211,
      },
      { proto: 'unix/stream', local: '*', remote: '*', state: 'CONNECTED', inode: 29683 },
      { proto: 'unix/dgram', local: '@abstract name', remote: '*', state: 'UNCONNECTED', inode: 29690 },
    ]);
  });
});

describe('socketInode', () => {
  it('takes the inode of a socket link only', () => {
    expect(socketInode('socket:[42276]')).toBe(42276);
    expect(socketInode('pipe:[42276]')).toBeNull();
    expect(socketInode('/tmp/socket:[1]')).toBeNull();
  });
});
