/**
 * Large owners for the bench, made from the sample incident's own objects: a Deployment with a ReplicaSet
 * and N pods copied from the healthy `cart` pod, one of which carries the crash-looping, OOM-killed status of
 * `checkout-7d9f8b6c5-x2kqp`. Put into a running simulator through its API (`put`), so the bench needs no
 * fixture files for them.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

interface Obj {
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; uid: string }[];
    [k: string]: unknown;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [k: string]: unknown;
}

const SAMPLE = 'test/fixtures/sample-incident/objects.yaml';

function sampleObjects(): Obj[] {
  return parseAllDocuments(readFileSync(SAMPLE, 'utf8')).map((d) => d.toJS() as Obj);
}

export interface GeneratedOwner {
  namespace: string;
  deployment: string;
  failingPod: string;
  objects: Obj[];
}

/**
 * A Deployment `name` in `shop` with `pods` pods; the pod at index `failingAt` (0-based) crash loops after an
 * OOM kill, every other pod is Running and Ready.
 */
export function generateOwner(name: string, pods: number, failingAt: number): GeneratedOwner {
  const all = sampleObjects();
  const find = (kind: string, pred: (o: Obj) => boolean) => {
    const o = all.find((x) => x.kind === kind && pred(x));
    if (!o) throw new Error(`bench: ${SAMPLE} has no ${kind} the bench expects`);
    return structuredClone(o);
  };
  const deploy = find('Deployment', (o) => o.metadata.name === 'cart');
  const rs = find('ReplicaSet', (o) => o.metadata.ownerReferences?.[0]?.name === 'cart');
  const healthy = find('Pod', (o) => o.metadata.ownerReferences?.[0]?.name === rs.metadata.name);
  const failing = find('Pod', (o) => o.metadata.name === 'checkout-7d9f8b6c5-x2kqp');
  const hash = 'b5d7c9f4';
  const labels = { 'app.kubernetes.io/name': name };
  const relabel = (o: Obj, extra: Record<string, string> = {}) => {
    o.metadata.labels = { ...labels, ...extra };
  };

  deploy.metadata.name = name;
  deploy.metadata.uid = randomUUID();
  relabel(deploy);
  const dspec = deploy.spec as {
    replicas?: number;
    selector: unknown;
    template: { metadata: Obj['metadata'] };
  };
  dspec.replicas = pods;
  dspec.selector = { matchLabels: labels };
  dspec.template.metadata.labels = { ...labels };
  deploy.status = {
    ...(deploy.status ?? {}),
    replicas: pods,
    readyReplicas: pods - 1,
    availableReplicas: pods - 1,
    unavailableReplicas: 1,
    updatedReplicas: pods,
  };

  rs.metadata.name = `${name}-${hash}`;
  rs.metadata.uid = randomUUID();
  relabel(rs, { 'pod-template-hash': hash });
  rs.metadata.ownerReferences = [
    { ...(rs.metadata.ownerReferences?.[0] ?? {}), kind: 'Deployment', name, uid: deploy.metadata.uid },
  ];
  const rspec = rs.spec as { replicas?: number; selector: unknown; template: { metadata: Obj['metadata'] } };
  rspec.replicas = pods;
  rspec.selector = { matchLabels: { ...labels, 'pod-template-hash': hash } };
  rspec.template.metadata.labels = { ...labels, 'pod-template-hash': hash };
  rs.status = { ...(rs.status ?? {}), replicas: pods, readyReplicas: pods - 1, availableReplicas: pods - 1 };

  const objects: Obj[] = [deploy, rs];
  let failingPod = '';
  for (let i = 0; i < pods; i++) {
    const bad = i === failingAt;
    const pod = structuredClone(healthy);
    pod.metadata.name = `${name}-${hash}-${i.toString(36).padStart(5, '0')}`;
    pod.metadata.uid = randomUUID();
    pod.metadata.generateName = `${name}-${hash}-`;
    relabel(pod, { 'pod-template-hash': hash });
    pod.metadata.ownerReferences = [
      {
        ...(healthy.metadata.ownerReferences?.[0] ?? {}),
        kind: 'ReplicaSet',
        name: rs.metadata.name,
        uid: rs.metadata.uid,
      },
    ];
    if (bad) {
      // The crash loop's status, renamed to this pod's container.
      const container = (pod.spec as { containers: { name: string }[] }).containers[0]!.name;
      const status = structuredClone(failing.status) as { containerStatuses?: { name: string }[] };
      for (const c of status.containerStatuses ?? []) c.name = container;
      pod.status = status;
      failingPod = pod.metadata.name;
    }
    objects.push(pod);
  }
  return { namespace: deploy.metadata.namespace ?? 'shop', deployment: name, failingPod, objects };
}
