import { describe, expect, it } from '@jest/globals';
import { type AdmissionRequest, admissionPolicyDenial, type PolicyWorld } from '../../admission-policy.js';
import type { KubeObject } from '../../store.js';

const policy = (name: string, spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingAdmissionPolicy',
  metadata: { name },
  spec: {
    matchConstraints: {
      resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }],
    },
    ...spec,
  },
});
const binding = (name: string, spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingAdmissionPolicyBinding',
  metadata: { name },
  spec: { validationActions: ['Deny'], ...spec },
});
const params: KubeObject = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'limits', namespace: 'ops' },
  data: { image: 'good:1' },
};

function req(image: string, o: Partial<AdmissionRequest> = {}): AdmissionRequest {
  return {
    operation: 'CREATE',
    group: '',
    version: 'v1',
    resource: 'pods',
    namespace: 'team',
    name: 'p1',
    object: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p1', namespace: 'team', labels: { tier: 'web' } },
      spec: { containers: [{ name: 'c', image }] },
    },
    userInfo: { username: 'alice' },
    ...o,
  };
}

function world(
  policies: KubeObject[],
  bindings: KubeObject[],
  nsLabels: Record<string, string> = {},
): PolicyWorld {
  return {
    policies,
    bindings,
    namespace: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team', labels: nsLabels } },
    param: (apiVersion, kind, ns, name) =>
      apiVersion === 'v1' && kind === 'ConfigMap' && ns === 'ops' && name === 'limits' ? params : undefined,
  };
}

const imagePolicy = policy('images', {
  paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
  validations: [
    {
      expression: 'object.spec.containers.all(c, c.image == params.data.image)',
      messageExpression: "'only ' + params.data.image",
      message: 'only the allowed image',
    },
  ],
});

describe('admissionPolicyDenial', () => {
  const bound = binding('images-b', { policyName: 'images', paramRef: { name: 'limits', namespace: 'ops' } });

  it('admits what the validations allow, and refuses the rest as the API server words it (422 Invalid)', () => {
    expect(admissionPolicyDenial(req('good:1'), world([imagePolicy], [bound]))).toBeUndefined();
    expect(admissionPolicyDenial(req('bad:1'), world([imagePolicy], [bound]))).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        "pods \"p1\" is forbidden: ValidatingAdmissionPolicy 'images' with binding 'images-b' denied request: only good:1",
      reason: 'Invalid',
      details: {
        name: 'p1',
        kind: 'pods',
        causes: [
          {
            message: "ValidatingAdmissionPolicy 'images' with binding 'images-b' denied request: only good:1",
          },
        ],
      },
      code: 422,
    });
  });

  it('without a binding, or with one for another namespace, the policy does nothing', () => {
    expect(admissionPolicyDenial(req('bad:1'), world([imagePolicy], []))).toBeUndefined();
    const elsewhere = binding('images-b', {
      policyName: 'images',
      paramRef: { name: 'limits', namespace: 'ops' },
      matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'other' } } },
    });
    expect(admissionPolicyDenial(req('bad:1'), world([imagePolicy], [elsewhere]))).toBeUndefined();
    // The namespace always carries kubernetes.io/metadata.name, set or not in the stored object.
    const here = binding('images-b', {
      policyName: 'images',
      paramRef: { name: 'limits', namespace: 'ops' },
      matchResources: {
        namespaceSelector: {
          matchLabels: { 'kubernetes.io/metadata.name': 'team' },
          matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }],
        },
      },
    });
    expect(admissionPolicyDenial(req('bad:1'), world([imagePolicy], [here], { env: 'prod' }))?.code).toBe(
      422,
    );
    expect(admissionPolicyDenial(req('bad:1'), world([imagePolicy], [here], { env: 'dev' }))).toBeUndefined();
  });

  it('matches only the operations and resources of its rules, and objects its objectSelector selects', () => {
    expect(
      admissionPolicyDenial(req('bad:1', { operation: 'UPDATE' }), world([imagePolicy], [bound])),
    ).toBeUndefined();
    const onlyDb = binding('images-b', {
      policyName: 'images',
      paramRef: { name: 'limits', namespace: 'ops' },
      matchResources: { objectSelector: { matchLabels: { tier: 'db' } } },
    });
    expect(admissionPolicyDenial(req('bad:1'), world([imagePolicy], [onlyDb]))).toBeUndefined();
  });

  it('missing parameters deny unless parameterNotFoundAction is Allow', () => {
    const missing = binding('images-b', {
      policyName: 'images',
      paramRef: { name: 'gone', namespace: 'ops' },
    });
    expect(admissionPolicyDenial(req('good:1'), world([imagePolicy], [missing]))?.message).toMatch(
      /denied request: failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction$/,
    );
    const allow = binding('images-b', {
      policyName: 'images',
      paramRef: { name: 'gone', namespace: 'ops', parameterNotFoundAction: 'Allow' },
    });
    expect(admissionPolicyDenial(req('bad:1'), world([imagePolicy], [allow]))).toBeUndefined();
  });

  it('message falls back to `message`, then to the expression; reason sets the code; Warn does not deny', () => {
    const p = policy('p', {
      validations: [
        {
          expression: "object.metadata.name != 'p1'",
          messageExpression: 'object.nope',
          message: 'no p1 here',
        },
      ],
    });
    const b = binding('b', { policyName: 'p' });
    expect(admissionPolicyDenial(req('x'), world([p], [b]))?.message).toMatch(/denied request: no p1 here$/);
    const q = policy('p', {
      validations: [{ expression: "object.metadata.name != 'p1'", reason: 'Forbidden' }],
    });
    const d = admissionPolicyDenial(req('x'), world([q], [b]));
    expect(d).toMatchObject({ code: 403, reason: 'Forbidden' });
    expect(d?.message).toMatch(/denied request: failed expression: object.metadata.name != 'p1'$/);
    expect(
      admissionPolicyDenial(
        req('x'),
        world([q], [binding('b', { policyName: 'p', validationActions: ['Warn'] })]),
      ),
    ).toBeUndefined();
  });

  it('an evaluation error denies under failurePolicy Fail (default) and is ignored under Ignore', () => {
    const bad = (failurePolicy?: string) =>
      policy('p', {
        ...(failurePolicy ? { failurePolicy } : {}),
        validations: [{ expression: 'object.spec.hostNetwork == false' }],
      });
    const b = binding('b', { policyName: 'p' });
    expect(admissionPolicyDenial(req('x'), world([bad()], [b]))?.message).toMatch(
      /denied request: expression 'object.spec.hostNetwork == false' resulted in error: no such key: hostNetwork$/,
    );
    expect(admissionPolicyDenial(req('x'), world([bad('Ignore')], [b]))).toBeUndefined();
  });

  it('applies only when every matchCondition holds; variables are evaluated when used', () => {
    const p = policy('p', {
      matchConditions: [{ name: 'web-only', expression: "object.metadata.labels['tier'] == 'web'" }],
      variables: [
        { name: 'images', expression: 'object.spec.containers.map(c, c.image)' },
        { name: 'broken', expression: 'object.nope' },
      ],
      validations: [
        {
          expression: "!('bad:1' in variables.images)",
          messageExpression: "'refused ' + variables.images.join(',')",
        },
      ],
    });
    const b = binding('b', { policyName: 'p' });
    expect(admissionPolicyDenial(req('bad:1'), world([p], [b]))?.message).toMatch(
      /denied request: refused bad:1$/,
    );
    const db = req('bad:1');
    db.object.metadata.labels = { tier: 'db' };
    expect(admissionPolicyDenial(db, world([p], [b]))).toBeUndefined();
  });
});
