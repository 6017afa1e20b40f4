import type {
  DaemonSet,
  Deployment,
  Job,
  KEvent,
  Node,
  Pod,
  PodUsage,
  ReplicaSet,
  ResourceQuota,
  StatefulSet,
} from '../k8s/types.js';

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
  /** ResourceQuotas named as exceeded by the owners' FailedCreate events (read only then). */
  quotas?: ResourceQuota[];
  logs: ContainerLog[];
  metrics?: PodUsage;
  gaps: string[];
}
