import { describe, expect, it } from '@jest/globals';
import {
  candidateNames,
  parseCrictlInspect,
  parseResolvConf,
} from '../../../../../jobs/probes/program/resolv.js';

const POD_RESOLV = `search shop.svc.cluster.local svc.cluster.local cluster.local
nameserver 10.96.0.10
options ndots:5
`;

describe('parseResolvConf', () => {
  it('reads a pod resolv.conf', () => {
    expect(parseResolvConf(POD_RESOLV)).toEqual({
      nameservers: ['10.96.0.10'],
      search: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
      ndots: 5,
    });
  });

  it('uses glibc defaults, ignores comments, keeps three nameservers', () => {
    const conf = parseResolvConf(
      '# generated\nnameserver 1.1.1.1\nnameserver 8.8.8.8 ; x\nnameserver ::1\nnameserver 9.9.9.9\n',
    );
    expect(conf).toEqual({ nameservers: ['1.1.1.1', '8.8.8.8', '::1'], search: [], ndots: 1 });
  });
});

describe('candidateNames', () => {
  const conf = parseResolvConf(POD_RESOLV);
  it('tries the search list first when the name has fewer dots than ndots', () => {
    expect(candidateNames('kubernetes.default.svc', conf)).toEqual([
      'kubernetes.default.svc.shop.svc.cluster.local',
      'kubernetes.default.svc.svc.cluster.local',
      'kubernetes.default.svc.cluster.local',
      'kubernetes.default.svc',
    ]);
  });
  it('tries the name first with enough dots, and only the name when it is absolute', () => {
    expect(candidateNames('a.b.c.d.example.com', conf)[0]).toBe('a.b.c.d.example.com');
    expect(candidateNames('example.com.', conf)).toEqual(['example.com']);
  });
});

describe('parseCrictlInspect', () => {
  it('takes info.pid of a running container', () => {
    const json = JSON.stringify({
      status: { id: 'abc', state: 'CONTAINER_RUNNING' },
      info: { pid: 4242, sandboxID: 'x' },
    });
    expect(parseCrictlInspect(json)).toEqual({ pid: 4242 });
  });
  it('takes a top-level pid (CRI-O ≤ 1.17)', () => {
    expect(parseCrictlInspect(JSON.stringify({ status: { state: 'CONTAINER_RUNNING' }, pid: 77 }))).toEqual({
      pid: 77,
    });
  });
  it('reports pid 0 and exited containers as not running', () => {
    expect(
      parseCrictlInspect(JSON.stringify({ status: { state: 'CONTAINER_EXITED' }, info: { pid: 0 } })),
    ).toEqual({
      notRunning: 'the runtime reports the container CONTAINER_EXITED (pid 0)',
    });
    expect('notRunning' in parseCrictlInspect(JSON.stringify({ info: { pid: 0 } }))).toBe(true);
  });
  it('explains output it cannot use', () => {
    expect(parseCrictlInspect('not json')).toEqual({ error: 'crictl inspect did not print JSON' });
    expect(parseCrictlInspect(JSON.stringify({ info: {} }))).toEqual({
      error: 'crictl inspect gave no pid (info.pid)',
    });
  });
});
