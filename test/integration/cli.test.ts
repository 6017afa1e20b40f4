import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FindingSchema } from '../../jobs/contracts/index.js';
import { type KubeSim, startKubeSim } from '../../tools/kube-sim/index.js';
import { deployRbacMode, rbacDenialLines } from '../support/deploy-rbac.js';
import { listScenarios } from '../support/scenarios.js';

/**
 * `poddebug diagnose` as a user runs it: the built bin/poddebug.js in a
 * child process, against the simulator through a kubeconfig. No Slack, no Redis.
 */
let sim: KubeSim;
const scenarios = listScenarios();

beforeAll(async () => {
  if (!existsSync('dist/jobs/cli/main.js'))
    throw new Error('dist/ is missing: run `npm run build` (npm test does)');
  // RBAC mode with deploy/'s RBAC, acting as the worker's ServiceAccount.
  sim = await startKubeSim({
    ...deployRbacMode(),
    fixtures: ['test/fixtures/scenarios', 'test/fixtures/sample-incident'],
    rebaseTime: '2026-11-20T10:00:00Z',
  });
});
afterAll(async () => {
  // deploy/'s RBAC allowed every call made.
  const denied = sim ? rbacDenialLines(sim) : [];
  await sim?.close();
  expect(denied).toEqual([]);
});

function poddebug(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const p = spawn(process.execPath, ['bin/poddebug.js', ...args], {
      env: { ...process.env, KUBECONFIG: sim.kubeconfigPath, REDIS_URL: 'redis://127.0.0.1:1', ...env },
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('poddebug diagnose (CLI)', () => {
  it('--json prints the target and the findings, and exits 0', async () => {
    const s = scenarios.find((x) => x.name === 'oom-killed')!;
    const r = await poddebug(['diagnose', s.expect.pod, '-n', s.namespace, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { target: unknown; findings: unknown[] };
    expect(out.target).toEqual({ kind: 'Pod', namespace: s.namespace, name: s.expect.pod });
    for (const f of out.findings) expect(FindingSchema.safeParse(f).success).toBe(true);
    expect(out.findings.map((f) => (f as { id: string }).id)).toContain('oom-killed');
  });

  it('diagnoses an owner in the terminal, readable without colour when piped', async () => {
    const r = await poddebug(['diagnose', 'deploy/checkout', '-n', 'shop']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/OOMKilled/);
    expect(r.stdout).toMatch(/kubectl/);
    expect(r.stdout.includes('\u001b[')).toBe(false);
  });

  it('finds a pod in any namespace when -n is left out', async () => {
    const s = scenarios.find((x) => x.name === 'healthy')!;
    const r = await poddebug(['diagnose', s.expect.pod, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).findings.map((f: { id: string }) => f.id)).toEqual(['healthy']);
  });

  it('exits 1 with a message on stderr when the pod does not exist', async () => {
    const r = await poddebug(['diagnose', 'nope-123', '-n', 'shop']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/No pod nope-123 in namespace shop/);
  });

  it('exits 2 on bad usage, naming what was wrong', async () => {
    const bad = await poddebug(['diagnose', 'Bad_Name']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Bad_Name.*DNS-1123/);
    const owner = await poddebug(['diagnose', 'deploy/checkout']);
    expect(owner.code).toBe(2);
    expect(owner.stderr).toMatch(/-n NAMESPACE/);
    const flag = await poddebug(['diagnose', 'x', '--bogus']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--bogus/);
  });

  it('exits 1 and says so when the API server cannot be reached', async () => {
    const r = await poddebug([
      'diagnose',
      'x',
      '-n',
      'shop',
      '--timeout',
      '2',
      '--kubeconfig',
      'test/fixtures/unreachable.kubeconfig',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Could not reach the API server/);
  });
});
