import { describe, expect, it } from '@jest/globals';
import {
  ACTION_RBAC,
  type AccessResult,
  accessReviewSettings,
  deniedMessage,
  describeAttributes,
  firstRefusal,
  requiredAccess,
  resourceAttributes,
} from '../../../../bot/policy/access-review.js';
import { ACTIONS } from '../../../../bot/policy/schema.js';

describe('ACTION_RBAC: what each action asks Kubernetes RBAC', () => {
  it.each<[string, string]>([
    ['diagnose', 'get pods'],
    ['logs', 'get pods/log'],
    ['events', 'list events'],
    ['debug', 'patch pods/ephemeralcontainers'],
    ['connectivity', 'patch pods/ephemeralcontainers'],
    ['strace', 'create probes/strace (poddebug.io)'],
    ['tcpdump', 'create probes/tcpdump (poddebug.io)'],
    ['mem', 'create probes/mem (poddebug.io)'],
    ['ps', 'create probes/ps (poddebug.io)'],
    ['fds', 'create probes/fds (poddebug.io)'],
    ['netcheck', 'create probes/netcheck (poddebug.io)'],
  ])('%s → %s', (action, expected) => {
    const a = ACTION_RBAC[action as keyof typeof ACTION_RBAC];
    const sub = 'subresource' in a ? `/${a.subresource}` : '';
    expect(`${a.verb} ${a.resource}${sub}${a.group ? ` (${a.group})` : ''}`).toBe(expected);
  });

  it('covers every action the policy knows, and nothing else', () => {
    expect(Object.keys(ACTION_RBAC).sort()).toEqual([...ACTIONS].sort());
  });
});

describe('requiredAccess: every RBAC request an action needs', () => {
  const described = (check: { action: string; copy?: boolean }) =>
    requiredAccess(check)?.map(describeAttributes);

  it.each<[string, { action: string; copy?: boolean }, string[]]>([
    ['a plain debug adds an ephemeral container', { action: 'debug' }, ['patch pods/ephemeralcontainers']],
    [
      'debug with copy false is a plain debug',
      { action: 'debug', copy: false },
      ['patch pods/ephemeralcontainers'],
    ],
    [
      'debug --copy reads the pod and creates a new one',
      { action: 'debug', copy: true },
      ['get pods', 'create pods'],
    ],
    [
      'copy means nothing to connectivity',
      { action: 'connectivity', copy: true },
      ['patch pods/ephemeralcontainers'],
    ],
    [
      'copy means nothing to a probe',
      { action: 'strace', copy: true },
      ['create probes/strace (poddebug.io)'],
    ],
    ['a read needs one grant', { action: 'logs' }, ['get pods/log']],
  ])('%s', (_name, check, expected) => {
    expect(described(check)).toEqual(expected);
  });

  it('debug --copy does not ask for patch pods/ephemeralcontainers (the copy’s debug container is in its spec)', () => {
    expect(described({ action: 'debug', copy: true })).not.toContain('patch pods/ephemeralcontainers');
  });

  it.each(['exec', '', 'constructor'])('knows nothing for %j, copy or not', (action) => {
    expect(requiredAccess({ action })).toBeUndefined();
    expect(requiredAccess({ action, copy: true })).toBeUndefined();
  });
});

describe('resourceAttributes', () => {
  it('puts the namespace and the pod name on the review', () => {
    expect(resourceAttributes({ action: 'strace', namespace: 'shop', name: 'web-1' })).toEqual([
      {
        verb: 'create',
        group: 'poddebug.io',
        resource: 'probes',
        subresource: 'strace',
        namespace: 'shop',
        name: 'web-1',
      },
    ]);
  });

  it('leaves the name off a list, and the namespace off a request across all namespaces', () => {
    expect(resourceAttributes({ action: 'events', namespace: 'shop', name: 'web-1' })).toEqual([
      { verb: 'list', group: '', resource: 'events', namespace: 'shop' },
    ]);
    expect(resourceAttributes({ action: 'diagnose', name: 'web-1' })).toEqual([
      { verb: 'get', group: '', resource: 'pods', name: 'web-1' },
    ]);
  });

  it('a copy: get on the pod by name, create in the namespace with no name (the copy does not exist yet)', () => {
    expect(resourceAttributes({ action: 'debug', copy: true, namespace: 'shop', name: 'web-1' })).toEqual([
      { verb: 'get', group: '', resource: 'pods', namespace: 'shop', name: 'web-1' },
      { verb: 'create', group: '', resource: 'pods', namespace: 'shop' },
    ]);
  });

  it('a plain debug: patch of the ephemeralcontainers subresource of the pod', () => {
    expect(resourceAttributes({ action: 'debug', namespace: 'shop', name: 'web-1' })).toEqual([
      {
        verb: 'patch',
        group: '',
        resource: 'pods',
        subresource: 'ephemeralcontainers',
        namespace: 'shop',
        name: 'web-1',
      },
    ]);
  });

  it.each(['exec', '', 'constructor', 'toString'])('knows no attributes for %j', (action) => {
    expect(resourceAttributes({ action })).toBeUndefined();
  });
});

describe('firstRefusal: the answer to a check from its reviews, in order', () => {
  const denied = (reason: string): AccessResult => ({ allowed: false, reason, cause: 'denied' });
  const down: AccessResult = { allowed: false, reason: 'API down', cause: 'unavailable' };
  const yes: AccessResult = { allowed: true };

  it.each<[string, AccessResult[], AccessResult]>([
    ['one allowed', [yes], yes],
    ['all allowed', [yes, yes], yes],
    ['the one denial among allowed', [yes, denied('no create')], denied('no create')],
    ['the first of two denials', [denied('no get'), denied('no create')], denied('no get')],
    ['an unavailable review denies too', [yes, down], down],
  ])('%s', (_name, results, expected) => {
    expect(firstRefusal(results)).toEqual(expected);
  });

  it('nothing reviewed is not an allow', () => {
    expect(firstRefusal([]).allowed).toBe(false);
  });
});

describe('deniedMessage', () => {
  const check = {
    cluster: 'prod-eu',
    user: 'alice@example.com',
    groups: [],
    action: 'strace',
    namespace: 'shop',
  };

  it('names user, verb, resource, group, namespace and cluster', () => {
    expect(deniedMessage(check)).toBe(
      'Kubernetes RBAC does not allow alice@example.com to create probes/strace (poddebug.io) in namespace shop (cluster prod-eu). Ask your cluster admin for a Role and RoleBinding that grant it.',
    );
  });

  it('adds the review’s own reason when there is one', () => {
    expect(deniedMessage(check, ' denied by policy webhook ')).toContain(
      '(cluster prod-eu). Kubernetes says: denied by policy webhook. Ask',
    );
  });

  it('a copy: names the refused request and what a copy needs, and why', () => {
    const copy = { ...check, action: 'debug', copy: true };
    expect(deniedMessage(copy, undefined, { verb: 'create', group: '', resource: 'pods' })).toBe(
      'Kubernetes RBAC does not allow alice@example.com to create pods in namespace shop (cluster prod-eu).' +
        ' `debug --copy` creates a new pod, a copy of the target (as `kubectl debug --copy-to` does), so it needs get pods and create pods.' +
        ' Ask your cluster admin for a Role and RoleBinding that grant it.',
    );
  });

  it('a plain debug names the ephemeral containers patch, without the copy note', () => {
    const text = deniedMessage({ ...check, action: 'debug' });
    expect(text).toContain('to patch pods/ephemeralcontainers in namespace shop');
    expect(text).not.toContain('copy');
  });

  it('says when the check was cluster-wide and how to narrow it', () => {
    expect(deniedMessage({ ...check, action: 'logs', namespace: undefined })).toContain(
      'to get pods/log in all namespaces (cluster prod-eu). Pass -n NAMESPACE to be checked in one namespace only.',
    );
  });
});

describe('accessReviewSettings', () => {
  const clusters = ['prod', 'prod-eu'];
  it('is off when ACCESS_REVIEW_CONFIG is unset', () => {
    expect(accessReviewSettings({}, clusters)).toEqual({ ok: true, settings: undefined });
  });

  it.each<[string, Record<string, string>, object]>([
    [
      'in a pod: the first cluster is in-cluster, default timeout',
      { ACCESS_REVIEW_CONFIG: '/etc/i.yaml', KUBERNETES_SERVICE_HOST: '10.0.0.1' },
      { configPath: '/etc/i.yaml', inCluster: 'prod', timeoutMs: 2000 },
    ],
    [
      'outside a pod: no in-cluster credentials',
      { ACCESS_REVIEW_CONFIG: '/etc/i.yaml', ACCESS_REVIEW_KUBECONFIG_DIR: '/k' },
      { configPath: '/etc/i.yaml', kubeconfigDir: '/k', timeoutMs: 2000 },
    ],
    [
      'named in-cluster and timeout',
      { ACCESS_REVIEW_CONFIG: '/i', ACCESS_REVIEW_IN_CLUSTER: 'prod-eu', ACCESS_REVIEW_TIMEOUT_MS: '500' },
      { configPath: '/i', inCluster: 'prod-eu', timeoutMs: 500 },
    ],
    [
      'none',
      { ACCESS_REVIEW_CONFIG: '/i', ACCESS_REVIEW_IN_CLUSTER: 'none', KUBERNETES_SERVICE_HOST: '10.0.0.1' },
      { configPath: '/i', timeoutMs: 2000 },
    ],
  ])('%s', (_name, env, settings) => {
    expect(accessReviewSettings(env, clusters)).toEqual({ ok: true, settings });
  });

  it.each<[Record<string, string>, string]>([
    [
      { ACCESS_REVIEW_KUBECONFIG_DIR: '/k' },
      'ACCESS_REVIEW_CONFIG: required when ACCESS_REVIEW_KUBECONFIG_DIR is set',
    ],
    [
      { ACCESS_REVIEW_CONFIG: '/i', ACCESS_REVIEW_IN_CLUSTER: 'staging' },
      '"staging" is not in CLUSTERS (prod, prod-eu)',
    ],
    [
      { ACCESS_REVIEW_CONFIG: '/i', ACCESS_REVIEW_TIMEOUT_MS: '2s' },
      'ACCESS_REVIEW_TIMEOUT_MS: a whole number',
    ],
    [{ ACCESS_REVIEW_CONFIG: '/i', ACCESS_REVIEW_TIMEOUT_MS: '0' }, 'from 100 to 30000, not "0"'],
  ])('refuses %j', (env, message) => {
    const r = accessReviewSettings(env, clusters);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors.join('\n')).toContain(message);
  });
});
