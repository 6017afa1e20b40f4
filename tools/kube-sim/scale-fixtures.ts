/**
 * Generated fixtures for scale: an owner (Deployment with its ReplicaSet,
 * StatefulSet, DaemonSet or Job) of N pods spread over nodes of 110 pods,
 * one pod crash looping after an OOM kill at a chosen position of the list
 * (the API lists in name order: names are built so position i sorts i-th),
 * the usual Normal events of every pod (thousands), and a node with
 * thousands of events about itself whose newest (a SystemOOM) sorts last.
 * Objects are as the API returns them; timestamps are relative to `now`.
 * Load them with loadScaleFixture(sim, fx) (put() is not rebased).
 *
 * Longer than 400 lines on purpose: complete API objects (owner, ReplicaSet, nodes, pods in two states,
 * events) written out field by field, as `kubectl get -o yaml` shows them, in one generator.
 */
import type { KubeObject } from './store.js';

export interface ScaleOptions {
  namespace: string;
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'Job';
  name: string;
  pods: number;
  /** 0-based position in name order of the one failing pod; undefined: all healthy. */
  failingAt?: number;
  /** Pods per node (kubelet's default maximum: 110). */
  podsPerNode?: number;
  /** Normal events per pod (Scheduled, Pulled, Created, Started): default 4. */
  eventsPerPod?: number;
  /** Events about the first node (NodeHasSufficientMemory …); the newest, last in name order, is a SystemOOM. 0: none. */
  nodeEvents?: number;
  /** The instant the fixture is written against (ms); default Date.now(). */
  now?: number;
}

export interface ScaleFixture {
  objects: KubeObject[];
  logs: { namespace: string; pod: string; container: string; text: string; previous: boolean }[];
  /** Pod names in list (name) order. */
  podNames: string[];
  failingPod?: string;
  nodeNames: string[];
}

/** Pod-name characters (Kubernetes' generateName alphabet) in byte order, so base-27 digits sort as numbers. */
const ALPHABET = '245679bcdfghjklmnpqrstvwxz';
const HASH = '5f7c9d8b6';

function suffix(i: number): string {
  let s = '';
  let n = i;
  for (let k = 0; k < 5; k++) {
    s = ALPHABET[n % ALPHABET.length] + s;
    n = Math.floor(n / ALPHABET.length);
  }
  return s;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
let uidSeq = 0;
const uid = (tag: string) => {
  uidSeq++;
  const hex = (uidSeq.toString(16) + tag.length.toString(16)).padStart(12, '0').slice(-12);
  return `5ca1e000-0000-4000-8000-${hex}`;
};

function event(
  ns: string,
  about: { kind: string; name: string; namespace?: string; uid?: string; fieldPath?: string },
  reason: string,
  message: string,
  at: number,
  o: { type?: string; count?: number; component?: string; host?: string } = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name: `${about.name}.${(BigInt(at) * 1_000_000n).toString(16)}`,
      namespace: ns,
      uid: uid('event'),
      creationTimestamp: iso(at),
    },
    involvedObject: {
      kind: about.kind,
      name: about.name,
      apiVersion: 'v1',
      ...(about.namespace ? { namespace: about.namespace } : {}),
      ...(about.uid ? { uid: about.uid } : {}),
      ...(about.fieldPath ? { fieldPath: about.fieldPath } : {}),
    },
    reason,
    message,
    source: { component: o.component ?? 'kubelet', ...(o.host ? { host: o.host } : {}) },
    firstTimestamp: iso(at),
    lastTimestamp: iso(at),
    count: o.count ?? 1,
    type: o.type ?? 'Normal',
    reportingComponent: o.component ?? 'kubelet',
    reportingInstance: o.host ?? '',
  };
}

/** Builds the objects, logs and names of one scaled owner. */
export function scaleFixture(o: ScaleOptions): ScaleFixture {
  const now = o.now ?? Date.now();
  const ns = o.namespace;
  const perNode = o.podsPerNode ?? 110;
  const nodeCount = Math.max(1, Math.ceil(o.pods / perNode));
  const nodeNames = Array.from(
    { length: nodeCount },
    (_, i) => `${o.name}-node-${String(i).padStart(3, '0')}`,
  );
  const created = now - 6 * 3600_000;
  const labels = { app: o.name };
  const image = 'registry.example.com/shop/web:1.8.2';
  const ownerUid = uid('owner');
  const objects: KubeObject[] = [];
  const logs: ScaleFixture['logs'] = [];

  const template = {
    metadata: { labels },
    spec: {
      containers: [
        {
          name: 'app',
          image,
          ports: [{ containerPort: 8080, protocol: 'TCP' }],
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
        },
      ],
      restartPolicy: o.kind === 'Job' ? 'Never' : 'Always',
    },
  };
  const apiVersion = o.kind === 'Job' ? 'batch/v1' : 'apps/v1';
  const ownerObj: KubeObject = {
    apiVersion,
    kind: o.kind,
    metadata: { name: o.name, namespace: ns, uid: ownerUid, generation: 3, creationTimestamp: iso(created) },
    spec: {
      ...(o.kind === 'Job'
        ? { parallelism: o.pods, completions: o.pods, backoffLimit: 6 }
        : { replicas: o.pods }),
      selector: { matchLabels: labels },
      template,
    },
    status:
      o.kind === 'Job'
        ? { active: o.pods, startTime: iso(created) }
        : {
            replicas: o.pods,
            readyReplicas: o.pods - 1,
            availableReplicas: o.pods - 1,
            observedGeneration: 3,
          },
  };
  objects.push(ownerObj);

  let podOwner: { apiVersion: string; kind: string; name: string; uid: string } = {
    apiVersion,
    kind: o.kind,
    name: o.name,
    uid: ownerUid,
  };
  let prefix = `${o.name}-`;
  const podLabels: Record<string, string> = { ...labels };
  if (o.kind === 'Deployment') {
    const rsName = `${o.name}-${HASH}`;
    const rsUid = uid('rs');
    objects.push({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: rsName,
        namespace: ns,
        uid: rsUid,
        labels: { ...labels, 'pod-template-hash': HASH },
        creationTimestamp: iso(created),
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            name: o.name,
            uid: ownerUid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: {
        replicas: o.pods,
        selector: { matchLabels: { ...labels, 'pod-template-hash': HASH } },
        template,
      },
      status: { replicas: o.pods, readyReplicas: o.pods - 1, availableReplicas: o.pods - 1 },
    });
    podOwner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rsName, uid: rsUid };
    prefix = `${rsName}-`;
    podLabels['pod-template-hash'] = HASH;
  }

  for (const [i, n] of nodeNames.entries()) {
    objects.push({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: n,
        uid: uid('node'),
        labels: { 'kubernetes.io/hostname': n },
        creationTimestamp: iso(created - 86400_000),
      },
      spec: {},
      status: {
        conditions: [
          {
            type: 'MemoryPressure',
            status: 'False',
            reason: 'KubeletHasSufficientMemory',
            lastTransitionTime: iso(created),
          },
          {
            type: 'DiskPressure',
            status: 'False',
            reason: 'KubeletHasNoDiskPressure',
            lastTransitionTime: iso(created),
          },
          {
            type: 'PIDPressure',
            status: 'False',
            reason: 'KubeletHasSufficientPID',
            lastTransitionTime: iso(created),
          },
          {
            type: 'Ready',
            status: 'True',
            reason: 'KubeletReady',
            message: 'kubelet is posting ready status',
            lastTransitionTime: iso(created),
          },
        ],
        capacity: { cpu: '16', memory: '65843636Ki', pods: String(perNode) },
        allocatable: { cpu: '15890m', memory: '63441844Ki', pods: String(perNode) },
        nodeInfo: { kubeletVersion: 'v1.32.4', containerRuntimeVersion: 'containerd://1.7.27' },
        addresses: [{ type: 'InternalIP', address: `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}` }],
      },
    });
  }
  const nodeEvents = o.nodeEvents ?? 0;
  for (let k = 0; k < nodeEvents; k++) {
    const first = nodeNames[0]!;
    const at = now - (nodeEvents - k) * 2000 - 60_000;
    objects.push(
      k === nodeEvents - 1
        ? event(
            'default',
            { kind: 'Node', name: first, uid: first },
            'SystemOOM',
            'System OOM encountered, victim process: java, pid: 48213',
            now - 30_000,
            {
              type: 'Warning',
              component: 'kubelet',
              host: first,
            },
          )
        : event(
            'default',
            { kind: 'Node', name: first, uid: first },
            'NodeHasSufficientMemory',
            `Node ${first} status is now: NodeHasSufficientMemory`,
            at,
            {
              host: first,
            },
          ),
    );
  }

  // StatefulSet pods are named by ordinal (web-0, web-1, web-10, …): list order is their name order.
  const names = Array.from({ length: o.pods }, (_, i) =>
    o.kind === 'StatefulSet' ? `${o.name}-${i}` : `${prefix}${suffix(i)}`,
  ).sort();
  const podNames: string[] = [];
  let failingPod: string | undefined;
  const perPod = o.eventsPerPod ?? 4;
  for (let i = 0; i < o.pods; i++) {
    const name = names[i]!;
    podNames.push(name);
    const node = nodeNames[Math.floor(i / perNode)]!;
    const podUid = uid('pod');
    const failing = i === o.failingAt;
    const started = created + 60_000;
    // What the two statuses share: where the pod runs, and its container's identity.
    const placed = {
      hostIP: '10.0.0.1',
      podIP: `10.244.${Math.floor(i / 250)}.${(i % 250) + 2}`,
      startTime: iso(started),
      qosClass: 'Burstable',
    };
    const app = { name: 'app', image, imageID: `${image}@sha256:${'a'.repeat(64)}` };
    const status = failing
      ? {
          phase: 'Running',
          conditions: [
            {
              type: 'Ready',
              status: 'False',
              reason: 'ContainersNotReady',
              lastTransitionTime: iso(now - 600_000),
            },
            {
              type: 'ContainersReady',
              status: 'False',
              reason: 'ContainersNotReady',
              lastTransitionTime: iso(now - 600_000),
            },
            { type: 'PodScheduled', status: 'True', lastTransitionTime: iso(created) },
          ],
          ...placed,
          containerStatuses: [
            {
              ...app,
              containerID: `containerd://${'f'.repeat(64)}`,
              ready: false,
              started: false,
              restartCount: 7,
              state: {
                waiting: {
                  reason: 'CrashLoopBackOff',
                  message: 'back-off 5m0s restarting failed container=app',
                },
              },
              lastState: {
                terminated: {
                  exitCode: 137,
                  reason: 'OOMKilled',
                  startedAt: iso(now - 150_000),
                  finishedAt: iso(now - 90_000),
                  containerID: `containerd://${'e'.repeat(64)}`,
                },
              },
            },
          ],
        }
      : {
          phase: 'Running',
          conditions: [
            { type: 'Ready', status: 'True', lastTransitionTime: iso(started + 20_000) },
            { type: 'ContainersReady', status: 'True', lastTransitionTime: iso(started + 20_000) },
            { type: 'PodScheduled', status: 'True', lastTransitionTime: iso(created) },
          ],
          ...placed,
          containerStatuses: [
            {
              ...app,
              containerID: `containerd://${'c'.repeat(64)}`,
              ready: true,
              started: true,
              restartCount: 0,
              state: { running: { startedAt: iso(started + 5_000) } },
            },
          ],
        };
    objects.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: ns,
        uid: podUid,
        labels: podLabels,
        creationTimestamp: iso(created),
        ownerReferences: [{ ...podOwner, controller: true, blockOwnerDeletion: true }],
      },
      spec: {
        ...template.spec,
        nodeName: node,
        serviceAccountName: 'default',
        schedulerName: 'default-scheduler',
      },
      status,
    });
    const about = { kind: 'Pod', name, namespace: ns, uid: podUid };
    const normal = [
      ['Scheduled', `Successfully assigned ${ns}/${name} to ${node}`, 'default-scheduler'],
      ['Pulled', `Container image "${image}" already present on machine`, 'kubelet'],
      ['Created', 'Created container: app', 'kubelet'],
      ['Started', 'Started container app', 'kubelet'],
    ] as const;
    for (let k = 0; k < perPod; k++) {
      const [reason, message, component] = normal[k % normal.length]!;
      objects.push(
        event(
          ns,
          { ...about, ...(k > 0 ? { fieldPath: 'spec.containers{app}' } : {}) },
          reason,
          message,
          started + k * 1000,
          { component, host: node },
        ),
      );
    }
    if (failing) {
      failingPod = name;
      objects.push(
        event(
          ns,
          { ...about, fieldPath: 'spec.containers{app}' },
          'BackOff',
          'Back-off restarting failed container app in pod',
          now - 20_000,
          {
            type: 'Warning',
            count: 31,
            host: node,
          },
        ),
      );
      logs.push({
        namespace: ns,
        pod: name,
        container: 'app',
        previous: true,
        text: 'starting web 1.8.2\nloading catalogue into memory\ncache warm: 212 MiB\n',
      });
    } else {
      logs.push({
        namespace: ns,
        pod: name,
        container: 'app',
        previous: false,
        text: 'starting web 1.8.2\nlistening on :8080\n',
      });
    }
  }
  return { objects, logs, podNames, ...(failingPod ? { failingPod } : {}), nodeNames };
}

/** Puts a scale fixture into a running simulator. */
export function loadScaleFixture(
  sim: {
    put(obj: object): void;
    setLog(namespace: string, pod: string, container: string, text: string, previous?: boolean): void;
  },
  fx: ScaleFixture,
): void {
  for (const obj of fx.objects) sim.put(obj);
  for (const l of fx.logs) sim.setLog(l.namespace, l.pod, l.container, l.text, l.previous);
}
