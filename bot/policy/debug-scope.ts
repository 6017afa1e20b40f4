/**
 * What the policy says about debug containers: which image `--image NAME` means (the allowlist), and whether a
 * worker's plan may be offered (the image is still allowed, the pod does not carry too many ephemeral
 * containers already). Pure.
 */
import type { ProbePlan, ProbeSpec } from '../../jobs/contracts/probe.js';
import type { Policy } from './schema.js';

/** What the grammar puts in `image` when no `--image` was given: the policy's first image. */
export const DEFAULT_IMAGE_NAME = 'default';

export type ImageChoice = { ok: true; image: string } | { ok: false; reason: string };

/**
 * The image reference `--image NAME` picks (the first listed without `--image`), or why there is none.
 * @param name what the user typed after `--image`; undefined: the default
 */
export function debugImage(policy: Policy, name: string | undefined): ImageChoice {
  const images = policy.debug.images;
  const ask = policy.contact ? ` Ask ${policy.contact}.` : '';
  if (images.length === 0) {
    return {
      ok: false,
      reason: `⛔ The poddebug policy lists no debug images, so \`debug\` cannot run anything. An admin adds them under \`debug.images\`.${ask}`,
    };
  }
  if (name === undefined) return { ok: true, image: images[0]!.image };
  const hit = images.find((i) => i.name === name);
  if (hit) return { ok: true, image: hit.image };
  return {
    ok: false,
    reason: `⛔ \`${name}\` is not a debug image the poddebug policy allows. Use \`--image\` with one of ${images.map((i) => `\`${i.name}\``).join(', ')}, or leave it out for \`${images[0]!.name}\`.${ask}`,
  };
}

/** The spec with `--image NAME` replaced by the image reference it stands for; unchanged for other actions. */
export function withPolicyImage(policy: Policy, spec: ProbeSpec): ImageChoice & { spec?: ProbeSpec } {
  if (spec.action !== 'debug') return { ok: true, image: '', spec };
  const choice = debugImage(policy, spec.image === DEFAULT_IMAGE_NAME ? undefined : spec.image);
  return choice.ok ? { ...choice, spec: { ...spec, image: choice.image } } : choice;
}

/**
 * Why a worker's debug plan may not be offered under the policy in force (undefined: it may): the image left
 * the allowlist since the command, or the pod already carries `maxEphemeralContainers` ephemeral containers.
 */
export function debugPlanRefusal(policy: Policy, plan: ProbePlan): string | undefined {
  if (!plan.debug) return undefined;
  const ask = policy.contact ? ` Ask ${policy.contact}.` : '';
  const spec = plan.spec;
  if (spec.action === 'debug' && !policy.debug.images.some((i) => i.image === spec.image)) {
    return `⛔ The image \`${plan.probeImage}\` is no longer on the poddebug policy's list of debug images, so nothing was requested.${ask}`;
  }
  const max = policy.debug.maxEphemeralContainers;
  if (!plan.debug.copyPod && plan.debug.ephemeralContainers >= max) {
    return `⛔ Pod \`${plan.namespace}/${plan.pod}\` already carries ${plan.debug.ephemeralContainers} ephemeral containers (the policy allows at most ${max} per pod), and they cannot be removed, so no more were added. Use \`--copy\` to debug a copy of the pod, or delete the pod so its owner replaces it.${ask}`;
  }
  return undefined;
}
