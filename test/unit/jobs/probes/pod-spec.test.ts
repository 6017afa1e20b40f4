import type { V1Pod } from '@kubernetes/client-node';
import {
  PROBE_ACTIONS,
  type ProbeAction,
  ProbeInputSchema,
  type ProbePlan,
  type ProbeSpec,
} from '../../../../jobs/contracts/probe.js';
import { commandLine, PID_PLACEHOLDER, toolArgv } from '../../../../jobs/contracts/probe-argv.js';
import {
  DEADLINE_MARGIN_SEC,
  HOST_CGROUP_MOUNT,
  labelValue,
  probePodName,
  probePodSpec,
} from '../../../../jobs/probes/pod-spec.js';

const SPECS: Record<ProbeAction, ProbeSpec> = {
  strace: { action: 'strace', durationSec: 30, full: false, failedOnly: false },
  mem: { action: 'mem' },
  ps: { action: 'ps' },
  fds: { action: 'fds' },
  netcheck: { action: 'netcheck', targets: [{ host: 'db.shop.svc', port: 5432 }] },
  tcpdump: { action: 'tcpdump', durationSec: 20, filter: ['tcp', 'port', '443'] },
};

function plan(spec: ProbeSpec): ProbePlan {
  return {
    cluster: 'prod',
    namespace: 'shop',
    pod: 'checkout-7d9f8b6c5-x2kqp',
    podUid: '4f1c0c1e-8f2a-4b7e-9a31-0c3d2e1f5a6b',
    container: 'app',
    containerId: `containerd://${'a'.repeat(64)}`,
    node: 'ip-10-0-3-17.eu-west-1.compute.internal',
    image: 'registry.example/checkout:1.4.2',
    probeImage: 'ghcr.io/example/poddebug:1.0.0',
    capabilities: [],
    spec,
    commandLine: commandLine(spec),
    privileges: [],
    caps: [],
  };
}

const NOW = new Date('2026-11-20T10:00:00.000Z');
function build(action: ProbeAction, extra: Partial<Parameters<typeof probePodSpec>[1]> = {}): V1Pod {
  return probePodSpec(plan(SPECS[action]), {
    jobId: 'probe-run-T0123-1732096800.123456',
    requestId: 'req-1',
    requester: 'U0123ABCD',
    approvers: ['U0456EFGH', 'U0789IJKL'],
    threadTs: '1732096800.123456',
    channel: 'C0INCIDENT',
    image: 'ghcr.io/example/poddebug:1.0.0',
    startTimeoutSec: 30,
    now: NOW,
    ...extra,
  });
}

const CAPS: [ProbeAction, string[], 'Unconfined' | 'RuntimeDefault', boolean][] = [
  ['strace', ['SYS_PTRACE'], 'Unconfined', false],
  ['mem', ['SYS_PTRACE'], 'RuntimeDefault', true],
  ['ps', ['SYS_PTRACE'], 'RuntimeDefault', false],
  ['fds', ['SYS_PTRACE'], 'RuntimeDefault', false],
  ['netcheck', ['SYS_PTRACE', 'SYS_ADMIN'], 'RuntimeDefault', false],
  ['tcpdump', ['SYS_PTRACE', 'SYS_ADMIN', 'NET_RAW', 'SETUID', 'SETGID'], 'RuntimeDefault', false],
];

describe('probePodSpec', () => {
  it('covers every action', () => {
    expect(CAPS.map((c) => c[0]).sort()).toEqual([...PROBE_ACTIONS].sort());
  });

  it.each(CAPS)(
    '%s: pinned, hostPID, least privilege (caps %j, seccomp %s, cgroup mount %s)',
    (action, caps, seccomp, cgroup) => {
      const pod = build(action);
      const spec = pod.spec!;
      expect(pod.metadata?.namespace).toBe('poddebug-probes');
      expect(spec.nodeName).toBe('ip-10-0-3-17.eu-west-1.compute.internal');
      expect(spec.hostPID).toBe(true);
      expect(spec.hostNetwork).toBe(false);
      expect(spec.hostIPC).toBe(false);
      expect(spec.restartPolicy).toBe('Never');
      expect(spec.automountServiceAccountToken).toBe(false);
      expect(spec.serviceAccountName).toBeUndefined();
      expect(spec.enableServiceLinks).toBe(false);
      expect(spec.tolerations).toEqual([{ operator: 'Exists' }]);
      expect(spec.containers).toHaveLength(1);
      const c = spec.containers[0]!;
      const sc = c.securityContext!;
      expect(sc.privileged).toBe(false);
      expect(sc.allowPrivilegeEscalation).toBe(false);
      expect(sc.readOnlyRootFilesystem).toBe(true);
      expect(sc.runAsUser).toBe(0);
      expect(sc.capabilities).toEqual({ drop: ['ALL'], add: caps });
      expect(sc.seccompProfile).toEqual({ type: seccomp });
      expect(spec.securityContext?.seccompProfile).toEqual({ type: seccomp });
      // No token, no projected or secret volume of any kind; host paths only read-only.
      const volumes = spec.volumes ?? [];
      expect(volumes.some((v) => v.secret || v.projected || v.configMap)).toBe(false);
      for (const m of c.volumeMounts ?? []) {
        const v = volumes.find((x) => x.name === m.name)!;
        if (v.hostPath) expect(m.readOnly).toBe(true);
      }
      expect(volumes.find((v) => v.name === 'work')?.emptyDir?.sizeLimit).toBe('64Mi');
      expect(c.volumeMounts?.find((m) => m.name === 'work')?.mountPath).toBe('/tmp');
      const cg = volumes.find((v) => v.hostPath?.path === '/sys/fs/cgroup');
      expect(Boolean(cg)).toBe(cgroup);
      if (cgroup)
        expect(c.volumeMounts?.find((m) => m.name === cg!.name)).toEqual({
          name: cg!.name,
          mountPath: HOST_CGROUP_MOUNT,
          readOnly: true,
        });
      expect(volumes.filter((v) => v.hostPath).length).toBe(cgroup ? 1 : 0);
      expect(c.resources).toEqual({
        requests: { cpu: '50m', memory: '64Mi' },
        limits: { cpu: '500m', memory: '256Mi' },
      });
    },
  );

  it.each([
    ['strace', 30 + DEADLINE_MARGIN_SEC],
    ['tcpdump', 20 + DEADLINE_MARGIN_SEC],
    ['ps', 20 + DEADLINE_MARGIN_SEC],
  ] as const)('%s: activeDeadlineSeconds is the duration plus a margin (%d)', (action, deadline) => {
    expect(build(action).spec?.activeDeadlineSeconds).toBe(deadline);
  });

  it('labels, annotations and name', () => {
    const pod = build('strace');
    const md = pod.metadata!;
    expect(md.name).toBe(probePodName('strace', 'probe-run-T0123-1732096800.123456'));
    expect(md.name).toMatch(/^poddebug-strace-[0-9a-f]{10}$/);
    expect(md.labels).toEqual({
      'app.kubernetes.io/managed-by': 'poddebug',
      'poddebug.io/probe': 'true',
      'poddebug.io/job': 'probe-run-T0123-1732096800.123456',
      'poddebug.io/action': 'strace',
    });
    expect(md.annotations).toMatchObject({
      'poddebug.io/job-id': 'probe-run-T0123-1732096800.123456',
      'poddebug.io/requester': 'U0123ABCD',
      'poddebug.io/approvers': 'U0456EFGH,U0789IJKL',
      'poddebug.io/thread': 'C0INCIDENT/1732096800.123456',
      'poddebug.io/target': 'prod/shop/checkout-7d9f8b6c5-x2kqp/app',
      // start timeout 30 + deadline (30 + margin) + 30
      'poddebug.io/deadline': new Date(
        NOW.getTime() + (30 + 30 + DEADLINE_MARGIN_SEC + 30) * 1000,
      ).toISOString(),
    });
  });

  it('names stay DNS-1123 and ≤ 63 chars; odd job ids become valid label values', () => {
    for (const a of PROBE_ACTIONS) {
      const n = probePodName(a, 'x'.repeat(300));
      expect(n.length).toBeLessThanOrEqual(63);
      expect(n).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
    expect(labelValue('ok-1.2_3')).toBe('ok-1.2_3');
    expect(labelValue('has space')).toMatch(/^h-[0-9a-f]{40}$/);
    expect(labelValue('y'.repeat(64))).toMatch(/^h-/);
    expect(build('ps', { jobId: 'weird job/id' }).metadata?.labels?.['poddebug.io/job']).toMatch(/^h-/);
  });

  it('runs the probe program with a valid base64url ProbeInput', () => {
    const c = build('mem').spec!.containers[0]!;
    expect(c.command?.slice(0, 3)).toEqual(['node', '/app/dist/jobs/probes/program/main.js', '--input']);
    expect(c.args).toBeUndefined();
    const input = ProbeInputSchema.parse(
      JSON.parse(Buffer.from(c.command![3]!, 'base64url').toString('utf8')),
    );
    expect(input).toEqual({
      spec: { action: 'mem' },
      containerId: `containerd://${'a'.repeat(64)}`,
      podUid: '4f1c0c1e-8f2a-4b7e-9a31-0c3d2e1f5a6b',
      procRoot: '/proc',
      cgroupRoot: HOST_CGROUP_MOUNT,
      workDir: '/tmp',
    });
  });

  it('mounts the CRI socket read-only only when configured', () => {
    expect(build('ps').spec!.volumes!.some((v) => v.hostPath?.type === 'Socket')).toBe(false);
    const pod = build('ps', { criSocket: '/run/containerd/containerd.sock', namespace: 'probes' });
    expect(pod.metadata?.namespace).toBe('probes');
    const v = pod.spec!.volumes!.find((x) => x.hostPath?.type === 'Socket')!;
    expect(v.hostPath?.path).toBe('/run/containerd/containerd.sock');
    expect(pod.spec!.containers[0]!.volumeMounts!.find((m) => m.name === v.name)).toEqual({
      name: v.name,
      mountPath: '/run/containerd/containerd.sock',
      readOnly: true,
    });
    const input = JSON.parse(Buffer.from(pod.spec!.containers[0]!.command![3]!, 'base64url').toString());
    expect(input.criSocket).toBe('/run/containerd/containerd.sock');
  });
});

/** What approvers see with `<PID>`, filled in: the argv the program runs (it calls toolArgv with its PID). */
function withPid(argv: string[] | undefined, pid: number): string[] | undefined {
  return argv?.map((a) => a.replaceAll(PID_PLACEHOLDER, String(pid)));
}

describe('argv agrees with the probe program', () => {
  // no data buffers unless asked: `-s 0` (paths and addresses are printed whole whatever -s says)
  it.each([
    [{ action: 'strace', durationSec: 30, full: false, failedOnly: false }, '-s 0'],
    [{ action: 'strace', durationSec: 5, full: true, trace: 'network', failedOnly: true }, '-s 0'],
    [{ action: 'strace', durationSec: 5, full: true, failedOnly: false, data: false }, '-s 0'],
    [{ action: 'strace', durationSec: 5, full: true, failedOnly: false, data: true }, '-s 128'],
    [{ action: 'strace', durationSec: 5, full: false, failedOnly: false, data: true }, '-s 128'],
  ] as const)('strace %j prints %s', (spec, strings) => {
    expect(toolArgv(spec, 4242)).toEqual(withPid(toolArgv(spec, PID_PLACEHOLDER), 4242));
    expect(commandLine(spec)).toContain(`strace -f -C -T ${strings} `);
    expect(commandLine(spec)).toMatch(/-p <PID>$/);
  });
  it.each<Extract<ProbeSpec, { action: 'tcpdump' }>>([
    { action: 'tcpdump', durationSec: 10, filter: [] },
    { action: 'tcpdump', durationSec: 10, filter: ['tcp', 'and', 'port', '5432'] },
  ])('tcpdump %j', (spec) => {
    expect(toolArgv(spec, 4242)).toEqual(withPid(toolArgv(spec, PID_PLACEHOLDER), 4242));
    expect(toolArgv(spec, 4242, { procRoot: '/proc' })).toEqual(toolArgv(spec, 4242));
    expect(commandLine(spec)).toContain('nsenter --net=/proc/<PID>/ns/net -- tcpdump');
  });
});
