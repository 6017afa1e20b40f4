import { describe, expect, it } from '@jest/globals';
import { humanDuration, type PrintablePod, printPod } from '../../pod-printer.js';

const NOW = Date.parse('2026-11-20T10:00:00Z');
const created = '2026-11-20T08:00:00Z';
const running = { running: { startedAt: created } };

function pod(
  status: PrintablePod['status'],
  spec: Partial<NonNullable<PrintablePod['spec']>> = {},
  md = {},
): PrintablePod {
  return {
    metadata: { name: 'p', creationTimestamp: created, ...md },
    spec: { nodeName: 'n1', containers: [{ name: 'app' }], ...spec },
    status,
  };
}

describe('printPod STATUS column', () => {
  it.each<[string, PrintablePod, string]>([
    [
      'running',
      pod({ phase: 'Running', containerStatuses: [{ name: 'app', ready: true, state: running }] }),
      'Running',
    ],
    [
      'crash loop',
      pod({
        phase: 'Running',
        containerStatuses: [{ name: 'app', state: { waiting: { reason: 'CrashLoopBackOff' } } }],
      }),
      'CrashLoopBackOff',
    ],
    [
      'OOMKilled (terminated)',
      pod({
        phase: 'Running',
        containerStatuses: [{ name: 'app', state: { terminated: { reason: 'OOMKilled', exitCode: 137 } } }],
      }),
      'OOMKilled',
    ],
    [
      'terminated without reason',
      pod({ phase: 'Failed', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 2 } } }] }),
      'ExitCode:2',
    ],
    [
      'terminated by signal',
      pod({
        phase: 'Failed',
        containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 0, signal: 9 } } }],
      }),
      'Signal:9',
    ],
    [
      'completed',
      pod({
        phase: 'Succeeded',
        containerStatuses: [{ name: 'app', state: { terminated: { reason: 'Completed', exitCode: 0 } } }],
      }),
      'Completed',
    ],
    [
      'evicted (no container statuses)',
      pod({ phase: 'Failed', reason: 'Evicted', containerStatuses: [] }),
      'Evicted',
    ],
    ['pending unscheduled', pod({ phase: 'Pending' }, { nodeName: undefined }), 'Pending'],
    [
      'init container running',
      pod(
        {
          phase: 'Pending',
          initContainerStatuses: [{ name: 'setup', state: running }],
          containerStatuses: [{ name: 'app', state: { waiting: { reason: 'PodInitializing' } } }],
        },
        { initContainers: [{ name: 'setup' }] },
      ),
      'Init:0/1',
    ],
    [
      'init container crash looping',
      pod(
        {
          phase: 'Pending',
          initContainerStatuses: [{ name: 'setup', state: { waiting: { reason: 'CrashLoopBackOff' } } }],
          containerStatuses: [{ name: 'app', state: { waiting: { reason: 'PodInitializing' } } }],
        },
        { initContainers: [{ name: 'setup' }] },
      ),
      'Init:CrashLoopBackOff',
    ],
    [
      'init container failed',
      pod(
        {
          phase: 'Pending',
          initContainerStatuses: [{ name: 'setup', state: { terminated: { exitCode: 3 } } }],
        },
        { initContainers: [{ name: 'setup' }] },
      ),
      'Init:ExitCode:3',
    ],
    [
      'second init container of two',
      pod(
        {
          phase: 'Pending',
          initContainerStatuses: [
            { name: 'a', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
            { name: 'b', state: running },
          ],
        },
        { initContainers: [{ name: 'a' }, { name: 'b' }] },
      ),
      'Init:1/2',
    ],
    [
      'terminating',
      pod(
        { phase: 'Running', containerStatuses: [{ name: 'app', ready: true, state: running }] },
        {},
        {
          deletionTimestamp: '2026-11-20T09:59:00Z',
        },
      ),
      'Terminating',
    ],
    [
      'one container completed, another running and pod ready',
      pod(
        {
          phase: 'Running',
          conditions: [{ type: 'Ready', status: 'True' }],
          containerStatuses: [
            { name: 'app', ready: true, state: running },
            { name: 'job', state: { terminated: { reason: 'Completed', exitCode: 0 } } },
          ],
        },
        { containers: [{ name: 'app' }, { name: 'job' }] },
      ),
      'Running',
    ],
  ])('%s', (_label, p, expected) => {
    expect(printPod(p, NOW).status).toBe(expected);
  });
});

describe('printPod other columns', () => {
  it('counts ready containers, restarts with the last restart age, and age', () => {
    const row = printPod(
      pod(
        {
          phase: 'Running',
          podIPs: [{ ip: '10.1.2.3' }],
          containerStatuses: [
            {
              name: 'app',
              restartCount: 3,
              state: { waiting: { reason: 'CrashLoopBackOff' } },
              lastState: {
                terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: '2026-11-20T09:55:00Z' },
              },
            },
            { name: 'sidecar', ready: true, restartCount: 1, state: running },
          ],
        },
        { containers: [{ name: 'app' }, { name: 'sidecar' }] },
      ),
      NOW,
    );
    expect(row).toMatchObject({
      ready: '1/2',
      restarts: '4 (5m ago)',
      age: '120m',
      ip: '10.1.2.3',
      node: 'n1',
    });
  });

  it('counts a started native sidecar as a container', () => {
    const row = printPod(
      pod(
        {
          phase: 'Running',
          initContainerStatuses: [{ name: 'proxy', started: true, ready: true, state: running }],
          containerStatuses: [{ name: 'app', ready: true, state: running }],
        },
        { initContainers: [{ name: 'proxy', restartPolicy: 'Always' }] },
      ),
      NOW,
    );
    expect(row.ready).toBe('2/2');
    expect(row.status).toBe('Running');
  });

  it('prints <none> for a pod without IP or node', () => {
    const row = printPod(pod({ phase: 'Pending' }, { nodeName: undefined }), NOW);
    expect([row.ip, row.node, row.nominatedNode, row.restarts]).toEqual(['<none>', '<none>', '<none>', '0']);
  });
});

describe('humanDuration', () => {
  it.each([
    [0, '0s'],
    [-1500, '0s'],
    [-5000, '<invalid>'],
    [59_000, '59s'],
    [119_000, '119s'],
    [200_000, '3m20s'],
    [300_000, '5m'],
    [125 * 60_000, '125m'],
    [(3 * 60 + 5) * 60_000, '3h5m'],
    [10 * 3_600_000, '10h'],
    [(3 * 24 + 4) * 3_600_000, '3d4h'],
    [50 * 24 * 3_600_000, '50d'],
    [(3 * 365 + 10) * 24 * 3_600_000, '3y10d'],
  ])('%d ms → %s', (ms, expected) => {
    expect(humanDuration(ms)).toBe(expected);
  });
});
