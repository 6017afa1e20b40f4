import { describe, expect, it } from '@jest/globals';
import type { ContainerView } from '../../../../jobs/diagnose/rules/context.js';
import { probeProblem } from '../../../../jobs/diagnose/rules/probes-config.js';

const view = (ports?: { containerPort: number; name?: string }[]): ContainerView =>
  ({
    name: 'api',
    init: false,
    sidecar: false,
    spec: { name: 'api', ...(ports ? { ports } : {}) },
  }) as ContainerView;

describe('probeProblem', () => {
  it('a named port the container does not declare', () => {
    expect(
      probeProblem(view([{ containerPort: 8080, name: 'http' }]), { httpGet: { port: 'admin' } }, []),
    ).toBe('it targets the named port `admin`, which `api` does not declare (ports: http)');
  });

  it('a numeric port other than the declared ones', () => {
    expect(
      probeProblem(view([{ containerPort: 8080, name: 'http' }]), { tcpSocket: { port: 8081 } }, []),
    ).toBe('it targets port 8081, but `api` declares 8080 (http)');
  });

  it('an exec command missing from the image, from the kubelet message', () => {
    expect(
      probeProblem(view(), { exec: { command: ['pg_isready', '-U', 'app'] } }, [
        'Liveness probe errored: rpc error: code = Unknown desc = failed to exec in container: exec: "pg_isready": executable file not found in $PATH',
      ]),
    ).toBe('its exec command ["pg_isready","-U","app"] cannot run in the image');
  });

  it.each<[string, ContainerView, Parameters<typeof probeProblem>[1], string[]]>([
    [
      'a declared named port',
      view([{ containerPort: 8080, name: 'http' }]),
      { httpGet: { port: 'http' } },
      [],
    ],
    ['a declared numeric port', view([{ containerPort: 8080 }]), { httpGet: { port: 8080 } }, []],
    ['no ports declared at all (ports are informational)', view(), { httpGet: { port: 9000 } }, []],
    [
      'an exec probe that runs and fails',
      view(),
      { exec: { command: ['/bin/check'] } },
      ['Liveness probe failed: not ok'],
    ],
  ])('no problem for %s', (_what, c, p, failures) => {
    expect(probeProblem(c, p, failures)).toBeUndefined();
  });
});
