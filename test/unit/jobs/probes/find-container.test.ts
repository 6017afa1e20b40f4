import { describe, expect, it } from '@jest/globals';
import {
  cgroupMatches,
  parseContainerId,
  pickContainerPid,
} from '../../../../jobs/probes/program/find-container.js';

/** The container we look for. */
const ID = 'a172cedcae47474b615c54d510a5d84a8dea3032e958587430b413538be3f333';
/** Another container whose id shares the first 60 characters. */
const NEAR = 'a172cedcae47474b615c54d510a5d84a8dea3032e958587430b413538be30000';
/** The pod's sandbox (pause) container. */
const PAUSE = '6210c0bf05396716df932f0729df69de0533933e5ad9871fd07b61811c4c28df';
/** A kind node container's docker id on its host. */
const NODE = '4740ae6347b0172c01254ff55bae5aff5199f4446e7f6d643d40185b3f475145';
const UID = '5c1d9b2e-3f4a-4b6c-8d7e-9f0a1b2c3d4e';
const UID_ = UID.replaceAll('-', '_');

/** cgroup v1 as a kernel prints it: one line per hierarchy, highest id first, ending with the v2 line. */
function v1(path: string, unified = '/'): string {
  return [
    `12:hugetlb:${path}`,
    `11:memory:${path}`,
    `10:cpu,cpuacct:${path}`,
    `9:devices:${path}`,
    `8:pids:${path}`,
    `7:blkio:${path}`,
    `6:net_cls,net_prio:${path}`,
    `5:freezer:${path}`,
    `4:cpuset:${path}`,
    `3:perf_event:${path}`,
    '2:rdma:/',
    `1:name=systemd:${path}`,
    `0::${unified}`,
    '',
  ].join('\n');
}
const v2 = (path: string): string => `0::${path}\n`;

const slice = `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice`;
const guaranteedSlice = `/kubepods.slice/kubepods-pod${UID_}.slice`;
const kindSlice = `/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod${UID_}.slice`;

describe('fixtures', () => {
  it('are well-formed 64-hex ids', () => {
    for (const id of [ID, NEAR, PAUSE, NODE]) expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(NEAR.slice(0, 60)).toBe(ID.slice(0, 60));
  });
});

describe('parseContainerId', () => {
  it.each([
    [`containerd://${ID}`, 'containerd'],
    [`cri-o://${ID}`, 'cri-o'],
    [`docker://${ID}`, 'docker'],
  ] as const)('%s', (s, runtime) => {
    expect(parseContainerId(s)).toEqual({ runtime, id: ID });
  });

  it.each([
    ['empty (container not started yet)', ''],
    ['no runtime', ID],
    ['unknown runtime', `rkt://${ID}`],
    ['runtime in capitals', `CONTAINERD://${ID}`],
    ['uppercase hex', `containerd://${ID.toUpperCase()}`],
    ['short id', `containerd://${ID.slice(0, 12)}`],
    ['63 characters', `containerd://${ID.slice(1)}`],
    ['65 characters', `containerd://${ID}0`],
    ['not hex', `containerd://${ID.slice(0, 63)}g`],
    ['digest prefix', `containerd://sha256:${ID}`],
    ['trailing newline', `containerd://${ID}\n`],
    ['leading space', ` containerd://${ID}`],
    ['path in the id', `docker://${ID}/../x`],
    ['one slash', `containerd:/${ID}`],
  ])('%s → error', (_name, s) => {
    const r = parseContainerId(s);
    expect(r).toHaveProperty('error');
    expect('error' in r && r.error.length > 0).toBe(true);
  });
});

describe('cgroupMatches: the container is found', () => {
  it.each([
    ['v2, containerd, systemd driver', v2(`${slice}/cri-containerd-${ID}.scope`)],
    [
      'v2, containerd, systemd driver, Guaranteed (no QoS slice)',
      v2(`${guaranteedSlice}/cri-containerd-${ID}.scope`),
    ],
    [
      'v2, containerd, systemd driver, BestEffort',
      v2(
        `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_}.slice/cri-containerd-${ID}.scope`,
      ),
    ],
    ['v2, CRI-O, systemd driver', v2(`${slice}/crio-${ID}.scope`)],
    [
      'v2, CRI-O with crun (process in the scope’s container/ sub-cgroup)',
      v2(`${slice}/crio-${ID}.scope/container`),
    ],
    ['v2, docker, systemd driver', v2(`${slice}/docker-${ID}.scope`)],
    ['v2, containerd, cgroupfs driver', v2(`/kubepods/burstable/pod${UID}/${ID}`)],
    ['v2, containerd, cgroupfs driver, Guaranteed', v2(`/kubepods/pod${UID}/${ID}`)],
    ['v2, CRI-O, cgroupfs driver', v2(`/kubepods/besteffort/pod${UID}/crio-${ID}`)],
    ['v2, static pod (UID is a hash)', v2(`/kubepods/burstable/pod0ff4f9b2de8bdb0d1d6e8ea3ca6e3b6b/${ID}`)],
    ['v1, containerd, systemd driver', v1(`${slice}/cri-containerd-${ID}.scope`)],
    ['v1, docker, cgroupfs driver', v1(`/kubepods/burstable/pod${UID}/${ID}`)],
    [
      'hybrid: v1 controllers and the unified hierarchy',
      v1(`${slice}/cri-containerd-${ID}.scope`, `${slice}/cri-containerd-${ID}.scope`),
    ],
    ['v1 with a bare name=systemd line only matching', `1:name=systemd:${slice}/docker-${ID}.scope\n0::/\n`],
    ['kind node seen from inside (own cgroup namespace)', v2(`${kindSlice}/cri-containerd-${ID}.scope`)],
    [
      'kind node seen from the host, cgroup v2',
      v2(`/system.slice/docker-${NODE}.scope${kindSlice}/cri-containerd-${ID}.scope`),
    ],
    ['kind node seen from the host, cgroup v1', v1(`/docker/${NODE}/kubepods/besteffort/pod${UID}/${ID}`)],
    [
      'runc slice:prefix:name taken literally',
      v2(`/system.slice/containerd.service/kubepods-burstable-pod${UID_}.slice:cri-containerd:${ID}`),
    ],
    [
      'runc slice:prefix:name, v1',
      v1(`/system.slice/containerd.service/kubepods-besteffort-pod${UID_}.slice:cri-containerd:${ID}`),
    ],
    [
      'nested cgroup made inside the container (dind)',
      v2(`/kubepods/burstable/pod${UID}/${ID}/docker/${NEAR}`),
    ],
    ['CRLF line endings', v1(`${slice}/cri-containerd-${ID}.scope`).replaceAll('\n', '\r\n')],
  ])('%s', (_name, text) => {
    expect(cgroupMatches(text, ID)).toBe(true);
  });
});

describe('cgroupMatches: the container is not found', () => {
  it.each([
    ['another container sharing a 60-char prefix', v2(`${slice}/cri-containerd-${NEAR}.scope`)],
    ['another container sharing a prefix, cgroupfs', v1(`/kubepods/burstable/pod${UID}/${NEAR}`)],
    ['the pod’s pause container', v2(`${slice}/cri-containerd-${PAUSE}.scope`)],
    ['the pod’s pause container, cgroupfs', v1(`/kubepods/burstable/pod${UID}/${PAUSE}`)],
    ['a process in the pod cgroup itself', v2(slice)],
    ['CRI-O’s conmon for this container', v2(`${slice}/crio-conmon-${ID}.scope`)],
    ['host: systemd', v2('/init.scope')],
    ['host: containerd', v2('/system.slice/containerd.service')],
    ['host: a user session', v2('/user.slice/user-1000.slice/session-3.scope')],
    ['host: v1 everywhere /', v1('/')],
    ['kernel thread / unprivileged cgroup namespace', v2('/')],
    ['a removed cgroup (zombie of a deleted container)', v2(`${slice}/cri-containerd-${ID}.scope (deleted)`)],
    ['the id inside a longer segment', v2(`${slice}/cri-containerd-${ID}0.scope`)],
    ['the id with a prefix in the segment', v2(`/kubepods/burstable/pod${UID}/x${ID}`)],
    ['the id not under a pod (a plain docker container)', v2(`/system.slice/docker-${ID}.scope`)],
    ['the id as a kind node on the host, v1', v1(`/docker/${ID}/kubepods/besteffort/pod${UID}/${NEAR}`)],
    [
      'the id as a kind node on the host, v2',
      v2(`/system.slice/docker-${ID}.scope${kindSlice}/cri-containerd-${NEAR}.scope`),
    ],
    [
      'runc slice:prefix:name of the sibling container',
      v2(`/system.slice/containerd.service/kubepods-burstable-pod${UID_}.slice:cri-containerd:${NEAR}`),
    ],
    ['the id in a controller name, not a path', `3:${ID}:/\n0::/\n`],
    ['uppercase in the cgroup path', v2(`${slice}/cri-containerd-${ID.toUpperCase()}.scope`)],
    ['empty text', ''],
    ['garbage', 'not a cgroup file\n'],
  ])('%s', (_name, text) => {
    expect(cgroupMatches(text, ID)).toBe(false);
  });

  it.each([
    ['uppercase id', ID.toUpperCase()],
    ['short id', ID.slice(0, 12)],
    ['containerID, not an id', `containerd://${ID}`],
    ['empty id', ''],
  ])('malformed id: %s → false', (_name, id) => {
    expect(cgroupMatches(v2(`/kubepods/burstable/pod${UID}/${id}`), id)).toBe(false);
    expect(cgroupMatches(v2(`${slice}/cri-containerd-${id}.scope`), id)).toBe(false);
  });
});

describe('pickContainerPid', () => {
  const inside = v2(`${slice}/cri-containerd-${ID}.scope`);
  const pause = v2(`${slice}/cri-containerd-${PAUSE}.scope`);
  const host = v2('/system.slice/containerd.service');
  const hostProcs = [
    { pid: 1, ppid: 0, cgroup: v2('/init.scope') },
    { pid: 2, ppid: 0, cgroup: v2('/') },
    { pid: 812, ppid: 1, cgroup: host },
    { pid: 4100, ppid: 1, cgroup: host }, // containerd-shim-runc-v2
    { pid: 4121, ppid: 4100, cgroup: pause },
  ];

  it('main process and its children → the main process', () => {
    const procs = [
      ...hostProcs,
      { pid: 4188, ppid: 4100, cgroup: inside }, // main
      { pid: 4230, ppid: 4188, cgroup: inside }, // worker
      { pid: 4231, ppid: 4188, cgroup: inside }, // worker
      { pid: 5002, ppid: 4230, cgroup: inside }, // grandchild
    ];
    expect(pickContainerPid(procs, ID)).toEqual({ pid: 4188 });
  });

  it('order of the list does not matter', () => {
    const procs = [
      { pid: 5002, ppid: 4230, cgroup: inside },
      { pid: 4230, ppid: 4188, cgroup: inside },
      ...hostProcs,
      { pid: 4188, ppid: 4100, cgroup: inside },
    ];
    expect(pickContainerPid(procs, ID)).toEqual({ pid: 4188 });
  });

  it('a single process → it', () => {
    expect(pickContainerPid([...hostProcs, { pid: 4188, ppid: 4100, cgroup: inside }], ID)).toEqual({
      pid: 4188,
    });
  });

  it('the sibling container sharing a prefix is not counted', () => {
    const procs = [
      ...hostProcs,
      { pid: 4188, ppid: 4100, cgroup: inside },
      { pid: 4300, ppid: 4100, cgroup: v2(`${slice}/cri-containerd-${NEAR}.scope`) },
    ];
    expect(pickContainerPid(procs, ID)).toEqual({ pid: 4188 });
  });

  it('two unrelated roots → an error naming both', () => {
    const procs = [
      ...hostProcs,
      { pid: 4188, ppid: 4100, cgroup: inside },
      { pid: 4230, ppid: 4188, cgroup: inside },
      { pid: 7777, ppid: 4100, cgroup: inside }, // e.g. a kubectl exec session
    ];
    const r = pickContainerPid(procs, ID);
    expect(r).toHaveProperty('error');
    const error = 'error' in r ? r.error : '';
    expect(error).toContain('4188');
    expect(error).toContain('7777');
    expect(error).not.toContain('4230');
  });

  it('no matching process → error', () => {
    const r = pickContainerPid(hostProcs, ID);
    expect(r).toHaveProperty('error');
    expect('error' in r ? r.error : '').toContain(ID.slice(0, 12));
  });

  it('empty process list → error', () => {
    expect(pickContainerPid([], ID)).toHaveProperty('error');
  });

  it('only the pause container matches its own id, not ours', () => {
    expect(pickContainerPid(hostProcs, PAUSE)).toEqual({ pid: 4121 });
  });

  it('pid 1 in the container → refused (/proc is not the host’s PID namespace)', () => {
    const procs = [
      { pid: 1, ppid: 0, cgroup: inside },
      { pid: 7, ppid: 1, cgroup: inside },
    ];
    const r = pickContainerPid(procs, ID);
    expect(r).toHaveProperty('error');
    expect('error' in r ? r.error : '').toMatch(/PID namespace/);
  });

  it('a root whose parent is 0 → refused', () => {
    const r = pickContainerPid([{ pid: 4188, ppid: 0, cgroup: inside }], ID);
    expect(r).toHaveProperty('error');
  });

  it.each([0, -1, 1.5, Number.NaN])('matching pid %p → refused', (pid) => {
    const r = pickContainerPid([...hostProcs, { pid, ppid: 4100, cgroup: inside }], ID);
    expect(r).toHaveProperty('error');
  });

  it('a pid listed twice → refused', () => {
    const procs = [
      { pid: 4188, ppid: 4100, cgroup: inside },
      { pid: 4188, ppid: 4100, cgroup: inside },
    ];
    expect(pickContainerPid(procs, ID)).toHaveProperty('error');
  });

  it('a parent cycle → refused', () => {
    const procs = [
      { pid: 10, ppid: 11, cgroup: inside },
      { pid: 11, ppid: 10, cgroup: inside },
    ];
    expect(pickContainerPid(procs, ID)).toHaveProperty('error');
  });

  it.each([
    ['uppercase', ID.toUpperCase()],
    ['short', ID.slice(0, 12)],
    ['containerID', `containerd://${ID}`],
  ])('malformed id (%s) → error', (_name, id) => {
    expect(pickContainerPid([...hostProcs, { pid: 4188, ppid: 4100, cgroup: inside }], id)).toHaveProperty(
      'error',
    );
  });
});
