/**
 * The probe runner against the API simulator with its simulated kubelet
 * (node-executor.ts) and real Redis for the slots. The "probe program" is a
 * fake run with `node -e`, so every path (result, refusal, crash, deadline,
 * start timeout, abort, crash of the worker) is exercised end to end.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import type { ProbePlan, ProbeSpec } from '../../jobs/contracts/probe.js';
import { createProbePods, type ProbePods } from '../../jobs/k8s/probe-pods.js';
import { planProbe } from '../../jobs/probes/plan.js';
import { probePodName } from '../../jobs/probes/pod-spec.js';
import { reapProbePods } from '../../jobs/probes/reaper.js';
import { type RunProbePodOptions, runProbePod } from '../../jobs/probes/runner.js';
import { createProbeSlots, type ProbeSlots, slotKeys } from '../../jobs/probes/slots.js';
import { type KubeSim, startKubeSim } from '../../tools/kube-sim/index.js';
import { KUBECTL, one, renderOverlayWith } from '../support/deploy.js';
import { deployRbacMode, deployRbacObjects, rbacDenialLines } from '../support/deploy-rbac.js';
import { until } from '../support/poll.js';
import { testRedisUrl } from '../support/redis-server.js';

const REDIS_URL = testRedisUrl();
const PROBE_NS = 'poddebug-probes';
const logger = pino({ level: 'silent' });
/** The worker's identity, which the probe namespace's admission policy admits (deploy/components/probes). */
const WORKER = 'system:serviceaccount:poddebug:poddebug-worker';
const DIGEST = `sha256:${'5e'.repeat(32)}`;
/** The probe image, pinned by digest: what the guard's parameters name when the overlay pins it. */
const IMAGE = `ghcr.io/example/poddebug-probe@${DIGEST}`;
const POLICY = 'poddebug-probe-pods';
/** The guard needs kubectl to render the component; without it those tests are skipped. */
const itWithGuard = KUBECTL ? it : it.skip;

/** The fake probe program: argv = [mode, base64url ProbeInput]. */
const FAKE = String.raw`
const [mode, raw] = process.argv.slice(1);
const input = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
const M = 'PODDEBUG1 ';
const out = (o) => process.stdout.write(M + JSON.stringify(o) + '\n');
if (mode === 'ok') {
  const data = Buffer.from('PID   COMMAND\n4242  java -jar app.jar\n'.repeat(500));
  console.error('probe: resolving ' + input.containerId);
  for (let i = 0, seq = 0; i < data.length; i += 4096, seq++)
    out({ type: 'chunk', name: 'ps.txt', seq, data: data.subarray(i, i + 4096).toString('base64') });
  const sha256 = require('node:crypto').createHash('sha256').update(data).digest('hex');
  out({ type: 'result', ok: true, pid: 4242, containerId: input.containerId, resolvedVia: 'cgroup', argv: ['ps'], exitCode: 0,
        durationMs: 5, data: { action: 'ps', processes: [] },
        artefacts: [{ name: 'ps.txt', contentType: 'text/plain', bytes: data.length, sha256, truncated: false }], notes: [] });
} else if (mode === 'refuse') {
  out({ type: 'result', ok: false, code: 'container_changed', message: 'the container id on the node differs' });
  process.exitCode = 2;
} else if (mode === 'crash') {
  console.error('boom: cannot read /proc');
  process.exitCode = 1;
} else if (mode === 'sleep') {
  console.log('sleeping');
  setTimeout(() => {}, 120000);
}
`;

let sim: KubeSim;
let dir: string;
let redis: Redis;
let pods: ProbePods;
let slots: ProbeSlots;
let prefix: string;
const modes = new Map<string, string>();

function running(name: string, node: string, containers: string[]) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'shop', uid: randomUUID() },
    spec: {
      nodeName: node,
      containers: containers.map((c) => ({ name: c, image: `registry.example/${c}:1` })),
    },
    status: {
      phase: 'Running',
      containerStatuses: containers.map((c) => ({
        name: c,
        ready: true,
        restartCount: 0,
        image: `registry.example/${c}:1`,
        imageID: '',
        containerID: `containerd://${randomUUID().replace(/-/g, '').repeat(2)}`,
        state: { running: { startedAt: '2026-11-20T09:00:00Z' } },
      })),
    },
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'probe-runner-'));
  // RBAC mode with deploy/'s RBAC: the worker may create probe pods in poddebug-probes only.
  sim = await startKubeSim({
    ...deployRbacMode(),
    fixtures: dir,
    user: WORKER,
    nodeExecutor: {
      // /app/dist/jobs/probes/program/main.js --input X  →  node -e FAKE <mode> X
      rewriteArgv: (argv, pod) => {
        expect(argv.slice(0, 3)).toEqual(['node', '/app/dist/jobs/probes/program/main.js', '--input']);
        const mode = modes.get(pod.metadata.name) ?? 'ok';
        // 'real': the actual probe program from this repository (what the image runs, as TypeScript).
        if (mode === 'real')
          return [
            process.execPath,
            '--import',
            'tsx',
            join(process.cwd(), 'jobs/probes/program/main.ts'),
            ...argv.slice(2),
          ];
        return [process.execPath, '-e', FAKE, mode, argv[3]!];
      },
      startDelayMs: 10,
    },
  });
  sim.put({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: PROBE_NS, labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } },
  });
  sim.put({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'locked', labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } },
  });
  // `locked` stands for a probe namespace renamed by the operator: deploy's probe Role and binding copied there.
  for (const o of deployRbacObjects().filter((x) => x.metadata.namespace === PROBE_NS))
    sim.put({ ...o, metadata: { ...o.metadata, namespace: 'locked' } });
  sim.put({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a' } });
  if (KUBECTL) {
    // The cluster-side guard as deploy/ renders it, with the worker's image pinned by digest.
    const rendered = renderOverlayWith('single-cluster', {
      images: ['  - name: ghcr.io/example/poddebug-probe', `    digest: ${DIGEST}`],
    });
    for (const [kind, name] of [
      ['ValidatingAdmissionPolicy', POLICY],
      ['ValidatingAdmissionPolicyBinding', POLICY],
      ['ConfigMap', 'poddebug-probe-guard'],
    ] as const)
      sim.put(one(rendered, kind, name));
  }
  sim.put(running('checkout', 'node-a', ['app']));
  sim.put(running('trio', 'node-a', ['a', 'b', 'c']));
  sim.put(running('stray', 'node-gone', ['app']));
  const kc = new KubeConfig();
  kc.loadFromFile(sim.kubeconfigPath);
  pods = createProbePods(kc, { namespace: PROBE_NS, timeoutMs: 5000 });
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  prefix = `test-${randomUUID()}:`;
  slots = createProbeSlots(redis, { prefix, maxPerNode: 2 });
});

afterAll(async () => {
  // deploy/'s RBAC allowed every call the runner and the reaper made.
  expect(rbacDenialLines(sim)).toEqual([]);
  // No list without a label selector, ever.
  const lists = sim.requests().filter((r) => r.method === 'GET' && /\/pods$/.test(r.path));
  expect(lists.length).toBeGreaterThan(0);
  for (const l of lists) expect(l.query.labelSelector).toBe('poddebug.io/probe=true');
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

const ps: ProbeSpec = { action: 'ps' };
async function plan(
  pod: string,
  container?: string,
  spec: ProbeSpec = ps,
  image = IMAGE,
): Promise<ProbePlan> {
  return planProbe(pods, {
    cluster: 'test',
    target: { namespace: 'shop', pod, ...(container ? { container } : {}) },
    spec,
    image,
  });
}
function opts(
  p: ProbePlan,
  jobId: string,
  mode: string,
  extra: Partial<RunProbePodOptions> = {},
): RunProbePodOptions {
  modes.set(probePodName(p.spec.action, jobId), mode);
  return {
    plan: p,
    jobId,
    requestId: `req-${jobId}`,
    requester: 'U0REQUESTER',
    approvers: ['U0APPROVER'],
    threadTs: '1732096800.000100',
    channel: 'C0INCIDENT',
    image: IMAGE,
    pollIntervalMs: 30,
    maxPollIntervalMs: 150,
    startTimeoutMs: 5000,
    logger,
    ...extra,
  };
}
const probePods = async () => (await pods.list('poddebug.io/probe=true')).map((p) => p.metadata?.name);
/** Its waits poll every 25 ms for up to 5 s. */
const SOON = { everyMs: 25 } as const;
const job = () => `job-${randomUUID().slice(0, 8)}`;

describe('runProbePod', () => {
  it('happy path: returns the verified result and artefact; the pod is gone and the slots free', async () => {
    const p = await plan('checkout');
    const id = job();
    const r = await runProbePod(pods, slots, opts(p, id, 'ok'));
    expect(r.line).toMatchObject({ type: 'result', ok: true, pid: 4242, containerId: p.containerId });
    expect(r.artefacts.get('ps.txt')?.toString()).toContain('java -jar app.jar');
    expect(r).toMatchObject({ probePod: probePodName('ps', id), phase: 'Succeeded', exitCode: 0 });
    expect(r.durationMs).toBeGreaterThan(0);
    expect(await probePods()).toEqual([]);
    expect(sim.nodeProcesses()).toBe(0);
    const keys = slotKeys(prefix, 'test', 'node-a', p.containerId);
    expect(await redis.exists(keys.container, keys.node)).toBe(0);
    // The pod as created: dedicated namespace, pinned, hostPID, deleted with gracePeriodSeconds=0.
    const del = sim.requests().filter((q) => q.method === 'DELETE' && q.path.endsWith(`/pods/${r.probePod}`));
    expect(del).toHaveLength(1);
    expect(del[0]!.path).toBe(`/api/v1/namespaces/${PROBE_NS}/pods/${r.probePod}`);
    expect(del[0]!.query.gracePeriodSeconds).toBe('0');
  });

  it("passes the program's own refusal through (non-zero exit with a result line)", async () => {
    const r = await runProbePod(pods, slots, opts(await plan('checkout'), job(), 'refuse'));
    expect(r.line).toEqual({
      type: 'result',
      ok: false,
      code: 'container_changed',
      message: 'the container id on the node differs',
    });
    expect(r).toMatchObject({ phase: 'Failed', exitCode: 2 });
    expect(await probePods()).toEqual([]);
  });

  it('the real probe program: its refusal (no such container on this host) comes back as the result', async () => {
    const r = await runProbePod(pods, slots, opts(await plan('checkout'), job(), 'real'));
    expect(r.line).toMatchObject({ type: 'result', ok: false, code: 'container_not_found' });
    expect(r).toMatchObject({ phase: 'Failed', exitCode: 1 });
    expect(await probePods()).toEqual([]);
  });

  it('a program that exits non-zero without a result: clear error, pod gone', async () => {
    const err = await runProbePod(pods, slots, opts(await plan('checkout'), job(), 'crash')).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'probe_failed' });
    expect((err as Error).message).toMatch(
      /exited with code 1 without a usable result: the probe printed no result line; its last output: boom: cannot read \/proc/,
    );
    expect(await probePods()).toEqual([]);
  });

  it('deadline passes: the kubelet stops it, the runner says so, the pod is gone', async () => {
    const err = await runProbePod(
      pods,
      slots,
      opts(await plan('checkout'), job(), 'sleep', { deadlineSec: 1 }),
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'probe_deadline' });
    expect((err as Error).message).toMatch(/deadline of 1 s/);
    expect(await probePods()).toEqual([]);
    expect(sim.nodeProcesses()).toBe(0);
  });

  it('start timeout on a node with no kubelet: clear message, pod gone', async () => {
    const p = await plan('stray');
    expect(p.node).toBe('node-gone');
    const err = await runProbePod(pods, slots, opts(p, job(), 'ok', { startTimeoutMs: 1000 })).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'probe_start_timeout' });
    expect((err as Error).message).toBe(
      'The probe pod could not start on node `node-gone` within 1 s: no kubelet picked it up (is the node up and Ready?).',
    );
    expect(await probePods()).toEqual([]);
  });

  it('a namespace whose Pod Security level forbids it: clear message, nothing left', async () => {
    const lockedPods = createProbePods(
      (() => {
        const kc = new KubeConfig();
        kc.loadFromFile(sim.kubeconfigPath);
        return kc;
      })(),
      { namespace: 'locked', timeoutMs: 5000 },
    );
    const p = await plan('checkout');
    const err = await runProbePod(lockedPods, slots, opts(p, job(), 'ok')).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'probe_forbidden' });
    expect((err as Error).message).toBe(
      "The probe namespace's Pod Security level forbids privileged probes: label namespace `locked` with pod-security.kubernetes.io/enforce=privileged.",
    );
    expect((err as { next: string[] }).next.join('\n')).toMatch(
      /violates PodSecurity "baseline:latest": host namespaces \(hostPID=true\)/,
    );
    expect(await lockedPods.list('poddebug.io/probe=true')).toEqual([]);
    const keys = slotKeys(prefix, 'test', 'node-a', p.containerId);
    expect(await redis.exists(keys.container)).toBe(0);
  });

  describe("the probe namespace's admission policy (deploy/components/probes)", () => {
    const SPECS: ProbeSpec[] = [
      { action: 'strace', durationSec: 5, full: false, failedOnly: false },
      { action: 'mem' },
      { action: 'ps' },
      { action: 'fds' },
      { action: 'netcheck', targets: [{ host: 'db.shop.svc', port: 5432 }] },
      { action: 'tcpdump', durationSec: 5, filter: ['tcp', 'port', '443'] },
    ];
    itWithGuard.each(SPECS.map((s) => [s.action, s] as const))(
      'admits the pod the runner builds for %s',
      async (_action, spec) => {
        // The fake program refuses (any action): what matters is that the pod was admitted and ran.
        const r = await runProbePod(
          pods,
          slots,
          opts(await plan('checkout', undefined, spec), job(), 'refuse'),
        );
        expect(r.line).toMatchObject({ type: 'result', ok: false, code: 'container_changed' });
        expect(await probePods()).toEqual([]);
      },
    );

    itWithGuard(
      'refuses a pod that strays from it (another image): clear message, nothing left',
      async () => {
        // A worker configured with another image (approved as such): the cluster, not the worker, refuses it.
        const p = await plan('checkout', undefined, ps, 'poddebug:test');
        const err = await runProbePod(pods, slots, opts(p, job(), 'ok', { image: 'poddebug:test' })).catch(
          (e: unknown) => e,
        );
        expect(err).toMatchObject({ code: 'probe_forbidden' });
        expect((err as Error).message).toBe(
          `The cluster's admission policy \`${POLICY}\` refused the probe pod in \`${PROBE_NS}\`: a probe pod runs only the image ${IMAGE} (pinned by digest), not poddebug:test`,
        );
        expect((err as { next: string[] }).next.join('\n')).toMatch(
          /ConfigMap poddebug-probe-guard in `poddebug-probes`.*\n.*The API said: pods "poddebug-ps-\w+" is forbidden: ValidatingAdmissionPolicy 'poddebug-probe-pods' with binding 'poddebug-probe-pods' denied request:/,
        );
        expect(await probePods()).toEqual([]);
        const keys = slotKeys(prefix, 'test', 'node-a', p.containerId);
        expect(await redis.exists(keys.container)).toBe(0);
      },
    );
  });

  it('abort mid-run: the pod is gone and its process killed', async () => {
    const p = await plan('checkout');
    const id = job();
    const ac = new AbortController();
    const run = runProbePod(pods, slots, opts(p, id, 'sleep', { abort: ac.signal })).catch((e: unknown) => e);
    await until(
      async () => (await pods.get(probePodName('ps', id)))?.status?.phase === 'Running',
      5000,
      SOON,
    );
    ac.abort();
    expect(await run).toMatchObject({ code: 'probe_aborted' });
    expect(await probePods()).toEqual([]);
    await until(async () => sim.nodeProcesses() === 0, 5000, SOON);
  });

  it('stops before creating anything when the container changed since approval', async () => {
    const p = { ...(await plan('checkout')), containerId: `containerd://${'0'.repeat(64)}` };
    sim.resetStats();
    const err = await runProbePod(pods, slots, opts(p, job(), 'ok')).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'container_changed' });
    expect((err as Error).message).toMatch(/container ID of `shop\/checkout` container `app` changed/);
    expect(sim.requests().filter((q) => q.method === 'POST')).toEqual([]);
  });

  it('simulated worker crash: the pod it left behind is reaped', async () => {
    const p = await plan('checkout');
    const id = job();
    // A worker that dies cannot delete: its client's delete never happens.
    const crashing: ProbePods = { ...pods, delete: async () => false };
    const ac = new AbortController();
    const run = runProbePod(crashing, slots, opts(p, id, 'sleep', { abort: ac.signal })).catch(
      (e: unknown) => e,
    );
    const name = probePodName('ps', id);
    await until(async () => (await pods.get(name))?.status?.phase === 'Running', 5000, SOON);
    ac.abort();
    await run;
    expect(await probePods()).toEqual([name]);

    // Job still active, deadline ahead: kept.
    const kept = await reapProbePods(pods, { namespace: PROBE_NS, isJobActive: async () => true });
    expect(kept).toEqual({ deleted: [], kept: [name], errors: [] });
    // Deadline passed (even with the job still marked active): deleted.
    const late = await reapProbePods(pods, {
      namespace: PROBE_NS,
      isJobActive: async () => true,
      now: new Date(Date.now() + 3600_000),
    });
    expect(late.deleted).toEqual([
      {
        pod: name,
        jobId: id,
        reason: 'deadline_passed',
        detail: expect.stringMatching(/^deadline .* passed$/),
      },
    ]);
    expect(await probePods()).toEqual([]);
    await until(async () => sim.nodeProcesses() === 0, 5000, SOON);
  });

  it('reaps the pod of a job that is no longer active', async () => {
    const p = await plan('checkout');
    const id = job();
    const crashing: ProbePods = { ...pods, delete: async () => false };
    const ac = new AbortController();
    const run = runProbePod(crashing, slots, opts(p, id, 'sleep', { abort: ac.signal })).catch(
      (e: unknown) => e,
    );
    await until(async () => (await pods.get(probePodName('ps', id))) !== undefined, 5000, SOON);
    ac.abort();
    await run;
    const asked: string[] = [];
    const r = await reapProbePods(pods, {
      namespace: PROBE_NS,
      isJobActive: async (j) => {
        asked.push(j);
        return false;
      },
    });
    expect(asked).toEqual([id]);
    expect(r.deleted).toEqual([
      {
        pod: probePodName('ps', id),
        jobId: id,
        reason: 'job_not_active',
        detail: `job ${id} is no longer active`,
      },
    ]);
    expect(await probePods()).toEqual([]);
  });

  it('one probe per container: a second run on the same container is refused', async () => {
    const p = await plan('checkout');
    const first = job();
    const ac = new AbortController();
    const run = runProbePod(pods, slots, opts(p, first, 'sleep', { abort: ac.signal })).catch(
      (e: unknown) => e,
    );
    await until(async () => (await pods.get(probePodName('ps', first))) !== undefined, 5000, SOON);
    const err = await runProbePod(pods, slots, opts(p, job(), 'ok')).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'probe_busy' });
    expect((err as Error).message).toBe(
      'another probe (ps by <@U0REQUESTER>) is running on that container; try again when it ends.',
    );
    ac.abort();
    await run;
    expect(await probePods()).toEqual([]);
  });

  it('at most maxPerNode probes per node: the third container on node-a waits', async () => {
    const plans = await Promise.all(['a', 'b', 'c'].map((c) => plan('trio', c)));
    const ac = new AbortController();
    const jobs = [job(), job()];
    const runs = jobs.map((id, i) =>
      runProbePod(pods, slots, opts(plans[i]!, id, 'sleep', { abort: ac.signal })).catch((e: unknown) => e),
    );
    await until(async () => (await probePods()).length === 2, 5000, SOON);
    const err = await runProbePod(pods, slots, opts(plans[2]!, job(), 'ok')).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'probe_busy' });
    expect((err as Error).message).toBe(
      'Node `node-a` already runs 2 probes (the limit is 2); try again when one ends.',
    );
    ac.abort();
    await Promise.all(runs);
    expect(await probePods()).toEqual([]);
    // With the slots free again, the third runs.
    const r = await runProbePod(pods, slots, opts(plans[2]!, job(), 'ok'));
    expect(r.line.ok).toBe(true);
  });
});

describe('probe slots', () => {
  const req = (jobId: string, containerId: string, ttlMs: number) => ({
    cluster: 'test',
    node: 'node-ttl',
    containerId,
    jobId,
    action: 'strace',
    requester: 'U1',
    ttlMs,
  });

  it('expire after their TTL, so a killed worker cannot hold them forever', async () => {
    const s = createProbeSlots(redis, { prefix, maxPerNode: 1 });
    await s.acquire(req('dead-worker', 'containerd://x1', 1000)); // never released
    await expect(s.acquire(req('other', 'containerd://x1', 1000))).rejects.toMatchObject({
      code: 'probe_busy',
    });
    await expect(s.acquire(req('other', 'containerd://x2', 1000))).rejects.toThrow(/already runs 1 probes/);
    await new Promise((r) => setTimeout(r, 1100));
    const release = await s.acquire(req('other', 'containerd://x1', 5000));
    await release();
    await release(); // idempotent
    const keys = slotKeys(prefix, 'test', 'node-ttl', 'containerd://x1');
    expect(await redis.exists(keys.container, keys.node)).toBe(0);
  });

  it('a retried attempt of the same job takes its own slots back', async () => {
    const s = createProbeSlots(redis, { prefix, maxPerNode: 1 });
    await s.acquire(req('job-r', 'containerd://y1', 5000));
    const release = await s.acquire(req('job-r', 'containerd://y1', 5000));
    await release();
    const keys = slotKeys(prefix, 'test', 'node-ttl', 'containerd://y1');
    expect(await redis.exists(keys.container, keys.node)).toBe(0);
  });
});
