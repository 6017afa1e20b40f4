/**
 * The simulator's "node": a stand-in kubelet for probe pods. When a pod with
 * `spec.nodeName` and the label `poddebug.io/probe=true` is created and that
 * Node object exists, it goes Pending (ContainerCreating) → Running → its
 * command runs LOCALLY as an argv array (after the test's rewrite, so
 * `/app/dist/...` maps into this repository) with stdout and stderr captured,
 * line by line as the kubelet does, as the container's log → Succeeded or
 * Failed with the exit code (terminated: Completed / Error / StartError).
 * `activeDeadlineSeconds` is enforced (SIGKILL → Failed, reason
 * DeadlineExceeded); deleting the pod kills the process group. A pod pinned to
 * a node that does not exist stays Pending: no kubelet ever reports on it.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { isAlive, killAndWait, killProcessGroup, startLocalProcess } from './local-process.js';
import type { KubeObject, ObjectStore } from './store.js';
import { nowTimestamp } from './store.js';

export interface NodeExecutorOptions {
  /** Maps the container's argv (command + args) to what runs locally. Default: unchanged. */
  rewriteArgv?: (argv: string[], pod: KubeObject) => string[];
  /** Environment of the process; default process.env. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Which pods this node runs; default: label poddebug.io/probe=true. */
  selects?: (pod: KubeObject) => boolean;
  /** Delay before the container starts (image "pull", sandbox), ms. Default 20. */
  startDelayMs?: number;
}

interface Spec {
  nodeName?: string;
  activeDeadlineSeconds?: number;
  containers?: { name?: string; image?: string; command?: string[]; args?: string[] }[];
}

interface Run {
  uid: string;
  child?: ChildProcess;
  timers: NodeJS.Timeout[];
  gone: boolean;
}

const isProbe = (pod: KubeObject) => pod.metadata.labels?.['poddebug.io/probe'] === 'true';

/** One simulated kubelet for every Node object in the store. */
export class NodeExecutor {
  private readonly runs = new Map<string, Run>();

  constructor(
    private readonly store: ObjectStore,
    private readonly opts: NodeExecutorOptions = {},
  ) {}

  private key(pod: KubeObject) {
    return `${pod.metadata.namespace ?? ''}/${pod.metadata.name}`;
  }

  /** Number of local processes running. */
  running(): number {
    let n = 0;
    for (const r of this.runs.values()) if (r.child && isAlive(r.child)) n++;
    return n;
  }

  /** The current stored pod, if it is still the one this run is for. */
  private current(ns: string, name: string, uid: string): KubeObject | undefined {
    const r = this.store.lookup('', 'v1', 'pods')!;
    const o = this.store.get(r, ns, name);
    return o && o.metadata.uid === uid ? o : undefined;
  }

  private setStatus(ns: string, name: string, uid: string, status: Record<string, unknown>): boolean {
    const cur = this.current(ns, name, uid);
    if (!cur) return false;
    this.store.put({ ...cur, status: { ...((cur.status as object) ?? {}), ...status } });
    return true;
  }

  /** True for the pods this node runs (the container runtime leaves them alone). */
  selects(pod: KubeObject): boolean {
    return (this.opts.selects ?? isProbe)(pod);
  }

  /** Called after a pod was stored by a create. */
  podCreated(pod: KubeObject): void {
    if (!this.selects(pod)) return;
    const spec = (pod.spec ?? {}) as Spec;
    if (!spec.nodeName) return;
    const nodes = this.store.lookup('', 'v1', 'nodes')!;
    if (!this.store.get(nodes, undefined, spec.nodeName)) return; // no kubelet: stays Pending
    const ns = pod.metadata.namespace ?? 'default';
    const name = pod.metadata.name;
    const uid = pod.metadata.uid ?? '';
    const run: Run = { uid, timers: [], gone: false };
    this.runs.set(this.key(pod), run);
    const c = spec.containers?.[0] ?? {};
    const cname = c.name ?? 'c';
    const image = c.image ?? '';
    const base = { name: cname, image, imageID: '', ready: false, restartCount: 0, started: false };
    const created = nowTimestamp();
    this.setStatus(ns, name, uid, {
      phase: 'Pending',
      hostIP: '10.0.0.10',
      conditions: [
        { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: created },
      ],
      startTime: created,
      containerStatuses: [{ ...base, state: { waiting: { reason: 'ContainerCreating' } }, lastState: {} }],
    });
    run.timers.push(
      setTimeout(() => this.start(run, ns, name, cname, base, spec), this.opts.startDelayMs ?? 20),
    );
  }

  private start(run: Run, ns: string, name: string, cname: string, base: object, spec: Spec): void {
    if (run.gone) return;
    const uid = run.uid;
    const c = spec.containers?.[0] ?? {};
    const argv0 = [...(c.command ?? []), ...(c.args ?? [])];
    const pod = this.current(ns, name, uid);
    if (!pod) return;
    const argv = this.opts.rewriteArgv ? this.opts.rewriteArgv(argv0, pod) : argv0;
    const containerID = `containerd://${randomBytes(32).toString('hex')}`;
    const startedAt = nowTimestamp();
    let log = '';
    const append = (s: string) => {
      log += s;
      this.store.setLog(ns, name, cname, log);
    };
    const finish = (
      exitCode: number,
      reason: string,
      extra: Record<string, unknown> = {},
      message?: string,
    ) => {
      for (const t of run.timers) clearTimeout(t);
      if (run.gone) return;
      run.gone = true;
      this.runs.delete(`${ns}/${name}`);
      this.setStatus(ns, name, uid, {
        phase: exitCode === 0 && !extra.reason ? 'Succeeded' : 'Failed',
        ...extra,
        conditions: [
          { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: startedAt },
          {
            type: 'Ready',
            status: 'False',
            reason: 'PodCompleted',
            lastProbeTime: null,
            lastTransitionTime: nowTimestamp(),
          },
        ],
        containerStatuses: [
          {
            ...base,
            containerID,
            state: {
              terminated: {
                exitCode,
                reason,
                ...(message ? { message } : {}),
                startedAt,
                finishedAt: nowTimestamp(),
                containerID,
              },
            },
            lastState: {},
          },
        ],
      });
    };
    if (argv.length === 0) {
      finish(128, 'StartError', {}, 'no command');
      return;
    }
    const started = startLocalProcess(
      {
        argv,
        env: this.opts.env ?? process.env,
        ...(this.opts.cwd ? { cwd: this.opts.cwd } : {}),
        ...(spec.activeDeadlineSeconds !== undefined ? { timeoutMs: spec.activeDeadlineSeconds * 1000 } : {}),
      },
      {
        output: append,
        error: (e) => finish(128, 'StartError', {}, `failed to start: ${e.message}`),
        close: (code, signal, deadlineHit) => {
          if (deadlineHit)
            finish(137, 'Error', {
              reason: 'DeadlineExceeded',
              message: 'Pod was active on the node longer than the specified deadline',
            });
          else finish(code ?? (signal === 'SIGKILL' ? 137 : 143), code === 0 ? 'Completed' : 'Error');
        },
      },
    );
    if ('thrown' in started) {
      finish(128, 'StartError', {}, String(started.thrown));
      return;
    }
    run.child = started.child;
    this.setStatus(ns, name, uid, {
      phase: 'Running',
      podIP: '10.244.0.99',
      conditions: [
        { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: startedAt },
        { type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: startedAt },
      ],
      containerStatuses: [
        {
          ...base,
          ready: true,
          started: true,
          containerID,
          state: { running: { startedAt } },
          lastState: {},
        },
      ],
    });
  }

  /** Called after a pod was deleted: stops its process (the kubelet kills what the API no longer has). */
  podDeleted(pod: KubeObject): void {
    const k = this.key(pod);
    const run = this.runs.get(k);
    if (!run || run.uid !== pod.metadata.uid) return;
    run.gone = true;
    for (const t of run.timers) clearTimeout(t);
    this.runs.delete(k);
    if (run.child) killProcessGroup(run.child);
  }

  /** Kills every process and waits for them to exit. */
  async close(): Promise<void> {
    const children = [...this.runs.values()].map((r) => r.child).filter((c): c is ChildProcess => !!c);
    for (const r of this.runs.values()) {
      r.gone = true;
      for (const t of r.timers) clearTimeout(t);
    }
    this.runs.clear();
    await killAndWait(children);
  }
}
