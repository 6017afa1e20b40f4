import { describe, expect, it } from '@jest/globals';
import { debugImage, debugPlanRefusal, withPolicyImage } from '../../../../bot/policy/debug-scope.js';
import { parsePolicy } from '../../../../bot/policy/parse.js';
import type { Policy } from '../../../../bot/policy/schema.js';
import type { ProbePlan } from '../../../../jobs/contracts/probe.js';

const PINNED = `registry.example/tools/busybox:1.36@sha256:${'c'.repeat(64)}`;
const NETSHOOT = `registry.example/tools/netshoot:v0.13@sha256:${'d'.repeat(64)}`;

function policy(debug: string): Policy {
  const r = parsePolicy(`version: 1\ncontact: "#sre"\nchannels: { names: ["*"] }\n${debug}`, 'policy.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r));
  return r.policy;
}

const P = policy(`debug:
  images:
    - { name: busybox, image: "${PINNED}" }
    - { name: netshoot, image: "${NETSHOOT}" }
  maxEphemeralContainers: 2
`);

describe('debug images: the policy’s allowlist', () => {
  it('the first image without --image, the named one with it', () => {
    expect(debugImage(P, undefined)).toEqual({ ok: true, image: PINNED });
    expect(debugImage(P, 'netshoot')).toEqual({ ok: true, image: NETSHOOT });
  });
  it('an unlisted name is refused, naming the allowed ones and whom to ask', () => {
    const r = debugImage(P, 'alpine');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/`alpine` is not a debug image.*`busybox`, `netshoot`.*#sre/);
  });
  it('no images listed: debug refused, saying where to add them', () => {
    const r = debugImage(policy(''), undefined);
    expect(!r.ok && r.reason).toMatch(/lists no debug images.*debug\.images/);
  });
  it('the grammar’s `default` becomes the first image; other actions are unchanged', () => {
    const spec = { action: 'debug' as const, profile: 'general' as const, image: 'default', argv: ['id'] };
    expect(withPolicyImage(P, spec).spec).toEqual({ ...spec, image: PINNED });
    const ps = { action: 'ps' as const };
    expect(withPolicyImage(P, ps).spec).toBe(ps);
  });
  it.each([
    [`debug: { images: [{ name: busybox, image: "busybox:1.36" }] }`, /not pinned by digest/],
    [
      `debug: { images: [{ name: a, image: "${PINNED}" }, { name: a, image: "${NETSHOOT}" }] }`,
      /listed twice/,
    ],
    [`debug: { images: [{ name: Busy, image: "${PINNED}" }] }`, /short name/],
    [`debug: { maxEphemeralContainers: 0 }`, /maxEphemeralContainers/],
    [`debug: { images: [], imagez: [] }`, /imagez/],
  ])('a policy file with %s is refused when it loads', (debug, message) => {
    const r = parsePolicy(`version: 1\nchannels: { names: ["*"] }\n${debug}\n`, 'policy.yaml');
    expect(r.ok).toBe(false);
    expect(JSON.stringify(r)).toMatch(message);
  });
  it('requireDigest: false lets a tag through', () => {
    expect(
      policy(`debug: { requireDigest: false, images: [{ name: b, image: "busybox:1.36" }] }`).debug.images,
    ).toHaveLength(1);
  });
});

describe('a debug plan against the policy', () => {
  const base = {
    cluster: 'prod',
    namespace: 'shop',
    pod: 'web-0',
    spec: { action: 'debug', profile: 'general', image: PINNED, argv: ['id'] },
    probeImage: PINNED,
    debug: { containerName: 'poddebug-1', securityContext: '{}', argv: ['id'], ephemeralContainers: 1 },
  } as unknown as ProbePlan;
  it('passes under the cap with a listed image', () => {
    expect(debugPlanRefusal(P, base)).toBeUndefined();
  });
  it('is refused at the cap, saying they cannot be removed and offering --copy', () => {
    const full = { ...base, debug: { ...base.debug!, ephemeralContainers: 2 } };
    expect(debugPlanRefusal(P, full)).toMatch(
      /already carries 2 ephemeral containers.*at most 2.*cannot be removed.*--copy/,
    );
  });
  it('a copy is not counted against the cap', () => {
    const copy = { ...base, debug: { ...base.debug!, ephemeralContainers: 9, copyPod: 'web-0-debug-1' } };
    expect(debugPlanRefusal(P, copy)).toBeUndefined();
  });
  it('an image removed from the list since the command is refused', () => {
    const gone = {
      ...base,
      spec: { ...base.spec, image: `registry.example/other@sha256:${'e'.repeat(64)}` },
    } as ProbePlan;
    expect(debugPlanRefusal(P, gone)).toMatch(/no longer on the poddebug policy's list/);
  });
});
