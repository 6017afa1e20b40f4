import type {
  CoreV1Event,
  V1DaemonSet,
  V1Deployment,
  V1Job,
  V1Node,
  V1Pod,
  V1ReplicaSet,
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
export type Node = Wire<V1Node>;
export type ReplicaSet = Wire<V1ReplicaSet>;
export type Deployment = Wire<V1Deployment>;
export type StatefulSet = Wire<V1StatefulSet>;
export type DaemonSet = Wire<V1DaemonSet>;
export type Job = Wire<V1Job>;

/** A container's log tail, as far as it could be read. */
export interface ContainerLog {
  container: string;
  /** true for init containers (including native sidecars). */
  init: boolean;
  /** Tail of the current instance; absent when not started or unreadable. */
  current?: string;
  /** Tail of the previous (terminated) instance; only fetched when the container restarted. */
  previous?: string;
}

/** metrics.k8s.io PodMetrics, reduced: usage per container as quantity strings. */
export interface PodUsage {
  window?: string;
  containers: { name: string; cpu: string; memory: string }[];
}

/**
 * Everything gathered about one pod: the input to the pure rules.
 * Optional parts are absent when the object does not exist or could not be
 * read; `gaps` says which reads failed so nobody mistakes a gap for health.
 */
export interface Gathered {
  /** The time the rules judge ages against (the gatherer's clock; fixed in tests). */
  now: string;
  pod: Pod;
  /** Events whose involvedObject is the pod (name, namespace and uid). */
  events: KEvent[];
  node?: Node;
  /** Recent events about the node (SystemOOM, NodeNotReady, …), if readable. */
  nodeEvents: KEvent[];
  owners: {
    replicaSet?: ReplicaSet;
    deployment?: Deployment;
    statefulSet?: StatefulSet;
    daemonSet?: DaemonSet;
    job?: Job;
    /** Events about the owners (ReplicaSet FailedCreate, Job BackoffLimitExceeded, …). */
    events: KEvent[];
  };
  logs: ContainerLog[];
  metrics?: PodUsage;
  gaps: string[];
}
