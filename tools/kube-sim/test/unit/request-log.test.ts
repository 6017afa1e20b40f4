import { describe, expect, it } from '@jest/globals';
import { startKubeSim } from '../../index.js';
import { dependentSteps } from '../../request-log.js';

const r = (start: number, end: number) => ({ start, end });

describe('dependentSteps', () => {
  it.each([
    ['nothing', [], 0],
    ['one request', [r(0, 20)], 1],
    ['three at once', [r(0, 20), r(0.2, 20.5), r(0.4, 21)], 1],
    ['a chain of three', [r(0, 20), r(20.1, 40), r(40.2, 60)], 3],
    // pod → (node, events, ReplicaSet together) → Deployment: 3 steps, however many reads per step
    ['fan-out then one more', [r(0, 20), r(20.1, 40), r(20.2, 40.1), r(20.3, 40.2), r(40.3, 60)], 3],
    ['a read started while another still runs is not after it', [r(0, 20), r(19, 39), r(39.5, 60)], 2],
    ['order of the list does not matter', [r(40.2, 60), r(0, 20), r(20.1, 40)], 3],
  ])('%s', (_name, reqs, steps) => {
    expect(dependentSteps(reqs)).toBe(steps);
  });
});

describe('the simulator records each request', () => {
  it('with its route, query, start, end, status and bytes, and forgets them on resetStats()', async () => {
    const sim = await startKubeSim({ fixtures: [], latencyMs: 15 });
    try {
      const a = await fetch(`${sim.url}/api/v1/namespaces/default?pretty=true`);
      const body = await a.text();
      await Promise.all(
        [fetch(`${sim.url}/api/v1/nodes`), fetch(`${sim.url}/api/v1/namespaces/nope`)].map((p) =>
          p.then((x) => x.text()),
        ),
      );
      const t = sim.requestSpans();
      expect(t).toHaveLength(3);
      expect(t[0]).toMatchObject({
        method: 'GET',
        route: 'GET /api/v1/namespaces/{name}',
        path: '/api/v1/namespaces/default',
        query: { pretty: 'true' },
        status: 200,
      });
      expect(t[0]!.end - t[0]!.start).toBeGreaterThanOrEqual(14);
      expect(t[0]!.bytes).toBeGreaterThan(Buffer.byteLength(body));
      expect(t.find((s) => s.path === '/api/v1/namespaces/nope')?.status).toBe(404);
      expect(dependentSteps(t)).toBe(2);
      sim.resetStats();
      expect(sim.requestSpans()).toEqual([]);
    } finally {
      await sim.close();
    }
  });
});
