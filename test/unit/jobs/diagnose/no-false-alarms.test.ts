import { describe, expect, it } from '@jest/globals';
import type { Finding } from '../../../../jobs/contracts/finding.js';
import { runRules } from '../../../../jobs/diagnose/rules/index.js';
import type { Gathered } from '../../../../jobs/diagnose/types.js';
import type { KEvent } from '../../../../jobs/k8s/types.js';
import { listScenarios, loadGathered } from '../../../support/scenarios.js';

const healthy = listScenarios().find((s) => s.name === 'healthy')!;

/** The healthy pod, changed by `edit`. */
function variant(edit: (g: Gathered) => void): Gathered {
  const g = structuredClone(loadGathered(healthy));
  edit(g);
  return g;
}

const web = (g: Gathered) => g.pod.status!.containerStatuses![0]!;
const event = (over: Partial<KEvent>): KEvent => ({
  metadata: { name: 'e', namespace: 'healthy' },
  involvedObject: {
    kind: 'Pod',
    name: healthy.expect.pod,
    namespace: 'healthy',
    fieldPath: 'spec.containers{web}',
  },
  type: 'Warning',
  count: 1,
  source: { component: 'kubelet' },
  ...over,
});
const bySeverity = (fs: Finding[]) => fs.map((f) => `${f.id}:${f.severity}`);

describe('no false alarms', () => {
  it.each<[string, (g: Gathered) => void, string[]]>([
    ['a healthy pod', () => {}, ['healthy:info']],
    [
      'two restarts a week ago, fine since',
      (g) => {
        web(g).restartCount = 2;
        web(g).lastState = {
          terminated: {
            exitCode: 1,
            reason: 'Error',
            startedAt: '2026-11-13T08:00:00Z',
            finishedAt: '2026-11-13T09:00:00Z',
          },
        };
      },
      ['app-error:info', 'healthy:info'],
    ],
    [
      'SIGTERM (143) when the pod was restarted by a rollout of a sidecar or node agent',
      (g) => {
        web(g).restartCount = 1;
        web(g).lastState = {
          terminated: {
            exitCode: 143,
            reason: 'Error',
            startedAt: '2026-11-19T08:00:00Z',
            finishedAt: '2026-11-20T09:50:00Z',
          },
        };
      },
      ['exit-code:info', 'healthy:info'],
    ],
    [
      'readiness failures two hours ago, ready now',
      (g) => {
        g.events.push(
          event({
            reason: 'Unhealthy',
            message: 'Readiness probe failed: HTTP probe failed with statuscode: 503',
            lastTimestamp: '2026-11-20T08:00:00Z',
            firstTimestamp: '2026-11-20T07:55:00Z',
            count: 4,
          }),
        );
      },
      ['healthy:info'],
    ],
    [
      'a SystemOOM on the node yesterday',
      (g) => {
        g.nodeEvents.push(
          event({
            involvedObject: { kind: 'Node', name: 'healthy-node' },
            reason: 'SystemOOM',
            message: 'System OOM encountered, victim process: python, pid: 12',
            lastTimestamp: '2026-11-19T10:00:00Z',
          }),
        );
      },
      ['healthy:info'],
    ],
    [
      'a pod being deleted within its grace period',
      (g) => {
        g.pod.metadata!.deletionTimestamp = '2026-11-20T10:00:20Z';
        g.pod.metadata!.deletionGracePeriodSeconds = 30;
      },
      ['no-problem-found:info'],
    ],
    [
      'seven restarts, the last three days ago',
      (g) => {
        web(g).restartCount = 7;
        web(g).lastState = {
          terminated: {
            exitCode: 1,
            reason: 'Error',
            startedAt: '2026-11-17T08:00:00Z',
            finishedAt: '2026-11-17T09:00:00Z',
          },
        };
      },
      ['app-error:info', 'high-restarts:info', 'healthy:info'],
    ],
    [
      'a ready pod whose log has ERROR lines and a refused connection it recovered from',
      (g) => {
        g.logs[0]!.current = [
          '2026-11-20T09:41:12Z ERROR dial tcp 10.96.14.20:5432: connect: connection refused, retrying',
          '2026-11-20T09:41:13Z INFO connected to postgres-primary:5432',
          '2026-11-20T09:50:00Z ERROR java.lang.OutOfMemoryError: Java heap space (in a worker thread, caught)',
          "2026-11-20T09:51:00Z ERROR PermissionError: [Errno 13] Permission denied: '/tmp/x'",
        ].join('\n');
      },
      ['healthy:info'],
    ],
    [
      'a past failure an hour and more ago, running and ready since: its log is not read for causes',
      (g) => {
        web(g).restartCount = 1;
        web(g).lastState = {
          terminated: {
            exitCode: 1,
            reason: 'Error',
            startedAt: '2026-11-20T07:00:00Z',
            finishedAt: '2026-11-20T08:00:00Z',
          },
        };
        g.logs[0]!.previous = 'Error: getaddrinfo ENOTFOUND payments-api\n';
      },
      ['app-error:info', 'healthy:info'],
    ],
    [
      'a pod created seconds ago, not yet scheduled',
      (g) => {
        g.pod.metadata!.creationTimestamp = '2026-11-20T09:59:50Z';
        g.pod.status = { phase: 'Pending', qosClass: 'Burstable' };
        delete g.pod.spec!.nodeName;
        delete g.node;
        g.events = [];
      },
      ['no-problem-found:info'],
    ],
  ])('%s', (_name, edit, want) => {
    expect(bySeverity(runRules(variant(edit))).sort()).toEqual([...want].sort());
  });

  it('is consistent about restarts: a crash loop is not also reported as high-restarts', () => {
    const s = listScenarios().find((x) => x.name === 'crash-loop')!;
    const ids = runRules(loadGathered(s)).map((f) => f.id);
    expect(ids).toContain('crash-loop');
    expect(ids).not.toContain('high-restarts');
  });

  it('reports an OOM kill two days ago, running since, as a warning with its time', () => {
    const g = variant((x) => {
      web(x).restartCount = 1;
      web(x).lastState = {
        terminated: {
          exitCode: 137,
          reason: 'OOMKilled',
          startedAt: '2026-11-17T22:40:00Z',
          finishedAt: '2026-11-18T03:12:00Z',
        },
      };
    });
    const oom = runRules(g).find((f) => f.id === 'oom-killed')!;
    expect(oom.severity).toBe('warning');
    expect(oom.title).toBe('Container `web` was OOMKilled (limit 256Mi) (2d6h ago; running since)');
  });

  it('judges a native sidecar as a long-running container: its crash loop is crash-loop, not a failing init container', () => {
    const s = listScenarios().find((x) => x.name === 'healthy-native-sidecar')!;
    const g = structuredClone(loadGathered(s));
    const st = g.pod.status!.initContainerStatuses![0]!;
    st.ready = false;
    st.restartCount = 6;
    st.state = { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s' } };
    st.lastState = {
      terminated: {
        exitCode: 1,
        reason: 'Error',
        startedAt: '2026-11-20T09:58:00Z',
        finishedAt: '2026-11-20T09:58:30Z',
      },
    };
    g.logs.find((l) => l.container === 'log-shipper')!.previous =
      '[2026/11/20 09:58:30] [error] [output:loki:loki.0] getaddrinfo(host=loki.monitoring): Temporary failure in name resolution\n';
    const ids = bySeverity(runRules(g));
    expect(ids).toContain('crash-loop:critical');
    expect(ids).toContain('dns-failure:critical');
    expect(ids).not.toContain('init-container-failing:critical');
  });

  it('raises OOMKilled to critical when it happened minutes ago, even if running again', () => {
    const g = variant((x) => {
      web(x).restartCount = 1;
      web(x).lastState = {
        terminated: {
          exitCode: 137,
          reason: 'OOMKilled',
          startedAt: '2026-11-20T09:00:00Z',
          finishedAt: '2026-11-20T09:55:00Z',
        },
      };
    });
    const ids = bySeverity(runRules(g));
    expect(ids).toContain('oom-killed:critical');
    expect(ids).not.toContain('healthy:info');
  });
});
