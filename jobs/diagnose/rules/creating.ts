import { type Finding, finding } from '../../contracts/finding.js';
import { eventLines, eventsCommand, eventsWith, RECENT_MS, type RuleContext } from './context.js';
import { eventCount, humanDuration, toMillis } from './util.js';

/** ContainerCreating for longer than this is "stuck". */
export const STUCK_CREATING_MS = 2 * 60 * 1000;

function stillCreating(ctx: RuleContext): boolean {
  const statuses = [
    ...(ctx.pod.status?.containerStatuses ?? []),
    ...(ctx.pod.status?.initContainerStatuses ?? []),
  ];
  if (ctx.pod.status?.phase !== 'Pending') return false;
  return (
    statuses.length === 0 ||
    statuses.some((s) => /ContainerCreating|PodInitializing/.test(s.state?.waiting?.reason ?? ''))
  );
}

function pendingFor(ctx: RuleContext): number | undefined {
  const sched = ctx.pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'True');
  const since = toMillis(sched?.lastTransitionTime) ?? toMillis(ctx.pod.metadata?.creationTimestamp);
  return since === undefined ? undefined : ctx.now - since;
}

/** Volumes that cannot be attached or mounted (missing Secret/ConfigMap/PVC, RWO Multi-Attach). */
export function failedMountRule(ctx: RuleContext): Finding[] {
  if (!stillCreating(ctx)) return [];
  const mount = eventsWith(ctx, ['FailedMount'], { sinceMs: RECENT_MS });
  const attach = eventsWith(ctx, ['FailedAttachVolume'], { sinceMs: RECENT_MS });
  if (mount.length === 0 && attach.length === 0) return [];
  const all = [...attach, ...mount];
  const volumes = new Set<string>();
  for (const e of all) {
    for (const m of (e.message ?? '').matchAll(/volume "([^"]+)"/g)) volumes.add(m[1]!);
    const um = /unmounted volumes=\[([^\]]*)\]/.exec(e.message ?? '');
    for (const v of um?.[1]?.split(/\s+/) ?? []) if (v) volumes.add(v);
  }
  const multi = attach.find((e) => /Multi-Attach/.test(e.message ?? ''));
  const age = pendingFor(ctx);
  const stuck = age === undefined || age > STUCK_CREATING_MS;
  const ev = [`status: ContainerCreating${age === undefined ? '' : ` for ${humanDuration(age)}`}`];
  ev.push(...eventLines(ctx, attach, 2), ...eventLines(ctx, mount, 3));
  const next: string[] = [];
  const missing = /(secret|configmap) "([^"]+)" not found/i.exec(all.map((e) => e.message).join('\n'));
  if (missing)
    next.push(
      `kubectl get ${missing[1]!.toLowerCase()} ${missing[2]} -n ${ctx.ns}  # create it, or mark the volume optional`,
    );
  if (multi) {
    const usedBy = /used by pod\(s\) ([^\s,]+)/.exec(multi.message ?? '')?.[1];
    next.push(
      'A ReadWriteOnce volume is still attached to another node: wait for the old pod to terminate, or delete it if its node is gone',
      `kubectl get volumeattachments | grep ${[...volumes].find((v) => v.startsWith('pvc-')) ?? ''}`.trim(),
    );
    if (usedBy) next.push(`kubectl get pod ${usedBy} -n ${ctx.ns} -o wide`);
  }
  for (const v of ctx.pod.spec?.volumes ?? []) {
    if (v.persistentVolumeClaim && volumes.has(v.name))
      next.push(`kubectl describe pvc ${v.persistentVolumeClaim.claimName} -n ${ctx.ns}`);
  }
  next.push(eventsCommand(ctx));
  const vols = [...volumes].filter((v) => !v.startsWith('kube-api-access'));
  return [
    finding(
      'failed-mount',
      stuck ? 'critical' : 'warning',
      multi
        ? `Pod \`${ctx.name}\` is stuck: volume ${vols.map((v) => `\`${v}\``).join(', ')} is attached to another node (Multi-Attach)`
        : `Pod \`${ctx.name}\` cannot mount volume ${vols.map((v) => `\`${v}\``).join(', ') || '(unknown)'}`,
      ev,
      next,
    ),
  ];
}

/** Pod sandbox (network namespace, CNI) cannot be created. */
export function sandboxRule(ctx: RuleContext): Finding[] {
  if (!stillCreating(ctx)) return [];
  const sandbox = eventsWith(ctx, ['FailedCreatePodSandBox', 'NetworkNotReady'], { sinceMs: RECENT_MS });
  const changed = eventsWith(ctx, ['SandboxChanged'], { sinceMs: RECENT_MS }).filter(
    (e) => eventCount(e) >= 3,
  );
  if (sandbox.length === 0 && changed.length === 0) return [];
  const text = [...sandbox, ...changed].map((e) => e.message ?? '').join('\n');
  const cni =
    /plugin type="([^"]+)"/.exec(text)?.[1] ??
    /\b(calico|cilium|flannel|weave|aws-cni|azure-vnet)\b/i.exec(text)?.[1];
  const node = ctx.pod.spec?.nodeName ?? 'the node';
  const age = pendingFor(ctx);
  return [
    finding(
      'sandbox-error',
      'critical',
      `Pod \`${ctx.name}\` is stuck creating its sandbox on \`${node}\`${cni ? ` (CNI plugin ${cni} failing)` : ''}`,
      [
        `status: ContainerCreating${age === undefined ? '' : ` for ${humanDuration(age)}`}`,
        ...eventLines(ctx, sandbox, 3),
        ...eventLines(ctx, changed, 1),
      ],
      [
        `kubectl get pods -n kube-system -o wide --field-selector spec.nodeName=${node}  # is the ${cni ?? 'CNI'} pod on this node running?`,
        `kubectl describe node ${node}`,
        eventsCommand(ctx),
      ],
    ),
  ];
}
