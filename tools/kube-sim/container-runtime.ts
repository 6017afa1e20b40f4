/**
 * The simulator's kubelet for ephemeral containers and for pods created through
 * the API (debug copies: what `kubectl debug --copy-to` sends). Probe pods
 * (label poddebug.io/probe=true) stay node-executor.ts's.
 *
 * Ephemeral containers, always: in a Running pod on a node, a new one goes
 * Running; in a pod that is not Running it stays Waiting (ContainerCreating),
 * as no kubelet starts containers in a pod that is pending or finished; a pod
 * without a node gets no status at all; a `targetContainerName` whose
 * container is not running fails to start (StartError, exit 128).
 *
 * With the runtime enabled (`exec` options), a container's `command`+`args`
 * argv runs as a LOCAL host process (spawn with an argv array, never a shell),
 * after the caller's rewrite, with stdout+stderr captured line by line as its
 * log, and ends Terminated with its exit code (Completed / Error; StartError,
 * 128, when the executable cannot start). An ephemeral container still
 * running after `timeoutMs` is killed (137). Without it, ephemeral containers
 * stay Running, so callers can exercise their deadlines.
 *
 * Created pods, only with the runtime enabled: scheduled to their
 * `spec.nodeName` (which must name a Node) or to the first Node when unset
 * (Unschedulable without Nodes); every container with a command runs until it
 * exits or the pod is deleted; a container without one (the image's
 * entrypoint) stays Running without a process. Init containers are reported
 * Completed without running. After an exit, restartPolicy Never (or OnFailure
 * with exit 0) leaves it Terminated and the pod ends Succeeded/Failed when all
 * have; otherwise it waits in CrashLoopBackOff (not restarted). Deleting a pod
 * kills its processes.
 *
 * Longer than 400 lines on purpose: one simulated kubelet; ephemeral containers and created pods share
 * its process handling, status updates and cleanup.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { isAlive, killAndWait, killProcessGroup, startLocalProcess } from './local-process.js';
import { type KubeObject, nowTimestamp, type ObjectStore } from './store.js';

export interface ContainerRuntimeOptions {
  /** Maps a container's argv (command + args) to what runs locally. Default: unchanged. */
  rewriteArgv?: (argv: string[], pod: KubeObject, container: string) => string[];
  /**
   * Environment of the processes (the container's literal `env` values are added); default PATH and
   * HOSTNAME only, as a container does not see the host's environment.
   */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** An ephemeral container's process is killed after this long (exit 137). Default 60 000 ms. */
  timeoutMs?: number;
  /** Delay before a container starts (image "pull"), ms. Default 20. */
  startDelayMs?: number;
}

type Obj = Record<string, unknown>;
interface ContainerSpec {
  name?: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: { name?: string; value?: string }[];
  targetContainerName?: string;
}
interface ContainerStatus {
  name: string;
  state?: { running?: object; waiting?: object; terminated?: object };
  [k: string]: unknown;
}
type StatusList = 'containerStatuses' | 'ephemeralContainerStatuses' | 'initContainerStatuses';

interface PodRun {
  uid: string;
  procs: Set<ChildProcess>;
  timers: Set<NodeJS.Timeout>;
  gone: boolean;
}

const isProbe = (pod: KubeObject) => pod.metadata.labels?.['poddebug.io/probe'] === 'true';
const podKey = (pod: KubeObject) => `${pod.metadata.namespace ?? ''}/${pod.metadata.name}`;
const containerId = () => `containerd://${randomBytes(32).toString('hex')}`;

/** The simulated kubelet of ephemeral containers and created pods (see the file header). */
export class ContainerRuntime {
  private readonly runs = new Map<string, PodRun>();

  constructor(
    private readonly store: ObjectStore,
    /** Undefined: no processes (ephemeral containers stay Running; created pods stay Pending). */
    private readonly exec: ContainerRuntimeOptions | undefined,
    private readonly fallbackDelayMs = 20,
  ) {}

  private get delay(): number {
    return this.exec?.startDelayMs ?? this.fallbackDelayMs;
  }

  /** Processes running now. */
  running(): number {
    let n = 0;
    for (const r of this.runs.values()) for (const p of r.procs) if (isAlive(p)) n++;
    return n;
  }

  private runOf(pod: KubeObject): PodRun {
    const k = podKey(pod);
    let r = this.runs.get(k);
    if (!r || r.uid !== pod.metadata.uid) {
      r = { uid: pod.metadata.uid ?? '', procs: new Set(), timers: new Set(), gone: false };
      this.runs.set(k, r);
    }
    return r;
  }

  private later(run: PodRun, ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      run.timers.delete(t);
      if (!run.gone) fn();
    }, ms);
    run.timers.add(t);
  }

  /** The stored pod, if it is still the same object (uid). */
  private current(ns: string, name: string, uid: string): KubeObject | undefined {
    const o = this.store.get(this.store.lookup('', 'v1', 'pods')!, ns, name);
    return o && o.metadata.uid === uid ? o : undefined;
  }

  /** Rewrites the stored pod's status (and spec), re-read at the time of the change. */
  private update(
    ns: string,
    name: string,
    uid: string,
    change: (status: Obj, spec: Obj) => void,
  ): KubeObject | undefined {
    const cur = this.current(ns, name, uid);
    if (!cur) return undefined;
    const status = structuredClone((cur.status as Obj | undefined) ?? {});
    const spec = structuredClone((cur.spec as Obj | undefined) ?? {});
    change(status, spec);
    return this.store.put({ ...cur, spec, status });
  }

  private setContainerStatus(
    ns: string,
    name: string,
    uid: string,
    list: StatusList,
    s: ContainerStatus,
  ): void {
    this.update(ns, name, uid, (status) => {
      const arr = ((status[list] as ContainerStatus[] | undefined) ?? []).filter((x) => x.name !== s.name);
      const old = ((status[list] as ContainerStatus[] | undefined) ?? []).findIndex((x) => x.name === s.name);
      arr.splice(old >= 0 ? old : arr.length, 0, s);
      status[list] = arr;
    });
  }

  // --- ephemeral containers ---

  /** Called after ephemeral containers were added to a stored pod. */
  ephemeralAdded(pod: KubeObject, names: string[]): void {
    const spec = (pod.spec ?? {}) as { nodeName?: string; ephemeralContainers?: ContainerSpec[] };
    if (!spec.nodeName) return; // no kubelet to report anything
    const run = this.runOf(pod);
    const ns = pod.metadata.namespace ?? 'default';
    for (const n of names) {
      const c = spec.ephemeralContainers?.find((x) => x.name === n);
      if (c) this.later(run, this.delay, () => this.startEphemeral(run, ns, pod.metadata.name, c));
    }
  }

  private startEphemeral(run: PodRun, ns: string, podName: string, c: ContainerSpec): void {
    const pod = this.current(ns, podName, run.uid);
    if (!pod) return;
    const name = c.name ?? '';
    const base = { name, image: c.image ?? '', imageID: '', ready: false, restartCount: 0, lastState: {} };
    const status = (pod.status ?? {}) as { phase?: string; containerStatuses?: ContainerStatus[] };
    if (status.phase !== 'Running') {
      this.setContainerStatus(ns, podName, run.uid, 'ephemeralContainerStatuses', {
        ...base,
        started: false,
        state: { waiting: { reason: 'ContainerCreating' } },
      });
      return;
    }
    const target = c.targetContainerName;
    if (target) {
      const ts = status.containerStatuses?.find((s) => s.name === target);
      if (!ts?.state?.running) {
        const now = nowTimestamp();
        this.setContainerStatus(ns, podName, run.uid, 'ephemeralContainerStatuses', {
          ...base,
          started: false,
          state: {
            terminated: {
              exitCode: 128,
              reason: 'StartError',
              message: `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error joining the namespaces of target container "${target}": container is not running: unknown`,
              startedAt: '1970-01-01T00:00:00Z',
              finishedAt: now,
            },
          },
        });
        return;
      }
    }
    this.runContainer(run, pod, 'ephemeralContainerStatuses', c, base, true);
  }

  // --- created pods ---

  /** Called after a pod was stored by a create. */
  podCreated(pod: KubeObject): void {
    if (!this.exec || isProbe(pod)) return;
    const ns = pod.metadata.namespace ?? 'default';
    const name = pod.metadata.name;
    const uid = pod.metadata.uid ?? '';
    const spec = (pod.spec ?? {}) as {
      nodeName?: string;
      containers?: ContainerSpec[];
      initContainers?: ContainerSpec[];
    };
    const nodes = this.store.list(this.store.lookup('', 'v1', 'nodes')!);
    let node = spec.nodeName;
    if (node !== undefined && !nodes.some((n) => n.metadata.name === node)) return; // no kubelet: Pending
    const now = nowTimestamp();
    node ??= nodes[0]?.metadata.name;
    if (node === undefined) {
      this.update(ns, name, uid, (status) => {
        status.conditions = [
          {
            type: 'PodScheduled',
            status: 'False',
            reason: 'Unschedulable',
            message: 'no nodes available to schedule pods',
            lastProbeTime: null,
            lastTransitionTime: now,
          },
        ];
      });
      return;
    }
    const run = this.runOf(pod);
    const waiting = (c: ContainerSpec) => ({
      name: c.name ?? '',
      image: c.image ?? '',
      imageID: '',
      ready: false,
      restartCount: 0,
      started: false,
      state: { waiting: { reason: 'ContainerCreating' } },
      lastState: {},
    });
    this.update(ns, name, uid, (status, s) => {
      s.nodeName = node;
      Object.assign(status, {
        phase: 'Pending',
        hostIP: '10.0.0.10',
        conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now }],
        startTime: now,
        containerStatuses: (spec.containers ?? []).map(waiting),
      });
    });
    this.later(run, this.delay, () => {
      const started = nowTimestamp();
      const cur = this.update(ns, name, uid, (status) => {
        Object.assign(status, {
          phase: 'Running',
          podIP: '10.244.0.77',
          conditions: [
            { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now },
            { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: started },
            { type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: started },
          ],
          ...(spec.initContainers?.length
            ? {
                initContainerStatuses: spec.initContainers.map((c) => ({
                  ...waiting(c),
                  state: {
                    terminated: { exitCode: 0, reason: 'Completed', startedAt: now, finishedAt: started },
                  },
                })),
              }
            : {}),
        });
      });
      if (!cur) return;
      for (const c of spec.containers ?? []) {
        const { state: _s, ...base } = waiting(c);
        this.runContainer(run, cur, 'containerStatuses', c, base, false);
      }
    });
  }

  /** After a container of a created pod ended: the pod's phase from all its containers. */
  private settlePhase(ns: string, name: string, uid: string): void {
    this.update(ns, name, uid, (status, spec) => {
      const cs = (status.containerStatuses as ContainerStatus[] | undefined) ?? [];
      const done = cs.map((s) => s.state?.terminated as { exitCode?: number } | undefined);
      if (done.some((t) => t === undefined) || spec.restartPolicy === 'Always') {
        status.conditions = ((status.conditions as Obj[] | undefined) ?? []).map((c) =>
          c.type === 'Ready' && cs.some((s) => !s.state?.running)
            ? { ...c, status: 'False', reason: 'ContainersNotReady' }
            : c,
        );
        return;
      }
      status.phase = done.every((t) => t?.exitCode === 0) ? 'Succeeded' : 'Failed';
      status.conditions = ((status.conditions as Obj[] | undefined) ?? []).map((c) =>
        c.type === 'Ready' ? { ...c, status: 'False', reason: 'PodCompleted' } : c,
      );
    });
  }

  // --- processes ---

  private runContainer(
    run: PodRun,
    pod: KubeObject,
    list: StatusList,
    c: ContainerSpec,
    base: Obj,
    ephemeral: boolean,
  ): void {
    const ns = pod.metadata.namespace ?? 'default';
    const podName = pod.metadata.name;
    const name = c.name ?? '';
    const cid = containerId();
    const startedAt = nowTimestamp();
    const running = (): ContainerStatus => ({
      ...base,
      name,
      ready: !ephemeral,
      started: true,
      containerID: cid,
      state: { running: { startedAt } },
    });
    const argv0 = [...(c.command ?? []), ...(c.args ?? [])];
    if (!this.exec || argv0.length === 0) {
      // No process: the container runs "forever" (an image entrypoint, or no runtime).
      this.setContainerStatus(ns, podName, run.uid, list, running());
      return;
    }
    let argv: string[];
    try {
      argv = this.exec.rewriteArgv ? this.exec.rewriteArgv(argv0, pod, name) : argv0;
    } catch (e) {
      this.setContainerStatus(ns, podName, run.uid, list, {
        ...base,
        name,
        ready: false,
        started: false,
        state: {
          terminated: {
            exitCode: 128,
            reason: 'StartError',
            message: `kube-sim rewriteArgv failed: ${e instanceof Error ? e.message : String(e)}`,
            startedAt: '1970-01-01T00:00:00Z',
            finishedAt: nowTimestamp(),
          },
        },
      });
      if (!ephemeral) this.settlePhase(ns, podName, run.uid);
      return;
    }
    let log = '';
    this.store.setLog(ns, podName, name, '');
    const append = (s: string) => {
      if (run.gone) return;
      log += s;
      this.store.setLog(ns, podName, name, log);
    };
    let finished = false;
    const finish = (exitCode: number, reason: string, message?: string) => {
      if (finished) return;
      finished = true;
      if (run.gone) return;
      const terminated = {
        exitCode,
        reason,
        ...(message ? { message } : {}),
        startedAt: reason === 'StartError' ? '1970-01-01T00:00:00Z' : startedAt,
        finishedAt: nowTimestamp(),
        ...(reason === 'StartError' ? {} : { containerID: cid }),
      };
      const policy = (pod.spec as { restartPolicy?: string } | undefined)?.restartPolicy ?? 'Always';
      const restarts = !ephemeral && (policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0));
      if (restarts) {
        // The kubelet would restart it after a back-off; the simulator reports the back-off and stops there.
        this.store.setLog(ns, podName, name, log, true);
        this.store.setLog(ns, podName, name, '');
        this.setContainerStatus(ns, podName, run.uid, list, {
          ...base,
          name,
          ready: false,
          started: false,
          restartCount: 1,
          containerID: cid,
          state: {
            waiting: {
              reason: 'CrashLoopBackOff',
              message: `back-off 10s restarting failed container=${name} pod=${podName}_${ns}(${run.uid})`,
            },
          },
          lastState: { terminated },
        });
      } else {
        this.setContainerStatus(ns, podName, run.uid, list, {
          ...base,
          name,
          ready: false,
          started: false,
          ...(reason === 'StartError' ? {} : { containerID: cid }),
          state: { terminated },
        });
      }
      if (!ephemeral) this.settlePhase(ns, podName, run.uid);
    };
    // Like a container, the process does not inherit the simulator's environment: PATH, HOSTNAME (the
    // pod's name) and the container's literal `env` values, unless the caller gives one.
    const env: NodeJS.ProcessEnv = this.exec.env
      ? { ...this.exec.env }
      : { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', HOSTNAME: podName };
    for (const e of c.env ?? []) if (e.name && typeof e.value === 'string') env[e.name] = e.value;
    let child: ChildProcess | undefined;
    const forget = () => {
      if (child) run.procs.delete(child);
    };
    const started = startLocalProcess(
      {
        argv,
        env,
        ...(this.exec.cwd ? { cwd: this.exec.cwd } : {}),
        ...(ephemeral ? { timeoutMs: this.exec.timeoutMs ?? 60_000 } : {}),
      },
      {
        output: append,
        error: (e) => {
          forget();
          finish(128, 'StartError', startErrorMessage(argv0[0] ?? '', e));
        },
        spawned: () => this.setContainerStatus(ns, podName, run.uid, list, running()),
        close: (code, signal) => {
          forget();
          const exit = code ?? 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGTERM' ? 15 : 1);
          finish(exit, exit === 0 ? 'Completed' : 'Error');
        },
      },
    );
    if ('thrown' in started) {
      finish(128, 'StartError', startErrorMessage(argv0[0] ?? '', started.thrown));
      return;
    }
    child = started.child;
    run.procs.add(child);
  }

  /** Called after a pod was deleted: its processes are killed (the kubelet stops what the API no longer has). */
  podDeleted(pod: KubeObject): void {
    const k = podKey(pod);
    const run = this.runs.get(k);
    if (!run || run.uid !== pod.metadata.uid) return;
    this.stop(run);
    this.runs.delete(k);
  }

  private stop(run: PodRun): void {
    run.gone = true;
    for (const t of run.timers) clearTimeout(t);
    run.timers.clear();
    for (const p of run.procs) killProcessGroup(p);
  }

  /** Kills every process and waits for them to exit. */
  async close(): Promise<void> {
    const children = [...this.runs.values()].flatMap((r) => [...r.procs]);
    for (const r of this.runs.values()) this.stop(r);
    this.runs.clear();
    await killAndWait(children);
  }
}

function startErrorMessage(exe: string, e: unknown): string {
  const code = (e as { code?: string }).code;
  const why =
    code === 'ENOENT'
      ? `exec: ${JSON.stringify(exe)}: executable file not found in $PATH`
      : `exec: ${JSON.stringify(exe)}: ${e instanceof Error ? e.message : String(e)}`;
  return `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: ${why}: unknown`;
}
