import { type Finding, finding } from '../../contracts/finding.js';
import {
  type ContainerView,
  eventLines,
  eventsWith,
  podArgs,
  RECENT_MS,
  type RuleContext,
  templateTarget,
} from './context.js';
import type { Container } from './util.js';
import { humanDuration, toMillis } from './util.js';

type Probe = NonNullable<Container['readinessProbe']>;

/** A probe as `kubectl describe` prints it: `http-get http://:8080/ready delay=0s timeout=1s period=10s #success=1 #failure=3`. */
export function describeProbe(p: Probe): string {
  let what = 'unknown';
  if (p.httpGet)
    what = `http-get ${(p.httpGet.scheme ?? 'HTTP').toLowerCase()}://${p.httpGet.host ?? ''}:${p.httpGet.port}${p.httpGet.path ?? '/'}`;
  else if (p.tcpSocket) what = `tcp-socket ${p.tcpSocket.host ?? ''}:${p.tcpSocket.port}`;
  else if (p.grpc) what = `grpc <pod>:${p.grpc.port} ${p.grpc.service ?? ''}`.trim();
  else if (p.exec) what = `exec ${JSON.stringify(p.exec.command ?? [])}`;
  return `${what} delay=${p.initialDelaySeconds ?? 0}s timeout=${p.timeoutSeconds ?? 1}s period=${p.periodSeconds ?? 10}s #success=${p.successThreshold ?? 1} #failure=${p.failureThreshold ?? 3}`;
}

function probeCheck(ctx: RuleContext, c: ContainerView, p: Probe | undefined): string[] {
  if (!p) return [];
  if (p.httpGet) {
    return [
      `kubectl port-forward -n ${ctx.ns} pod/${ctx.name} ${p.httpGet.port}  # then: curl -v ${(p.httpGet.scheme ?? 'HTTP').toLowerCase()}://localhost:${p.httpGet.port}${p.httpGet.path ?? '/'}`,
    ];
  }
  if (p.tcpSocket)
    return [
      `kubectl port-forward -n ${ctx.ns} pod/${ctx.name} ${p.tcpSocket.port}  # is anything listening?`,
    ];
  return [`kubectl describe pod ${podArgs(ctx)}  # probe of \`${c.name}\``];
}

/** Running containers that are not ready, with the failing readiness probe. */
export function readinessRule(ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  for (const c of ctx.containers) {
    if (c.init && !c.sidecar) continue;
    const st = c.status;
    if (!st?.state?.running || st.ready) continue;
    if (ctx.pod.metadata?.deletionTimestamp) continue;
    const failing = eventsWith(ctx, ['Unhealthy'], {
      container: c.name,
      message: /^Readiness probe/,
      sinceMs: RECENT_MS,
    });
    const started = toMillis(st.state.running.startedAt);
    const longEnough = started !== undefined && ctx.now - started > 60_000;
    if (failing.length === 0 && !(c.spec?.readinessProbe && longEnough)) continue;
    const readyCond = ctx.pod.status?.conditions?.find((x) => x.type === 'Ready');
    const ev = [`ready: false (running since ${st.state.running.startedAt ?? '?'})`];
    if (readyCond)
      ev.push(
        `condition Ready=${readyCond.status} reason=${readyCond.reason ?? ''}: ${readyCond.message ?? ''}`.trim(),
      );
    if (c.spec?.readinessProbe) ev.push(`readinessProbe: ${describeProbe(c.spec.readinessProbe)}`);
    ev.push(...eventLines(ctx, failing, 2));
    const age = started === undefined ? '' : ` for ${humanDuration(ctx.now - started)}`;
    out.push(
      finding(
        'readiness-failing',
        'warning',
        `Container \`${c.name}\` is running but not ready${age}: its readiness probe fails, so the pod gets no traffic`,
        ev,
        [
          ...probeCheck(ctx, c, c.spec?.readinessProbe),
          'Compare the probe port/path with what the app serves, and check the dependencies the readiness endpoint checks',
          `kubectl logs -n ${ctx.ns} ${ctx.name} -c ${c.name} --tail=100`,
        ],
      ),
    );
  }
  return out;
}

/** Liveness and startup probes failing recently, and the restarts they cause. */
export function livenessRule(ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  for (const c of ctx.containers) {
    if (c.init && !c.sidecar) continue;
    const failing = eventsWith(ctx, ['Unhealthy'], {
      container: c.name,
      message: /^(Liveness|Startup) probe/,
      sinceMs: RECENT_MS,
    });
    if (failing.length === 0) continue;
    const kills = eventsWith(ctx, ['Killing'], {
      container: c.name,
      message: /failed (liveness|startup) probe/,
      sinceMs: RECENT_MS,
    });
    const startup = failing.some((e) => /^Startup/.test(e.message ?? ''));
    const kind = startup ? 'startup' : 'liveness';
    const probe = startup ? c.spec?.startupProbe : c.spec?.livenessProbe;
    const ev: string[] = [];
    if (probe) ev.push(`${kind}Probe: ${describeProbe(probe)}`);
    ev.push(...eventLines(ctx, failing, 2), ...eventLines(ctx, kills, 1));
    if (c.status) ev.push(`restartCount: ${c.status.restartCount}`);
    const last = c.status?.lastState?.terminated;
    if (last)
      ev.push(
        `lastState.terminated: reason=${last.reason ?? ''} exitCode=${last.exitCode} finishedAt=${last.finishedAt ?? '?'}`,
      );
    const severity = kills.length > 0 || (c.status?.restartCount ?? 0) > 0 ? 'critical' : 'warning';
    out.push(
      finding(
        'liveness-failing',
        severity,
        `Container \`${c.name}\` fails its ${kind} probe${kills.length > 0 ? ' and the kubelet restarts it' : ''}`,
        ev,
        [
          ...probeCheck(ctx, c, probe),
          startup
            ? `Give the app time to start: raise startupProbe.failureThreshold × periodSeconds in ${templateTarget(ctx)}`
            : `If the app is slow rather than dead, relax the probe (timeoutSeconds, failureThreshold) or add a startupProbe in ${templateTarget(ctx)}`,
          `kubectl logs -n ${ctx.ns} ${ctx.name} -c ${c.name} --previous`,
        ],
      ),
    );
  }
  return out;
}
