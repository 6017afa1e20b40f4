import { describe, expect, it } from '@jest/globals';
import type { LogsSpec } from '../../../../jobs/contracts/reads.js';
import type { Pod } from '../../../../jobs/k8s/types.js';
import { containersToRead } from '../../../../jobs/reads/logs.js';

const spec = (o: Partial<LogsSpec> = {}): LogsSpec => ({
  action: 'logs',
  allContainers: false,
  previous: false,
  timestamps: false,
  ...o,
});
const pod = (annotations?: Record<string, string>): Pod => ({
  metadata: { name: 'web-0', ...(annotations ? { annotations } : {}) },
  spec: {
    initContainers: [{ name: 'migrate' }],
    containers: [{ name: 'app' }, { name: 'sidecar' }],
  },
});

describe('containersToRead (kubectl logs’ choice of container)', () => {
  it.each<[string, Pod, LogsSpec, unknown]>([
    [
      'the only container',
      { metadata: { name: 'p' }, spec: { containers: [{ name: 'x' }] } },
      spec(),
      { names: ['x'] },
    ],
    ['-c names one, init containers included', pod(), spec({ container: 'migrate' }), { names: ['migrate'] }],
    [
      '--all-containers: init, then the others',
      pod(),
      spec({ allContainers: true }),
      { names: ['migrate', 'app', 'sidecar'] },
    ],
    [
      'the default-container annotation',
      pod({ 'kubectl.kubernetes.io/default-container': 'sidecar' }),
      spec(),
      { names: ['sidecar'] },
    ],
    [
      'several, none named: the first, said',
      pod(),
      spec(),
      {
        names: ['app'],
        note: 'Defaulted container app out of: app, sidecar (use -c CONTAINER or --all-containers)',
      },
    ],
    [
      'a container the pod does not have',
      pod(),
      spec({ container: 'nope' }),
      { error: 'Pod `web-0` has no container `nope`; it has `migrate`, `app`, `sidecar`.' },
    ],
  ])('%s', (_name, p, s, want) => {
    expect(containersToRead(p, s)).toEqual(want);
  });
});
