import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import type { Job, Pod, StatefulSet } from '../../../../jobs/k8s/types.js';
import { describeOwner, podsStatus } from '../../../../jobs/reads/describe-owner.js';
import { describePod } from '../../../../jobs/reads/describe-pod.js';
import { aggregateEvents } from '../../../../jobs/reads/events-format.js';
import { fileName, fitsInline } from '../../../../jobs/reads/job.js';

const NOW = Date.parse('2026-11-20T10:00:00Z');
const objects = parseAllDocuments(readFileSync('test/fixtures/sample-incident/objects.yaml', 'utf8')).map(
  (d) => d.toJSON() as { kind: string; metadata: { name: string } },
);
const find = <T>(kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name) as T;

describe('describePod', () => {
  const pod = find<Pod>('Pod', 'checkout-7d9f8b6c5-x2kqp');
  const events = aggregateEvents(
    objects.filter(
      (o) =>
        o.kind === 'Event' &&
        (o as { involvedObject?: { name?: string } }).involvedObject?.name === pod.metadata?.name,
    ),
  );
  const text = describePod(pod, events, NOW);
  const lines = text.split('\n');

  it('has kubectl describe pod’s sections in its order', () => {
    const order = [
      'Name:',
      'Namespace:',
      'Node:',
      'Labels:',
      'Status:',
      'IP:',
      'Controlled By:',
      'Containers:',
      'Conditions:',
      'Volumes:',
      'QoS Class:',
      'Tolerations:',
      'Events:',
    ];
    const at = order.map((k) => lines.findIndex((l) => l.startsWith(k)));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  it('shows the container’s state, last state, restarts, limits and an env var from a secret by reference', () => {
    expect(text).toMatch(/^ {4}State: +Waiting\n {6}Reason: +CrashLoopBackOff$/m);
    expect(text).toMatch(/^ {4}Last State: +Terminated\n {6}Reason: +OOMKilled\n {6}Exit Code: +137$/m);
    expect(text).toMatch(/^ {4}Restart Count: +6$/m);
    expect(text).toMatch(/^ {6}memory: +512Mi$/m);
    expect(text).toContain("<set to the key 'password' in secret 'checkout-db'>");
    expect(text).toMatch(/^ {4}Liveness: +http-get http:\/\/:8080\/actuator\/health\/liveness delay=40s/m);
  });

  it('lists the events with their repeats', () => {
    expect(text).toMatch(/^ {2}Warning +BackOff +\S+ \(x41 over 36m\) +kubelet/m);
  });

  it('labels continue under their key, aligned', () => {
    const i = lines.findIndex((l) => l.startsWith('Labels:'));
    const col = lines[i]!.indexOf('app.kubernetes.io');
    expect(lines[i + 1]!.indexOf('pod-template-hash')).toBe(col);
  });
});

describe('describeOwner', () => {
  it('a Job: completions, pod statuses, template', () => {
    const job = find<Job>('Job', 'db-migrate');
    const text = describeOwner({ kind: 'Job', obj: job }, [], [], NOW);
    expect(text).toMatch(/^Pods Statuses: +\d+ Active \(\d+ Ready\) \/ \d+ Succeeded \/ \d+ Failed$/m);
    expect(text).toMatch(/^Backoff Limit: +\d+$/m);
    expect(text).toContain('Pod Template:');
    expect(text).toMatch(/^Pods \(0, by the selector\):\n {2}<none>$/m);
    expect(text).toMatch(/^Events: +<none>$/m);
  });

  it('a StatefulSet: replicas, update strategy, pods by phase', () => {
    const sts: StatefulSet = {
      metadata: { name: 'db', namespace: 'shop', creationTimestamp: '2026-11-01T00:00:00Z' },
      spec: {
        replicas: 3,
        serviceName: 'db',
        selector: {
          matchLabels: { app: 'db' },
          matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }],
        },
        template: {
          metadata: { labels: { app: 'db' } },
          spec: { containers: [{ name: 'pg', image: 'postgres:16' }] },
        },
      },
      status: { replicas: 2 },
    };
    const pods = [
      { metadata: { name: 'db-0', creationTimestamp: '2026-11-20T09:00:00Z' }, status: { phase: 'Running' } },
      { metadata: { name: 'db-1' }, status: { phase: 'Pending' } },
    ] as Pod[];
    const text = describeOwner({ kind: 'StatefulSet', obj: sts }, pods, [], NOW);
    expect(text).toMatch(/^Selector: +app=db,tier in \(a,b\)$/m);
    expect(text).toMatch(/^Replicas: +3 desired \| 2 total$/m);
    expect(text).toMatch(/^Pods Status: +1 Running \/ 1 Waiting \/ 0 Succeeded \/ 0 Failed$/m);
    expect(text).toMatch(/^ {2}db-0 +Running +0 +<none> +60m$/m);
    expect(podsStatus([])).toBe('0 Running / 0 Waiting / 0 Succeeded / 0 Failed');
  });
});

describe('inline or file', () => {
  it.each<[string, boolean]>([
    ['short\n', true],
    ['', true],
    [`${'x'.repeat(301)}\n`, false],
    [Array.from({ length: 41 }, () => 'l').join('\n'), false],
    [`${'y'.repeat(250)}\n`.repeat(12), false],
  ])('%#', (text, inline) => {
    expect(fitsInline(text)).toBe(inline);
  });

  it('file names keep to the artefact name grammar', () => {
    expect(fileName('logs', 'shop', 'checkout-7d9f')).toBe('logs-shop-checkout-7d9f.txt');
    expect(fileName('describe', 'a', 'b'.repeat(200))).toMatch(/^[A-Za-z0-9._-]{1,100}$/);
  });
});
