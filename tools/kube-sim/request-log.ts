/**
 * When each request started and ended (monotonic ms), with what it answered,
 * and how deep the chain of dependent requests was: a request depends on an
 * earlier one when it started only after that one had ended. Tests count
 * dependent read steps with it; server.ts calls begin() once per request.
 */
import { performance } from 'node:perf_hooks';

/** One request served: its route template, path, query, start and end, HTTP status and body size. */
export interface RequestSpan {
  method: string;
  route: string;
  path: string;
  query: Record<string, string>;
  /** performance.now() when the request arrived, and when its answer was sent. */
  start: number;
  end: number;
  status: number;
  bytes: number;
}

export class RequestLog {
  private list: RequestSpan[] = [];

  /** Records a request's start; the returned function records its end (call it once). */
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
      span.end = performance.now();
      span.status = status;
      span.bytes = bytes;
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
 * The number of dependent steps in a set of requests: the longest chain
 * r1 → r2 → … where each request started after the previous one ended. With
 * a latency per request (setLatency), requests sent together overlap and
 * count as one step.
 */
export function chainDepth(spans: readonly RequestSpan[]): number {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
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
