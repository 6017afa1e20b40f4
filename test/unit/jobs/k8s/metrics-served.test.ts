import { afterEach, describe, expect, it } from '@jest/globals';
import {
  forgetMetricsServed,
  METRICS_ABSENT_TTL_MS,
  markMetricsNotServed,
  metricsNotServed,
} from '../../../../jobs/k8s/metrics-served.js';

afterEach(() => forgetMetricsServed());

describe('whether metrics.k8s.io is served, remembered per process', () => {
  it("remembers the API server's own 404 for a while, per server", () => {
    markMetricsNotServed('https://a', 'the server could not find the requested resource', 1000);
    expect(metricsNotServed('https://a', 1001)).toBe(true);
    expect(metricsNotServed('https://b', 1001)).toBe(false);
    expect(metricsNotServed('https://a', 1000 + METRICS_ABSENT_TTL_MS)).toBe(false);
  });

  it('a 404 naming the pod (no sample yet) says the group is served', () => {
    markMetricsNotServed('https://a', 'podmetrics.metrics.k8s.io "shop/web-1" not found', 1000);
    expect(metricsNotServed('https://a', 1001)).toBe(false);
  });
});
