import { z } from 'zod';
import type { ErrorCode, UserFacingError } from './errors.js';

const CODES: readonly ErrorCode[] = [
  'invalid_args',
  'unknown_cluster',
  'queue_unavailable',
  'pod_not_found',
  'owner_not_found',
  'no_pods',
  'forbidden',
  'cluster_unreachable',
  'api_error',
  'timeout',
  'internal',
  'container_not_found',
  'not_running',
  'container_changed',
  'approval_void',
  'approval_mismatch',
  'probe_busy',
  'probe_forbidden',
  'probe_unschedulable',
  'probe_failed',
  'probe_start_timeout',
  'probe_deadline',
  'probe_aborted',
  'debug_refused',
];

const FailureSchema = z.object({
  code: z.enum(CODES as [ErrorCode, ...ErrorCode[]]),
  message: z.string(),
  next: z.array(z.string()),
});

/** Reads a failed job's reason back into a UserFacingError (see encodeFailure). */
export function decodeFailure(reason: string | undefined): UserFacingError {
  if (reason) {
    try {
      const parsed = FailureSchema.safeParse(JSON.parse(reason));
      if (parsed.success) return parsed.data;
    } catch {
      // not JSON: a reason BullMQ itself wrote
    }
  }
  const stalled = reason?.includes('stalled');
  return {
    code: 'internal',
    message: stalled
      ? 'The worker running this job stopped (crashed or was killed) more often than allowed.'
      : `The job failed: ${(reason ?? 'no reason recorded').slice(0, 300)}`,
    next: ['Run the command again; if it keeps failing, check the worker logs for this job id.'],
  };
}
