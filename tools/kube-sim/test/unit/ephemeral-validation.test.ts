import { describe, expect, it } from '@jest/globals';
import {
  defaultEphemeralContainer,
  defaultPullPolicy,
  ephemeralOnCreate,
  validateEphemeralUpdate,
} from '../../ephemeral-validation.js';

const spec = (ephemeralContainers: object[] = []) => ({
  containers: [{ name: 'app', image: 'nginx' }],
  initContainers: [{ name: 'init', image: 'busybox' }],
  ephemeralContainers,
});
const ec = (over: object = {}) =>
  defaultEphemeralContainer({ name: 'dbg', image: 'busybox', command: ['true'], ...over });

describe('ephemeral container validation (pure)', () => {
  it('defaults the pull policy from the tag, and the termination message fields', () => {
    expect(defaultPullPolicy('busybox')).toBe('Always');
    expect(defaultPullPolicy('busybox:latest')).toBe('Always');
    expect(defaultPullPolicy('busybox:1.36')).toBe('IfNotPresent');
    expect(defaultPullPolicy('registry:5000/busybox')).toBe('Always');
    expect(defaultPullPolicy('busybox@sha256:abc')).toBe('IfNotPresent');
    expect(ec()).toMatchObject({
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      imagePullPolicy: 'Always',
    });
  });

  it('accepts a new container targeting a regular or an init container', () => {
    expect(validateEphemeralUpdate(spec(), spec([ec({ targetContainerName: 'app' })]), false)).toEqual([]);
    expect(validateEphemeralUpdate(spec(), spec([ec({ targetContainerName: 'init' })]), false)).toEqual([]);
  });

  it('refuses a target that is another ephemeral container', () => {
    const causes = validateEphemeralUpdate(
      spec([ec()]),
      spec([ec(), ec({ name: 'b', targetContainerName: 'dbg' })]),
      false,
    );
    expect(causes).toEqual([
      {
        field: 'spec.ephemeralContainers[1].targetContainerName',
        reason: 'FieldValueNotFound',
        message: 'Not found: "dbg"',
      },
    ]);
  });

  it('treats omitted and zero values as equal when comparing an existing container', () => {
    const old = { name: 'dbg', image: 'busybox', command: ['true'] };
    const sent = { ...ec(), stdin: false, tty: false, resources: {}, env: [] };
    expect(validateEphemeralUpdate(spec([old]), spec([sent]), false)).toEqual([]);
  });

  it('names the changed fields of an existing container', () => {
    const [cause] = validateEphemeralUpdate(spec([ec()]), spec([ec({ image: 'alpine' })]), false);
    expect(cause!.message).toMatch(/^Forbidden: existing ephemeral containers "dbg" may not be changed\n/);
    expect(cause!.message).toContain('-\timage: "busybox"');
    expect(cause!.message).toContain('+\timage: "alpine"');
  });

  it('refuses restartPolicy and resizePolicy, which the allow list leaves out', () => {
    const causes = validateEphemeralUpdate(
      spec(),
      spec([
        ec({
          restartPolicy: 'Always',
          resizePolicy: [{ resourceName: 'cpu', restartPolicy: 'NotRequired' }],
        }),
      ]),
      false,
    );
    expect(causes.map((c) => c.field)).toEqual([
      'spec.ephemeralContainers[0].resizePolicy',
      'spec.ephemeralContainers[0].restartPolicy',
    ]);
  });

  it('refuses unsupported pull and termination message policies', () => {
    const causes = validateEphemeralUpdate(
      spec(),
      spec([ec({ imagePullPolicy: 'Sometimes', terminationMessagePolicy: 'Log' })]),
      false,
    );
    expect(causes.map((c) => c.message)).toEqual([
      'Unsupported value: "Log": supported values: "File", "FallbackToLogsOnError"',
      'Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"',
    ]);
  });

  it('refuses static (mirror) pods and ephemeral containers on create', () => {
    expect(validateEphemeralUpdate(spec(), spec([ec()]), true)).toEqual([
      {
        field: '',
        reason: 'FieldValueForbidden',
        message: 'Forbidden: static pods do not support ephemeral containers',
      },
    ]);
    expect(ephemeralOnCreate(spec([ec()]))?.message).toBe('Forbidden: cannot be set on create');
    expect(ephemeralOnCreate(spec())).toBeUndefined();
  });
});
