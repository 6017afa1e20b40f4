import { describe, expect, it } from '@jest/globals';
import {
  type AccessRequest,
  accessReviewRoute,
  authorize,
  decodeReviewProtobuf,
  ruleAllows,
} from '../../authz.js';
import { parseApiPath } from '../../router.js';
import { ObjectStore } from '../../store.js';

const RBAC = 'rbac.authorization.k8s.io/v1';

function rbacStore(): ObjectStore {
  const s = new ObjectStore();
  // Role in shop: strace probes and pod reads; bound to alice and to group sre.
  s.put({
    apiVersion: RBAC,
    kind: 'Role',
    metadata: { name: 'probers', namespace: 'shop' },
    rules: [
      { apiGroups: ['poddebug.io'], resources: ['probes/strace'], verbs: ['create'] },
      { apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get'] },
    ],
  });
  s.put({
    apiVersion: RBAC,
    kind: 'RoleBinding',
    metadata: { name: 'alice-probers', namespace: 'shop' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'probers' },
    subjects: [{ kind: 'User', name: 'alice@example.com', apiGroup: 'rbac.authorization.k8s.io' }],
  });
  // ClusterRole of only one pod's tcpdump, bound in payments by a RoleBinding to a group.
  s.put({
    apiVersion: RBAC,
    kind: 'ClusterRole',
    metadata: { name: 'tcpdump-api' },
    rules: [
      {
        apiGroups: ['poddebug.io'],
        resources: ['probes/tcpdump'],
        verbs: ['create'],
        resourceNames: ['api-0'],
      },
    ],
  });
  s.put({
    apiVersion: RBAC,
    kind: 'RoleBinding',
    metadata: { name: 'sre-tcpdump', namespace: 'payments' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'tcpdump-api' },
    subjects: [{ kind: 'Group', name: 'sre' }],
  });
  // Cluster-wide: every probe (*/…) for the ServiceAccount ops/robot, events for everyone authenticated.
  s.put({
    apiVersion: RBAC,
    kind: 'ClusterRole',
    metadata: { name: 'all-probes' },
    rules: [{ apiGroups: ['poddebug.io'], resources: ['*'], verbs: ['*'] }],
  });
  s.put({
    apiVersion: RBAC,
    kind: 'ClusterRoleBinding',
    metadata: { name: 'robot-probes' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'all-probes' },
    subjects: [{ kind: 'ServiceAccount', name: 'robot', namespace: 'ops' }],
  });
  s.put({
    apiVersion: RBAC,
    kind: 'ClusterRole',
    metadata: { name: 'events-reader' },
    rules: [{ apiGroups: [''], resources: ['events'], verbs: ['list'] }],
  });
  s.put({
    apiVersion: RBAC,
    kind: 'ClusterRoleBinding',
    metadata: { name: 'everyone-events' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'events-reader' },
    subjects: [{ kind: 'Group', name: 'system:authenticated' }],
  });
  // A binding to a Role that does not exist grants nothing.
  s.put({
    apiVersion: RBAC,
    kind: 'RoleBinding',
    metadata: { name: 'dangling', namespace: 'shop' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'nope' },
    subjects: [{ kind: 'User', name: 'bob' }],
  });
  return s;
}

const probe = (
  user: string,
  groups: string[],
  sub: string,
  namespace?: string,
  name?: string,
): AccessRequest => ({
  user,
  groups,
  verb: 'create',
  resource: {
    group: 'poddebug.io',
    resource: 'probes',
    subresource: sub,
    ...(namespace ? { namespace } : {}),
    ...(name ? { name } : {}),
  },
});

describe('authorize (RBAC evaluation)', () => {
  const store = rbacStore();

  it.each<[string, AccessRequest, string | false]>([
    [
      'alice: strace in shop via her RoleBinding',
      probe('alice@example.com', [], 'strace', 'shop', 'web-1'),
      'RBAC: allowed by RoleBinding "alice-probers/shop" of Role "probers" to User "alice@example.com"',
    ],
    [
      'alice: strace in payments (no binding there)',
      probe('alice@example.com', [], 'strace', 'payments'),
      false,
    ],
    ['alice: tcpdump in shop (not in the Role)', probe('alice@example.com', [], 'tcpdump', 'shop'), false],
    [
      'alice: strace cluster-wide (a RoleBinding does not reach it)',
      probe('alice@example.com', [], 'strace'),
      false,
    ],
    [
      'alice: get pods/log in shop',
      {
        user: 'alice@example.com',
        groups: [],
        verb: 'get',
        resource: { group: '', resource: 'pods', subresource: 'log', namespace: 'shop' },
      },
      'RBAC: allowed by RoleBinding "alice-probers/shop" of Role "probers" to User "alice@example.com"',
    ],
    [
      'alice: patch pods in shop (verb not granted)',
      {
        user: 'alice@example.com',
        groups: [],
        verb: 'patch',
        resource: { group: '', resource: 'pods', namespace: 'shop' },
      },
      false,
    ],
    ['a user named like the group is not the group', probe('sre', [], 'tcpdump', 'payments', 'api-0'), false],
    [
      'group sre: tcpdump of api-0 in payments (RoleBinding → ClusterRole, resourceNames)',
      probe('carol', ['sre'], 'tcpdump', 'payments', 'api-0'),
      'RBAC: allowed by RoleBinding "sre-tcpdump/payments" of ClusterRole "tcpdump-api" to Group "sre"',
    ],
    ['group sre: tcpdump of another pod', probe('carol', ['sre'], 'tcpdump', 'payments', 'api-1'), false],
    [
      'group sre: tcpdump without a name (resourceNames set)',
      probe('carol', ['sre'], 'tcpdump', 'payments'),
      false,
    ],
    ['group sre: tcpdump of api-0 in shop', probe('carol', ['sre'], 'tcpdump', 'shop', 'api-0'), false],
    [
      'ServiceAccount ops/robot: any probe, any namespace (ClusterRoleBinding, wildcards)',
      probe('system:serviceaccount:ops:robot', [], 'mem', 'anywhere'),
      'RBAC: allowed by ClusterRoleBinding "robot-probes" of ClusterRole "all-probes" to ServiceAccount "robot/ops"',
    ],
    [
      'another ServiceAccount of the same name',
      probe('system:serviceaccount:dev:robot', [], 'mem', 'x'),
      false,
    ],
    [
      'system:authenticated: list events in any namespace',
      {
        user: 'dave',
        groups: ['system:authenticated'],
        verb: 'list',
        resource: { group: '', resource: 'events', namespace: 'x' },
      },
      'RBAC: allowed by ClusterRoleBinding "everyone-events" of ClusterRole "events-reader" to Group "system:authenticated"',
    ],
    ['bob: bound to a missing Role', probe('bob', [], 'strace', 'shop'), false],
  ])('%s', (_name, req, expected) => {
    expect(authorize(store, req)).toEqual(
      expected === false ? { allowed: false } : { allowed: true, reason: expected },
    );
  });

  it('an empty store allows nothing', () => {
    expect(authorize(new ObjectStore(), probe('alice', ['system:authenticated'], 'strace', 'shop'))).toEqual({
      allowed: false,
    });
  });
});

describe('ruleAllows', () => {
  const req = (verb: string, resource: string, subresource?: string, name?: string): AccessRequest => ({
    user: 'u',
    groups: [],
    verb,
    resource: {
      group: '',
      resource,
      ...(subresource ? { subresource } : {}),
      ...(name ? { name } : {}),
    },
  });
  it.each<[string, Parameters<typeof ruleAllows>[0], AccessRequest, boolean]>([
    ['exact', { apiGroups: [''], resources: ['pods'], verbs: ['get'] }, req('get', 'pods'), true],
    [
      'pods does not cover pods/log',
      { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
      req('get', 'pods', 'log'),
      false,
    ],
    [
      '*/log covers pods/log',
      { apiGroups: [''], resources: ['*/log'], verbs: ['get'] },
      req('get', 'pods', 'log'),
      true,
    ],
    [
      '*/log does not cover pods',
      { apiGroups: [''], resources: ['*/log'], verbs: ['get'] },
      req('get', 'pods'),
      false,
    ],
    [
      '* covers subresources',
      { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
      req('patch', 'pods', 'ephemeralcontainers'),
      true,
    ],
    ['wrong group', { apiGroups: ['apps'], resources: ['pods'], verbs: ['get'] }, req('get', 'pods'), false],
    ['no apiGroups', { resources: ['pods'], verbs: ['get'] }, req('get', 'pods'), false],
    [
      'resourceNames match',
      { apiGroups: [''], resources: ['pods'], verbs: ['get'], resourceNames: ['a'] },
      req('get', 'pods', undefined, 'a'),
      true,
    ],
    [
      'resourceNames miss',
      { apiGroups: [''], resources: ['pods'], verbs: ['get'], resourceNames: ['a'] },
      req('get', 'pods', undefined, 'b'),
      false,
    ],
    [
      'non-resource prefix',
      { nonResourceURLs: ['/healthz*'], verbs: ['get'] },
      { user: 'u', groups: [], verb: 'get', path: '/healthz/etcd' },
      true,
    ],
    [
      'non-resource rule does not grant resources',
      { nonResourceURLs: ['*'], verbs: ['get'] },
      req('get', 'pods'),
      false,
    ],
  ])('%s', (_name, rule, r, expected) => {
    expect(ruleAllows(rule, r)).toBe(expected);
  });
});

describe('accessReviewRoute', () => {
  const store = rbacStore();
  const ctx = { store, user: 'system:serviceaccount:poddebug:worker' };
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    accessReviewRoute(ctx, 'POST', parseApiPath(path), headers, JSON.stringify(body));
  const SAR = '/apis/authorization.k8s.io/v1/subjectaccessreviews';
  const SELF = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';
  const attrs = {
    group: 'poddebug.io',
    resource: 'probes',
    subresource: 'strace',
    verb: 'create',
    namespace: 'shop',
  };

  it('answers a SubjectAccessReview in the real shape (201, spec echoed)', () => {
    const spec = { user: 'alice@example.com', groups: ['system:authenticated'], resourceAttributes: attrs };
    expect(post(SAR, { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec })).toEqual({
      code: 201,
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        metadata: { creationTimestamp: null },
        spec,
        status: {
          allowed: true,
          reason:
            'RBAC: allowed by RoleBinding "alice-probers/shop" of Role "probers" to User "alice@example.com"',
        },
      },
    });
    expect(post(SAR, { spec: { ...spec, user: 'bob' } })?.body).toMatchObject({ status: { allowed: false } });
  });

  it('takes a self review’s user from the impersonation headers', () => {
    const spec = { resourceAttributes: attrs };
    expect(post(SELF, { spec }, { 'impersonate-user': 'alice@example.com' })?.body).toMatchObject({
      kind: 'SelfSubjectAccessReview',
      status: { allowed: true },
    });
    expect(post(SELF, { spec })?.body).toMatchObject({ status: { allowed: false } });
    const tcpdump = { ...attrs, subresource: 'tcpdump', namespace: 'payments', name: 'api-0' };
    expect(
      post(
        SELF,
        { spec: { resourceAttributes: tcpdump } },
        { 'impersonate-user': 'carol', 'impersonate-group': 'dev, sre' },
      )?.body,
    ).toMatchObject({ status: { allowed: true, reason: expect.stringContaining('Group "sre"') } });
  });

  it.each<[string, unknown, number, RegExp]>([
    [
      'no user or groups',
      { spec: { resourceAttributes: attrs } },
      422,
      /at least one of user or group must be specified/,
    ],
    [
      'no attributes',
      { spec: { user: 'a' } },
      422,
      /exactly one of nonResourceAttributes or resourceAttributes/,
    ],
    [
      'wrong kind',
      { kind: 'Pod', spec: { user: 'a', resourceAttributes: attrs } },
      400,
      /cannot be handled as a SubjectAccessReview/,
    ],
    ['not an object', [1, 2], 400, /expected a JSON object/],
  ])('refuses %s', (_name, body, code, message) => {
    const r = post(SAR, body);
    expect(r?.code).toBe(code);
    expect((r?.body as { message?: string } | undefined)?.message).toMatch(message);
  });

  it('leaves other paths and methods to the caller, refuses GET on the review', () => {
    expect(accessReviewRoute(ctx, 'GET', parseApiPath('/api/v1/pods'), {}, '')).toBeUndefined();
    expect(
      accessReviewRoute(
        ctx,
        'POST',
        parseApiPath('/apis/authorization.k8s.io/v1/localsubjectaccessreviews'),
        {},
        '{}',
      ),
    ).toBeUndefined();
    expect(accessReviewRoute(ctx, 'GET', parseApiPath(SAR), {}, '')?.code).toBe(405);
  });
});

// A minimal protobuf encoder, to build what client-go sends (kubectl auth can-i).
const varint = (n: number): number[] => {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
};
const bytesField = (no: number, b: Buffer): Buffer =>
  Buffer.concat([Buffer.from([...varint(no * 8 + 2), ...varint(b.length)]), b]);
const strField = (no: number, v: string) => bytesField(no, Buffer.from(v, 'utf8'));
const msg = (...parts: Buffer[]) => Buffer.concat(parts);

describe('decodeReviewProtobuf (client-go wire format)', () => {
  const envelope = (kind: string, spec: Buffer) =>
    Buffer.concat([
      Buffer.from('k8s\0', 'latin1'),
      bytesField(1, msg(strField(1, 'authorization.k8s.io/v1'), strField(2, kind))),
      bytesField(
        2,
        msg(bytesField(1, Buffer.alloc(0)), bytesField(2, spec), bytesField(3, Buffer.from([8, 0]))),
      ),
    ]);

  it('reads a SelfSubjectAccessReview as kubectl sends it', () => {
    const ra = msg(
      strField(1, 'shop'),
      strField(2, 'get'),
      strField(3, ''),
      strField(5, 'pods'),
      strField(6, 'log'),
    );
    expect(decodeReviewProtobuf(envelope('SelfSubjectAccessReview', bytesField(1, ra)))).toEqual({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { namespace: 'shop', verb: 'get', resource: 'pods', subresource: 'log' } },
    });
  });

  it('reads user, repeated groups and long (multi-byte length) fields of a SubjectAccessReview', () => {
    const long = 'x'.repeat(300);
    const spec = msg(
      bytesField(
        1,
        msg(strField(2, 'create'), strField(3, 'poddebug.io'), strField(5, 'probes'), strField(7, long)),
      ),
      strField(3, 'alice@example.com'),
      strField(4, 'sre'),
      strField(4, 'system:authenticated'),
    );
    expect(decodeReviewProtobuf(envelope('SubjectAccessReview', spec))).toEqual({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        resourceAttributes: { verb: 'create', group: 'poddebug.io', resource: 'probes', name: long },
        user: 'alice@example.com',
        groups: ['sre', 'system:authenticated'],
      },
    });
  });

  it('answers a protobuf request by Content-Type, and refuses a body without the magic', () => {
    const ctx = { store: rbacStore(), user: 'nobody' };
    const path = parseApiPath('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews');
    const headers = {
      'content-type': 'application/vnd.kubernetes.protobuf',
      'impersonate-user': 'alice@example.com',
    };
    const ra = msg(strField(1, 'shop'), strField(2, 'get'), strField(5, 'pods'), strField(6, 'log'));
    const ok = accessReviewRoute(
      ctx,
      'POST',
      path,
      headers,
      envelope('SelfSubjectAccessReview', bytesField(1, ra)),
    );
    expect(ok?.body).toMatchObject({ status: { allowed: true } });
    const bad = accessReviewRoute(ctx, 'POST', path, headers, Buffer.from('{"spec":{}}'));
    expect(bad?.code).toBe(400);
    expect(bad?.body).toMatchObject({ message: expect.stringContaining('missing the k8s protobuf magic') });
  });
});
