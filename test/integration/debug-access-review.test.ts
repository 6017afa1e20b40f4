/**
 * `/poddebug debug` with the Kubernetes-side check (SubjectAccessReview) on, through the whole product: a
 * plain debug is reviewed as `patch pods/ephemeralcontainers`, a `--copy` as what `kubectl debug --copy-to`
 * needs (`get pods` on the pod, `create pods` in the namespace). The bot's reviews go to the API simulator in
 * RBAC mode (deploy/'s RBAC plus the users' Roles below), with the bot's ServiceAccount token; the worker
 * creates the ephemeral containers and copies the simulator's runtime runs.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { WebClient } from '@slack/web-api';
import type { Queue } from 'bullmq';
import { kubeAccessCheck } from '../../bot/auth.js';
import { AccessReviewer } from '../../bot/policy/access-review.js';
import { IdentityMapper } from '../../bot/policy/identity.js';
import { readAuditLog } from '../support/audit-log.js';
import { botKubeConfig } from '../support/deploy-rbac.js';
import {
  click,
  command,
  inThread,
  putTargetPod,
  requestAwaitingApproval,
  requestProbe,
  submitForm,
} from '../support/probe-flow.js';
import { type Stack, startStack } from '../support/stack.js';

/** alice: may add ephemeral containers in shop, may not create pods. */
const ALICE = 'U0ONCALL1';
/** carol: may read and create pods in shop (a copy), may not add ephemeral containers. */
const CAROL = 'U0CAROL';
const APPROVER = 'U0ALICE';
const BUSYBOX = `registry.example/tools/busybox:1.36@sha256:${'a'.repeat(64)}`;
const POLICY = `
version: 1
channels: { ids: [C0INCIDENT] }
grants:
  - users: [${ALICE}, ${CAROL}]
    roles: [viewer, operator]
    clusters: ["*"]
    namespaces: [shop]
  - users: [${APPROVER}]
    roles: [approver]
    clusters: ["*"]
    namespaces: ["*"]
rateLimits:
  privileged:
    perUser: { max: 1000, windowSeconds: 3600 }
    perChannel: { max: 1000, windowSeconds: 3600 }
debug:
  images:
    - name: busybox
      image: ${BUSYBOX}
`;

const RBAC = 'rbac.authorization.k8s.io/v1';

function role(name: string, rules: object[]): object {
  return { apiVersion: RBAC, kind: 'Role', metadata: { name, namespace: 'shop' }, rules };
}

function binding(name: string, roleName: string, user: string): object {
  return {
    apiVersion: RBAC,
    kind: 'RoleBinding',
    metadata: { name, namespace: 'shop' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: roleName },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
  };
}

async function copiesIn(stack: Stack, ns: string): Promise<string[]> {
  const res = await fetch(
    `${stack.sim.url}/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent('poddebug.io/debug-copy=true')}`,
  );
  return ((await res.json()) as { items: { metadata: { name: string } }[] }).items.map(
    (p) => p.metadata.name,
  );
}

/** Pod creations the simulator served (the worker's, for copies). */
function podCreates(stack: Stack): number {
  return stack.sim.requests().filter((r) => r.method === 'POST' && /\/namespaces\/[^/]+\/pods$/.test(r.path))
    .length;
}

describe('debug and debug --copy under the SubjectAccessReview check', () => {
  let stack: Stack;
  let queue: Queue;
  beforeAll(async () => {
    stack = await startStack({
      fixtures: [],
      policy: POLICY,
      probes: {},
      lockMs: 3000,
      debug: { runtime: { startDelayMs: 50, timeoutMs: 20_000 } },
      kubeAccess: (sim, slack) =>
        kubeAccessCheck(
          new IdentityMapper(
            {
              mode: 'static',
              staticMap: { [ALICE]: { user: 'alice@example.com' }, [CAROL]: { user: 'carol@example.com' } },
            },
            new WebClient('xoxb-test-token', { slackApiUrl: slack.apiUrl }),
          ),
          // The bot's own ServiceAccount, whose only grant is to create SubjectAccessReviews.
          new AccessReviewer({ kubeConfigFor: () => botKubeConfig(sim) }),
        ),
    });
    stack.sim.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
    for (const name of ['checkout-1', 'checkout-2', 'checkout-3'])
      putTargetPod(stack, { namespace: 'shop', name });
    // What `kubectl debug` needs (with --copy-to: get and create pods), split between two users.
    stack.sim.put(
      role('debug-ephemeral', [
        { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
        { apiGroups: [''], resources: ['pods/ephemeralcontainers'], verbs: ['patch'] },
      ]),
    );
    stack.sim.put(binding('alice-debug', 'debug-ephemeral', 'alice@example.com'));
    stack.sim.put(role('debug-copy', [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'create'] }]));
    stack.sim.put(binding('carol-copy', 'debug-copy', 'carol@example.com'));
    queue = stack.queue();
  }, 30_000);
  afterAll(async () => {
    await queue?.close();
    await stack?.close();
  });

  it('a user who may patch pods/ephemeralcontainers but not create pods is refused a --copy, saying so; nothing opens, queues or is created', async () => {
    const views = stack.slack.views().length;
    const queued = await queue.count();
    const creates = podCreates(stack);
    const ack = await command(stack, { userId: ALICE }, 'debug checkout-1 -n shop --copy -- ls /app');
    expect(ack.status).toBe(200);
    const text = (ack.json as { text: string }).text;
    expect(text).toMatch(
      /^⛔ Kubernetes RBAC does not allow alice@example\.com to create pods in namespace shop \(cluster t[0-9a-f]{8}\)\./,
    );
    expect(text).toContain('`debug --copy` creates a new pod');
    expect(text).toContain('needs get pods and create pods');
    expect(text).not.toContain('ephemeralcontainers');
    await new Promise((r) => setTimeout(r, 300));
    expect(stack.slack.views()).toHaveLength(views);
    expect(await queue.count()).toBe(queued);
    expect(podCreates(stack)).toBe(creates);
    expect(await copiesIn(stack, 'shop')).toEqual([]);
    const refused = readAuditLog<{ type: string; actor: string; action: string; reason?: string }>(
      stack.auditLogPath,
    ).filter((e) => e.type === 'refused' && e.actor === ALICE);
    expect(refused.at(-1)).toMatchObject({ action: 'debug', reason: expect.stringContaining('create pods') });
  }, 20_000);

  it('the same user may still run a plain debug (an ephemeral container)', async () => {
    const { root } = await requestProbe(
      stack,
      { userId: ALICE },
      'debug checkout-1 -n shop -- echo plain-ok',
    );
    const result = await inThread(stack, root, /^\S+ debug on /u, 20_000);
    expect(JSON.stringify(result.blocks)).toContain('plain-ok');
    expect(await copiesIn(stack, 'shop')).toEqual([]);
  }, 40_000);

  it('a user who may create pods gets the copy (and, without patch pods/ephemeralcontainers, no plain debug)', async () => {
    const plain = await command(stack, { userId: CAROL }, 'debug checkout-2 -n shop -- echo nope');
    expect((plain.json as { text: string }).text).toMatch(
      /does not allow carol@example\.com to patch pods\/ephemeralcontainers in namespace shop/,
    );
    const creates = podCreates(stack);
    const { root, requestId } = await requestAwaitingApproval(
      stack,
      { userId: CAROL },
      'debug checkout-2 -n shop --copy --keep 0 -- echo copy-ok',
    );
    await click(stack, root, 'poddebug_approve', APPROVER, requestId);
    const result = await inThread(stack, root, /^\S+ debug on /u, 20_000);
    const shown = JSON.stringify(result.blocks);
    expect(shown).toContain('copy-ok');
    expect(shown).toMatch(/was deleted/);
    expect(podCreates(stack)).toBe(creates + 1);
  }, 60_000);

  it('a copy is reviewed again when its reason form is submitted: a create grant removed meanwhile refuses it', async () => {
    const before = stack.slack.views().length;
    const ack = await command(stack, { userId: CAROL }, 'debug checkout-3 -n shop --copy -- echo late');
    expect(ack.body).toBe('');
    const view = await stack.slack.waitFor(() => stack.slack.views()[before]);
    expect(view.view.callback_id).toBe('poddebug_probe_reason');
    // The admin takes `create pods` away while the form is open.
    stack.sim.put(role('debug-copy', [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }]));
    try {
      const queued = await queue.count();
      const creates = podCreates(stack);
      const sub = await submitForm(stack, view, CAROL, 'INC-2031: checkout crash-loops on start');
      expect(sub.status).toBe(200);
      expect(JSON.stringify(sub.json)).toMatch(
        /does not allow carol@example\.com to create pods in namespace shop/,
      );
      await new Promise((r) => setTimeout(r, 300));
      expect(await queue.count()).toBe(queued);
      expect(podCreates(stack)).toBe(creates);
      expect(await copiesIn(stack, 'shop')).toEqual([]);
    } finally {
      stack.sim.put(role('debug-copy', [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'create'] }]));
    }
  }, 30_000);
});
