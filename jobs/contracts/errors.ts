/**
 * The one catalogue of user-facing failures (after bolt-js `CodedError` and
 * fastify's error catalogue). Every failure a user can see has a code, a short
 * message saying what happened and a `next` step. Logs get the cause; the
 * thread gets this.
 */
export type ErrorCode =
  | 'invalid_args'
  | 'unknown_cluster'
  | 'queue_unavailable'
  | 'pod_not_found'
  | 'owner_not_found'
  | 'no_pods'
  | 'forbidden'
  | 'cluster_unreachable'
  | 'api_error'
  | 'timeout'
  | 'internal'
  // privileged probes
  | 'container_not_found'
  | 'not_running'
  | 'container_changed'
  | 'approval_void'
  | 'approval_mismatch'
  | 'probe_busy'
  | 'probe_forbidden'
  | 'probe_unschedulable'
  | 'probe_failed'
  | 'probe_start_timeout'
  | 'probe_deadline'
  | 'probe_aborted'
  // debug containers
  /** The cluster refused the debug container (feature off, Pod Security, runtime, image); the message says which. */
  | 'debug_refused';

export interface UserFacingError {
  code: ErrorCode;
  /** What happened, in one or two sentences. No stack traces, no tokens. */
  message: string;
  /** What to do about it. */
  next: string[];
}

/** Codes that may succeed on a later attempt (the queue retries them with backoff). */
export const RETRYABLE: ReadonlySet<ErrorCode> = new Set(['cluster_unreachable', 'api_error', 'timeout']);

export class CodedError extends Error implements UserFacingError {
  readonly code: ErrorCode;
  readonly next: string[];
  constructor(code: ErrorCode, message: string, next: string[] = [], options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CodedError';
    this.code = code;
    this.next = next;
  }
  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }
  toJSON(): UserFacingError {
    return { code: this.code, message: this.message, next: this.next };
  }
}

export function isCodedError(e: unknown): e is CodedError {
  return e instanceof CodedError;
}

/** Wraps anything thrown into a CodedError without leaking internals to users. */
export function asCodedError(e: unknown): CodedError {
  if (e instanceof CodedError) return e;
  return new CodedError(
    'internal',
    'poddebug hit an internal error while handling this request.',
    ['Try again; if it keeps failing, the worker logs have the cause (search for the job id).'],
    { cause: e },
  );
}
