/** Kubernetes API objects as the worker reads them (wire shape), shared by diagnose, the probes and the client. */
import type {
  CoreV1Event,
  EventsV1Event,
  V1DaemonSet,
  V1Deployment,
  V1Job,
  V1Node,
  V1Pod,
  V1ReplicaSet,
  V1ResourceQuota,
  V1StatefulSet,
} from '@kubernetes/client-node';

/**
 * An API object as it travels on the wire: client-node's types with every
 * Date as the RFC 3339 string the API server sends. The gatherer normalises
 * what client-node returns to this shape (a JSON round trip), and fixture
 * files parse to it directly, so the rules see one representation.
 */
export type Wire<T> = T extends Date
  ? string
  : T extends (infer U)[]
    ? Wire<U>[]
    : T extends object
      ? { [K in keyof T]: Wire<T[K]> }
      : T;

export type Pod = Wire<V1Pod>;
export type KEvent = Wire<CoreV1Event>;
/** An event as events.k8s.io/v1 serves it. */
export type EventV1 = Wire<EventsV1Event>;
export type Node = Wire<V1Node>;
export type ReplicaSet = Wire<V1ReplicaSet>;
export type Deployment = Wire<V1Deployment>;
export type StatefulSet = Wire<V1StatefulSet>;
export type DaemonSet = Wire<V1DaemonSet>;
export type Job = Wire<V1Job>;
export type ResourceQuota = Wire<V1ResourceQuota>;

/** metrics.k8s.io PodMetrics, reduced: usage per container as quantity strings. */
export interface PodUsage {
  window?: string;
  containers: { name: string; cpu: string; memory: string }[];
}
