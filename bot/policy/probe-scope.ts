/**
 * What a probe may reach and see, beyond who may run it: host-namespace targets (`hostNetwork` /
 * `hostPID` pods, which make a probe node-wide) and the network targets of `netcheck` and tcpdump filters
 * (a denylist of link-local, cloud metadata, loopback and control-plane ports, with per-scope exceptions).
 * Pure: the policy, the request's scope and literal values in, refusals out.
 */
import { isIPv4, isIPv6, type ProbePlan, type ProbeSpec } from '../../jobs/contracts/probe.js';
import { matchGlob } from './decide.js';
import { contains, type Net, overlaps, parseNet } from './net.js';
import type { Policy } from './schema.js';

export type HostNamespace = 'network' | 'pid';

/** One denied range, name or port, with why (shown in the refusal). */
interface Denied<T> {
  value: T;
  why: string;
}

/** Built-in denials: every probe network target is checked against these unless the policy allows it. */
export const DEFAULT_DENIED = {
  cidrs: [
    { value: '169.254.169.254/32', why: 'cloud metadata service (AWS, GCP, Azure, OpenStack)' },
    { value: '169.254.170.2/32', why: 'AWS ECS task metadata and credentials' },
    { value: 'fd00:ec2::254/128', why: 'AWS metadata service (IPv6)' },
    { value: '100.100.100.200/32', why: 'Alibaba Cloud metadata service' },
    { value: '168.63.129.16/32', why: 'Azure WireServer' },
    { value: '169.254.0.0/16', why: 'link-local' },
    { value: 'fe80::/10', why: 'link-local' },
    { value: '127.0.0.0/8', why: 'loopback' },
    { value: '::1/128', why: 'loopback' },
    { value: '0.0.0.0/8', why: '"this host" (connects to loopback)' },
    { value: '::/128', why: 'unspecified address (connects to loopback)' },
  ],
  names: [
    { value: 'metadata.google.internal', why: 'GCP metadata service' },
    { value: 'metadata.goog', why: 'GCP metadata service' },
    { value: 'metadata', why: 'GCP metadata service (short name)' },
    { value: 'instance-data', why: 'AWS metadata service name' },
    { value: 'instance-data.ec2.internal', why: 'AWS metadata service name' },
    { value: 'localhost', why: 'loopback' },
    { value: '*.localhost', why: 'loopback' },
  ],
  ports: [
    { value: 6443, why: 'Kubernetes API server' },
    { value: 2379, why: 'etcd client port' },
    { value: 2380, why: 'etcd peer port' },
    { value: 10250, why: 'kubelet API' },
    { value: 10255, why: 'kubelet read-only port' },
  ],
} as const satisfies {
  cidrs: readonly Denied<string>[];
  names: readonly Denied<string>[];
  ports: readonly Denied<number>[];
};

function inScope(r: { clusters: readonly string[]; namespaces: readonly string[] }, c: string, n: string) {
  return r.clusters.some((g) => matchGlob(g, c)) && r.namespaces.some((g) => matchGlob(g, n));
}

/** The host namespaces the policy lets probes in this cluster and namespace see whole (default: none). */
export function hostNamespacesAllowed(
  policy: Policy,
  cluster: string,
  namespace: string,
): Set<HostNamespace> {
  const out = new Set<HostNamespace>();
  for (const r of policy.probes.hostNamespaces)
    if (inScope(r, cluster, namespace)) for (const ns of r.allow) out.add(ns);
  return out;
}

const NS_TEXT: Record<HostNamespace, { key: string; sees: string }> = {
  network: { key: 'hostNetwork', sees: "the whole node's network (every pod's traffic on it)" },
  pid: { key: 'hostPID', sees: "the whole node's processes" },
};

/**
 * Why a plan whose probe would see host namespaces is refused here, or undefined when it is not (no host
 * scope, or the policy allows each namespace for this cluster and namespace).
 */
export function hostScopeRefusal(policy: Policy, plan: ProbePlan): string | undefined {
  const scope = plan.hostScope;
  if (!scope) return undefined;
  const allowed = hostNamespacesAllowed(policy, plan.cluster, plan.namespace);
  const missing = (Object.keys(scope) as HostNamespace[]).filter((ns) => scope[ns] && !allowed.has(ns));
  if (missing.length === 0) return undefined;
  const shares = missing.map(
    (ns) => `the node's ${ns === 'network' ? 'network' : 'PID'} namespace (\`${NS_TEXT[ns].key}: true\`)`,
  );
  const sees = missing.map((ns) => NS_TEXT[ns].sees).join(' and ');
  const ask = policy.contact ? ` Ask ${policy.contact}.` : '';
  return `Pod \`${plan.namespace}/${plan.pod}\` shares ${shares.join(' and ')}, so ${plan.spec.action} would see ${sees}. The poddebug policy does not allow node-wide probes in cluster ${plan.cluster}, namespace ${plan.namespace}, so nothing was requested. To allow them, add a \`probes.hostNamespaces\` rule with \`allow: [${missing.join(', ')}]\` for this cluster and namespace; such probes then need an approval.${ask}`;
}

// --- network targets ---

function normName(n: string): string {
  return (n.endsWith('.') ? n.slice(0, -1) : n).toLowerCase();
}

function nameMatches(pattern: string, name: string): boolean {
  const p = normName(pattern);
  const n = normName(name);
  return p.startsWith('*.') ? n.endsWith(p.slice(1)) : n === p;
}

/** The denials and exceptions in force for one cluster and namespace. */
export interface NetworkRules {
  cidrs: Array<{ net: Net; text: string; why: string }>;
  names: Array<{ value: string; why: string }>;
  ports: Array<{ value: number; why: string }>;
  allow: { nets: Net[]; names: string[]; ports: number[] };
}

export function networkRules(policy: Policy, cluster: string, namespace: string): NetworkRules {
  const p = policy.probes.networkTargets;
  const cidrs = [
    ...DEFAULT_DENIED.cidrs,
    ...p.deny.cidrs.map((value) => ({ value, why: 'denied by the poddebug policy' })),
  ].flatMap((d) => {
    const net = parseNet(d.value);
    return net ? [{ net, text: d.value, why: d.why }] : [];
  });
  const names = [
    ...DEFAULT_DENIED.names,
    ...p.deny.names.map((value) => ({ value, why: 'denied by the poddebug policy' })),
  ];
  const ports = [
    ...DEFAULT_DENIED.ports,
    ...p.deny.ports.map((value) => ({ value, why: 'denied by the poddebug policy' })),
  ];
  const allow = { nets: [] as Net[], names: [] as string[], ports: [] as number[] };
  for (const r of p.allow) {
    if (!inScope(r, cluster, namespace)) continue;
    for (const c of r.cidrs) {
      const net = parseNet(c);
      if (net) allow.nets.push(net);
    }
    allow.names.push(...r.names);
    allow.ports.push(...r.ports);
  }
  return { cidrs, names, ports, allow };
}

/** Why an address or network may not be a probe target, or undefined. */
export function addressProblem(rules: NetworkRules, text: string): string | undefined {
  const net = parseNet(text);
  if (!net) return undefined;
  if (rules.allow.nets.some((a) => contains(a, net))) return undefined;
  // The denied range holding the value explains it best; a wider value only overlaps one.
  const inside = rules.cidrs.find((d) => contains(d.net, net));
  if (inside) return `\`${text}\` is in ${inside.text} (${inside.why})`;
  const hit = rules.cidrs.find((d) => overlaps(d.net, net));
  return hit ? `\`${text}\` includes ${hit.text} (${hit.why})` : undefined;
}

/** Why a host name may not be a probe target, or undefined. */
export function nameProblem(rules: NetworkRules, name: string): string | undefined {
  if (rules.allow.names.some((a) => nameMatches(a, name))) return undefined;
  const hit = rules.names.find((d) => nameMatches(d.value, name));
  return hit ? `\`${normName(name)}\` is ${hit.why}` : undefined;
}

/** Why a port range may not be a probe target, or undefined. */
export function portProblem(rules: NetworkRules, lo: number, hi = lo): string | undefined {
  const hit = rules.ports.find((d) => d.value >= lo && d.value <= hi && !rules.allow.ports.includes(d.value));
  if (!hit) return undefined;
  return lo === hi ? `port ${lo} is the ${hit.why}` : `ports ${lo}-${hi} include ${hit.value} (${hit.why})`;
}

/**
 * The denied network targets a probe names literally (netcheck HOST[:PORT]; tcpdump `host`, `net`, `port`,
 * `portrange` values). tcpdump host names are refused outright: tcpdump would resolve them in the probe pod,
 * not with the target's resolver, so the capture could differ from what approvers read.
 */
export function literalTargetProblems(rules: NetworkRules, spec: ProbeSpec): string[] {
  const out: string[] = [];
  const add = (p: string | undefined) => {
    if (p && !out.includes(p)) out.push(p);
  };
  // connectivity checks the same targets from a debug container in the pod: the same rules apply.
  if (spec.action === 'netcheck' || spec.action === 'connectivity') {
    for (const t of spec.targets) {
      add(isIPv4(t.host) || isIPv6(t.host) ? addressProblem(rules, t.host) : nameProblem(rules, t.host));
      if (t.port !== undefined) add(portProblem(rules, t.port));
    }
  }
  if (spec.action === 'tcpdump') {
    const f = spec.filter;
    for (let i = 0; i + 1 < f.length; i++) {
      const type = f[i];
      const value = f[i + 1]!;
      if (type === 'host') {
        if (isIPv4(value) || isIPv6(value)) add(addressProblem(rules, value));
        else
          add(
            `tcpdump filters take addresses, not names (\`host ${value}\`): tcpdump would resolve it inside the probe pod, not as the target pod does. Write the IP address, e.g. from \`kubectl get svc\` or \`kubectl get pod -o wide\``,
          );
      } else if (type === 'net') add(addressProblem(rules, value));
      else if (type === 'port') add(portProblem(rules, Number(value)));
      else if (type === 'portrange') {
        const [lo, hi] = value.split('-').map(Number) as [number, number];
        add(portProblem(rules, lo, hi));
      }
    }
  }
  return out;
}

/** The denied addresses netcheck names resolved to at plan time. */
export function resolvedTargetProblems(rules: NetworkRules, resolved: ProbePlan['resolved']): string[] {
  const out: string[] = [];
  for (const r of resolved ?? []) {
    for (const a of r.addresses) {
      const p = addressProblem(rules, a);
      if (p) out.push(`\`${r.name}\` resolves to ${p}`);
    }
  }
  return out;
}

/** The refusal message for denied network targets. */
export function networkRefusal(
  policy: Policy,
  problems: string[],
  cluster: string,
  namespace: string,
): string {
  const ask = policy.contact ? ` Ask ${policy.contact}.` : '';
  return `⛔ Probe network target refused: ${problems.join('; ')}. Nothing was requested. Probes may not reach link-local, cloud metadata, loopback or control-plane (API server, etcd, kubelet) targets in cluster ${cluster}, namespace ${namespace} unless a \`probes.networkTargets.allow\` rule of the poddebug policy allows it.${ask}`;
}
