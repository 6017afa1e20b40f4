/**
 * What every client-node call of the worker goes through: a timeout per request, and every failure as a
 * KubeApiError (a timeout: status 0) naming the operation; objects back to the wire form the rules read.
 */
import { withTimeout } from '../timeout.js';
import { KubeApiError, toKubeApiError } from './errors.js';
import type { Wire } from './types.js';

/** One API call, bounded by `timeoutMs`; throws KubeApiError. */
export async function apiCall<T>(operation: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  try {
    return await withTimeout(
      fn(),
      timeoutMs,
      () => new KubeApiError(0, 'Timeout', `no answer within ${timeoutMs} ms`, operation),
    );
  } catch (e) {
    throw toKubeApiError(e, operation);
  }
}

/** Whether the API server answered 404. */
export function isNotFound(e: unknown): boolean {
  return e instanceof KubeApiError && e.status === 404;
}

/** Dates back to the RFC 3339 strings the server sent (see Wire). */
export function toWire<T>(obj: T): Wire<T> {
  return JSON.parse(JSON.stringify(obj)) as Wire<T>;
}
