import { type Finding, finding, type Severity } from '../../contracts/finding.js';
import { type ContainerView, logsCommand, RECENT_MS, type RuleContext, templateTarget } from './context.js';
import { type LogCause, matchLogCauses } from './log-causes.js';
import { formatBytes, parseQuantity, toMillis } from './util.js';

/**
 * How a container is doing, for reading causes from its log: `failing`
 * (crash looping, terminated with an error, or a recent failed termination),
 * `not-ready` (running, not ready), or undefined (fine: its log is not read
 * for causes, so WARN/ERROR lines of a healthy container never alarm).
 */
export function logJudgement(ctx: RuleContext, c: ContainerView): 'failing' | 'not-ready' | undefined {
  const st = c.status;
  if (!st) return undefined;
  if (ctx.pod.metadata?.deletionTimestamp) return undefined;
  if (st.state?.waiting?.reason === 'CrashLoopBackOff') return 'failing';
  const term = st.state?.terminated;
  if (term && term.exitCode !== 0) return 'failing';
  const last = st.lastState?.terminated;
  const fin = toMillis(last?.finishedAt);
  if (last && last.exitCode !== 0 && fin !== undefined && ctx.now - fin <= RECENT_MS) return 'failing';
  if ((!c.init || c.sidecar) && st.state?.running && !st.ready) return 'not-ready';
  return undefined;
}

/** The log text to read and how to quote it: failing → previous then current; not ready → current. */
function logsToRead(c: ContainerView, how: 'failing' | 'not-ready'): { label: string; text: string }[] {
  const out: { label: string; text: string }[] = [];
  if (how === 'failing' && c.log?.previous) out.push({ label: 'previous log', text: c.log.previous });
  if (c.log?.current) out.push({ label: 'log', text: c.log.current });
  return out;
}

/** Causes from one container's logs, labelled by which log showed them (the previous instance wins). */
export function containerLogCauses(
  c: ContainerView,
  how: 'failing' | 'not-ready',
): (LogCause & { label: string; previous: boolean })[] {
  const seen = new Set<string>();
  const out: (LogCause & { label: string; previous: boolean })[] = [];
  for (const l of logsToRead(c, how)) {
    for (const cause of matchLogCauses(l.text)) {
      if (seen.has(cause.id)) continue;
      seen.add(cause.id);
      out.push({ ...cause, label: l.label, previous: l.label === 'previous log' });
    }
  }
  return out;
}

function extractedLine(x: Record<string, string>): string {
  return `extracted: ${Object.entries(x)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')}`;
}

/** The Service a host names when it is a cluster name (`db`, `db.ns`, `db.ns.svc`, `db.ns.svc.cluster.local`). */
function serviceOf(host: string, ns: string): { name: string; ns: string } | undefined {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) return undefined;
  const parts = host.split('.');
  if (parts.length === 1) return { name: parts[0]!, ns };
  if (parts.length === 2 || parts[2] === 'svc') return { name: parts[0]!, ns: parts[1]! };
  return undefined;
}

/** The heap settings a runtime reads, from the container's command, args and env names (values of env are not quoted). */
function heapSettings(c: ContainerView, runtime: string): string[] {
  const argv = [...(c.spec?.command ?? []), ...(c.spec?.args ?? [])].join(' ');
  const env = c.spec?.env ?? [];
  const out: string[] = [];
  const flag = runtime === 'jvm' ? /-Xmx\S+|-XX:MaxRAMPercentage=\S+/g : /--max-old-space-size=\d+/g;
  if (runtime === 'jvm' || runtime === 'v8') {
    for (const m of argv.matchAll(flag)) out.push(`args: ${m[0]}`);
    const names =
      runtime === 'jvm' ? ['JAVA_TOOL_OPTIONS', 'JAVA_OPTS', 'JDK_JAVA_OPTIONS'] : ['NODE_OPTIONS'];
    for (const e of env.filter((x) => names.includes(x.name))) {
      const flags = [...(e.value ?? '').matchAll(flag)].map((m) => m[0]);
      out.push(
        flags.length > 0 ? `env ${e.name}: ${flags.join(' ')}` : `env ${e.name} is set (no heap flag in it)`,
      );
    }
    if (out.length === 0)
      out.push(
        runtime === 'jvm'
          ? '-Xmx: not set (the JVM sizes its heap from the container limit, 25% by default)'
          : '--max-old-space-size: not set (V8 picks a default heap that may not fit the limit)',
      );
  }
  if (runtime === 'go') {
    const set = env.find((e) => e.name === 'GOMEMLIMIT');
    out.push(
      set
        ? 'env GOMEMLIMIT is set'
        : 'GOMEMLIMIT: not set (the Go runtime does not know the container limit)',
    );
  }
  return out;
}

const RUNTIME_NAME: Record<string, string> = {
  jvm: 'JVM heap',
  v8: 'V8 (Node.js) heap',
  go: 'Go runtime',
  python: 'Python',
};
const RUNTIME_SETTING: Record<string, string> = {
  jvm: '-Xmx (or -XX:MaxRAMPercentage)',
  v8: 'NODE_OPTIONS=--max-old-space-size',
  go: 'GOMEMLIMIT',
  python: 'the memory limit',
};

function causeFinding(
  ctx: RuleContext,
  c: ContainerView,
  cause: LogCause & { label: string; previous: boolean },
  severity: Severity,
): Finding {
  const x = cause.extracted;
  const ev = cause.lines.map((l) => `${cause.label}: ${l}`);
  ev.push(extractedLine(x));
  const logs = logsCommand(ctx, c, cause.previous);
  const who = `Container \`${c.name}\``;
  switch (cause.id) {
    case 'dependency-unreachable': {
      const target = x.target;
      const [host, port] = target ? [target.slice(0, target.lastIndexOf(':')), target.split(':').pop()] : [];
      const svc = host ? serviceOf(host, ctx.ns) : undefined;
      const next = [
        `/poddebug netcheck ${ctx.name} -n ${ctx.ns}${target ? ` ${target}` : ''}`,
        ...(svc
          ? [
              `kubectl get service ${svc.name} -n ${svc.ns}`,
              `kubectl get endpointslices -n ${svc.ns} -l kubernetes.io/service-name=${svc.name}  # no ready endpoints = nothing behind the Service`,
            ]
          : [
              `Check that ${host ?? 'the dependency'} is up and that NetworkPolicies allow traffic to port ${port ?? '?'}`,
            ]),
        logs,
      ];
      return finding(
        'dependency-unreachable',
        severity,
        `${who} cannot reach ${target ? `\`${target}\`` : 'a dependency'} (${x.how})`,
        ev,
        next,
      );
    }
    case 'dns-failure':
      return finding(
        'dns-failure',
        severity,
        `${who} cannot resolve ${x.name ? `\`${x.name}\`` : 'a host name'}${x.resolver ? ` (resolver ${x.resolver})` : ''}`,
        ev,
        [
          `/poddebug netcheck ${ctx.name} -n ${ctx.ns}${x.name ? ` ${x.name}` : ''}`,
          'Check the spelling and the namespace of the name (a Service in another namespace needs NAME.NAMESPACE)',
          'kubectl get pods -n kube-system -l k8s-app=kube-dns  # is cluster DNS up?',
          logs,
        ],
      );
    case 'tls-error': {
      const what =
        x.kind === 'expired'
          ? `an expired certificate${x.expiry ? ` (expired ${x.expiry})` : ''}`
          : x.kind === 'hostname-mismatch'
            ? 'a certificate for another host name'
            : 'a certificate from an unknown authority';
      return finding(
        'tls-error',
        severity,
        `${who} rejects ${what}${x.host ? ` from \`${x.host}\`` : ''}`,
        ev,
        [
          x.host
            ? `openssl s_client -connect ${x.host.includes(':') ? x.host : `${x.host}:443`} -servername ${x.host.split(':')[0]} </dev/null | openssl x509 -noout -subject -issuer -dates -ext subjectAltName`
            : 'Inspect the server certificate: openssl s_client -connect HOST:443',
          x.kind === 'expired'
            ? 'Renew the server certificate (cert-manager: kubectl get certificates -A)'
            : x.kind === 'hostname-mismatch'
              ? 'Call the name the certificate is issued for, or reissue it with this name in its SANs'
              : 'Mount the issuing CA into the container trust store (or fix the chain the server sends)',
          logs,
        ],
      );
    }
    case 'permission-denied': {
      const path = x.path;
      const sc = c.spec?.securityContext;
      const psc = ctx.pod.spec?.securityContext;
      ev.push(
        `runAsUser: ${sc?.runAsUser ?? psc?.runAsUser ?? '(image default)'}, fsGroup: ${psc?.fsGroup ?? 'not set'}, readOnlyRootFilesystem: ${sc?.readOnlyRootFilesystem ?? false}`,
      );
      const mount = path
        ? (c.spec?.volumeMounts ?? [])
            .filter((m) => path === m.mountPath || path.startsWith(`${m.mountPath.replace(/\/$/, '')}/`))
            .sort((a, b) => b.mountPath.length - a.mountPath.length)[0]
        : undefined;
      ev.push(
        mount
          ? `volume: ${mount.name} mounted at ${mount.mountPath}${mount.readOnly ? ' (readOnly)' : ''}`
          : `volume: none mounted at ${path ?? 'the path'} (it is on the container's root file system)`,
      );
      const ro = x.readOnly === 'yes';
      return finding(
        'permission-denied',
        severity,
        `${who} may not ${ro ? 'write' : 'access'} ${path ? `\`${path}\`` : 'a path'}${ro ? ' (read-only file system)' : ' (permission denied)'}`,
        ev,
        [
          ro && !mount
            ? `Mount an emptyDir at ${path ?? 'the path'} (readOnlyRootFilesystem keeps the rest read-only) in ${templateTarget(ctx)}`
            : `Set securityContext.fsGroup (or runAsUser) in ${templateTarget(ctx)} so the user owns ${path ?? 'the path'}${mount ? ` on volume ${mount.name}` : ''}`,
          `kubectl exec -n ${ctx.ns} ${ctx.name} -c ${c.name} -- ls -ld ${path ?? '/'}  # owner and mode (if the container stays up)`,
          logs,
        ],
      );
    }
    case 'exec-format-error': {
      const arch = ctx.g.node?.status?.nodeInfo?.architecture;
      ev.push(
        `node ${ctx.g.node?.metadata?.name ?? ctx.pod.spec?.nodeName ?? '?'} architecture: ${arch ?? '?'}`,
      );
      if (c.spec?.image) ev.push(`image: ${c.spec.image}`);
      return finding(
        'exec-format-error',
        severity,
        `${who} runs a binary built for another CPU architecture than the node's${arch ? ` (${arch})` : ''}`,
        ev,
        [
          `docker manifest inspect ${c.spec?.image ?? 'IMAGE'}  # which platforms the image has`,
          `Build the image for ${arch ? `linux/${arch}` : 'the node architecture'} (docker buildx build --platform linux/amd64,linux/arm64)`,
          `Or pin the pod to matching nodes: nodeSelector kubernetes.io/arch in ${templateTarget(ctx)}`,
        ],
      );
    }
    case 'runtime-oom': {
      const limit = c.spec?.resources?.limits?.memory;
      ev.push(`limits.memory: ${limit ?? 'none'}`);
      ev.push(...heapSettings(c, x.runtime ?? ''));
      const bytes = parseQuantity(limit);
      const setting = RUNTIME_SETTING[x.runtime ?? ''] ?? 'the heap setting';
      return finding(
        'runtime-oom',
        severity,
        `${who} ran out of ${RUNTIME_NAME[x.runtime ?? ''] ?? 'runtime'} memory (${x.detail}), not the container limit`,
        ev,
        [
          `Compare ${setting} with the container limit${limit ? ` ${limit}` : ''}${bytes ? `: leave ~25% of ${formatBytes(bytes)} for non-heap memory` : ''}`,
          `/poddebug mem ${ctx.name} -n ${ctx.ns}`,
          logs,
        ],
      );
    }
  }
}

/**
 * Causes read from the logs of containers that fail, restart or are not
 * ready: one finding per container and cause id. Critical for a failing
 * container, a warning for one that only is not ready.
 */
export function logCauseRule(ctx: RuleContext): Finding[] {
  if (ctx.pod.status?.phase === 'Failed' && ctx.pod.status.reason) return []; // evicted etc.: not the app
  const out: Finding[] = [];
  for (const c of ctx.containers) {
    const how = logJudgement(ctx, c);
    if (!how) continue;
    const severity: Severity = how === 'failing' ? 'critical' : 'warning';
    const causes = containerLogCauses(c, how);
    // The termination message can show an exec format error the log does not.
    const msg = c.status?.state?.terminated?.message ?? c.status?.lastState?.terminated?.message ?? '';
    if (!causes.some((x) => x.id === 'exec-format-error') && /exec format error/i.test(msg)) {
      causes.push({
        id: 'exec-format-error',
        lines: [msg.trim().slice(0, 300)],
        extracted: {},
        label: 'termination message',
        previous: false,
      });
    }
    for (const cause of causes) out.push(causeFinding(ctx, c, cause, severity));
  }
  return out;
}
