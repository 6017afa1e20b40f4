/**
 * kubectl debug's profiles (`--profile`), as the securityContext each one gives a debug container, so that
 * `/poddebug debug --profile P` builds exactly what `kubectl debug --profile P` builds. Read from kubectl's
 * `staging/src/k8s.io/kubectl/pkg/cmd/debug/profiles.go` (the `ephemeral` and `podCopy` styles); the test
 * beside it compares every field. Pure: data in, data out.
 *
 * | profile    | ephemeral container securityContext                                                  |
 * |------------|--------------------------------------------------------------------------------------|
 * | general    | capabilities.add [SYS_PTRACE]                                                        |
 * | baseline   | none (cleared)                                                                       |
 * | restricted | runAsNonRoot, capabilities.drop [ALL], allowPrivilegeEscalation false, seccomp RuntimeDefault |
 * | netadmin   | capabilities.add [NET_ADMIN, NET_RAW]                                                |
 * | sysadmin   | privileged                                                                           |
 *
 * For a copy of the pod, kubectl also sets `shareProcessNamespace: true` (every profile here), and general and
 * baseline remove the copy's labels and probes; poddebug removes labels and probes of every copy (so no Service
 * routes to it and no probe restarts it), whatever the profile.
 */

export const DEBUG_PROFILES = ['general', 'baseline', 'restricted', 'netadmin', 'sysadmin'] as const;
export type DebugProfile = (typeof DEBUG_PROFILES)[number];

/** Profiles that give the debug container more than the pod's own containers usually have: approval needed. */
export const ELEVATED_PROFILES: readonly DebugProfile[] = ['netadmin', 'sysadmin'];

export function isDebugProfile(s: string): s is DebugProfile {
  return (DEBUG_PROFILES as readonly string[]).includes(s);
}

/** The subset of core/v1 SecurityContext kubectl's profiles set, in the API's JSON field names. */
export interface DebugSecurityContext {
  privileged?: boolean;
  runAsNonRoot?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type: 'RuntimeDefault' };
}

/**
 * The securityContext kubectl debug gives a new debug container under `profile` (kubectl starts from a
 * container without one). Undefined for baseline: kubectl clears it.
 */
export function profileSecurityContext(profile: DebugProfile): DebugSecurityContext | undefined {
  switch (profile) {
    case 'general':
      return { capabilities: { add: ['SYS_PTRACE'] } };
    case 'baseline':
      return undefined;
    case 'restricted':
      return {
        runAsNonRoot: true,
        capabilities: { drop: ['ALL'] },
        allowPrivilegeEscalation: false,
        seccompProfile: { type: 'RuntimeDefault' },
      };
    case 'netadmin':
      return { capabilities: { add: ['NET_ADMIN', 'NET_RAW'] } };
    case 'sysadmin':
      return { privileged: true };
  }
}

/** Linux capabilities a profile adds (for approvers and the signed statement); `ALL` when privileged. */
export function profileCapabilities(profile: DebugProfile): string[] {
  const sc = profileSecurityContext(profile);
  if (sc?.privileged) return ['ALL'];
  return [...(sc?.capabilities?.add ?? [])];
}

/** What a profile means, in words, for the approval message and the help. */
export const PROFILE_SUMMARY: Record<DebugProfile, string> = {
  general: 'adds CAP_SYS_PTRACE (see and trace the target container’s processes)',
  baseline: 'no securityContext: the runtime’s defaults, nothing added',
  restricted: 'runs as non-root, drops every capability, no privilege escalation, seccomp RuntimeDefault',
  netadmin: 'adds CAP_NET_ADMIN and CAP_NET_RAW (change the pod’s network settings, raw sockets)',
  sysadmin: 'privileged: every capability and the node’s devices',
};
