import { ApiException } from '@kubernetes/client-node';
import { CodedError } from '../contracts/errors.js';

/**
 * A failed API request, reduced to what callers decide on: the HTTP status
 * (0 when the server was not reached), the Status reason and the server's
 * own message.
 */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly operation: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KubeApiError';
  }
  /** The server was not reached (refused, reset, DNS, TLS) or did not answer in time. */
  get unreachable(): boolean {
    return this.status === 0;
  }
}

interface StatusBody {
  reason?: string;
  message?: string;
}

function parseStatus(body: unknown): StatusBody {
  if (typeof body === 'string') {
    try {
      const v: unknown = JSON.parse(body);
      return typeof v === 'object' && v !== null ? (v as StatusBody) : { message: body };
    } catch {
      return { message: body.slice(0, 500) };
    }
  }
  if (typeof body === 'object' && body !== null) return body as StatusBody;
  return {};
}

/** Maps whatever the client threw to a KubeApiError. */
export function toKubeApiError(e: unknown, operation: string): KubeApiError {
  if (e instanceof KubeApiError) return e;
  if (e instanceof ApiException) {
    const s = parseStatus(e.body);
    const reason = s.reason ?? (e.code === 401 ? 'Unauthorized' : `HTTP${e.code}`);
    return new KubeApiError(e.code, reason, s.message ?? `HTTP ${e.code}`, operation, { cause: e });
  }
  type Failure = { code?: string; message?: string; name?: string; type?: string; cause?: Failure };
  const err = e as Failure;
  // client-node 2 fetches with undici: a transport failure is TypeError('fetch failed') whose cause says
  // why (ECONNREFUSED, UND_ERR_SOCKET "other side closed", a TLS error).
  const cause = err?.message === 'fetch failed' && typeof err.cause === 'object' ? err.cause : undefined;
  const code = cause?.code ?? err?.code ?? err?.type ?? err?.name ?? 'error';
  const message = cause?.message ? `${err.message}: ${cause.message}` : (err?.message ?? String(e));
  return new KubeApiError(0, String(code), message, operation, { cause: e });
}

const FORBIDDEN_RE =
  /User "([^"]+)" cannot (\w+) resource "([^"]+)"(?: in API group "([^"]*)")?(?: in the namespace "([^"]+)")?/;

/**
 * Turns an API failure on a read that diagnose cannot do without (the pod,
 * the owner) into the user-facing error: 403 names the missing verb and
 * resource and how to grant it; unreachable and 5xx are retryable.
 */
export function apiFailure(e: unknown, what: string, cluster: string): CodedError {
  if (!(e instanceof KubeApiError)) throw e;
  if (e.status === 403) {
    const m = FORBIDDEN_RE.exec(e.message);
    if (m) {
      const [, user, verb, resource, group, ns] = m;
      const res = group ? `${resource}.${group}` : resource;
      const where = ns ? ` in namespace \`${ns}\`` : ' cluster-wide';
      return new CodedError(
        'forbidden',
        `The worker on \`${cluster}\` may not \`${verb}\` \`${res}\`${where} (API answered 403 for ${what}).`,
        [
          `Grant \`${user}\` the verb \`${verb}\` on \`${res}\`${where}: see deploy/base/worker-rbac.yaml.`,
          `Check with: kubectl auth can-i ${verb} ${res}${ns ? ` -n ${ns}` : ' -A'} --as ${user}`,
        ],
        { cause: e },
      );
    }
    return new CodedError('forbidden', `The API on \`${cluster}\` refused ${what}: ${e.message}`, [
      "Check the worker's ServiceAccount permissions (deploy/base/worker-rbac.yaml).",
    ]);
  }
  if (e.status === 401) {
    return new CodedError('forbidden', `The API on \`${cluster}\` rejected the worker's credentials (401).`, [
      "Check the worker's ServiceAccount token or kubeconfig; it may have expired.",
    ]);
  }
  if (e.unreachable) {
    return new CodedError(
      'cluster_unreachable',
      `Could not reach the API server of \`${cluster}\` (${e.reason}: ${e.message}).`,
      [
        'poddebug retries automatically; if it persists, check the API server and the worker’s network path to it.',
      ],
      { cause: e },
    );
  }
  if (e.status === 429 || e.status >= 500) {
    return new CodedError(
      'api_error',
      `The API server of \`${cluster}\` answered ${e.status} ${e.reason} for ${what}.`,
      ['poddebug retries automatically; if it persists, check the API server’s health.'],
      { cause: e },
    );
  }
  return new CodedError('api_error', `The API server of \`${cluster}\` refused ${what}: ${e.message}`, [], {
    cause: e,
  });
}

/** A one-line note for a read that failed but is not essential (shown as a gap). */
export function gapNote(what: string, e: unknown): string {
  if (e instanceof KubeApiError) {
    if (e.status === 403) return `${what}: forbidden (${e.message.replace(/^.*?cannot /, 'cannot ')})`;
    if (e.status === 404) return `${what}: not found`;
    if (e.unreachable) return `${what}: no answer (${e.reason})`;
    return `${what}: ${e.status} ${e.reason}`;
  }
  return `${what}: ${e instanceof Error ? e.message : String(e)}`;
}
