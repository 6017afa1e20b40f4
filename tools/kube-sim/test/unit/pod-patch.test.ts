import { describe, expect, it } from '@jest/globals';
import { applyPodPatch, jsonPatch, mergePatch, strategicMergePatch } from '../../pod-patch.js';

const pod = {
  metadata: { name: 'p', labels: { a: '1', b: '2' }, finalizers: ['x'] },
  spec: {
    containers: [
      { name: 'app', image: 'nginx', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 80 }] },
      { name: 'side', image: 'envoy' },
    ],
    ephemeralContainers: [{ name: 'd1', image: 'busybox' }],
    tolerations: [{ key: 't1', operator: 'Exists' }],
  },
};

describe('strategic merge patch (Pod schema)', () => {
  it('merges containers by name and their env by name; other lists are replaced', () => {
    const out = strategicMergePatch(pod, {
      spec: {
        containers: [{ name: 'app', env: [{ name: 'B', value: '2' }] }],
        tolerations: [{ key: 't2', operator: 'Exists' }],
      },
    });
    expect(out.spec).toMatchObject({
      containers: [
        {
          name: 'app',
          image: 'nginx',
          env: [
            { name: 'A', value: '1' },
            { name: 'B', value: '2' },
          ],
        },
        { name: 'side', image: 'envoy' },
      ],
      tolerations: [{ key: 't2', operator: 'Exists' }],
    });
  });

  it('appends an ephemeral container and orders by $setElementOrder, as kubectl debug sends it', () => {
    const out = strategicMergePatch(pod, {
      spec: {
        '$setElementOrder/ephemeralContainers': [{ name: 'd1' }, { name: 'd2' }],
        ephemeralContainers: [{ name: 'd2', image: 'busybox', targetContainerName: 'app' }],
      },
    });
    expect(
      (out.spec as { ephemeralContainers: { name: string }[] }).ephemeralContainers.map((c) => c.name),
    ).toEqual(['d1', 'd2']);
    expect(JSON.stringify(out)).not.toContain('$setElementOrder');
  });

  it('honours $patch: delete and replace, null deletes a key, and $deleteFromPrimitiveList', () => {
    const out = strategicMergePatch(pod, {
      metadata: { labels: { a: null }, '$deleteFromPrimitiveList/finalizers': ['x'] },
      spec: { containers: [{ name: 'side', $patch: 'delete' }] },
    });
    expect(out.metadata).toEqual({ name: 'p', labels: { b: '2' }, finalizers: [] });
    expect((out.spec as { containers: unknown[] }).containers).toHaveLength(1);
    const replaced = strategicMergePatch(pod, { metadata: { labels: { $patch: 'replace', c: '3' } } });
    expect((replaced.metadata as { labels: unknown }).labels).toEqual({ c: '3' });
  });

  it('merges finalizers as a set and leaves the input untouched', () => {
    const before = JSON.stringify(pod);
    const out = strategicMergePatch(pod, { metadata: { finalizers: ['x', 'y'] } });
    expect((out.metadata as { finalizers: string[] }).finalizers).toEqual(['x', 'y']);
    expect(JSON.stringify(pod)).toBe(before);
  });
});

describe('JSON merge patch and JSON patch', () => {
  it('merge patch replaces lists and deletes with null', () => {
    expect(mergePatch({ a: [1, 2], b: { c: 1, d: 2 } }, { a: [3], b: { c: null } })).toEqual({
      a: [3],
      b: { d: 2 },
    });
  });

  it('applies add (with -), replace, remove, test, copy and move', () => {
    const out = jsonPatch(pod, [
      { op: 'add', path: '/spec/ephemeralContainers/-', value: { name: 'd2', image: 'x' } },
      { op: 'test', path: '/spec/ephemeralContainers/1/name', value: 'd2' },
      { op: 'replace', path: '/metadata/labels/a', value: 'one' },
      { op: 'remove', path: '/metadata/labels/b' },
      { op: 'copy', from: '/metadata/name', path: '/metadata/labels/name' },
      { op: 'move', from: '/metadata/labels/name', path: '/metadata/labels/moved' },
      { op: 'add', path: '/metadata/annotations', value: { 'a~b/c': 'v' } },
      { op: 'replace', path: '/metadata/annotations/a~0b~1c', value: 'w' },
    ]) as typeof pod & { metadata: { annotations: Record<string, string> } };
    expect(out.spec.ephemeralContainers.map((c) => c.name)).toEqual(['d1', 'd2']);
    expect(out.metadata.labels).toEqual({ a: 'one', moved: 'p' });
    expect(out.metadata.annotations).toEqual({ 'a~b/c': 'w' });
  });

  it('answers the errors the API server answers', () => {
    const target = pod as unknown as Record<string, unknown>;
    const badIndex = applyPodPatch(
      'application/json-patch+json',
      target,
      JSON.stringify([{ op: 'remove', path: '/spec/containers/9' }]),
    );
    expect(badIndex).toMatchObject({
      ok: false,
      error: {
        code: 422,
        reason: 'Invalid',
        message: 'the server rejected our request due to an error in our request',
        details: {
          causes: [
            {
              reason: 'UnexpectedServerResponse',
              message: 'Unable to access invalid index: 9: invalid index referenced',
            },
          ],
        },
      },
    });
    const missing = applyPodPatch(
      'application/json-patch+json',
      { spec: {} },
      JSON.stringify([{ op: 'add', path: '/spec/ephemeralContainers/-', value: {} }]),
    );
    expect(missing.ok ? '' : missing.error.details?.causes?.[0]?.message).toBe(
      'add operation does not apply: doc is missing path: "/spec/ephemeralContainers/-": missing value',
    );
    const notAList = applyPodPatch('application/json-patch+json', target, '{"op":"add"}');
    expect(notAList).toMatchObject({ ok: false, error: { code: 400 } });
    const failedTest = applyPodPatch(
      'application/json-patch+json',
      target,
      JSON.stringify([{ op: 'test', path: '/metadata/name', value: 'other' }]),
    );
    expect(failedTest).toMatchObject({ ok: false, error: { code: 422 } });
    const notJson = applyPodPatch('application/merge-patch+json', target, '{');
    expect(notJson).toMatchObject({ ok: false, error: { code: 400 } });
    const apply = applyPodPatch('application/apply-patch+yaml', target, 'a: b');
    expect(apply).toMatchObject({ ok: false, error: { code: 415, reason: 'UnsupportedMediaType' } });
    const noKey = applyPodPatch(
      'application/strategic-merge-patch+json',
      target,
      JSON.stringify({ spec: { ephemeralContainers: [{ image: 'x' }] } }),
    );
    expect(noKey).toMatchObject({ ok: false, error: { code: 400 } });
    expect(noKey.ok ? '' : noKey.error.message).toContain('does not contain declared merge key: name');
  });
});
