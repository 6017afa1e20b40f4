/**
 * Probe failures a user sees, as CodedErrors with codes from the shared
 * catalogue (`jobs/contracts/errors.ts`). None of them is retryable: a probe
 * that did not run is re-requested by a person, never re-run blindly.
 */
import { CodedError, type ErrorCode } from '../contracts/errors.js';

export type ProbeErrorCode = Extract<
  ErrorCode,
  /** The pod exists but has no such container (the message lists them). */
  | 'container_not_found'
  /** The container is not running (state and reason in the message), or the pod has no node. */
  | 'not_running'
  /** The container ID, pod UID or node changed since the plan was approved. */
  | 'container_changed'
  /** Another probe holds the container, or the node is at its probe limit. */
  | 'probe_busy'
  /** The probe pod could not start in time (node gone, image pull, admission…). */
  | 'probe_start_timeout'
  /** The cluster refused the probe pod (Pod Security, ResourceQuota, RBAC). */
  | 'probe_forbidden'
  /** The probe pod ran but its output was missing or unusable, or it was deleted under us. */
  | 'probe_failed'
  /** The probe pod ran past its deadline. */
  | 'probe_deadline'
  /** The run was cancelled. */
  | 'probe_aborted'
>;

export function probeError(
  code: ErrorCode,
  message: string,
  next: string[] = [],
  options?: { cause?: unknown },
): CodedError {
  return new CodedError(code, message, next, options);
}
