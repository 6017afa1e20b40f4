import { ApiException } from '@kubernetes/client-node';

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
  const err = e as { code?: string; message?: string; name?: string; type?: string };
  const code = err?.code ?? err?.type ?? err?.name ?? 'error';
  return new KubeApiError(0, String(code), err?.message ?? String(e), operation, { cause: e });
}
