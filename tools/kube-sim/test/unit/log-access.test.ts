import { describe, expect, it } from '@jest/globals';
import { decideLog } from '../../log-access.js';

const running = { running: { startedAt: '2026-11-20T09:00:00Z' } };
const oomLast = { terminated: { exitCode: 137, reason: 'OOMKilled', containerID: 'containerd://old' } };

function pod(statuses: object[], extra: { containers?: string[]; init?: string[]; nodeName?: string } = {}) {
  return {
    metadata: { name: 'p' },
    spec: {
      nodeName: extra.nodeName ?? 'n1',
      containers: (extra.containers ?? ['app']).map((name) => ({ name })),
      ...(extra.init ? { initContainers: extra.init.map((name) => ({ name })) } : {}),
    },
    status: { containerStatuses: statuses },
  };
}

describe('decideLog: container choice (API server)', () => {
  it('picks the only container', () => {
    expect(decideLog(pod([{ name: 'app', containerID: 'c1', state: running }]), undefined, false)).toEqual({
      kind: 'read',
      container: 'app',
      instance: 'current',
    });
  });

  it('requires a container name when there are several, listing init containers first', () => {
    const p = pod([], { containers: ['a', 'b'], init: ['setup'] });
    expect(decideLog(p, undefined, false)).toEqual({
      kind: 'error',
      message: 'a container name must be specified for pod p, choose one of: [setup a b]',
    });
  });

  it('rejects an unknown container', () => {
    expect(decideLog(pod([]), 'c', false)).toEqual({
      kind: 'error',
      message: 'container c is not valid for pod p',
    });
  });

  it('streams nothing for an unscheduled pod', () => {
    expect(decideLog(pod([], { nodeName: '' }), 'app', false)).toEqual({ kind: 'empty', container: 'app' });
  });
});

describe('decideLog: container state (kubelet)', () => {
  it('reads the previous instance when asked and it exists', () => {
    const p = pod([{ name: 'app', state: running, lastState: oomLast }]);
    expect(decideLog(p, 'app', true)).toEqual({ kind: 'read', container: 'app', instance: 'previous' });
  });

  it('refuses previous when the container never terminated', () => {
    const p = pod([{ name: 'app', state: running, lastState: {} }]);
    expect(decideLog(p, 'app', true)).toEqual({
      kind: 'error',
      message: 'previous terminated container "app" in pod "p" not found',
    });
  });

  it('reads the last terminated instance of a crash-looping container', () => {
    const p = pod([{ name: 'app', state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: oomLast }]);
    expect(decideLog(p, 'app', false)).toEqual({ kind: 'read', container: 'app', instance: 'previous' });
  });

  it.each([
    ['ContainerCreating', 'container "app" in pod "p" is waiting to start: ContainerCreating'],
    ['ImagePullBackOff', 'container "app" in pod "p" is waiting to start: trying and failing to pull image'],
    ['ErrImagePull', `container "app" in pod "p" is waiting to start: image can't be pulled`],
  ])('explains a container waiting in %s', (reason, message) => {
    const p = pod([{ name: 'app', state: { waiting: { reason } }, lastState: {} }]);
    expect(decideLog(p, 'app', false)).toEqual({ kind: 'error', message });
  });

  it('reports a container without status as not available', () => {
    expect(decideLog(pod([]), 'app', false)).toEqual({
      kind: 'error',
      message: 'container "app" in pod "p" is not available',
    });
  });

  it('reads a terminated container that has an id', () => {
    const p = pod([
      { name: 'app', state: { terminated: { exitCode: 0, reason: 'Completed', containerID: 'c9' } } },
    ]);
    expect(decideLog(p, 'app', false)).toEqual({ kind: 'read', container: 'app', instance: 'current' });
  });
});
