/**
 * When each request started and ended (performance.now() ms), what it asked for and answered, and how many
 * bytes its response took on the wire: what tests and benchmarks need to tell reads that ran together from
 * reads that waited for one another (`dependentSteps`). server.ts calls begin() once per request; nothing
 * here changes what is served.
 */
import { performance } from 'node:perf_hooks';

/** One request served: its route template, path, query, start and end, HTTP status and response size. */
export interface RequestSpan {
  method: string;
  /** Route template, e.g. "GET /api/v1/namespaces/{ns}/pods/{name}". */
  route: string;
  path: string;
  query: Record<string, string>;
  /** performance.now() when the request arrived, and when its answer was sent (or the connection dropped). */
  start: number;
  end: number;
  status: number;
  /** Bytes written to the socket for this response (status line, headers and body). */
  bytes: number;
}

export class RequestLog {
  private list: RequestSpan[] = [];

  /** Records a request's start; the returned function records its end (later calls are ignored). */
  begin(method: string, route: string, path: string, query: Record<string, string>) {
    const span: RequestSpan = {
      method,
      route,
      path,
      query,
      start: performance.now(),
      end: -1,
      status: 0,
      bytes: 0,
    };
    this.list.push(span);
    return (status: number, bytes: number) => {
      if (span.end >= 0) return;
      span.end = performance.now();
      span.status = status;
      span.bytes = Math.max(0, bytes);
    };
  }

  /** Spans of the requests that have ended, in arrival order. */
  spans(): RequestSpan[] {
    return this.list.filter((s) => s.end >= 0).map((s) => ({ ...s }));
  }

  reset(): void {
    this.list = [];
  }
}

/**
 * The number of dependent steps in a set of requests: the longest chain r1 → r2 → … in which each request
 * started only after the one before it had ended. Requests that overlap in time (sent together, with a
 * latency per request from setLatency) count as one step; a read issued because an earlier answer named it
 * comes after that answer.
 */
export function dependentSteps(requests: readonly Pick<RequestSpan, 'start' | 'end'>[]): number {
  const sorted = [...requests].sort((a, b) => a.start - b.start);
  const depth: number[] = [];
  let max = 0;
  for (let i = 0; i < sorted.length; i++) {
    let d = 1;
    for (let j = 0; j < i; j++) {
      if (sorted[j]!.end <= sorted[i]!.start) d = Math.max(d, depth[j]! + 1);
    }
    depth.push(d);
    max = Math.max(max, d);
  }
  return max;
}
