/**
 * Whether an API server serves metrics.k8s.io, remembered per process: a
 * cluster without metrics-server answers every PodMetrics read with the
 * API server's own 404 ("the server could not find the requested resource"),
 * so after the first such answer the read is skipped for a while. A 404 that
 * names the object (metrics-server has no sample for this pod yet) says the
 * group is served, and changes nothing.
 */

/** How long "not served" is believed: metrics-server may be installed meanwhile. */
export const METRICS_ABSENT_TTL_MS = 10 * 60 * 1000;

const absentUntil = new Map<string, number>();

/** True while `server` is known not to serve metrics.k8s.io. */
export function metricsNotServed(server: string, now = Date.now()): boolean {
  const until = absentUntil.get(server);
  if (until === undefined) return false;
  if (now < until) return true;
  absentUntil.delete(server);
  return false;
}

/** Notes a 404 from a metrics read: only the API server's "no such resource" means the group is not served. */
export function markMetricsNotServed(server: string, message: string, now = Date.now()): void {
  if (/could not find the requested resource/i.test(message))
    absentUntil.set(server, now + METRICS_ABSENT_TTL_MS);
}

/** Forgets what was learnt (tests). */
export function forgetMetricsServed(): void {
  absentUntil.clear();
}
