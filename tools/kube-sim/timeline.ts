/**
 * When each request started and ended, and how many bytes its response took on the wire: what a benchmark
 * needs to tell reads that ran together from reads that waited for one another (`dependentSteps`).
 * The server calls `observe()` once per request; nothing here changes what is served.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** One request as the server saw it: times in ms (performance.timeOrigin + performance.now()). */
export interface TimedRequest {
  method: string;
  path: string;
  start: number;
  end: number;
  status: number;
  /** Bytes written to the socket for this response (status line, headers and body). */
  bytes: number;
}

export class RequestTimeline {
  #entries: TimedRequest[] = [];

  /** Records `req` when its response has been written (or the connection dropped). */
  observe(req: IncomingMessage, res: ServerResponse): void {
    const start = performance.timeOrigin + performance.now();
    const socket = req.socket;
    const before = socket.bytesWritten;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      this.#entries.push({
        method: (req.method ?? 'GET').toUpperCase(),
        path: (req.url ?? '/').split('?')[0] ?? '/',
        start,
        end: performance.timeOrigin + performance.now(),
        status: res.statusCode,
        bytes: Math.max(0, socket.bytesWritten - before),
      });
    };
    res.once('finish', finish);
    res.once('close', finish);
  }

  entries(): TimedRequest[] {
    return [...this.#entries];
  }

  reset(): void {
    this.#entries = [];
  }
}

/**
 * The number of dependent steps in a set of requests: the longest chain in which each request started only
 * after the one before it had ended. Requests that overlap in time count as one step; a read issued because
 * an earlier answer named it comes after that answer. `slackMs` absorbs the clock's jitter between one
 * response ending and the next request starting on the same instant.
 */
export function dependentSteps(
  requests: readonly Pick<TimedRequest, 'start' | 'end'>[],
  slackMs = 0,
): number {
  const byStart = [...requests].sort((a, b) => a.start - b.start);
  const depth: number[] = [];
  let best = 0;
  for (let i = 0; i < byStart.length; i++) {
    const r = byStart[i]!;
    let d = 1;
    for (let j = 0; j < i; j++) {
      const q = byStart[j]!;
      if (q.end <= r.start + slackMs) d = Math.max(d, depth[j]! + 1);
    }
    depth[i] = d;
    best = Math.max(best, d);
  }
  return best;
}
