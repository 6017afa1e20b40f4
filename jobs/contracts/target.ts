import { z } from 'zod';
import { isDns1123Label, isDns1123Subdomain } from './names.js';

/** What a user can point diagnose at: a pod, or an owner whose worst pod is diagnosed. */
export const TargetKindSchema = z.enum(['pod', 'deploy', 'sts', 'ds', 'job']);
export type TargetKind = z.infer<typeof TargetKindSchema>;

/** API kind for each target kind, for messages and owner matching. */
export const TARGET_KIND_API: Record<TargetKind, string> = {
  pod: 'Pod',
  deploy: 'Deployment',
  sts: 'StatefulSet',
  ds: 'DaemonSet',
  job: 'Job',
};

export const TargetRefSchema = z.object({
  kind: TargetKindSchema,
  name: z.string().refine(isDns1123Subdomain, 'not a valid Kubernetes name (DNS-1123 subdomain)'),
  /** Absent: find the pod in any namespace (pods only). */
  namespace: z.string().refine(isDns1123Label, 'not a valid namespace name (DNS-1123 label)').optional(),
  container: z.string().refine(isDns1123Label, 'not a valid container name (DNS-1123 label)').optional(),
});
export type TargetRef = z.infer<typeof TargetRefSchema>;

/** `deploy/checkout` or `checkout-7d9f-x2`, with `ns/` in front when known. */
export function formatTarget(t: Pick<TargetRef, 'kind' | 'name' | 'namespace'>): string {
  const base = t.kind === 'pod' ? t.name : `${t.kind}/${t.name}`;
  return t.namespace ? `${t.namespace}/${base}` : base;
}

/** Prefixes a user may type before `/NAME`, normalised to a TargetKind. */
export const TARGET_PREFIXES: Record<string, Exclude<TargetKind, 'pod'>> = {
  deploy: 'deploy',
  deployment: 'deploy',
  sts: 'sts',
  statefulset: 'sts',
  ds: 'ds',
  daemonset: 'ds',
  job: 'job',
};

/**
 * Parses `NAME` or `KIND/NAME` (the target of diagnose) into kind and name.
 * Returns an error sentence instead of throwing: both the Slack grammar and
 * the CLI show it to the user as it is.
 */
export function parseTargetSpec(spec: string): { kind: TargetKind; name: string } | { error: string } {
  const slash = spec.indexOf('/');
  let kind: TargetKind = 'pod';
  let name = spec;
  if (slash >= 0) {
    const prefix = spec.slice(0, slash);
    name = spec.slice(slash + 1);
    const k = TARGET_PREFIXES[prefix];
    if (!k) {
      return {
        error: `\`${prefix}/\` is not a kind poddebug diagnoses: use a pod name, or deploy/, sts/, ds/ or job/ followed by a name.`,
      };
    }
    kind = k;
    if (!name) return { error: `\`${spec}\` has no name after the slash: write ${prefix}/NAME.` };
  }
  if (!isDns1123Subdomain(name)) {
    return {
      error: `\`${name}\` is not a valid ${kind === 'pod' ? 'pod' : TARGET_KIND_API[kind]} name: use lowercase letters, digits, '-' and '.', at most 253 characters (DNS-1123).`,
    };
  }
  return { kind, name };
}
