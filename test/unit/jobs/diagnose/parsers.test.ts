import { describe, expect, it } from '@jest/globals';
import {
  classifyImagePull,
  exitCodeMeaning,
  parseConfigError,
  parseEviction,
  parseUnschedulable,
  podStatusString,
} from '../../../../jobs/diagnose/rules/index.js';
import {
  errorLines,
  eventLastSeen,
  formatBytes,
  formatEvent,
  humanDuration,
  parseQuantity,
  sortEventsNewestFirst,
  toMillis,
} from '../../../../jobs/diagnose/rules/util.js';
import type { KEvent, Pod } from '../../../../jobs/k8s/types.js';

describe('parseUnschedulable', () => {
  it.each([
    [
      '0/4 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 3 Insufficient memory. preemption: 0/4 nodes are available: 1 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod.',
      { available: 0, total: 4, kinds: ['taint', 'resources'], taint: 'dedicated: gpu', resource: 'memory' },
    ],
    [
      "0/3 nodes are available: 1 node(s) had taint {node-role.kubernetes.io/master: }, that the pod didn't tolerate, 2 Insufficient cpu.",
      {
        available: 0,
        total: 3,
        kinds: ['taint', 'resources'],
        taint: 'node-role.kubernetes.io/master:',
        resource: 'cpu',
      },
    ],
    [
      "0/5 nodes are available: 2 node(s) didn't match Pod's node affinity/selector, 3 Too many pods. preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling.",
      { available: 0, total: 5, kinds: ['affinity', 'resources'], resource: 'pods' },
    ],
    [
      '0/3 nodes are available: persistentvolumeclaim "data-db-0" not found. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
      { available: 0, total: 3, kinds: ['volume'], pvc: 'data-db-0' },
    ],
    [
      '0/3 nodes are available: 3 pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
      { available: 0, total: 3, kinds: ['volume'] },
    ],
    [
      "0/6 nodes are available: 1 node(s) were unschedulable, 2 node(s) had volume node affinity conflict, 3 node(s) didn't have free ports for the requested pod ports.",
      { available: 0, total: 6, kinds: ['unschedulable-node', 'volume', 'ports'] },
    ],
    [
      "0/3 nodes are available: 3 node(s) didn't match pod topology spread constraints.",
      { available: 0, total: 3, kinds: ['topology'] },
    ],
    [
      "0/2 nodes are available: 1 node(s) didn't match pod anti-affinity rules, 1 node(s) had untolerated taint {node.kubernetes.io/unschedulable: }.",
      { available: 0, total: 2, kinds: ['affinity', 'unschedulable-node'] },
    ],
  ])('%s', (message, want) => {
    const s = parseUnschedulable(message);
    expect([s.available, s.total]).toEqual([want.available, want.total]);
    expect(s.reasons.map((r) => r.kind)).toEqual(want.kinds);
    expect(s.reasons.some((r) => r.text.includes('preemption') || r.text.includes('Preemption'))).toBe(false);
    if ('taint' in want) expect(s.reasons.find((r) => r.kind === 'taint')?.taint).toBe(want.taint);
    if ('resource' in want)
      expect(s.reasons.find((r) => r.kind === 'resources')?.resource).toBe(want.resource);
    if ('pvc' in want) expect(s.reasons[0]?.pvc).toBe(want.pvc);
  });

  it('keeps node counts per reason', () => {
    const s = parseUnschedulable(
      '0/4 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 3 Insufficient memory.',
    );
    expect(s.reasons.map((r) => r.count)).toEqual([1, 3]);
  });
});

describe('exitCodeMeaning', () => {
  it.each([
    [143, 15, 'SIGTERM'],
    [137, 9, 'SIGKILL'],
    [139, 11, 'SIGSEGV'],
    [134, 6, 'SIGABRT'],
    [130, 2, 'SIGINT'],
    [129, 1, 'SIGHUP'],
  ])('%i is signal %i (%s)', (code, signal, name) => {
    expect(exitCodeMeaning(code)).toMatchObject({ code, signal, signalName: name });
  });

  it.each([
    [0, /success/],
    [1, /application error/],
    [2, /arguments/],
    [126, /not executable/],
    [127, /not found/],
    [255, /out of range/],
    [42, /application-defined/],
  ])('%i is not a signal: %s', (code, meaning) => {
    const m = exitCodeMeaning(code);
    expect(m.signal).toBeUndefined();
    expect(m.meaning).toMatch(meaning);
  });

  it('calls SIGTERM normal on a rollout', () => {
    expect(exitCodeMeaning(143).meaning).toMatch(/rollout/);
  });
});

describe('classifyImagePull', () => {
  it.each([
    [
      'rpc error: code = NotFound desc = failed to pull and unpack image "r.io/a:1": failed to resolve reference "r.io/a:1": r.io/a:1: not found',
      'not-found',
    ],
    ['failed to resolve reference "ghcr.io/acme/x:2": ghcr.io/acme/x:2: manifest unknown', 'not-found'],
    ['dial tcp: lookup registry.nowhere.example on 10.96.0.10:53: no such host', 'not-found'],
    [
      'pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed',
      'auth',
    ],
    ['failed to authorize: failed to fetch oauth token: unexpected status: 401 Unauthorized', 'auth'],
    ['unexpected status from HEAD request to https://r.io/v2/a/manifests/1: 403 Forbidden', 'auth'],
    [
      '429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit.',
      'rate-limit',
    ],
    ['tls: failed to verify certificate: x509: certificate signed by unknown authority', 'tls'],
    ['dial tcp 52.1.2.3:443: i/o timeout', 'timeout'],
    ['net/http: TLS handshake timeout', 'timeout'],
    ['something nobody has seen before', 'unknown'],
  ])('%s → %s', (message, cls) => {
    expect(classifyImagePull(message)).toBe(cls);
  });
});

describe('parseEviction', () => {
  it('reads the resource and the heaviest container (current kubelet wording)', () => {
    const e = parseEviction(
      'The node was low on resource: memory. Threshold quantity: 100Mi, available: 91236Ki. Container sidecar was using 18220Ki, request is 32Mi, has larger consumption of memory. Container builder was using 3571208Ki, request is 512Mi, has larger consumption of memory. ',
    );
    expect(e.resource).toBe('memory');
    expect([e.threshold, e.available]).toEqual(['100Mi', '91236Ki']);
    expect(e.containers.map((c) => c.name)).toEqual(['sidecar', 'builder']);
    expect(e.heaviest).toEqual({ name: 'builder', usage: '3571208Ki', request: '512Mi' });
  });

  it('reads the older wording', () => {
    const e = parseEviction(
      'The node was low on resource: ephemeral-storage. Container app was using 10Gi, which exceeds its request of 0. ',
    );
    expect(e.resource).toBe('ephemeral-storage');
    expect(e.heaviest).toEqual({ name: 'app', usage: '10Gi', request: '0' });
  });

  it('copes with a message that names no container', () => {
    const e = parseEviction('Pod ephemeral local storage usage exceeds the total limit of containers 1Gi. ');
    expect(e.resource).toBeUndefined();
    expect(e.heaviest).toBeUndefined();
  });
});

describe('parseConfigError', () => {
  it.each([
    ['secret "db-creds" not found', { kind: 'secret', name: 'db-creds' }],
    ['configmap "app-config" not found', { kind: 'configmap', name: 'app-config' }],
    [
      "couldn't find key DB_URL in ConfigMap shop/app-config",
      { kind: 'key', key: 'DB_URL', objectKind: 'ConfigMap', name: 'app-config' },
    ],
    [
      "couldn't find key password in Secret shop/db",
      { kind: 'key', key: 'password', objectKind: 'Secret', name: 'db' },
    ],
  ])('%s', (message, want) => {
    expect(parseConfigError(message)).toEqual(want);
  });

  it('recognises runAsNonRoot against a root image', () => {
    expect(
      parseConfigError(
        'container has runAsNonRoot and image will run as root (pod: "a_b(uid)", container: api)',
      ).kind,
    ).toBe('run-as-non-root');
  });
});

describe('util', () => {
  it('parses quantities', () => {
    expect(parseQuantity('256Mi')).toBe(256 * 2 ** 20);
    expect(parseQuantity('1.5Gi')).toBe(1.5 * 2 ** 30);
    expect(parseQuantity('500m')).toBe(0.5);
    expect(parseQuantity('1e3')).toBe(1000);
    expect(parseQuantity('128M')).toBe(128e6);
    expect(parseQuantity('92436Ki')).toBe(92436 * 1024);
    expect(parseQuantity('lots')).toBeUndefined();
    expect(formatBytes(384 * 2 ** 20)).toBe('384Mi');
    expect(formatBytes(1.5 * 2 ** 30)).toBe('1.5Gi');
  });

  it('prints durations like kubectl', () => {
    expect(humanDuration(45_000)).toBe('45s');
    expect(humanDuration(200_000)).toBe('3m20s');
    expect(humanDuration(46 * 60_000)).toBe('46m');
    expect(humanDuration((5 * 60 + 7) * 60_000)).toBe('5h7m');
    expect(humanDuration(3 * 86_400_000)).toBe('3d');
  });

  it('accepts string or Date times', () => {
    expect(toMillis('2026-11-20T10:00:00Z')).toBe(Date.UTC(2026, 10, 20, 10));
    expect(toMillis(new Date(Date.UTC(2026, 10, 20, 10)))).toBe(Date.UTC(2026, 10, 20, 10));
    expect(toMillis(null)).toBeUndefined();
  });

  it('orders events by the latest of series.lastObservedTime, eventTime and lastTimestamp', () => {
    const seriesEvent: KEvent = {
      metadata: { name: 'series' },
      involvedObject: {},
      eventTime: '2026-11-20T09:30:00.000001Z',
      series: { count: 5, lastObservedTime: '2026-11-20T09:59:00.000000Z' },
    };
    const legacy: KEvent = {
      metadata: { name: 'legacy' },
      involvedObject: {},
      lastTimestamp: '2026-11-20T09:40:00Z',
    };
    const micro: KEvent = {
      metadata: { name: 'micro' },
      involvedObject: {},
      eventTime: '2026-11-20T09:50:00.000000Z',
    };
    expect(eventLastSeen(seriesEvent)).toBe(Date.parse('2026-11-20T09:59:00Z'));
    expect(eventLastSeen(legacy)).toBe(Date.parse('2026-11-20T09:40:00Z'));
    expect(sortEventsNewestFirst([legacy, seriesEvent, micro]).map((e) => e.metadata.name)).toEqual([
      'series',
      'micro',
      'legacy',
    ]);
    const line = formatEvent(
      {
        ...seriesEvent,
        type: 'Warning',
        reason: 'FailedScheduling',
        reportingComponent: 'default-scheduler',
        message: 'm',
      },
      Date.parse('2026-11-20T10:00:00Z'),
    );
    expect(line).toBe('Warning  FailedScheduling  60s (x5 over 30m)  default-scheduler  m');
  });

  it('picks error lines from a log, else its tail', () => {
    expect(errorLines('a\nb\nPanic: boom\nc\nTraceback (x)\nd')).toEqual(['Panic: boom', 'Traceback (x)']);
    expect(errorLines('one\ntwo\nthree\nfour')).toEqual(['two', 'three', 'four']);
    expect(errorLines(Array.from({ length: 9 }, (_, i) => `ERROR ${i}`).join('\n'))).toHaveLength(5);
    expect(errorLines(undefined)).toEqual([]);
  });
});

describe('podStatusString (kubectl STATUS column)', () => {
  const base = (status: Pod['status'], extra: Partial<NonNullable<Pod['spec']>> = {}): Pod => ({
    metadata: { name: 'p', namespace: 'n' },
    spec: { containers: [{ name: 'app' }], ...extra },
    status,
  });
  it.each([
    [
      base({
        phase: 'Running',
        containerStatuses: [
          { name: 'app', image: 'i', imageID: '', ready: true, restartCount: 0, state: { running: {} } },
        ],
      }),
      'Running',
    ],
    [
      base({
        phase: 'Running',
        containerStatuses: [
          {
            name: 'app',
            image: 'i',
            imageID: '',
            ready: false,
            restartCount: 3,
            state: { waiting: { reason: 'CrashLoopBackOff' } },
          },
        ],
      }),
      'CrashLoopBackOff',
    ],
    [
      base({
        phase: 'Succeeded',
        containerStatuses: [
          {
            name: 'app',
            image: 'i',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { terminated: { exitCode: 0, reason: 'Completed' } },
          },
        ],
      }),
      'Completed',
    ],
    [
      base({
        phase: 'Failed',
        containerStatuses: [
          {
            name: 'app',
            image: 'i',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { terminated: { exitCode: 3 } },
          },
        ],
      }),
      'ExitCode:3',
    ],
    [
      base({
        phase: 'Failed',
        containerStatuses: [
          {
            name: 'app',
            image: 'i',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { terminated: { exitCode: 137, signal: 9 } },
          },
        ],
      }),
      'Signal:9',
    ],
    [base({ phase: 'Failed', reason: 'Evicted' }), 'Evicted'],
    [
      base(
        {
          phase: 'Pending',
          initContainerStatuses: [
            {
              name: 'init',
              image: 'i',
              imageID: '',
              ready: false,
              restartCount: 0,
              state: { terminated: { exitCode: 1, reason: 'Error' } },
            },
          ],
          containerStatuses: [
            {
              name: 'app',
              image: 'i',
              imageID: '',
              ready: false,
              restartCount: 0,
              state: { waiting: { reason: 'PodInitializing' } },
            },
          ],
        },
        { initContainers: [{ name: 'init' }] },
      ),
      'Init:Error',
    ],
    [
      base(
        {
          phase: 'Pending',
          initContainerStatuses: [
            {
              name: 'a',
              image: 'i',
              imageID: '',
              ready: false,
              restartCount: 0,
              state: { terminated: { exitCode: 0, reason: 'Completed' } },
            },
            { name: 'b', image: 'i', imageID: '', ready: false, restartCount: 0, state: { running: {} } },
          ],
        },
        { initContainers: [{ name: 'a' }, { name: 'b' }] },
      ),
      'Init:1/2',
    ],
    [
      base(
        {
          phase: 'Running',
          conditions: [{ type: 'Initialized', status: 'True' }],
          initContainerStatuses: [
            {
              name: 'sidecar',
              image: 'i',
              imageID: '',
              ready: true,
              started: true,
              restartCount: 0,
              state: { running: {} },
            },
          ],
          containerStatuses: [
            { name: 'app', image: 'i', imageID: '', ready: true, restartCount: 0, state: { running: {} } },
          ],
        },
        { initContainers: [{ name: 'sidecar', restartPolicy: 'Always' }] },
      ),
      'Running',
    ],
    [
      { ...base({ phase: 'Running' }), metadata: { name: 'p', deletionTimestamp: '2026-11-20T09:00:00Z' } },
      'Terminating',
    ],
    [
      base({
        phase: 'Pending',
        conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }],
      }),
      'SchedulingGated',
    ],
  ])('%#: %j → %s', (pod, want) => {
    expect(podStatusString(pod)).toBe(want);
  });
});
