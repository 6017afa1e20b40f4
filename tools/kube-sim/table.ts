/**
 * meta.k8s.io/v1 Table output for pods, as `kubectl get pods` requests it
 * (Accept: application/json;as=Table;v=v1;g=meta.k8s.io). Pure.
 */
import { type PrintablePod, printPod } from './pod-printer.js';
import type { KubeObject } from './store.js';

const COLUMNS = [
  {
    name: 'Name',
    type: 'string',
    format: 'name',
    priority: 0,
    description: 'Name must be unique within a namespace.',
  },
  {
    name: 'Ready',
    type: 'string',
    format: '',
    priority: 0,
    description: 'The aggregate readiness state of this pod for accepting traffic.',
  },
  {
    name: 'Status',
    type: 'string',
    format: '',
    priority: 0,
    description: 'The aggregate status of the containers in this pod.',
  },
  {
    name: 'Restarts',
    type: 'string',
    format: '',
    priority: 0,
    description:
      'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
  },
  { name: 'Age', type: 'string', format: '', priority: 0, description: 'CreationTimestamp of the object.' },
  { name: 'IP', type: 'string', format: '', priority: 1, description: 'IP address allocated to the pod.' },
  {
    name: 'Node',
    type: 'string',
    format: '',
    priority: 1,
    description: 'NodeName of the node the pod is scheduled on.',
  },
  {
    name: 'Nominated Node',
    type: 'string',
    format: '',
    priority: 1,
    description: 'nominatedNodeName of the pod.',
  },
  {
    name: 'Readiness Gates',
    type: 'string',
    format: '',
    priority: 1,
    description: 'Readiness gates of the pod.',
  },
];

/** True when the Accept header asks for a meta.k8s.io Table. */
export function wantsTable(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((part) => /;\s*as=Table/.test(part) && /g=meta\.k8s\.io/.test(part));
}

/** What each row embeds: nothing, PartialObjectMetadata (default) or the whole object (?includeObject=). */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

function rowObject(pod: KubeObject, include: IncludeObject): object | undefined {
  if (include === 'None') return undefined;
  if (include === 'Object') return pod;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: pod.metadata };
}

/** Builds the Table of pods (rows carry Completed conditions for Succeeded/Failed pods, as the server does). */
export function podTable(
  pods: KubeObject[],
  nowMs: number,
  include: IncludeObject,
  listMeta: Record<string, unknown>,
): object {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: COLUMNS,
    rows: pods.map((pod) => {
      const r = printPod(pod as PrintablePod, nowMs);
      const phase = (pod.status as { phase?: string } | undefined)?.phase;
      const conditions =
        phase === 'Succeeded'
          ? [
              {
                type: 'Completed',
                status: 'True',
                reason: 'Succeeded',
                message: 'The pod has completed successfully.',
              },
            ]
          : phase === 'Failed'
            ? [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }]
            : undefined;
      const object = rowObject(pod, include);
      return {
        cells: [
          r.name,
          r.ready,
          r.status,
          r.restarts,
          r.age,
          r.ip,
          r.node,
          r.nominatedNode,
          r.readinessGates,
        ],
        ...(conditions ? { conditions } : {}),
        ...(object ? { object } : {}),
      };
    }),
  };
}
