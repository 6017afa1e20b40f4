/**
 * From a pod's `containerID` to the container's host process, by reading
 * `/proc/PID/cgroup` texts. Pure: the probe program reads `/proc` and hands the
 * texts in; nothing here touches the filesystem.
 *
 * Layouts handled (see shared/reference/privileged-probes.md):
 * - cgroup v1 (`N:controllers:/path`, one line per hierarchy, `name=systemd` too),
 *   cgroup v2 (`0::/path`) and hybrid hosts (both);
 * - systemd driver: `…/kubepods-<qos>-pod<uid_>.slice/{cri-containerd,crio,docker}-<id>.scope`
 *   (and crun's `…/crio-<id>.scope/container` sub-cgroup);
 * - cgroupfs driver: `/kubepods/<qos>/pod<uid>/<id>` and CRI-O's `…/pod<uid>/crio-<id>`;
 * - prefixes: kind's `/kubelet.slice/kubelet-kubepods.slice/…`, a node container's
 *   `/docker/<hostid>/kubepods/…` or `/system.slice/docker-<hostid>.scope/kubelet.slice/…`,
 *   and runc's literal `/system.slice/containerd.service/kubepods-…-pod<uid_>.slice:cri-containerd:<id>`.
 *
 * The id must be a whole path segment (or the whole name inside a scope) directly
 * under the pod's cgroup, so a node container's id, a sibling id sharing a prefix,
 * CRI-O's `crio-conmon-<id>.scope` and a removed cgroup (`… (deleted)`) never match.
 */

export type Runtime = 'containerd' | 'cri-o' | 'docker';

const ID_RE = /^[0-9a-f]{64}$/;
const CONTAINER_ID_RE = /^([a-z-]+):\/\/(.*)$/s;
const RUNTIMES: readonly Runtime[] = ['containerd', 'cri-o', 'docker'];

/** The pod's cgroup under the cgroupfs driver: `pod<uid>` (a UUID, or a static pod's 32-hex hash). */
const POD_CGROUPFS_RE = /^pod[0-9a-f][0-9a-f-]*$/;
/** The pod's slice under the systemd driver, kind's `kubelet-` prefix allowed; dashes of the UID become `_`. */
const POD_SLICE = '(?:[a-z0-9]+-)*kubepods(?:-[a-z]+)?-pod[0-9a-f_]+\\.slice';
const POD_SLICE_RE = new RegExp(`^${POD_SLICE}$`);
/** runc's `slice:prefix:name` cgroupsPath taken literally as one directory name. */
const SLICE_TRIPLE_RE = new RegExp(`^${POD_SLICE}:(?:cri-containerd|crio|docker):([0-9a-f]{64})$`);
/** The container's own cgroup, under its pod: cgroupfs `<id>`/`crio-<id>`, systemd `<prefix>-<id>.scope`. */
const CONTAINER_SEGMENT_RE =
  /^(?:(?:cri-containerd|crio|docker)-([0-9a-f]{64})\.scope|crio-([0-9a-f]{64})|([0-9a-f]{64}))$/;

/** `containerd://<64 hex>`, `cri-o://…`, `docker://…` → { runtime, id }; anything else → an error string. */
export function parseContainerId(s: string): { runtime: Runtime; id: string } | { error: string } {
  if (typeof s !== 'string' || s === '') return { error: 'empty containerID (is the container running?)' };
  const m = CONTAINER_ID_RE.exec(s);
  if (!m) return { error: `containerID ${quote(s)} is not of the form <runtime>://<id>` };
  const runtime = RUNTIMES.find((r) => r === m[1]);
  if (!runtime) {
    return {
      error: `containerID ${quote(s)}: unsupported runtime ${quote(m[1]!)} (expected ${RUNTIMES.join(', ')})`,
    };
  }
  const id = m[2]!;
  if (!ID_RE.test(id)) {
    return { error: `containerID ${quote(s)}: the id must be 64 lowercase hex characters` };
  }
  return { runtime, id };
}

/** Does this /proc/PID/cgroup text place the process in the container with this 64-hex id? */
export function cgroupMatches(cgroupText: string, id: string): boolean {
  if (typeof cgroupText !== 'string' || !ID_RE.test(id)) return false;
  for (const path of cgroupPaths(cgroupText)) {
    if (pathMatches(path, id)) return true;
  }
  return false;
}

/**
 * The pod UID in the cgroup path that places the process in container `id`: cgroupfs `pod<uid>`, systemd
 * `…-pod<uid with _>.slice` (underscores back to dashes), runc's literal `…-pod<uid_>.slice:…:<id>`.
 * Every distinct UID the matching paths name (a v1 host has one path per hierarchy); empty when none
 * does. Pure.
 */
export function podUidsOf(cgroupText: string, id: string): string[] {
  if (typeof cgroupText !== 'string' || !ID_RE.test(id)) return [];
  const uids = new Set<string>();
  for (const path of cgroupPaths(cgroupText)) {
    const uid = podUidOfPath(path, id);
    if (uid !== null) uids.add(uid);
  }
  return [...uids];
}

/** Do these two pod UIDs name the same pod (case and `-`/`_` aside)? Pure. */
export function samePodUid(a: string, b: string): boolean {
  const norm = (s: string) => s.toLowerCase().replaceAll('_', '-');
  return a !== '' && norm(a) === norm(b);
}

function podUidOfPath(path: string, id: string): string | null {
  const segments = path.split('/');
  for (let i = 1; i < segments.length; i++) {
    const seg = segments[i]!;
    const triple = SLICE_TRIPLE_RE.exec(seg);
    if (triple) {
      if (triple[1] === id) return sliceUid(seg.slice(0, seg.indexOf(':')));
      continue;
    }
    const m = CONTAINER_SEGMENT_RE.exec(seg);
    if (!m || (m[1] ?? m[2] ?? m[3]) !== id) continue;
    const parent = segments[i - 1]!;
    if (POD_CGROUPFS_RE.test(parent)) return parent.slice('pod'.length);
    if (POD_SLICE_RE.test(parent)) return sliceUid(parent);
  }
  return null;
}

/** `kubepods-burstable-pod<uid_>.slice` → the UID with dashes. */
function sliceUid(slice: string): string | null {
  const m = /-pod([0-9a-f_]+)\.slice$/.exec(slice);
  return m ? m[1]!.replaceAll('_', '-') : null;
}

/** Given every process's pid, ppid and cgroup text, the container's main process, or why not. */
export function pickContainerPid(
  procs: { pid: number; ppid: number; cgroup: string }[],
  id: string,
): { pid: number } | { error: string } {
  if (!ID_RE.test(id)) return { error: `container id ${quote(id)} is not 64 lowercase hex characters` };
  const short = id.slice(0, 12);
  const inside = new Map<number, number>();
  for (const p of procs) {
    if (!cgroupMatches(p.cgroup, id)) continue;
    if (!Number.isSafeInteger(p.pid) || p.pid <= 0) {
      return { error: `container ${short}: a matching process has pid ${p.pid}: refusing an invalid pid` };
    }
    if (inside.has(p.pid)) return { error: `container ${short}: pid ${p.pid} listed twice` };
    inside.set(p.pid, p.ppid);
  }
  if (inside.size === 0) {
    return {
      error: `no process is in container ${short} (not running on this node, restarted with a new containerID, or /proc is not the host's)`,
    };
  }
  const roots = [...inside].filter(([, ppid]) => !inside.has(ppid)).map(([pid]) => pid);
  roots.sort((a, b) => a - b);
  for (const pid of roots) {
    const ppid = inside.get(pid)!;
    if (pid === 1 || ppid <= 0) {
      return {
        error: `container ${short}: pid ${pid} (parent ${ppid}) is an init process, so /proc is not the host's PID namespace (hostPID: true?): refusing`,
      };
    }
  }
  if (roots.length === 0) {
    return { error: `container ${short}: its ${inside.size} processes form a parent cycle: refusing` };
  }
  if (roots.length > 1) {
    return {
      error: `container ${short}: ${roots.length} independent processes (pids ${roots.join(', ')}): cannot tell which is the main one`,
    };
  }
  return { pid: roots[0]! };
}

/** The cgroup paths of a /proc/PID/cgroup text: `hierarchy:controllers:path` per line; the path may hold colons. */
function cgroupPaths(text: string): string[] {
  const paths: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const first = line.indexOf(':');
    if (first < 0) continue;
    const second = line.indexOf(':', first + 1);
    if (second < 0) continue;
    if (!/^\d+$/.test(line.slice(0, first))) continue;
    const path = line.slice(second + 1);
    if (path.startsWith('/')) paths.push(path);
  }
  return paths;
}

function pathMatches(path: string, id: string): boolean {
  const segments = path.split('/');
  for (let i = 1; i < segments.length; i++) {
    const seg = segments[i]!;
    const triple = SLICE_TRIPLE_RE.exec(seg);
    if (triple) {
      if (triple[1] === id) return true;
      continue;
    }
    const m = CONTAINER_SEGMENT_RE.exec(seg);
    if (!m) continue;
    const segId = m[1] ?? m[2] ?? m[3];
    if (segId !== id) continue;
    const parent = segments[i - 1]!;
    if (POD_CGROUPFS_RE.test(parent) || POD_SLICE_RE.test(parent)) return true;
  }
  return false;
}

function quote(s: string): string {
  const shown = s.length > 100 ? `${s.slice(0, 100)}…` : s;
  return JSON.stringify(shown);
}
