import { describe, expect, it } from '@jest/globals';
import { FindingSchema } from '../../../../jobs/contracts/finding.js';
import { runRules } from '../../../../jobs/diagnose/rules/index.js';
import { listScenarios, loadGathered } from '../../../support/scenarios.js';

const scenarios = listScenarios();

describe('runRules on every scenario fixture', () => {
  it('finds the scenarios', () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(30);
  });

  it.each(scenarios.map((s) => [s.name, s] as const))('%s', (_name, s) => {
    const findings = runRules(loadGathered(s));
    for (const want of s.expect.findings) {
      const got = findings.find((f) => f.id === want.id);
      expect([want.id, got?.severity]).toEqual([want.id, want.severity]);
      // rank: the 1-based position in the causal order (the deepest cause first)
      expect([want.id, 'rank', got ? findings.indexOf(got) + 1 : undefined]).toEqual([
        want.id,
        'rank',
        want.rank,
      ]);
      for (const ev of want.evidence ?? []) {
        const hit = got?.evidence.some((line) => line.includes(ev)) ?? false;
        expect([want.id, ev, hit]).toEqual([want.id, ev, true]);
      }
    }
    const ids = findings.map((f) => f.id);
    for (const id of s.expect.absent ?? []) expect(ids).not.toContain(id);
  });

  it.each(scenarios.map((s) => [s.name, s] as const))(
    '%s: every finding is well formed and actionable',
    (_name, s) => {
      const findings = runRules(loadGathered(s));
      expect(findings.length).toBeGreaterThan(0);
      for (const f of findings) {
        expect(FindingSchema.safeParse(f).success).toBe(true);
        expect(f.title).not.toContain('\n');
        expect(f.next.length).toBeGreaterThan(0);
        // next steps name the real objects, never placeholders like POD or NS
        expect(f.next.join('\n')).not.toMatch(/\b(POD|NS)\b/);
      }
      // worst first
      const rank = { critical: 0, warning: 1, info: 2 } as const;
      const ranks = findings.map((f) => rank[f.severity]);
      expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
      // healthy only alone with info findings, and at most once
      expect(findings.filter((f) => f.id === 'healthy').length).toBeLessThanOrEqual(1);
      if (findings.some((f) => f.id === 'healthy'))
        expect(findings.every((f) => f.severity === 'info')).toBe(true);
    },
  );

  it('reports only `healthy` for the healthy pod and for a completed Job pod', () => {
    for (const name of ['healthy', 'job-completed']) {
      const s = scenarios.find((x) => x.name === name)!;
      expect(runRules(loadGathered(s)).map((f) => f.id)).toEqual(['healthy']);
    }
  });

  it('never puts env values (secrets) in evidence', () => {
    for (const s of scenarios) {
      const g = loadGathered(s);
      const values = [...(g.pod.spec?.containers ?? []), ...(g.pod.spec?.initContainers ?? [])]
        .flatMap((c) => c.env ?? [])
        .map((e) => e.value)
        .filter((v): v is string => typeof v === 'string' && v.length > 3);
      const text = runRules(g)
        .flatMap((f) => [f.title, ...f.evidence])
        .join('\n');
      for (const v of values) expect([s.name, text.includes(v)]).toEqual([s.name, false]);
    }
  });

  it('fills next steps with the real names', () => {
    const s = scenarios.find((x) => x.name === 'oom-killed')!;
    const oom = runRules(loadGathered(s)).find((f) => f.id === 'oom-killed')!;
    expect(oom.title).toBe('Container `api` was OOMKilled (limit 256Mi)');
    expect(oom.next).toContain(`/poddebug mem ${s.expect.pod} -n oom-killed`);
    expect(
      oom.next.some((n) =>
        n.startsWith('kubectl set resources deploy/api -n oom-killed -c api --limits=memory=384Mi'),
      ),
    ).toBe(true);
    expect(oom.next).toContain(`kubectl logs -n oom-killed ${s.expect.pod} -c api --previous`);
  });

  it('formats events like kubectl describe', () => {
    const s = scenarios.find((x) => x.name === 'crash-loop')!;
    const cl = runRules(loadGathered(s)).find((f) => f.id === 'crash-loop')!;
    expect(cl.evidence).toContain(
      `Warning  BackOff  14s (x214 over 46m)  kubelet  Back-off restarting failed container worker in pod ${s.expect.pod}_crash-loop(${loadGathered(s).pod.metadata?.uid})`,
    );
  });

  it('judges only the named container with opts.container, keeping pod-level findings', () => {
    const s = scenarios.find((x) => x.name === 'init-container-failing')!;
    const g = loadGathered(s);
    expect(runRules(g, { container: 'migrate' }).map((f) => f.id)).toContain('init-container-failing');
    const onlyApi = runRules(g, { container: 'api' });
    expect(onlyApi.map((f) => f.id)).not.toContain('init-container-failing');
    expect(onlyApi.map((f) => f.id)).not.toContain('app-error');

    const ev = scenarios.find((x) => x.name === 'evicted')!;
    expect(runRules(loadGathered(ev), { container: 'metrics-sidecar' }).map((f) => f.id)).toContain(
      'evicted',
    );
  });
});
