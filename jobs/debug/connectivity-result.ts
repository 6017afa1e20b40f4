/**
 * The connectivity program's line (`PODDEBUG1 {resolvConf, dns, tcp}`) as netcheck's data, so the same
 * findings (DNS failures, refused or timed-out connections) and the same table come out. Pure.
 */
import type { Finding } from '../contracts/finding.js';
import {
  type NetcheckData,
  NetcheckDataSchema,
  PROBE_LINE_MARKER,
  type ProbePlan,
} from '../contracts/probe.js';
import { probeFindings, probeText } from '../probes/findings/index.js';
import type { RefusalContext } from './refusals.js';

export function parseConnectivityLine(output: string): NetcheckData | undefined {
  const line = output
    .split('\n')
    .reverse()
    .find((l) => l.startsWith(PROBE_LINE_MARKER));
  if (!line) return undefined;
  try {
    const raw = JSON.parse(line.slice(PROBE_LINE_MARKER.length)) as Record<string, unknown>;
    const parsed = NetcheckDataSchema.safeParse({ action: 'netcheck', listening: [], ...raw });
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function connectivityOutcome(
  output: string,
  plan: ProbePlan,
  ctx: RefusalContext,
): { findings: Finding[]; text: string } {
  const data = parseConnectivityLine(output);
  if (!data) {
    return {
      findings: [
        {
          id: 'connectivity-no-result',
          severity: 'warning',
          title: 'The connectivity checks printed no result',
          evidence: output.split('\n').slice(-10),
          next: ['See the output below; the debug image may lack node (use the poddebug image).'],
        },
      ],
      text: output.split('\n').slice(-30).join('\n'),
    };
  }
  const spec = {
    action: 'netcheck' as const,
    targets: plan.spec.action === 'connectivity' ? plan.spec.targets : [],
  };
  const target = { namespace: ctx.namespace, pod: ctx.pod, container: ctx.container, node: plan.node };
  return {
    findings: probeFindings(data, { spec, target, cluster: ctx.cluster }),
    text: probeText(data, spec),
  };
}
