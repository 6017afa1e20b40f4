import { type Finding, finding } from '../../contracts/finding.js';
import {
  type ContainerView,
  eventLines,
  eventsWith,
  logsCommand,
  podArgs,
  type RuleContext,
  templateTarget,
} from './context.js';
import { isCommandProblem, terminationOf } from './terminations.js';
import { oneLine } from './util.js';

/** What a CreateContainerConfigError message says is missing. */
export type ConfigProblem =
  | { kind: 'secret' | 'configmap'; name: string }
  | { kind: 'key'; key: string; objectKind: 'ConfigMap' | 'Secret'; name: string }
  | { kind: 'run-as-non-root'; detail: string }
  | { kind: 'other'; detail: string };

/** Parses the kubelet's CreateContainerConfigError message. */
export function parseConfigError(message: string): ConfigProblem {
  const missing = /\b(secret|configmap) "([^"]+)" not found/i.exec(message);
  if (missing) return { kind: missing[1]!.toLowerCase() as 'secret' | 'configmap', name: missing[2]! };
  const key = /couldn't find key (\S+) in (ConfigMap|Secret) (\S+)/i.exec(message);
  if (key) {
    const objectKind = key[2]!.toLowerCase() === 'secret' ? 'Secret' : 'ConfigMap';
    return { kind: 'key', key: key[1]!, objectKind, name: key[3]!.split('/').pop()! };
  }
  if (/runAsNonRoot|non-root|non-numeric user/i.test(message))
    return { kind: 'run-as-non-root', detail: message };
  return { kind: 'other', detail: message };
}

/** Names (never values) of the Secrets/ConfigMaps a container refers to. */
function references(c: ContainerView): string[] {
  const refs = new Set<string>();
  for (const e of c.spec?.env ?? []) {
    const s = e.valueFrom?.secretKeyRef;
    const m = e.valueFrom?.configMapKeyRef;
    if (s) refs.add(`env ${e.name} ← secret ${s.name}/${s.key}${s.optional ? ' (optional)' : ''}`);
    if (m) refs.add(`env ${e.name} ← configmap ${m.name}/${m.key}${m.optional ? ' (optional)' : ''}`);
  }
  for (const f of c.spec?.envFrom ?? []) {
    if (f.secretRef) refs.add(`envFrom ← secret ${f.secretRef.name}`);
    if (f.configMapRef) refs.add(`envFrom ← configmap ${f.configMapRef.name}`);
  }
  return [...refs];
}

function configNext(ctx: RuleContext, c: ContainerView, p: ConfigProblem): string[] {
  switch (p.kind) {
    case 'secret':
      return [
        `kubectl get secret ${p.name} -n ${ctx.ns}`,
        `Create it (kubectl create secret generic ${p.name} -n ${ctx.ns} --from-literal=…), or mark the reference optional: true`,
      ];
    case 'configmap':
      return [
        `kubectl get configmap ${p.name} -n ${ctx.ns}`,
        `Create it (kubectl create configmap ${p.name} -n ${ctx.ns} --from-file=…), or mark the reference optional: true`,
      ];
    case 'key':
      return [
        `kubectl get ${p.objectKind.toLowerCase()} ${p.name} -n ${ctx.ns} -o jsonpath='{.data}' | jq 'keys'`,
        `Add key \`${p.key}\` to ${p.objectKind} ${p.name}, or fix the key name in ${templateTarget(ctx)}`,
      ];
    case 'run-as-non-root':
      return [
        `Set a numeric securityContext.runAsUser (e.g. 65532) for \`${c.name}\` in ${templateTarget(ctx)}, or build the image with a numeric non-root USER`,
      ];
    default:
      return [`kubectl describe pod ${podArgs(ctx)}`];
  }
}

function configTitle(c: ContainerView, p: ConfigProblem): string {
  switch (p.kind) {
    case 'secret':
      return `Container \`${c.name}\` cannot start: Secret \`${p.name}\` not found`;
    case 'configmap':
      return `Container \`${c.name}\` cannot start: ConfigMap \`${p.name}\` not found`;
    case 'key':
      return `Container \`${c.name}\` cannot start: key \`${p.key}\` missing from ${p.objectKind} \`${p.name}\``;
    case 'run-as-non-root':
      return `Container \`${c.name}\` cannot start: runAsNonRoot is set but the image runs as root`;
    default:
      return `Container \`${c.name}\` cannot start: CreateContainerConfigError`;
  }
}

/** CreateContainerConfigError: a missing Secret/ConfigMap/key, or runAsNonRoot against a root image. */
export function configErrorRule(ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  for (const c of ctx.containers) {
    const w = c.status?.state?.waiting;
    if (w?.reason !== 'CreateContainerConfigError') continue;
    const failed = eventsWith(ctx, ['Failed'], { container: c.name });
    const message = w.message ?? failed[0]?.message ?? '';
    const problem = parseConfigError(message);
    const ev = [`state.waiting.reason: CreateContainerConfigError`];
    if (w.message) ev.push(`state.waiting.message: ${oneLine(w.message)}`);
    ev.push(...eventLines(ctx, failed, 2));
    if (problem.kind === 'run-as-non-root') {
      const sc = c.spec?.securityContext;
      const psc = ctx.pod.spec?.securityContext;
      ev.push(`securityContext.runAsNonRoot: ${sc?.runAsNonRoot ?? psc?.runAsNonRoot ?? 'unset'}`);
      ev.push(`securityContext.runAsUser: ${sc?.runAsUser ?? psc?.runAsUser ?? 'unset (image USER)'}`);
    } else {
      ev.push(...references(c).map((r) => `reference: ${r}`));
    }
    out.push(
      finding('container-config-error', 'critical', configTitle(c, problem), ev, configNext(ctx, c, problem)),
    );
  }
  return out;
}

const CREATE_REASONS = [
  'CreateContainerError',
  'RunContainerError',
  'PreStartHookError',
  'PostStartHookError',
];

/** Runtime failures creating or starting a container, and failed lifecycle hooks. */
export function createErrorRule(ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  for (const c of ctx.containers) {
    const w = c.status?.state?.waiting;
    const hookEvents = eventsWith(ctx, ['FailedPostStartHook', 'FailedPreStartHook'], { container: c.name });
    const tv = terminationOf(c);
    const startError =
      tv &&
      (tv.t.reason === 'StartError' || tv.t.reason === 'ContainerCannotRun') &&
      !isCommandProblem(tv.t) &&
      !c.status?.state?.running;
    const waitingCreate = w?.reason !== undefined && CREATE_REASONS.includes(w.reason);
    const hookActive = hookEvents.length > 0 && !c.status?.ready && (c.status?.restartCount ?? 0) > 0;
    if (!waitingCreate && !startError && !hookActive) continue;
    const reason = waitingCreate ? w!.reason! : startError ? tv!.t.reason! : 'FailedPostStartHook';
    const ev: string[] = [];
    if (w?.reason) ev.push(`state.waiting.reason: ${w.reason}`);
    if (w?.message && waitingCreate) ev.push(`state.waiting.message: ${oneLine(w.message)}`);
    if (startError && tv)
      ev.push(
        `${tv.path}: reason=${tv.t.reason} exitCode=${tv.t.exitCode}`,
        `${tv.path}.message: ${oneLine(tv.t.message)}`,
      );
    ev.push(...eventLines(ctx, hookEvents, 2));
    ev.push(...eventLines(ctx, eventsWith(ctx, ['Failed'], { container: c.name, message: /^Error: / }), 1));
    const hook = /Hook/.test(reason);
    const lifecycle = c.spec?.lifecycle;
    if (hook && lifecycle?.postStart?.exec?.command)
      ev.push(`lifecycle.postStart.exec.command: ${JSON.stringify(lifecycle.postStart.exec.command)}`);
    if (hook && lifecycle?.postStart?.httpGet)
      ev.push(
        `lifecycle.postStart.httpGet: ${lifecycle.postStart.httpGet.path ?? '/'} port ${lifecycle.postStart.httpGet.port}`,
      );
    out.push(
      finding(
        'create-container-error',
        'critical',
        hook
          ? `Container \`${c.name}\`: lifecycle hook failed (${reason}), so the kubelet kills and restarts it`
          : `Container \`${c.name}\` could not be created or started (${reason})`,
        ev,
        hook
          ? [
              `Fix the hook in ${templateTarget(ctx)}: a postStart hook runs concurrently with the entrypoint, so it must not depend on the app already listening`,
              logsCommand(ctx, c, true),
            ]
          : [
              `kubectl describe pod ${podArgs(ctx)}  # the runtime's full message`,
              `Check the runtime on ${ctx.pod.spec?.nodeName ?? 'the node'}: journalctl -u containerd (or crio) around the event time`,
            ],
      ),
    );
  }
  return out;
}
