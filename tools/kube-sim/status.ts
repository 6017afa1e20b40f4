/**
 * metav1.Status error bodies, worded as the real API server words them. Pure.
 */

/** A Kubernetes Status object (kind: Status). */
export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    uid?: string;
    causes?: { reason?: string; message?: string; field?: string }[];
    retryAfterSeconds?: number;
  };
  code: number;
}

/** Reason per HTTP code, as apimachinery's StatusReason constants. */
const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** The Status reason for an HTTP code ('Unknown' for codes apimachinery has none for). */
export function reasonFor(code: number): string {
  return REASONS[code] ?? 'Unknown';
}

/** Builds a Failure Status. */
export function failure(
  code: number,
  message: string,
  reason = reasonFor(code),
  details?: StatusBody['details'],
): StatusBody {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

/** Identifies what a request addressed, for wording errors. */
export interface Target {
  group: string;
  /** Resource plural, with subresource when any: "pods", "pods/log". */
  resource: string;
  name?: string;
  namespace?: string;
}

const plainResource = (t: Target): string => t.resource.split('/')[0]!;
const detailsOf = (t: Target): NonNullable<StatusBody['details']> => ({
  ...(t.name ? { name: t.name } : {}),
  ...(t.group ? { group: t.group } : {}),
  kind: plainResource(t),
});
const qualified = (t: Target): string => (t.group ? `${plainResource(t)}.${t.group}` : plainResource(t));
const named = (t: Target): string => (t.name ? `${qualified(t)} "${t.name}"` : qualified(t));

/** 404 `pods "p1" not found` with details {name, kind}. */
export function notFound(t: Target): StatusBody {
  return failure(404, `${qualified(t)}${t.name ? ` "${t.name}"` : ''} not found`, 'NotFound', detailsOf(t));
}

/** 404 for a path the server does not serve. */
export function unknownPath(): StatusBody {
  return failure(404, 'the server could not find the requested resource', 'NotFound', {});
}

/** 403 worded like RBAC's denial: names the user, verb, resource, group and namespace. */
export function forbidden(t: Target, user: string, verb: string): StatusBody {
  const where = t.namespace ? `in the namespace "${t.namespace}"` : 'at the cluster scope';
  const what = t.name ? `${qualified(t)} "${t.name}"` : qualified(t);
  return failure(
    403,
    `${what} is forbidden: User "${user}" cannot ${verb} resource "${t.resource}" in API group "${t.group}" ${where}`,
    'Forbidden',
    detailsOf(t),
  );
}

/** 409 AlreadyExists for a create whose name is taken. */
export function alreadyExists(t: Target): StatusBody {
  return failure(409, `${qualified(t)} "${t.name ?? ''}" already exists`, 'AlreadyExists', detailsOf(t));
}

/** 409 Conflict (optimistic-concurrency failure). */
export function conflict(t: Target, why: string): StatusBody {
  return failure(409, `Operation cannot be fulfilled on ${named(t)}: ${why}`, 'Conflict', detailsOf(t));
}

/** 422 Invalid: `Pod "x" is invalid: field: message`. */
export function invalid(
  kind: string,
  name: string,
  causes: { field: string; reason: string; message: string }[],
): StatusBody {
  const text = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
  const list = causes.length > 1 ? `[${text}]` : text;
  return failure(422, `${kind} "${name}" is invalid: ${list}`, 'Invalid', {
    ...(name ? { name } : {}),
    kind,
    causes: causes.map((c) => ({ reason: c.reason, message: c.message, field: c.field })),
  });
}

/** 500 InternalError. */
export function internalError(message: string): StatusBody {
  return failure(500, `Internal error occurred: ${message}`, 'InternalError', { causes: [{ message }] });
}

/** 429 TooManyRequests with retryAfterSeconds (the caller also sets Retry-After). */
export function tooManyRequests(retryAfterSeconds: number, message?: string): StatusBody {
  return failure(429, message ?? 'Too many requests, please try again later.', 'TooManyRequests', {
    retryAfterSeconds,
  });
}

/** 400 BadRequest. */
export function badRequest(message: string): StatusBody {
  return failure(400, message, 'BadRequest');
}

/** 405 MethodNotAllowed. */
export function methodNotAllowed(): StatusBody {
  return failure(
    405,
    'the server does not allow this method on the requested resource',
    'MethodNotAllowed',
    {},
  );
}
