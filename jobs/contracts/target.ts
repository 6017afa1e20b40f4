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
