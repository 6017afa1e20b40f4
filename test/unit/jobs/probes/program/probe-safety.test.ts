/** The pure parts of the probe program's safety checks: pod UID in the cgroup path, host scope, notes, argv. */
import { describe, expect, it } from '@jest/globals';
import { HOST_SCOPE_BY_ACTION, ProbeInputSchema } from '../../../../../jobs/contracts/probe.js';
import { toolArgv } from '../../../../../jobs/contracts/probe-argv.js';
import { runTool } from '../../../../../jobs/probes/program/common.js';
import { podUidsOf, samePodUid } from '../../../../../jobs/probes/program/find-container.js';
import { hostScopeProblem } from '../../../../../jobs/probes/program/host-scope.js';
import { resolvConfNote } from '../../../../../jobs/probes/program/netcheck.js';
import { podUidProblem } from '../../../../../jobs/probes/program/resolve.js';

const ID = 'a172cedcae47474b615c54d510a5d84a8dea3032e958587430b413538be3f333';
const OTHER = '6210c0bf05396716df932f0729df69de0533933e5ad9871fd07b61811c4c28df';
const UID = '5c1d9b2e-3f4a-4b6c-8d7e-9f0a1b2c3d4e';
const UID_ = UID.replaceAll('-', '_');
const STATIC = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';

describe('podUidsOf: the pod segment above the container', () => {
  it.each([
    ['cgroupfs', `0::/kubepods/burstable/pod${UID}/${ID}\n`, UID],
    ['cri-o cgroupfs', `0::/kubepods/pod${UID}/crio-${ID}\n`, UID],
    [
      'systemd (underscores)',
      `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/cri-containerd-${ID}.scope\n`,
      UID,
    ],
    [
      'kind',
      `0::/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod${UID_}.slice/cri-containerd-${ID}.scope\n`,
      UID,
    ],
    [
      'runc literal',
      `0::/system.slice/containerd.service/kubepods-burstable-pod${UID_}.slice:cri-containerd:${ID}\n`,
      UID,
    ],
    ['static pod hash', `0::/kubepods/pod${STATIC}/${ID}\n`, STATIC],
  ])('%s', (_name, text, uid) => {
    expect(podUidsOf(text, ID)).toEqual([uid]);
    expect(podUidProblem(text, ID, uid)).toBeNull();
  });

  it('reads the pod of the matching container only', () => {
    const text = `0::/kubepods/pod${UID}/${OTHER}\n`;
    expect(podUidsOf(text, ID)).toEqual([]);
    expect(podUidProblem(text, ID, UID)).toMatch(/names no pod/);
  });

  it('refuses another pod, and paths that disagree', () => {
    const mine = `/kubepods/burstable/pod${UID}/${ID}`;
    const other = '11111111-2222-3333-4444-555555555555';
    expect(podUidProblem(`0::${mine}\n`, ID, other)).toBe(
      `container ${ID.slice(0, 12)} belongs to pod ${UID} by its cgroup path, not to the approved pod ${other}: refusing`,
    );
    const split = `11:memory:${mine}\n1:name=systemd:/kubepods/burstable/pod${other}/${ID}\n`;
    expect(podUidsOf(split, ID).sort()).toEqual([other, UID].sort());
    expect(podUidProblem(split, ID, UID)).toMatch(/belongs to pod 1111/);
  });

  it('compares UIDs across spellings, never an empty one', () => {
    expect(samePodUid(UID_, UID)).toBe(true);
    expect(samePodUid(UID.toUpperCase(), UID)).toBe(true);
    expect(samePodUid('', '')).toBe(false);
    expect(samePodUid(UID, UID.replace('5c', '5d'))).toBe(false);
  });
});

describe('hostScopeProblem', () => {
  it('refuses a node-wide action on a shared namespace unless allowed', () => {
    expect(hostScopeProblem('tcpdump', { network: true }, undefined)).toMatch(
      /node's network namespace .*hostScope\.network/,
    );
    expect(hostScopeProblem('tcpdump', { network: true }, { pid: true })).not.toBeNull();
    expect(hostScopeProblem('tcpdump', { network: true }, { network: true })).toBeNull();
    expect(hostScopeProblem('ps', { pid: true }, undefined)).toMatch(/node's PID namespace/);
    expect(hostScopeProblem('ps', { pid: true }, { pid: true })).toBeNull();
  });

  it('lets actions that look at the process alone run', () => {
    expect(hostScopeProblem('mem', { network: true, pid: true }, undefined)).toBeNull();
    expect(hostScopeProblem('strace', { network: true, pid: true }, undefined)).toBeNull();
    expect(hostScopeProblem('fds', { network: false }, undefined)).toBeNull();
  });

  it('covers every action', () => {
    expect(Object.keys(HOST_SCOPE_BY_ACTION).sort()).toEqual(
      ['connectivity', 'debug', 'fds', 'mem', 'netcheck', 'ps', 'strace', 'tcpdump'].sort(),
    );
  });

  it('debug containers see no host namespace: they run inside the pod, never more than it shares', () => {
    expect(HOST_SCOPE_BY_ACTION.debug).toEqual([]);
    expect(HOST_SCOPE_BY_ACTION.connectivity).toEqual([]);
  });

  it('the input accepts only `true` flags', () => {
    const base = { spec: { action: 'ps' }, containerId: `containerd://${ID}`, podUid: UID };
    expect(ProbeInputSchema.parse({ ...base, hostScope: { pid: true } }).hostScope).toEqual({ pid: true });
    expect(ProbeInputSchema.safeParse({ ...base, hostScope: { pid: false } }).success).toBe(false);
    expect(ProbeInputSchema.safeParse({ ...base, hostScope: { ipc: true } }).success).toBe(false);
  });
});

describe('resolvConfNote', () => {
  it('says when the read was cut, missing or refused', () => {
    expect(resolvConfNote({ ok: true, text: 'x', bytes: 1, truncated: false })).toBeNull();
    expect(resolvConfNote({ ok: true, text: 'x', bytes: 65536, truncated: true })).toBe(
      "the container's /etc/resolv.conf is larger than 65536 bytes: only the first 65536 were read",
    );
    expect(resolvConfNote({ ok: false, reason: 'missing', message: '/etc does not exist' })).toMatch(
      /^the container has no \/etc\/resolv\.conf/,
    );
    expect(
      resolvConfNote({
        ok: false,
        reason: 'not_regular',
        message: '/etc/resolv.conf is a fifo, not a regular file',
      }),
    ).toMatch(/was not read: \/etc\/resolv\.conf is a fifo/);
  });
});

describe('tcpdump argv', () => {
  it('is never promiscuous (-p), as the argv module says', () => {
    const argv = toolArgv({ action: 'tcpdump', durationSec: 5, filter: ['port', '53'] }, 42);
    const at = argv.indexOf('tcpdump');
    expect(argv.slice(at, argv.indexOf('--', at))).toContain('-p');
  });
});

describe('runTool attach re-check', () => {
  const attachedThenWait = ['sh', '-c', 'echo "strace: Process 1 attached" >&2; exec sleep 30'];

  it('stops the tool promptly when the PID changed owner once it attached', async () => {
    const t0 = Date.now();
    const run = await runTool(attachedThenWait, {
      stdoutCap: 0,
      killAfterMs: 20_000,
      attached: { marker: /Process \d+ attached/, check: async () => 'pid 1 is now another process' },
    });
    expect(run.ownerChanged).toBe('pid 1 is now another process');
    expect(run.signal).toBe('SIGINT');
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('lets the tool run when the PID is unchanged, checking once', async () => {
    let checks = 0;
    const run = await runTool(['sh', '-c', 'echo "strace: Process 1 attached" >&2; echo done'], {
      stdoutCap: 100,
      killAfterMs: 20_000,
      attached: {
        marker: /Process \d+ attached/,
        check: async () => {
          checks++;
          return null;
        },
      },
    });
    expect(run.ownerChanged).toBeUndefined();
    expect(run.stdout.toString()).toBe('done\n');
    expect(checks).toBe(1);
  });

  it('checks at exit when the marker never showed', async () => {
    const run = await runTool(['sh', '-c', 'exit 1'], {
      stdoutCap: 0,
      killAfterMs: 20_000,
      attached: { marker: /attached/, check: async () => 'pid 7 is gone' },
    });
    expect(run.exitCode).toBe(1);
    expect(run.ownerChanged).toBe('pid 7 is gone');
  });
});
