import { describe, expect, it } from '@jest/globals';
import {
  DEBUG_PROFILES,
  type DebugProfile,
  profileCapabilities,
  profileSecurityContext,
} from '../../../../jobs/contracts/debug-profiles.js';

/**
 * kubectl's own expectations for a debug container added as an ephemeral container ("debug by ephemeral
 * container" in kubernetes/kubectl pkg/cmd/debug/profiles_test.go, TestGeneralProfile … TestSysAdminProfile),
 * transcribed field by field in the API's JSON names. A field absent here must be absent in ours.
 */
const KUBECTL_EPHEMERAL: Record<DebugProfile, Record<string, unknown> | undefined> = {
  // SecurityContext: &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: {"SYS_PTRACE"}}}
  general: { capabilities: { add: ['SYS_PTRACE'] } },
  // clearSecurityContext: SecurityContext = nil
  baseline: undefined,
  // RunAsNonRoot: true, Capabilities.Drop: {"ALL"}, AllowPrivilegeEscalation: false, SeccompProfile RuntimeDefault
  restricted: {
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
    allowPrivilegeEscalation: false,
    seccompProfile: { type: 'RuntimeDefault' },
  },
  // Capabilities.Add: {"NET_ADMIN", "NET_RAW"}
  netadmin: { capabilities: { add: ['NET_ADMIN', 'NET_RAW'] } },
  // Privileged: true
  sysadmin: { privileged: true },
};

/** Every leaf of an object as `path=value`, so a difference names the field. */
function leaves(v: unknown, path = ''): string[] {
  if (v === undefined) return [];
  if (Array.isArray(v)) return [`${path}=${JSON.stringify(v)}`];
  if (v !== null && typeof v === 'object') {
    return Object.entries(v as Record<string, unknown>).flatMap(([k, x]) =>
      leaves(x, path ? `${path}.${k}` : k),
    );
  }
  return [`${path}=${JSON.stringify(v)}`];
}

describe('kubectl debug profiles, field by field', () => {
  it('covers exactly kubectl’s five non-legacy profiles', () => {
    expect([...DEBUG_PROFILES].sort()).toEqual(Object.keys(KUBECTL_EPHEMERAL).sort());
  });

  it.each(DEBUG_PROFILES.map((p) => [p]))('%s: the same securityContext fields and values', (profile) => {
    const ours = profileSecurityContext(profile);
    const theirs = KUBECTL_EPHEMERAL[profile];
    expect(leaves(ours).sort()).toEqual(leaves(theirs).sort());
    expect(ours).toEqual(theirs);
  });

  it('returns a fresh object each time (a caller changing one does not change the profile)', () => {
    const a = profileSecurityContext('general')!;
    a.capabilities!.add!.push('SYS_ADMIN');
    expect(profileSecurityContext('general')).toEqual({ capabilities: { add: ['SYS_PTRACE'] } });
  });

  it.each([
    ['general', ['SYS_PTRACE']],
    ['baseline', []],
    ['restricted', []],
    ['netadmin', ['NET_ADMIN', 'NET_RAW']],
    ['sysadmin', ['ALL']],
  ] as const)('%s adds the capabilities %j', (profile, caps) => {
    expect(profileCapabilities(profile)).toEqual(caps);
  });
});
