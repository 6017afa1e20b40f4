/**
 * Pod Security Admission, enforce mode, for pods created in a namespace
 * labelled `pod-security.kubernetes.io/enforce: baseline|restricted`: the
 * checks a node-probe pod trips, worded as the real admission plugin words
 * them (`pods "x" is forbidden: violates PodSecurity "baseline:latest": host
 * namespaces (hostPID=true), …`). Pure. Unlabelled or `privileged`
 * namespaces admit everything, as in a real cluster.
 */
import { failure, type StatusBody } from './status.js';

type Level = 'privileged' | 'baseline' | 'restricted';

interface Sc {
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  runAsNonRoot?: boolean;
  runAsUser?: number;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type?: string };
}
interface Container {
  name?: string;
  securityContext?: Sc;
}
interface PodLike {
  metadata?: { name?: string };
  spec?: {
    hostPID?: boolean;
    hostNetwork?: boolean;
    hostIPC?: boolean;
    securityContext?: Sc;
    containers?: Container[];
    initContainers?: Container[];
    ephemeralContainers?: Container[];
    volumes?: { name?: string; hostPath?: object }[];
  };
}

/** Capabilities baseline allows in `capabilities.add`. */
const BASELINE_CAPS = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

const q = (s: string) => `"${s}"`;
const list = (xs: string[]) => xs.map(q).join(', ');

/** The enforced level of a namespace from its labels. */
export function enforcedLevel(labels: Record<string, string> | undefined): { level: Level; version: string } {
  const l = labels?.['pod-security.kubernetes.io/enforce'];
  const version = labels?.['pod-security.kubernetes.io/enforce-version'] ?? 'latest';
  return { level: l === 'baseline' || l === 'restricted' ? l : 'privileged', version };
}

/** The violations of a pod at a level ("host namespaces (hostPID=true)", …), in the plugin's order. */
export function podSecurityViolations(pod: PodLike, level: Level): string[] {
  if (level === 'privileged') return [];
  const spec = pod.spec ?? {};
  // The admission plugin visits init, regular and ephemeral containers, in that order.
  const containers = [
    ...(spec.initContainers ?? []),
    ...(spec.containers ?? []),
    ...(spec.ephemeralContainers ?? []),
  ];
  const out: string[] = [];
  // --- baseline ---
  const hostNs = [
    spec.hostNetwork ? 'hostNetwork=true' : '',
    spec.hostPID ? 'hostPID=true' : '',
    spec.hostIPC ? 'hostIPC=true' : '',
  ].filter(Boolean);
  if (hostNs.length > 0) out.push(`host namespaces (${hostNs.join(', ')})`);
  const priv = containers.filter((c) => c.securityContext?.privileged).map((c) => c.name ?? '');
  if (priv.length > 0)
    out.push(
      `privileged (container${priv.length > 1 ? 's' : ''} ${list(priv)} must not set securityContext.privileged=true)`,
    );
  const capMsgs: string[] = [];
  for (const c of containers) {
    const bad = (c.securityContext?.capabilities?.add ?? []).filter((x) => !BASELINE_CAPS.has(x));
    if (bad.length > 0)
      capMsgs.push(
        `container ${q(c.name ?? '')} must not include ${list(bad)} in securityContext.capabilities.add`,
      );
  }
  if (capMsgs.length > 0) out.push(`non-default capabilities (${capMsgs.join('; ')})`);
  const hostPaths = (spec.volumes ?? []).filter((v) => v.hostPath).map((v) => v.name ?? '');
  if (hostPaths.length > 0)
    out.push(`hostPath volumes (volume${hostPaths.length > 1 ? 's' : ''} ${list(hostPaths)})`);
  const unconfinedPod = spec.securityContext?.seccompProfile?.type === 'Unconfined';
  const unconfined = containers
    .filter((c) => c.securityContext?.seccompProfile?.type === 'Unconfined')
    .map((c) => c.name ?? '');
  if (level === 'baseline' && (unconfinedPod || unconfined.length > 0)) {
    const who = [
      unconfinedPod ? 'pod' : '',
      unconfined.length > 0 ? `container${unconfined.length > 1 ? 's' : ''} ${list(unconfined)}` : '',
    ]
      .filter(Boolean)
      .join(' and ');
    out.push(`seccompProfile (${who} must not set securityContext.seccompProfile.type to "Unconfined")`);
  }
  if (level === 'baseline') return out;
  // --- restricted ---
  const ape = containers
    .filter((c) => c.securityContext?.allowPrivilegeEscalation !== false)
    .map((c) => c.name ?? '');
  if (ape.length > 0)
    out.push(
      `allowPrivilegeEscalation != false (container${ape.length > 1 ? 's' : ''} ${list(ape)} must set securityContext.allowPrivilegeEscalation=false)`,
    );
  const capR: string[] = [];
  for (const c of containers) {
    const caps = c.securityContext?.capabilities;
    if (!(caps?.drop ?? []).includes('ALL'))
      capR.push(`container ${q(c.name ?? '')} must set securityContext.capabilities.drop=["ALL"]`);
    const bad = (caps?.add ?? []).filter((x) => x !== 'NET_BIND_SERVICE');
    if (bad.length > 0)
      capR.push(
        `container ${q(c.name ?? '')} must not include ${list(bad)} in securityContext.capabilities.add`,
      );
  }
  if (capR.length > 0) out.push(`unrestricted capabilities (${capR.join('; ')})`);
  if (hostPaths.length > 0)
    out.push(
      `restricted volume types (volume${hostPaths.length > 1 ? 's' : ''} ${list(hostPaths)} use${hostPaths.length > 1 ? '' : 's'} restricted volume type "hostPath")`,
    );
  const podNonRoot = spec.securityContext?.runAsNonRoot === true;
  const rootish = containers
    .filter(
      (c) =>
        c.securityContext?.runAsNonRoot !== true &&
        !(podNonRoot && c.securityContext?.runAsNonRoot === undefined),
    )
    .map((c) => c.name ?? '');
  if (rootish.length > 0)
    out.push(
      `runAsNonRoot != true (pod or container${rootish.length > 1 ? 's' : ''} ${list(rootish)} must set securityContext.runAsNonRoot=true)`,
    );
  const uid0 = containers.filter((c) => c.securityContext?.runAsUser === 0).map((c) => c.name ?? '');
  if (uid0.length > 0 || spec.securityContext?.runAsUser === 0)
    out.push(
      `runAsUser=0 (${uid0.length > 0 ? `container${uid0.length > 1 ? 's' : ''} ${list(uid0)}` : 'pod'} must not set runAsUser=0)`,
    );
  const okSeccomp = (t?: string) => t === 'RuntimeDefault' || t === 'Localhost';
  const podSeccomp = spec.securityContext?.seccompProfile?.type;
  const badSeccomp = containers
    .filter((c) => {
      const t = c.securityContext?.seccompProfile?.type;
      return t !== undefined ? !okSeccomp(t) : !okSeccomp(podSeccomp);
    })
    .map((c) => c.name ?? '');
  if (badSeccomp.length > 0)
    out.push(
      `seccompProfile (pod or container${badSeccomp.length > 1 ? 's' : ''} ${list(badSeccomp)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`,
    );
  return out;
}

/** The 403 the API server answers for a pod its namespace's level forbids, or undefined. */
export function podSecurityDenial(
  pod: PodLike,
  namespaceLabels: Record<string, string> | undefined,
): StatusBody | undefined {
  const { level, version } = enforcedLevel(namespaceLabels);
  const v = podSecurityViolations(pod, level);
  if (v.length === 0) return undefined;
  const name = pod.metadata?.name ?? '';
  return failure(
    403,
    `pods ${q(name)} is forbidden: violates PodSecurity ${q(`${level}:${version}`)}: ${v.join(', ')}`,
    'Forbidden',
    { name, kind: 'pods' },
  );
}
