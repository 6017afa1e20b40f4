import { type Finding, finding, type Severity } from '../../contracts/finding.js';
import {
  type ContainerView,
  eventLines,
  eventsWith,
  logsCommand,
  podArgs,
  RECENT_MS,
  type RuleContext,
  templateTarget,
} from './context.js';
import { exitCodeMeaning } from './exit-codes.js';
import { extractCrash } from './log-causes.js';
import { systemOomNear } from './node.js';
import {
  errorLines,
  formatBytes,
  humanDuration,
  isoOf,
  oneLine,
  parseQuantity,
  type Terminated,
  toMillis,
} from './util.js';

/** The termination worth judging: the current one if the container is terminated, else the last one. */
export interface TerminationView {
  t: Terminated;
  path: 'state.terminated' | 'lastState.terminated';
  /** Log of the instance that terminated. */
  log?: string;
  logLabel: string;
  previous: boolean;
}

/** Picks the termination to judge for a container, with the log of that instance. */
export function terminationOf(c: ContainerView): TerminationView | undefined {
  const st = c.status;
  if (st?.state?.terminated) {
    return {
      t: st.state.terminated,
      path: 'state.terminated',
      log: c.log?.current ?? c.log?.previous,
      logLabel: 'log',
      previous: false,
    };
  }
  if (st?.lastState?.terminated) {
    return {
      t: st.lastState.terminated,
      path: 'lastState.terminated',
      log: c.log?.previous,
      logLabel: 'previous log',
      previous: true,
    };
  }
  return undefined;
}

/** `lastState.terminated: reason=Error exitCode=1 startedAt=… finishedAt=…` */
export function terminationLine(tv: TerminationView): string {
  const t = tv.t;
  const parts = [`reason=${t.reason ?? ''}`, `exitCode=${t.exitCode}`];
  if (t.signal) parts.push(`signal=${t.signal}`);
  if (t.startedAt) parts.push(`startedAt=${isoOf(t.startedAt)}`);
  if (t.finishedAt) parts.push(`finishedAt=${isoOf(t.finishedAt)}`);
  return `${tv.path}: ${parts.join(' ')}`;
}

/** Evidence lines every termination finding shares: the state, message, restarts and log lines. */
function commonEvidence(c: ContainerView, tv: TerminationView): string[] {
  const ev: string[] = [];
  if (c.status?.state?.waiting?.reason) ev.push(`state.waiting.reason: ${c.status.state.waiting.reason}`);
  ev.push(terminationLine(tv));
  if (tv.t.message) ev.push(`${tv.path}.message: ${oneLine(tv.t.message)}`);
  if (c.status) ev.push(`restartCount: ${c.status.restartCount}`);
  return ev;
}

function logEvidence(tv: TerminationView): string[] {
  return errorLines(tv.log).map((l) => `${tv.logLabel}: ${l}`);
}

/** Is the container crash looping (main, sidecar or init)? */
export function isCrashLooping(c: ContainerView): boolean {
  return c.status?.state?.waiting?.reason === 'CrashLoopBackOff';
}

/** Severity of a termination finding: full when current or recent, info when it is history. */
function severityFor(ctx: RuleContext, c: ContainerView, tv: TerminationView, base: Severity): Severity {
  if (tv.path === 'state.terminated' || c.status?.state?.waiting) return base;
  const fin = toMillis(tv.t.finishedAt);
  if (fin !== undefined && ctx.now - fin <= RECENT_MS) return base;
  return 'info';
}

function ageNote(ctx: RuleContext, c: ContainerView, tv: TerminationView, severity: Severity): string {
  const fin = toMillis(tv.t.finishedAt);
  if (severity !== 'info' || fin === undefined || tv.path === 'state.terminated') return '';
  return c.status?.state?.running
    ? ` (${humanDuration(ctx.now - fin)} ago; running since)`
    : ` (${humanDuration(ctx.now - fin)} ago)`;
}

/** How long a recovered OOM kill stays a warning (then it is history: info). */
const RECOVERED_OOM_MS = 7 * 24 * 60 * 60 * 1000;

const COMMAND_PROBLEM =
  /executable file not found|no such file or directory|exec format error|permission denied|not found in \$PATH/i;

/** Exit 126/127, or a start error saying the command is missing, not executable or for another architecture. */
export function isCommandProblem(t: Terminated): boolean {
  const startProblem = t.reason === 'ContainerCannotRun' || t.reason === 'StartError';
  return t.exitCode === 126 || t.exitCode === 127 || (startProblem && COMMAND_PROBLEM.test(t.message ?? ''));
}

/** Effective restart policy of a container (native sidecars always restart). */
function restartPolicyOf(ctx: RuleContext, c: ContainerView): string {
  if (c.sidecar) return 'Always';
  if (c.init) return ctx.pod.spec?.restartPolicy === 'Never' ? 'Never' : 'OnFailure';
  return ctx.pod.spec?.restartPolicy ?? 'Always';
}

function oomFinding(ctx: RuleContext, c: ContainerView, tv: TerminationView): Finding {
  const limitText = c.spec?.resources?.limits?.memory;
  const limit = parseQuantity(limitText);
  const usage = ctx.g.metrics?.containers.find((m) => m.name === c.name)?.memory;
  const history = severityFor(ctx, c, tv, 'critical') === 'info';
  const fin = toMillis(tv.t.finishedAt);
  // A past OOM the container recovered from (running since, within a week) is a warning with its time: it may come back.
  const recovered =
    history && Boolean(c.status?.state?.running) && fin !== undefined && ctx.now - fin <= RECOVERED_OOM_MS;
  const severity: Severity = recovered ? 'warning' : severityFor(ctx, c, tv, 'critical');
  const ev = commonEvidence(c, tv);
  ev.push(limitText ? `limits.memory: ${limitText}` : 'limits.memory: none (bounded only by the node)');
  const req = c.spec?.resources?.requests?.memory;
  if (req) ev.push(`requests.memory: ${req}`);
  if (usage) ev.push(`current usage (metrics.k8s.io): memory=${usage}`);
  ev.push(...logEvidence(tv));
  const next: string[] = [`/poddebug mem ${ctx.name} -n ${ctx.ns}`];
  if (limit !== undefined) {
    const suggested = Math.ceil((limit * 1.5) / 2 ** 26) * 2 ** 26;
    next.push(
      `kubectl set resources ${templateTarget(ctx)} -n ${ctx.ns} -c ${c.name} --limits=memory=${formatBytes(suggested)}  # if the usage is legitimate; else find the leak`,
    );
  } else {
    next.push(
      `kubectl set resources ${templateTarget(ctx)} -n ${ctx.ns} -c ${c.name} --requests=memory=… --limits=memory=…  # give it a budget the scheduler can see`,
    );
  }
  next.push(`kubectl top pod ${ctx.name} -n ${ctx.ns} --containers`, logsCommand(ctx, c, tv.previous));
  const title = `Container \`${c.name}\` was OOMKilled (${limitText ? `limit ${limitText}` : 'no memory limit'})${ageNote(ctx, c, tv, history ? 'info' : severity)}`;
  return finding('oom-killed', severity, title, ev, next);
}

/** Classifies a container's current or last termination into one finding (or none for a clean exit). */
export function classifyTermination(ctx: RuleContext, c: ContainerView): Finding | undefined {
  const tv = terminationOf(c);
  if (!tv) return undefined;
  const { t } = tv;
  const code = t.exitCode;
  const meaning = exitCodeMeaning(code);
  const msg = t.message ?? '';
  const logs = logsCommand(ctx, c, tv.previous);

  if (t.reason === 'OOMKilled') return oomFinding(ctx, c, tv);

  if (code === 0) {
    const policy = restartPolicyOf(ctx, c);
    const restarting = (c.status?.restartCount ?? 0) > 0 || isCrashLooping(c);
    if (policy !== 'Always' || !restarting) return undefined;
    const severity = severityFor(ctx, c, tv, 'critical');
    const ev = commonEvidence(c, tv);
    ev.push(`restartPolicy: ${policy}${ctx.workload ? ` (owner ${ctx.workload})` : ''}`);
    ev.push(...logEvidence(tv));
    return finding(
      'exits-zero-restart-always',
      severity,
      `Container \`${c.name}\` exits with code 0 and restartPolicy Always restarts it${ageNote(ctx, c, tv, severity)}`,
      ev,
      [
        'Run the main process in the foreground (no daemonising; `exec` the server from the entrypoint script)',
        'If the work is one-shot, run it as a Job or CronJob instead of a Deployment/StatefulSet/DaemonSet',
        `kubectl get pod ${ctx.name} -n ${ctx.ns} -o jsonpath='{.spec.containers[?(@.name=="${c.name}")].command}'`,
        logs,
      ],
    );
  }

  const startProblem = t.reason === 'ContainerCannotRun' || t.reason === 'StartError';
  if (isCommandProblem(t)) {
    const severity = severityFor(ctx, c, tv, 'critical');
    const why = /exec format error/i.test(msg)
      ? 'the binary is built for another CPU architecture (exec format error)'
      : /permission denied/i.test(msg) || code === 126
        ? 'the command is not executable (permission denied)'
        : 'executable file not found';
    const ev = commonEvidence(c, tv);
    const cmd = [...(c.spec?.command ?? []), ...(c.spec?.args ?? [])];
    ev.push(cmd.length > 0 ? `command: ${JSON.stringify(cmd)}` : 'command: (image default ENTRYPOINT/CMD)');
    if (c.spec?.image) ev.push(`image: ${c.spec.image}`);
    ev.push(
      ...eventLines(ctx, eventsWith(ctx, ['Failed'], { container: c.name, message: COMMAND_PROBLEM }), 2),
    );
    ev.push(...logEvidence(tv));
    return finding(
      'command-not-found',
      severity,
      `Container \`${c.name}\` cannot start its command: ${why}${ageNote(ctx, c, tv, severity)}`,
      ev,
      [
        `Fix \`command\`/\`args\` of \`${c.name}\` in ${templateTarget(ctx)} (or the image's ENTRYPOINT) so it names a binary that exists in the image`,
        `docker run --rm --entrypoint sh ${c.spec?.image ?? 'IMAGE'} -c 'ls -l $(dirname "$(command -v ${cmd[0] ?? 'CMD'})")'  # on a workstation: is it there?`,
        'For exec format error: build the image for the node architecture (docker buildx --platform linux/amd64,linux/arm64)',
      ],
    );
  }

  if (startProblem) return undefined; // a runtime start failure that is not about the command: create-container-error covers it

  if (code === 137 || t.signal === 9) {
    const fin = toMillis(t.finishedAt);
    if (fin !== undefined && systemOomNear(ctx, fin).length > 0) return undefined; // node-oom explains it
    const severity = severityFor(ctx, c, tv, 'critical');
    const killers = eventsWith(
      ctx,
      ['Killing', 'ExceededGracePeriod', 'FailedPostStartHook', 'FailedPreStopHook'],
      {
        container: c.name,
      },
    ).filter((e) => /probe|grace|hook/i.test(`${e.reason} ${e.message}`));
    const ev = commonEvidence(c, tv);
    ev.push(`exit ${code}: ${meaning.meaning}; reason is not OOMKilled`);
    ev.push(...eventLines(ctx, killers, 3));
    ev.push(...logEvidence(tv));
    const byProbe = killers.some((e) => /probe/i.test(e.message ?? ''));
    const byHook = !byProbe && killers.some((e) => /hook/i.test(`${e.reason} ${e.message}`));
    return finding(
      'killed-not-oom',
      severity,
      `Container \`${c.name}\` was killed with SIGKILL (exit 137), not by the OOM killer${byProbe ? ': a probe failed' : byHook ? ': its lifecycle hook failed' : ''}${ageNote(ctx, c, tv, severity)}`,
      ev,
      [
        'Check what sends SIGKILL: a failing liveness/startup probe, terminationGracePeriodSeconds running out after SIGTERM, or a sidecar/agent',
        `kubectl get pod ${ctx.name} -n ${ctx.ns} -o jsonpath='{.spec.terminationGracePeriodSeconds}'`,
        `kubectl get events -n ${ctx.ns} --field-selector involvedObject.name=${ctx.name}`,
        logs,
      ],
    );
  }

  if (meaning.signal !== undefined || code === 255 || code === 2 || code === 128) {
    const base: Severity = code === 143 ? 'info' : 'critical';
    const severity = severityFor(ctx, c, tv, base);
    const ev = commonEvidence(c, tv);
    ev.push(
      `exit ${code}${meaning.signalName ? ` = 128+${meaning.signal} (${meaning.signalName})` : ''}: ${meaning.meaning}`,
    );
    ev.push(...logEvidence(tv));
    const next: string[] = [logs];
    if (code === 139 || code === 134)
      next.push('Native crash: check native libraries, the image architecture, and collect a core dump');
    if (code === 143)
      next.push(
        'Normal if the pod was being stopped; otherwise check who sends SIGTERM (probes, preStop, drains)',
      );
    next.push(`kubectl describe pod ${podArgs(ctx)}`);
    const what = meaning.signalName ? `${meaning.signalName} (exit ${code})` : `code ${code}`;
    return finding(
      'exit-code',
      severity,
      `Container \`${c.name}\` ${meaning.signalName ? 'was stopped by' : 'exited with'} ${what}: ${meaning.meaning}${ageNote(ctx, c, tv, severity)}`,
      ev,
      next,
    );
  }

  const severity = severityFor(ctx, c, tv, 'critical');
  const ev = commonEvidence(c, tv);
  ev.push(`exit ${code}: ${meaning.meaning}`);
  const crash = extractCrash(tv.log);
  if (crash) {
    ev.push(
      `${crash.language === 'go' ? 'panic' : crash.language === 'log' ? 'last error' : 'exception'}: ${crash.exception}`,
    );
    if (crash.frame) ev.push(`top application frame: ${crash.frame}`);
  }
  ev.push(...logEvidence(tv));
  const what = crash
    ? `: ${crash.language === 'log' ? shortText(crash.exception) : shortException(crash.exception)}${crash.frame ? ` at ${shortFrame(crash.frame)}` : ''}`
    : '';
  return finding(
    'app-error',
    severity,
    `Container \`${c.name}\` exited with code ${code} (application error${what})${ageNote(ctx, c, tv, severity)}`,
    ev,
    [logs, `kubectl describe pod ${podArgs(ctx)}`],
  );
}

/** `KeyError: 'currency'` → `KeyError`, `java.lang.IllegalStateException: x` → `IllegalStateException`, a panic kept short. */
function shortException(e: string): string {
  const m = /^(?:panic: |fatal error: )/.test(e) ? e : (/^([\w.$]+?)(?::|$)/.exec(e)?.[1] ?? e);
  const last = m.includes(' ') ? m : (m.split('.').pop() ?? m);
  return last.length > 80 ? `${last.slice(0, 77)}...` : last;
}

function shortText(t: string): string {
  return t.length > 80 ? `${t.slice(0, 77)}...` : t;
}

/** The file:line (or Class.method) of a frame, short enough for a title. */
function shortFrame(f: string): string {
  const py = /([^/]+:\d+) in (\S+)/.exec(f);
  if (py) return `${py[1]} (${py[2]})`;
  const jvm = /\(([^)]+:\d+)\)/.exec(f);
  if (jvm) return jvm[1]!;
  const file = /([^/\s(]+:\d+)(?::\d+)?\)?$/.exec(f);
  return file?.[1] ?? f.slice(0, 60);
}

/** Did the pod as a whole end for a reason that explains its containers' terminations (Evicted, OutOfcpu …)? */
export function podReasonExplainsTerminations(ctx: RuleContext): boolean {
  return Boolean(ctx.pod.status?.reason) && ctx.pod.status?.phase === 'Failed';
}

/** Termination findings for every container judged. */
export function terminationRules(ctx: RuleContext): Finding[] {
  if (podReasonExplainsTerminations(ctx)) return [];
  return ctx.containers.map((c) => classifyTermination(ctx, c)).filter((f): f is Finding => f !== undefined);
}
