import { type Finding, finding, type Severity } from '../../contracts/finding.js';
import {
  type ContainerView,
  eventLines,
  eventsWith,
  RECENT_MS,
  type RuleContext,
  templateTarget,
} from './context.js';
import { describeProbe } from './health-checks.js';
import type { Container } from './util.js';
import { parseQuantity } from './util.js';

type Probe = NonNullable<Container['readinessProbe']>;
const KINDS = ['liveness', 'readiness', 'startup'] as const;

function probeOf(c: ContainerView, kind: (typeof KINDS)[number]): Probe | undefined {
  if (kind === 'liveness') return c.spec?.livenessProbe;
  if (kind === 'readiness') return c.spec?.readinessProbe;
  return c.spec?.startupProbe;
}

function probePort(p: Probe): string | number | undefined {
  return p.httpGet?.port ?? p.tcpSocket?.port ?? p.grpc?.port;
}

/** Why a probe cannot work as written, from the spec alone (or its exec failures); undefined when it can. */
export function probeProblem(c: ContainerView, p: Probe, failures: readonly string[]): string | undefined {
  const port = probePort(p);
  const ports = c.spec?.ports ?? [];
  if (typeof port === 'string' && !/^\d+$/.test(port)) {
    if (!ports.some((x) => x.name === port))
      return `it targets the named port \`${port}\`, which \`${c.name}\` does not declare (ports: ${ports.map((x) => x.name ?? x.containerPort).join(', ') || 'none'})`;
    return undefined;
  }
  if (port !== undefined && ports.length > 0 && !p.httpGet?.host && !p.tcpSocket?.host) {
    const n = Number(port);
    if (!ports.some((x) => x.containerPort === n))
      return `it targets port ${n}, but \`${c.name}\` declares ${ports.map((x) => `${x.containerPort}${x.name ? ` (${x.name})` : ''}`).join(', ')}`;
  }
  if (p.exec) {
    const missing = failures.find((m) =>
      /executable file not found|no such file or directory|not found in \$PATH|exec: "[^"]*": /.test(m),
    );
    if (missing) return `its exec command ${JSON.stringify(p.exec.command ?? [])} cannot run in the image`;
  }
  return undefined;
}

/**
 * A liveness, readiness or startup probe that cannot succeed as written: a
 * port the container does not declare, a named port that does not exist, an
 * exec command missing from the image.
 */
export function probeMisconfiguredRule(ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  for (const c of ctx.containers) {
    if (c.init && !c.sidecar) continue;
    for (const kind of KINDS) {
      const p = probeOf(c, kind);
      if (!p) continue;
      const label = `${kind[0]!.toUpperCase()}${kind.slice(1)}`;
      const failing = eventsWith(ctx, ['Unhealthy'], {
        container: c.name,
        message: new RegExp(`^${label} probe`),
        sinceMs: RECENT_MS,
      });
      const why = probeProblem(
        c,
        p,
        failing.map((e) => e.message ?? ''),
      );
      if (!why) continue;
      const severity: Severity = failing.length > 0 && kind !== 'readiness' ? 'critical' : 'warning';
      const ev = [`${kind}Probe: ${describeProbe(p)}`];
      ev.push(
        `ports: ${(c.spec?.ports ?? []).map((x) => `${x.containerPort}/${x.protocol ?? 'TCP'}${x.name ? ` name=${x.name}` : ''}`).join(', ') || 'none declared'}`,
      );
      ev.push(...eventLines(ctx, failing, 2));
      out.push(
        finding(
          'probe-misconfigured',
          severity,
          `Container \`${c.name}\`'s ${kind} probe cannot succeed: ${why}`,
          ev,
          [
            `Point ${kind}Probe of \`${c.name}\` at the port the app listens on (or declare it in ports) in ${templateTarget(ctx)}`,
            `kubectl get pod ${ctx.name} -n ${ctx.ns} -o jsonpath='{.spec.containers[?(@.name=="${c.name}")].ports}'`,
            `/poddebug netcheck ${ctx.name} -n ${ctx.ns} -c ${c.name}${typeof probePort(p) === 'number' ? ` localhost:${probePort(p)}` : ''}  # is anything listening there?`,
          ],
        ),
      );
    }
  }
  return out;
}

/** At or above this share of limits.cpu, a container is treated as throttled. */
export const THROTTLE_SHARE = 0.9;

/**
 * CPU usage at the CPU limit while probes time out or the kubelet restarts
 * the container: the app is throttled, not dead.
 */
export function cpuThrottledRule(ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  for (const c of ctx.containers) {
    if (c.init && !c.sidecar) continue;
    const limitText = c.spec?.resources?.limits?.cpu;
    const limit = parseQuantity(limitText);
    const usageText = ctx.g.metrics?.containers.find((m) => m.name === c.name)?.cpu;
    const usage = parseQuantity(usageText);
    if (!limit || usage === undefined || usage < limit * THROTTLE_SHARE) continue;
    const timeouts = eventsWith(ctx, ['Unhealthy'], {
      container: c.name,
      message: /timeout|deadline exceeded|timed out/i,
      sinceMs: RECENT_MS,
    });
    const kills = eventsWith(ctx, ['Killing'], {
      container: c.name,
      message: /failed (liveness|startup) probe/,
      sinceMs: RECENT_MS,
    });
    if (timeouts.length === 0 && kills.length === 0) continue;
    const pct = Math.round((usage / limit) * 100);
    const ev = [
      `current usage (metrics.k8s.io): cpu=${usageText} = ${pct}% of limits.cpu ${limitText}`,
      ...eventLines(ctx, timeouts, 2),
      ...eventLines(ctx, kills, 1),
    ];
    if (c.status) ev.push(`restartCount: ${c.status.restartCount}`);
    out.push(
      finding(
        'cpu-throttled',
        kills.length > 0 ? 'critical' : 'warning',
        `Container \`${c.name}\` is throttled at its CPU limit (${usageText} of ${limitText}) while its probes time out`,
        ev,
        [
          `kubectl set resources ${templateTarget(ctx)} -n ${ctx.ns} -c ${c.name} --limits=cpu=…  # raise or remove the CPU limit`,
          `/poddebug ps ${ctx.name} -n ${ctx.ns} -c ${c.name}  # which processes burn it`,
          `Or give the probes more room: timeoutSeconds and failureThreshold in ${templateTarget(ctx)}`,
        ],
      ),
    );
  }
  return out;
}
