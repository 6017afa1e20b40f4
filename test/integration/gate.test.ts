/**
 * The gate in front of the queues, wired as the bot runs it: with the optional
 * Kubernetes-side check on, a command needs both the poddebug policy and the
 * cluster's RBAC (a SubjectAccessReview the real client-node posts to the API
 * simulator, evaluated against its Role and RoleBinding). And a bot whose
 * policy file is broken does not start, saying where.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { WebClient } from '@slack/web-api';
import { kubeAccessCheck } from '../../bot/auth.js';
import { AccessReviewer } from '../../bot/policy/access-review.js';
import { IdentityMapper } from '../../bot/policy/identity.js';
import { botKubeConfig } from '../support/deploy-rbac.js';
import { command, putTargetPod } from '../support/probe-flow.js';
import { testRedisUrl } from '../support/redis-server.js';
import { type Stack, startStack } from '../support/stack.js';

const run = promisify(execFile);
const USER = 'U0ONCALL1';
const UNMAPPED = 'U0NOBODY1';
const POLICY = `
version: 1
channels: { ids: [C0INCIDENT] }
grants:
  - users: [${USER}, ${UNMAPPED}]
    roles: [viewer, privileged]
    clusters: ["*"]
    namespaces: ["*"]
`;

describe('the Kubernetes-side check (SubjectAccessReview) in front of the queue', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      fixtures: [],
      worker: false,
      policy: POLICY,
      kubeAccess: (sim, slack) => {
        // The bot's own ServiceAccount, whose only grant is to create SubjectAccessReviews.
        const kc = botKubeConfig(sim);
        return kubeAccessCheck(
          new IdentityMapper(
            { mode: 'static', staticMap: { [USER]: { user: 'alice@example.com' } } },
            new WebClient('xoxb-test-token', { slackApiUrl: slack.apiUrl }),
          ),
          new AccessReviewer({ kubeConfigFor: () => kc }),
        );
      },
    });
    for (const ns of ['shop', 'payments']) putTargetPod(stack, { namespace: ns, name: 'checkout-7d9f-x2' });
    stack.sim.put({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'poddebug-strace', namespace: 'shop' },
      rules: [
        { apiGroups: ['poddebug.io'], resources: ['probes/strace'], verbs: ['create'] },
        { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
      ],
    });
    stack.sim.put({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'alice-strace', namespace: 'shop' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'poddebug-strace' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice@example.com' }],
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('allowed by both: the reason form opens', async () => {
    const ack = await command(stack, { userId: USER }, 'strace checkout-7d9f-x2 -n shop');
    expect(ack.body).toBe('');
    await stack.slack.waitFor(() =>
      stack.slack.views().find((v) => v.view.callback_id === 'poddebug_probe_reason'),
    );
  });

  it('allowed by the policy but not by the cluster RBAC: refused with the RBAC reason, nothing opens or queues', async () => {
    const views = stack.slack.views().length;
    const ack = await command(stack, { userId: USER }, 'strace checkout-7d9f-x2 -n payments');
    const text = (ack.json as { text: string }).text;
    expect(text).toMatch(/Kubernetes RBAC does not allow alice@example\.com to create probes\/strace/);
    expect(text).toMatch(/namespace payments/);
    expect(stack.slack.views()).toHaveLength(views);
    const diag = await command(stack, { userId: USER }, 'diagnose checkout-7d9f-x2 -n payments');
    expect((diag.json as { text: string }).text).toMatch(/does not allow alice@example\.com to get pods/);
    const q = stack.queue();
    expect(await q.count()).toBe(0);
    await q.close();
  });

  it('a Slack user the policy allows but with no Kubernetes identity is refused, saying why', async () => {
    const ack = await command(stack, { userId: UNMAPPED }, 'diagnose checkout-7d9f-x2 -n shop');
    expect((ack.json as { text: string }).text).toMatch(/U0NOBODY1\) is not mapped to a Kubernetes user/);
  });
});

describe('start-up with a broken policy file', () => {
  const bot = join(process.cwd(), 'dist/bot/main.js');
  const it_ = existsSync(bot) ? it : it.skip;
  if (!existsSync(bot))
    console.warn('gate.test: dist/ not built (npm test builds it); start-up test skipped');

  it_(
    'the bot does not start and names file:line and the reason',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'poddebug-policy-'));
      const file = join(dir, 'policy.yaml');
      writeFileSync(
        file,
        'version: 1\nchannels:\n  ids: [C0INCIDENT]\ngrants:\n  - users: [alice]\n    roles: [viewer]\n',
      );
      const err = await run(process.execPath, [bot], {
        env: {
          PATH: process.env.PATH,
          SLACK_BOT_TOKEN: 'xoxb-test-token',
          SLACK_SIGNING_SECRET: 'test-signing-secret',
          POLICY_FILE: file,
          PORT: '0',
          REDIS_URL: testRedisUrl(),
          LOG_LEVEL: 'silent',
        },
        timeout: 20_000,
      }).then(
        () => undefined,
        (e: { code?: number; stderr?: string }) => e,
      );
      expect(err?.code).toBe(1);
      expect(err?.stderr).toContain(`${file}:5:`);
      expect(err?.stderr).toMatch(/Slack user ID/);
    },
    30_000,
  );
});
