/**
 * `/poddebug debug` and `/poddebug connectivity` through the whole product: signed slash command → reason form
 * → (approval where needed) → plan and run jobs on a real worker over Redis → the API simulator's
 * pods/ephemeralcontainers and its container runtime, which runs the debug container's argv as a local process
 * → output, exit status and refusals in the Slack thread, and the audit trail.
 *
 * Longer than 400 lines on purpose: one stack serves every case of the acceptance list (debug, each refusal,
 * copies, the reaper, connectivity, authorization), which would otherwise each start their own.
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KEYS } from '../../jobs/contracts/index.js';
import { readAuditLog } from '../support/audit-log.js';
import { until } from '../support/poll.js';
import {
  click,
  command,
  ephemeralTexts,
  inThread,
  putTargetPod,
  requestAwaitingApproval,
  requestProbe,
} from '../support/probe-flow.js';
import { testRedisUrl } from '../support/redis-server.js';
import { PROBE_IMAGE, type Stack, startStack } from '../support/stack.js';

const REQUESTER = 'U0ONCALL1';
const APPROVER = 'U0ALICE';
const VIEWER = 'U0DAVE';
const BUSYBOX = `registry.example/tools/busybox:1.36@sha256:${'a'.repeat(64)}`;
const POLICY = `
version: 1
channels: { ids: [C0INCIDENT] }
grants:
  - users: [${REQUESTER}]
    roles: [viewer, operator]
    clusters: ["*"]
    namespaces: [shop, strict]
  - users: [${VIEWER}]
    roles: [viewer]
    clusters: ["*"]
    namespaces: ["*"]
  - users: [${APPROVER}]
    roles: [approver]
    clusters: ["*"]
    namespaces: ["*"]
rateLimits:
  privileged:
    perUser: { max: 1000, windowSeconds: 3600 }
    perChannel: { max: 1000, windowSeconds: 3600 }
probes:
  networkTargets:
    allow:
      - description: the test's TCP server listens on loopback
        clusters: ["*"]
        namespaces: [shop]
        cidrs: ["127.0.0.0/8"]
debug:
  images:
    - name: busybox
      image: ${BUSYBOX}
  maxEphemeralContainers: 3
`;

const who = { userId: REQUESTER, channelId: 'C0INCIDENT' };

interface PodJson {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    containers: {
      name: string;
      command?: string[];
      image?: string;
      readinessProbe?: unknown;
      securityContext?: unknown;
    }[];
    ephemeralContainers?: {
      name: string;
      image: string;
      command: string[];
      targetContainerName?: string;
      securityContext?: unknown;
    }[];
    shareProcessNamespace?: boolean;
    restartPolicy?: string;
  };
}

async function getPod(stack: Stack, ns: string, name: string): Promise<PodJson | undefined> {
  const res = await fetch(`${stack.sim.url}/api/v1/namespaces/${ns}/pods/${name}`);
  return res.status === 200 ? ((await res.json()) as PodJson) : undefined;
}

async function listPods(stack: Stack, ns: string, selector: string): Promise<PodJson[]> {
  const res = await fetch(
    `${stack.sim.url}/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(selector)}`,
  );
  return ((await res.json()) as { items: PodJson[] }).items;
}

const resultText = (stack: Stack, root: Parameters<typeof inThread>[1], action: string) =>
  inThread(stack, root, new RegExp(`^\\S+ ${action} on `, 'u'), 20_000);

describe('debug containers and connectivity, end to end', () => {
  let stack: Stack;
  let tcp: Server;
  let tcpPort = 0;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'poddebug-debug-'));
    const resolv = join(dir, 'resolv.conf');
    // No DNS server on loopback's port 53 here: lookups of names fail fast, which is what the test checks.
    writeFileSync(resolv, 'nameserver 127.0.0.1\noptions ndots:1\n');
    stack = await startStack({
      fixtures: [],
      policy: POLICY,
      probes: {},
      lockMs: 3000,
      debug: {
        runtime: {
          startDelayMs: 300,
          timeoutMs: 20_000,
          // The poddebug image's connectivity program is this repository's TypeScript, through tsx.
          rewriteArgv: (argv) =>
            argv[0] === 'node' && argv[1]?.endsWith('/jobs/debug/program/connectivity.js')
              ? [
                  process.execPath,
                  '--import',
                  'tsx',
                  join(process.cwd(), 'jobs/debug/program/connectivity.ts'),
                  ...argv.slice(2),
                  resolv,
                ]
              : argv,
        },
      },
    });
    tcp = createServer((s) => s.end());
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
    tcpPort = (tcp.address() as { port: number }).port;
    stack.sim.put({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'strict', labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } },
    });
    stack.sim.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
    for (const name of ['checkout-1', 'checkout-2', 'checkout-3', 'checkout-4', 'checkout-5'])
      putTargetPod(stack, { namespace: 'shop', name });
    putTargetPod(stack, { namespace: 'strict', name: 'ledger-1' });
  }, 30_000);

  afterAll(async () => {
    tcp?.close();
    await stack?.close();
  });

  it('debug: an ephemeral container with the general profile runs the command; output and exit status in the thread', async () => {
    const { root, requestId } = await requestProbe(
      stack,
      who,
      'debug checkout-1 -n shop -- echo hello-from-debug',
    );
    const result = await resultText(stack, root, 'debug');
    const shown = JSON.stringify(result.blocks);
    expect(shown).toContain('hello-from-debug');
    expect(shown).toContain('the command exited with 0');
    expect(shown).toMatch(/cannot be removed/);
    // What the simulator holds is what kubectl debug --profile=general --target=app would have sent.
    const pod = await getPod(stack, 'shop', 'checkout-1');
    const eph = pod?.spec.ephemeralContainers ?? [];
    expect(eph).toHaveLength(1);
    expect(eph[0]).toMatchObject({
      name: `poddebug-${requestId.slice(-24, -14)}`,
      image: BUSYBOX,
      command: ['echo', 'hello-from-debug'],
      targetContainerName: 'app',
      securityContext: { capabilities: { add: ['SYS_PTRACE'] } },
    });
    // No approval needed for general: no Approve button was ever shown; the trail has the whole sequence.
    const types = () =>
      readAuditLog(stack.auditLogPath)
        .filter((e) => e.requestId === requestId)
        .map((e) => e.type);
    await stack.slack.waitFor(() => (types().includes('succeeded') ? true : undefined), 5000);
    expect(types()).toEqual(['requested', 'approved', 'started', 'succeeded']);
    expect(JSON.stringify(stack.slack.thread(root.channel, root.ts))).not.toContain('poddebug_approve');
  }, 40_000);

  it('debug: a failing command reports its exit status and its stderr', async () => {
    const { root } = await requestProbe(
      stack,
      who,
      'debug checkout-2 -n shop -- ls /nonexistent-poddebug-dir',
    );
    const shown = JSON.stringify((await resultText(stack, root, 'debug')).blocks);
    expect(shown).toMatch(/the command exited with 2/);
    expect(shown).toContain('nonexistent-poddebug-dir');
  }, 40_000);

  it('debug: long output goes up as a file into the thread, the last lines shown, nothing silently cut', async () => {
    const { root } = await requestProbe(stack, who, 'debug checkout-1 -n shop -- seq 1 3000');
    const shown = JSON.stringify((await resultText(stack, root, 'debug')).blocks);
    expect(shown).toContain('3000');
    expect(shown).toMatch(/the last 30 lines are shown; all of it is in the file/);
    const file = await stack.slack.waitFor(
      () => stack.slack.files().find((f) => f.thread_ts === root.ts && f.filename.startsWith('debug-')),
      10_000,
    );
    const text = file.bytes.toString('utf8');
    expect(text.split('\n').filter(Boolean)).toHaveLength(3000);
    expect(text.startsWith('1\n2\n')).toBe(true);
  }, 40_000);

  it('debug: a pod that is not running is refused, saying so and offering --copy', async () => {
    stack.sim.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'pending-1', namespace: 'shop' },
      spec: { containers: [{ name: 'app', image: 'x' }] },
      status: { phase: 'Pending' },
    });
    const { root } = await requestProbe(stack, who, 'debug pending-1 -n shop -- echo hi');
    const failure = await inThread(stack, root, /^❌.*(not running|not scheduled)/su, 20_000);
    expect(JSON.stringify(failure.blocks)).toContain('--copy');
    expect((await getPod(stack, 'shop', 'pending-1'))?.spec.ephemeralContainers ?? []).toHaveLength(0);
  }, 40_000);

  it('debug: a cluster without ephemeral containers is named, with the node probe that works', async () => {
    stack.sim.setEphemeralContainers(false);
    try {
      const { root } = await requestProbe(stack, who, 'debug checkout-3 -n shop -- echo hi');
      const failure = await inThread(stack, root, /^❌.*does not serve ephemeral containers/su, 20_000);
      expect(JSON.stringify(failure.blocks)).toMatch(/\/poddebug ps checkout-3 -n shop/);
    } finally {
      stack.sim.setEphemeralContainers(true);
    }
  }, 40_000);

  it('debug --profile netadmin needs an approval; Pod Security baseline then refuses it, naming the level', async () => {
    const { root, requestId, approval } = await requestAwaitingApproval(
      stack,
      who,
      'debug ledger-1 -n strict --profile netadmin -- ip route',
    );
    const asked = JSON.stringify(approval.blocks);
    expect(asked).toContain('NET_ADMIN');
    expect(asked).toMatch(/cannot be removed/);
    expect(asked).toContain(BUSYBOX);
    await click(stack, root, 'poddebug_approve', APPROVER, requestId);
    const failure = await inThread(stack, root, /^❌.*Pod Security/su, 20_000);
    const shown = JSON.stringify(failure.blocks);
    expect(shown).toMatch(/level baseline/);
    expect(shown).toMatch(/--profile baseline/);
    expect((await getPod(stack, 'strict', 'ledger-1'))?.spec.ephemeralContainers ?? []).toHaveLength(0);
  }, 40_000);

  it('debug: the runtime failing to join the target container is said as such', async () => {
    const started = requestProbe(stack, who, 'debug checkout-4 -n shop -- echo hi');
    // The target crashes between the worker's check and the start (the runtime starts 300 ms after the patch).
    for (let i = 0; i < 400; i++) {
      const p = await getPod(stack, 'shop', 'checkout-4');
      if ((p?.spec.ephemeralContainers ?? []).length > 0) {
        stack.sim.put({
          ...p,
          apiVersion: 'v1',
          kind: 'Pod',
          status: {
            phase: 'Running',
            containerStatuses: [
              {
                name: 'app',
                ready: false,
                restartCount: 3,
                image: 'x',
                imageID: '',
                state: { waiting: { reason: 'CrashLoopBackOff' } },
              },
            ],
          },
        });
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    const { root } = await started;
    const failure = await inThread(stack, root, /^❌.*could not put/su, 20_000);
    expect(JSON.stringify(failure.blocks)).toMatch(/namespaces of container `app`/);
  }, 40_000);

  it('debug: refused once the pod carries the policy’s number of ephemeral containers', async () => {
    const p = await getPod(stack, 'shop', 'checkout-5');
    stack.sim.put({
      ...p,
      apiVersion: 'v1',
      kind: 'Pod',
      spec: {
        ...p!.spec,
        ephemeralContainers: ['a', 'b', 'c'].map((n) => ({
          name: `old-${n}`,
          image: 'busybox',
          command: ['true'],
        })),
      },
    });
    const { root } = await requestProbe(stack, who, 'debug checkout-5 -n shop -- echo hi');
    const failure = await inThread(stack, root, /^❌.*already carries 3 ephemeral containers/su, 20_000);
    expect(JSON.stringify(failure.blocks)).toContain('--copy');
  }, 40_000);

  it('debug --copy: approved, the copy is created without labels or probes, the target sleeps, the command runs, the copy is deleted', async () => {
    const p = await getPod(stack, 'shop', 'checkout-2');
    stack.sim.put({
      ...p,
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { ...p!.metadata, labels: { app: 'checkout' } },
      spec: {
        ...p!.spec,
        containers: [
          {
            name: 'app',
            image: 'registry.example/shop/checkout:1.4.2',
            command: ['false'],
            readinessProbe: { httpGet: { port: 8080, path: '/' } },
          },
        ],
      },
    });
    const { root, requestId, approval } = await requestAwaitingApproval(
      stack,
      who,
      'debug checkout-2 -n shop --copy --keep 1m -- echo copy-ok',
    );
    expect(JSON.stringify(approval.blocks)).toMatch(/service account/);
    await click(stack, root, 'poddebug_approve', APPROVER, requestId);
    // The copy, while it lives:
    let copy: PodJson | undefined;
    for (let i = 0; i < 200 && !copy; i++) {
      copy = (await listPods(stack, 'shop', 'poddebug.io/debug-copy=true'))[0];
      if (!copy) await new Promise((r) => setTimeout(r, 25));
    }
    expect(copy).toBeDefined();
    expect(copy!.metadata.labels).toEqual({
      'app.kubernetes.io/managed-by': 'poddebug',
      'poddebug.io/debug-copy': 'true',
      'poddebug.io/request': requestId,
    });
    const app = copy!.spec.containers.find((c) => c.name === 'app')!;
    expect(app.command?.[0]).toBe('sleep');
    expect(app.readinessProbe).toBeUndefined();
    expect(copy!.spec.shareProcessNamespace).toBe(true);
    expect(copy!.spec.restartPolicy).toBe('Never');
    const shown = JSON.stringify((await resultText(stack, root, 'debug')).blocks);
    expect(shown).toContain('copy-ok');
    expect(shown).toMatch(/stays for 1 min/);
    // --keep over (the annotation says when at the latest): the reaper deletes it. Move it into the past.
    const kept = (await listPods(stack, 'shop', 'poddebug.io/debug-copy=true'))[0]!;
    stack.sim.put({
      ...kept,
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        ...kept.metadata,
        annotations: { ...kept.metadata.annotations, 'poddebug.io/delete-after': '2020-01-01T00:00:00Z' },
      },
    });
    await until(
      async () => (await listPods(stack, 'shop', 'poddebug.io/debug-copy=true')).length === 0,
      10_000,
      { what: 'the reaper deletes the copy once its --keep is over' },
    );
  }, 60_000);

  it('debug --copy --keep 0 deletes the copy as soon as the command ended', async () => {
    const { root, requestId } = await requestAwaitingApproval(
      stack,
      who,
      'debug checkout-1 -n shop --copy --keep 0 -- echo gone-soon',
    );
    await click(stack, root, 'poddebug_approve', APPROVER, requestId);
    const shown = JSON.stringify((await resultText(stack, root, 'debug')).blocks);
    expect(shown).toContain('gone-soon');
    expect(shown).toMatch(/was deleted/);
    expect(await listPods(stack, 'shop', `poddebug.io/request=${requestId}`)).toHaveLength(0);
  }, 60_000);

  it('the reaper deletes a copy its worker left behind (its job is gone)', async () => {
    stack.sim.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'checkout-1-debug-deadbeef',
        namespace: 'shop',
        labels: { 'poddebug.io/debug-copy': 'true', 'poddebug.io/request': 'prb-deadbeef' },
        annotations: {
          'poddebug.io/job-id': 'run-prb-prod-000000000000000000000000',
          'poddebug.io/delete-after': new Date(Date.now() + 3_600_000).toISOString(),
        },
      },
      spec: { containers: [{ name: 'app', image: 'x', command: ['sleep', '600'] }] },
    });
    // It is there first (the reaper runs every second), then the reaper deletes it.
    expect((await getPod(stack, 'shop', 'checkout-1-debug-deadbeef'))?.metadata.name).toBe(
      'checkout-1-debug-deadbeef',
    );
    await until(
      async () => (await getPod(stack, 'shop', 'checkout-1-debug-deadbeef')) === undefined,
      10_000,
      { what: 'the reaper deletes the leftover copy' },
    );
  }, 20_000);

  it('connectivity: DNS and TCP from an ephemeral container with the general profile, no approval', async () => {
    const { root } = await requestProbe(
      stack,
      who,
      `connectivity checkout-3 -n shop 127.0.0.1:${tcpPort} nosuch.poddebug.invalid:80`,
    );
    const result = await resultText(stack, root, 'connectivity');
    const shown = JSON.stringify(result.blocks);
    expect(shown).toContain(`127.0.0.1:${tcpPort}`);
    expect(shown).toContain('nosuch.poddebug.invalid');
    const eph = (await getPod(stack, 'shop', 'checkout-3'))?.spec.ephemeralContainers ?? [];
    const added = eph.at(-1)!;
    expect(added.securityContext).toEqual({ capabilities: { add: ['SYS_PTRACE'] } });
    expect(added.command.slice(0, 2)).toEqual(['node', '/app/dist/jobs/debug/program/connectivity.js']);
  }, 40_000);

  it.each([
    ['debug checkout-1 -n shop', /command to run after `--`/],
    ['debug checkout-1 -n shop -- cat /etc/passwd | grep root', /pipe/],
    ['debug checkout-1 -n shop --profile root -- id', /`--profile` is one of/],
    ['connectivity checkout-1 -n shop', /at least one host/],
  ])('malformed %j: a clear ephemeral error, no form, nothing queued', async (text, message) => {
    const views = stack.slack.views().length;
    const before = await stack.queue().count();
    const ack = await command(stack, who, text);
    expect(ack.status).toBe(200);
    expect(JSON.stringify(ack.body)).toMatch(message);
    await new Promise((r) => setTimeout(r, 200));
    expect(stack.slack.views().length).toBe(views);
    expect(await stack.queue().count()).toBe(before);
  });

  it.each([
    [
      'without the operator role',
      VIEWER,
      'C0INCIDENT',
      'debug checkout-1 -n shop -- echo hi',
      /no grant for debug/,
    ],
    [
      'outside its scope',
      REQUESTER,
      'C0INCIDENT',
      'debug api-1 -n kube-system -- echo hi',
      /no grant for debug/,
    ],
    [
      'outside allowed channels',
      REQUESTER,
      'C0RANDOM',
      'connectivity checkout-1 -n shop db:5432',
      /not allowed in/,
    ],
    [
      'to a denied target (cloud metadata)',
      REQUESTER,
      'C0INCIDENT',
      'connectivity checkout-1 -n shop 169.254.169.254:80',
      /169\.254\.169\.254/,
    ],
    [
      'an image the policy does not list',
      REQUESTER,
      'C0INCIDENT',
      'debug checkout-1 -n shop --image netshoot -- ip a',
      /not a debug image the poddebug policy allows/,
    ],
  ])(
    'refused %s: an ephemeral answer, no form, nothing queued, audited',
    async (_what, user, channel, text, message) => {
      const views = stack.slack.views().length;
      const before = await stack.queue().count();
      const ack = await command(stack, { userId: user, channelId: channel }, text);
      expect(ack.status).toBe(200);
      expect(JSON.stringify(ack.body)).toMatch(message);
      await new Promise((r) => setTimeout(r, 300));
      expect(stack.slack.views().length).toBe(views);
      expect(await stack.queue().count()).toBe(before);
      const refused = readAuditLog<{ type: string; actor: string; action: string }>(
        stack.auditLogPath,
      ).filter((e) => e.type === 'refused' && e.actor === user);
      expect(refused.map((e) => e.action)).toContain(text.split(' ')[0]);
      expect(ephemeralTexts(stack, user).join('\n')).not.toMatch(/Traceback|Error:/);
    },
    20_000,
  );
});

describe('a debug copy whose worker is killed (SIGKILL) mid-run', () => {
  const LOCK_MS = 3000;
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      fixtures: [],
      policy: POLICY,
      probes: {},
      worker: false,
      lockMs: LOCK_MS,
      debug: { runtime: { startDelayMs: 50, timeoutMs: 60_000 } },
    });
    stack.sim.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
    putTargetPod(stack, { namespace: 'shop', name: 'checkout-9' });
  }, 30_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('the run fails (its approval is single-use) and the reaper deletes the copy it left', async () => {
    // The worker that dies: a process of its own, as deployed (worker-main), with the stack's keys.
    const child = spawn(process.execPath, ['--import', 'tsx', 'jobs/worker-main.ts'], {
      env: {
        ...process.env,
        CLUSTER: stack.cluster,
        REDIS_URL: testRedisUrl(),
        KUBECONFIG: stack.sim.kubeconfigPath,
        WORKER_LOCK_MS: String(LOCK_MS),
        WORKER_HEALTH_PORT: '0',
        PROBE_IMAGE,
        APPROVAL_PUBLIC_KEYS_FILE: stack.approvalKey.publicKeysPath,
        LOG_LEVEL: 'silent',
      },
      stdio: 'ignore',
    });
    try {
      await until(async () => (await stack.redis.exists(KEYS.heartbeat(stack.cluster))) === 1, 20_000, {
        what: 'the worker process is up',
      });
      const { root, requestId } = await requestAwaitingApproval(
        stack,
        who,
        'debug checkout-9 -n shop --copy -- sleep 40',
        20_000,
      );
      await click(stack, root, 'poddebug_approve', APPROVER, requestId);
      const selector = `poddebug.io/request=${requestId}`;
      await until(async () => (await listPods(stack, 'shop', selector)).length === 1, 20_000, {
        what: 'the dying worker created the copy',
      });
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      // The survivor takes the stalled run over, refuses to run an approval twice, and reaps the copy.
      stack.startWorker();
      const failure = await inThread(stack, root, /^❌/u, 30_000);
      expect(failure.text).toMatch(/single-use|already used/);
      await until(async () => (await listPods(stack, 'shop', selector)).length === 0, 15_000, {
        what: 'the reaper deletes the killed worker’s copy',
      });
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 90_000);
});
