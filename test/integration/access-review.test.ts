/**
 * The optional Kubernetes-side check end to end: the real @kubernetes/client-node
 * AccessReviewer posting SubjectAccessReviews to kube-sim, which evaluates them
 * against RBAC objects (fixtures and sim.put), plus the real kubectl
 * (`auth can-i --as`) against the same objects, and the failure modes (API down,
 * slow, 403 for the bot's own identity, unknown cluster), which must all deny.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { type Logger, LogLevel, WebClient } from '@slack/web-api';
import { type AccessCheck, AccessReviewer, kubeConfigSource } from '../../bot/policy/access-review.js';
import { IdentityMapper } from '../../bot/policy/identity.js';
import { type KubeSim, startKubeSim } from '../../tools/kube-sim/index.js';
import { type SlackDouble, startSlackDouble } from '../../tools/slack-double/index.js';

const RBAC_FIXTURE = `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: poddebug-strace
  namespace: shop
rules:
  - apiGroups: ["poddebug.io"]
    resources: ["probes/strace"]
    verbs: ["create"]
  - apiGroups: [""]
    resources: ["pods", "pods/log"]
    verbs: ["get"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: alice-strace
  namespace: shop
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: poddebug-strace
subjects:
  - apiGroup: rbac.authorization.k8s.io
    kind: User
    name: alice@example.com
`;

function kubeconfigOf(sim: KubeSim): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(sim.kubeconfigPath);
  return kc;
}

function kubectlPath(): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('kubectl', ['version', '--client'], (err) => resolve(err ? undefined : 'kubectl'));
  });
}

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const base = { cluster: 'prod-eu', groups: ['system:authenticated'] };
const alice = { ...base, user: 'alice@example.com' };

describe('AccessReviewer against kube-sim RBAC', () => {
  let sim: KubeSim;
  let dir: string;
  let reviewer: AccessReviewer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'access-review-'));
    await writeFile(join(dir, 'rbac.yaml'), RBAC_FIXTURE);
    sim = await startKubeSim({ fixtures: dir });
    // Group sre may tcpdump in payments (RoleBinding to a ClusterRole); robots may run every probe everywhere.
    sim.put({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'poddebug-tcpdump' },
      rules: [
        { apiGroups: ['poddebug.io'], resources: ['probes/tcpdump'], verbs: ['create'] },
        { apiGroups: [''], resources: ['events'], verbs: ['list'] },
      ],
    });
    sim.put({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'sre-tcpdump', namespace: 'payments' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'poddebug-tcpdump' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'sre' }],
    });
    sim.put({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'poddebug-all-probes' },
      rules: [{ apiGroups: ['poddebug.io'], resources: ['probes/*', '*'], verbs: ['create'] }],
    });
    sim.put({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'oncall-all-probes' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'poddebug-all-probes' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'oncall-leads' }],
    });
    const kc = kubeconfigOf(sim);
    reviewer = new AccessReviewer({ kubeConfigFor: (c) => (c === 'prod-eu' ? kc : undefined) });
  });
  afterAll(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('allows alice to strace in shop, where her RoleBinding is', async () => {
    sim.resetStats();
    await expect(
      reviewer.check({ ...alice, action: 'strace', namespace: 'shop', name: 'checkout-1' }),
    ).resolves.toEqual({ allowed: true });
    expect(sim.requests().map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /apis/authorization.k8s.io/v1/subjectaccessreviews',
    ]);
  });

  it('denies alice strace in payments, naming user, verb, resource, namespace and cluster', async () => {
    const r = await reviewer.check({ ...alice, action: 'strace', namespace: 'payments', name: 'api-0' });
    expect(r).toEqual({
      allowed: false,
      cause: 'denied',
      reason: expect.stringMatching(
        /^Kubernetes RBAC does not allow alice@example\.com to create probes\/strace \(poddebug\.io\) in namespace payments \(cluster prod-eu\)\./,
      ),
    });
  });

  it.each<[string, Partial<AccessCheck>, boolean]>([
    ['alice: logs in shop', { action: 'logs', namespace: 'shop', name: 'checkout-1' }, true],
    ['alice: diagnose in shop', { action: 'diagnose', namespace: 'shop', name: 'checkout-1' }, true],
    ['alice: events in shop (list not granted)', { action: 'events', namespace: 'shop' }, false],
    ['alice: tcpdump in shop (another probe)', { action: 'tcpdump', namespace: 'shop', name: 'x' }, false],
    [
      'alice: debug in shop (patch pods/ephemeralcontainers)',
      { action: 'debug', namespace: 'shop', name: 'x' },
      false,
    ],
    ['alice: strace in all namespaces', { action: 'strace' }, false],
  ])('%s', async (_name, check, allowed) => {
    const r = await reviewer.check({ ...alice, action: 'diagnose', ...check });
    expect(r.allowed).toBe(allowed);
  });

  it('a group binding (RoleBinding to a ClusterRole) allows members of the group in its namespace only', async () => {
    const carol = { ...base, user: 'carol@example.com', groups: ['system:authenticated', 'sre'] };
    expect(
      await reviewer.check({ ...carol, action: 'tcpdump', namespace: 'payments', name: 'api-0' }),
    ).toEqual({
      allowed: true,
    });
    expect(
      (await reviewer.check({ ...carol, action: 'tcpdump', namespace: 'shop', name: 'x' })).allowed,
    ).toBe(false);
    const notMember = { ...base, user: 'dave@example.com' };
    expect(
      (await reviewer.check({ ...notMember, action: 'tcpdump', namespace: 'payments', name: 'api-0' }))
        .allowed,
    ).toBe(false);
  });

  it('a ClusterRoleBinding allows in every namespace, and cluster-wide', async () => {
    const lead = { ...base, user: 'erin@example.com', groups: ['oncall-leads'] };
    for (const namespace of ['shop', 'payments', 'kube-system']) {
      expect(await reviewer.check({ ...lead, action: 'mem', namespace, name: 'p' })).toEqual({
        allowed: true,
      });
    }
    expect(await reviewer.check({ ...lead, action: 'netcheck' })).toEqual({ allowed: true });
    expect((await reviewer.check({ ...lead, action: 'diagnose', namespace: 'shop' })).allowed).toBe(false);
  });

  describe('debug --copy: reviewed as kubectl debug --copy-to (get pods, create pods), not as an ephemeral container', () => {
    const frank = { ...base, user: 'frank@example.com' };
    const gina = { ...base, user: 'gina@example.com' };
    const copy = { action: 'debug', copy: true, namespace: 'shop', name: 'checkout-1' };
    beforeAll(() => {
      // frank may read and create pods in shop; gina may create only a pod named checkout-1 there.
      sim.put({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'pod-copier', namespace: 'shop' },
        rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'create'] }],
      });
      sim.put({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'one-pod', namespace: 'shop' },
        rules: [
          { apiGroups: [''], resources: ['pods'], verbs: ['get', 'create'], resourceNames: ['checkout-1'] },
        ],
      });
      for (const [name, roleName, user] of [
        ['frank-copier', 'pod-copier', frank.user],
        ['gina-one-pod', 'one-pod', gina.user],
      ] as const)
        sim.put({
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name, namespace: 'shop' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: roleName },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
        });
    });

    it('alice (get pods, no create pods) is denied, the message naming create pods and what a copy needs', async () => {
      const r = await reviewer.check({ ...alice, ...copy });
      expect(r).toEqual({
        allowed: false,
        cause: 'denied',
        reason: expect.stringMatching(
          /^Kubernetes RBAC does not allow alice@example\.com to create pods in namespace shop \(cluster prod-eu\)\. `debug --copy` creates a new pod.* needs get pods and create pods\./,
        ),
      });
    });

    it('frank (get and create pods) may copy, two reviews made at once; his plain debug is denied', async () => {
      sim.resetStats();
      sim.setLatency(300);
      try {
        expect(await reviewer.check({ ...frank, ...copy })).toEqual({ allowed: true });
      } finally {
        sim.setLatency(0);
      }
      const reviews = sim.requestSpans().filter((x) => x.path.endsWith('/subjectaccessreviews'));
      expect(reviews).toHaveLength(2);
      // Concurrent: each began before the other was answered.
      const [a, b] = reviews as [(typeof reviews)[0], (typeof reviews)[0]];
      expect(Math.max(a.start, b.start)).toBeLessThan(Math.min(a.end, b.end));
      const plain = await reviewer.check({
        ...frank,
        action: 'debug',
        namespace: 'shop',
        name: 'checkout-1',
      });
      expect(plain).toMatchObject({
        allowed: false,
        reason: expect.stringContaining('to patch pods/ephemeralcontainers in namespace shop'),
      });
    });

    it('a create grant limited by resourceNames does not cover a copy (the new pod has no name to match yet)', async () => {
      const r = await reviewer.check({ ...gina, ...copy });
      expect(r).toMatchObject({
        allowed: false,
        reason: expect.stringContaining('to create pods in namespace shop'),
      });
    });
  });

  it('an unknown cluster is denied: no credentials to ask with', async () => {
    const r = await reviewer.check({ ...alice, cluster: 'staging', action: 'strace', namespace: 'shop' });
    expect(r).toEqual({
      allowed: false,
      cause: 'unavailable',
      reason: expect.stringContaining('poddebug has no credentials for cluster staging'),
    });
  });

  it('an unknown action is denied without asking the cluster', async () => {
    sim.resetStats();
    const r = await reviewer.check({ ...alice, action: 'exec', namespace: 'shop' });
    expect(r).toEqual({
      allowed: false,
      cause: 'denied',
      reason: expect.stringContaining('exec is not an action'),
    });
    expect(sim.stats().total).toBe(0);
  });

  it('403 for the bot’s own identity is denied, saying the bot lacks the grant', async () => {
    const undo = sim.fail({ method: 'POST', path: /subjectaccessreviews$/, status: 403 });
    try {
      const r = await reviewer.check({ ...alice, action: 'strace', namespace: 'shop' });
      expect(r).toEqual({
        allowed: false,
        cause: 'unavailable',
        reason: expect.stringMatching(
          /^poddebug's own identity in cluster prod-eu may not create SubjectAccessReviews \(403: .*forbidden.*\).*deploy\/components\/subject-access-review/,
        ),
      });
    } finally {
      undo();
    }
  });

  it('a 500 from the API is denied, never allowed', async () => {
    const undo = sim.fail({
      method: 'POST',
      path: /subjectaccessreviews$/,
      status: 500,
      message: 'etcd is sad',
    });
    try {
      const r = await reviewer.check({ ...alice, action: 'strace', namespace: 'shop' });
      expect(r).toEqual({
        allowed: false,
        cause: 'unavailable',
        reason: expect.stringContaining('failed the access review (HTTP 500: etcd is sad)'),
      });
    } finally {
      undo();
    }
  });

  it('a slow API times out and denies, within about timeoutMs', async () => {
    const fast = new AccessReviewer({ kubeConfigFor: () => kubeconfigOf(sim), timeoutMs: 150 });
    sim.setLatency(1500);
    try {
      const started = Date.now();
      const r = await fast.check({ ...alice, action: 'strace', namespace: 'shop' });
      const took = Date.now() - started;
      expect(r).toEqual({
        allowed: false,
        cause: 'unavailable',
        reason: expect.stringContaining('did not answer the access review within 150 ms'),
      });
      expect(took).toBeLessThan(1000);
    } finally {
      sim.setLatency(0);
    }
  });

  it('a cluster whose API is down is denied with a message', async () => {
    // A port that accepted and was then closed: nothing listens there.
    const server: Server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r()));
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'down', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'down', cluster: 'down', user: 'u' }],
      currentContext: 'down',
    });
    const down = new AccessReviewer({ kubeConfigFor: () => kc });
    const r = await down.check({ ...alice, action: 'strace', namespace: 'shop' });
    expect(r).toEqual({
      allowed: false,
      cause: 'unavailable',
      reason: expect.stringMatching(/^The Kubernetes API of cluster prod-eu could not be reached \(.+\)/),
    });
  });

  it('kubeConfigSource reads <dir>/<cluster>.kubeconfig and refuses names that are not DNS labels', async () => {
    const kdir = await mkdtemp(join(tmpdir(), 'kubeconfigs-'));
    try {
      await copyFile(sim.kubeconfigPath, join(kdir, 'prod-eu.kubeconfig'));
      const source = kubeConfigSource({ dir: kdir });
      const fromDir = new AccessReviewer({ kubeConfigFor: source });
      expect(await fromDir.check({ ...alice, action: 'strace', namespace: 'shop' })).toEqual({
        allowed: true,
      });
      expect(source('other')).toBeUndefined();
      expect(source('../prod-eu')).toBeUndefined();
      expect(source('Prod-EU')).toBeUndefined();
    } finally {
      await rm(kdir, { recursive: true, force: true });
    }
  });

  // kubectl posts a SelfSubjectAccessReview in protobuf, with Impersonate-User/-Group headers.
  // It resolves the resource through discovery: for one no API serves, such as probes in
  // poddebug.io, it warns and sends "probes.poddebug.io" as a core-group resource, so the
  // probes cannot be checked with can-i on any cluster; the core resources can.
  it('kubectl auth can-i --as/--as-group sees the same RBAC (the protocol is the real one)', async () => {
    const kubectl = await kubectlPath();
    if (!kubectl) {
      console.warn('skipped: kubectl not found on PATH');
      return;
    }
    const canI = async (...args: string[]) => {
      const r = await run(kubectl, ['auth', 'can-i', ...args, '--kubeconfig', sim.kubeconfigPath]);
      return { code: r.code, out: r.stdout.trim() };
    };
    const logs = ['get', 'pods', '--subresource=log'];
    expect(await canI(...logs, '-n', 'shop', '--as', 'alice@example.com')).toEqual({ code: 0, out: 'yes' });
    expect(await canI(...logs, '-n', 'payments', '--as', 'alice@example.com')).toEqual({
      code: 1,
      out: 'no',
    });
    expect(await canI(...logs, '-n', 'shop', '--as', 'bob@example.com')).toEqual({ code: 1, out: 'no' });
    const events = ['list', 'events', '-n', 'payments', '--as', 'carol@example.com'];
    expect(await canI(...events, '--as-group', 'sre')).toEqual({ code: 0, out: 'yes' });
    expect(await canI(...events, '--as-group', 'dev')).toEqual({ code: 1, out: 'no' });
    // The same question through the AccessReviewer gets the same answer.
    const carol = { ...base, user: 'carol@example.com', groups: ['sre'] };
    expect(await reviewer.check({ ...carol, action: 'events', namespace: 'payments' })).toEqual({
      allowed: true,
    });
  });
});

describe('Slack user → email → SubjectAccessReview', () => {
  let sim: KubeSim;
  let slack: SlackDouble;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'access-review-'));
    await writeFile(join(dir, 'rbac.yaml'), RBAC_FIXTURE);
    sim = await startKubeSim({ fixtures: dir });
    slack = await startSlackDouble();
    slack.addUser({ id: 'U0ALICE', name: 'alice', email: 'Alice@example.com' });
    slack.addUser({ id: 'U0BOB', name: 'bob', email: 'bob@example.com' });
  });
  afterAll(async () => {
    await sim.close();
    await slack.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('maps the Slack user by email and reviews with that identity', async () => {
    const noop = () => undefined;
    const logger: Logger = {
      debug: noop,
      info: noop,
      warn: noop,
      error: noop,
      setLevel: noop,
      getLevel: () => LogLevel.ERROR,
      setName: noop,
    };
    const client = new WebClient('xoxb-test-token', { slackApiUrl: slack.apiUrl, logger });
    const mapper = new IdentityMapper({ mode: 'email' }, client);
    const kc = kubeconfigOf(sim);
    const reviewer = new AccessReviewer({ kubeConfigFor: () => kc });
    const ask = async (slackUser: string) => {
      const id = await mapper.toKube(slackUser);
      if (!id.ok) throw new Error(id.reason);
      return reviewer.check({
        cluster: 'main',
        user: id.user,
        groups: id.groups,
        action: 'strace',
        namespace: 'shop',
        name: 'checkout-1',
      });
    };
    expect(await ask('U0ALICE')).toEqual({ allowed: true });
    expect(await ask('U0BOB')).toEqual({
      allowed: false,
      cause: 'denied',
      reason: expect.stringContaining('does not allow bob@example.com to create probes/strace'),
    });
  });
});
