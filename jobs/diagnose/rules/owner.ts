import { type Finding, finding } from '../../contracts/finding.js';
import type { KEvent } from '../../k8s/types.js';
import type { Gathered } from '../types.js';
import type { RuleContext } from './context.js';
import { formatEvent, oneLine, sortEventsNewestFirst } from './util.js';

function ownerEvents(ctx: RuleContext, reasons: readonly string[], message?: RegExp): KEvent[] {
  return sortEventsNewestFirst(ctx.g.owners.events).filter(
    (e) => reasons.includes(e.reason ?? '') && (!message || message.test(e.message ?? '')),
  );
}

const BLOCKED = /exceeded quota|admission webhook|is forbidden|denied the request/i;

/** A Deployment whose rollout is stuck, or whose ReplicaSet cannot create pods (quota, webhook). */
export function rolloutStuckRule(ctx: RuleContext): Finding[] {
  const d = ctx.g.owners.deployment;
  const conds = d?.status?.conditions ?? [];
  const deadline = conds.find((c) => c.type === 'Progressing' && c.status === 'False');
  const failure = conds.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  const created = ownerEvents(ctx, ['FailedCreate'], BLOCKED);
  if (!deadline && !failure && created.length === 0) return [];
  const name = d?.metadata?.name ?? ctx.g.owners.replicaSet?.metadata?.name ?? '?';
  const kind = d ? 'deploy' : 'rs';
  const ev: string[] = [];
  if (deadline)
    ev.push(
      `deployment ${name} condition Progressing=False reason=${deadline.reason ?? ''}: ${oneLine(deadline.message)}`,
    );
  if (failure)
    ev.push(
      `deployment ${name} condition ReplicaFailure=True reason=${failure.reason ?? ''}: ${oneLine(failure.message)}`,
    );
  if (d?.status) {
    const s = d.status;
    ev.push(
      `deployment ${name}: replicas=${s.replicas ?? 0} updated=${s.updatedReplicas ?? 0} ready=${s.readyReplicas ?? 0} available=${s.availableReplicas ?? 0} unavailable=${s.unavailableReplicas ?? 0}`,
    );
  }
  ev.push(
    ...created
      .slice(0, 2)
      .map(
        (e) => `${e.involvedObject?.kind ?? ''} ${e.involvedObject?.name ?? ''}: ${formatEvent(e, ctx.now)}`,
      ),
  );
  const text = [failure?.message, ...created.map((e) => e.message)].join('\n');
  const quota = /exceeded quota: ([^,\s]+)/.exec(text)?.[1];
  const webhook = /admission webhook "([^"]+)"/.exec(text)?.[1];
  const newRs = /ReplicaSet "([^"]+)"/.exec(deadline?.message ?? '')?.[1];
  const why = quota
    ? `new pods exceed ResourceQuota \`${quota}\``
    : webhook
      ? `admission webhook \`${webhook}\` denies new pods`
      : deadline?.reason === 'ProgressDeadlineExceeded'
        ? 'new pods did not become available within progressDeadlineSeconds'
        : (failure?.reason ?? 'pods cannot be created');
  const next = [`kubectl rollout status ${kind}/${name} -n ${ctx.ns} --timeout=10s`];
  if (newRs) next.push(`kubectl describe rs ${newRs} -n ${ctx.ns}`);
  if (quota)
    next.push(
      `kubectl describe resourcequota ${quota} -n ${ctx.ns}  # free quota, or lower the new pods' requests/limits`,
    );
  if (webhook)
    next.push(
      `The webhook \`${webhook}\` says why in the message above: fix the pod template, or the policy`,
    );
  if (d)
    next.push(`kubectl rollout undo deploy/${name} -n ${ctx.ns}  # if the new version must be backed out`);
  return [finding('rollout-stuck', 'critical', `Rollout of \`${kind}/${name}\` is stuck: ${why}`, ev, next)];
}

/** A Job that failed (backoff limit, deadline, pod failure policy). */
export function jobFailedRule(ctx: RuleContext): Finding[] {
  const job = ctx.g.owners.job;
  const cond = job?.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
  if (!job || !cond) return [];
  const name = job.metadata?.name ?? '?';
  const ev = [
    `job ${name} condition Failed=True reason=${cond.reason ?? ''}: ${oneLine(cond.message)}`,
    `job ${name}: spec.backoffLimit=${job.spec?.backoffLimit ?? 6} status.failed=${job.status?.failed ?? 0} status.succeeded=${job.status?.succeeded ?? 0}`,
  ];
  if (job.spec?.activeDeadlineSeconds !== undefined)
    ev.push(`job ${name}: spec.activeDeadlineSeconds=${job.spec.activeDeadlineSeconds}`);
  ev.push(
    ...ownerEvents(ctx, ['BackoffLimitExceeded', 'DeadlineExceeded'])
      .slice(0, 1)
      .map((e) => formatEvent(e, ctx.now)),
  );
  const why =
    cond.reason === 'BackoffLimitExceeded'
      ? `its pods failed ${job.status?.failed ?? '?'} times (backoffLimit ${job.spec?.backoffLimit ?? 6})`
      : cond.reason === 'DeadlineExceeded'
        ? `it ran longer than activeDeadlineSeconds (${job.spec?.activeDeadlineSeconds ?? '?'}s)`
        : (cond.reason ?? 'failed');
  return [
    finding('job-failed', 'critical', `Job \`${name}\` failed (${cond.reason ?? 'Failed'}): ${why}`, ev, [
      `kubectl logs -n ${ctx.ns} ${ctx.name} --all-containers  # the failing pod's output`,
      `kubectl get pods -n ${ctx.ns} -l batch.kubernetes.io/job-name=${name}`,
      `Fix the cause, then re-run: kubectl delete job ${name} -n ${ctx.ns} and re-apply it (a failed Job is not retried)`,
    ]),
  ];
}

/** What a FailedCreate message says stops the controller. */
export interface CreateFailure {
  kind: 'quota' | 'pod-security' | 'service-account' | 'webhook' | 'other';
  /** quota name, PodSecurity level, service account or webhook name. */
  name?: string;
  /** quota: `requested: …, used: …, limited: …`; PodSecurity: the failing checks. */
  details: string[];
}

/** Parses a FailedCreate event message (`Error creating: pods "x" is forbidden: …`). */
export function parseCreateFailure(message: string): CreateFailure {
  const quota = /exceeded quota: ([\w.-]+)(?:, (requested: .*))?$/.exec(message);
  if (quota) {
    const parts = (quota[2] ?? '').split(/, (?=used: |limited: )/).filter(Boolean);
    return { kind: 'quota', name: quota[1], details: parts };
  }
  const pss = /violates PodSecurity "([\w.:-]+)": (.*)$/.exec(message);
  if (pss) {
    const checks = pss[2]!
      .split(/\), /)
      .map((c) => c.replace(/\)$/, '').trim())
      .filter(Boolean);
    return { kind: 'pod-security', name: pss[1], details: checks };
  }
  const sa = /serviceaccount "([\w.-]+)" not found/.exec(message);
  if (sa) return { kind: 'service-account', name: sa[1], details: [] };
  const hook = /admission webhook "([^"]+)" denied the request:? ?(.*)$/.exec(message);
  if (hook) return { kind: 'webhook', name: hook[1], details: hook[2] ? [hook[2]] : [] };
  return { kind: 'other', details: [] };
}

const OWNER_SHORT: Record<string, string> = {
  ReplicaSet: 'rs',
  StatefulSet: 'sts',
  DaemonSet: 'ds',
  Job: 'job',
  Deployment: 'deploy',
};

/**
 * The owner's controller cannot create pods: FailedCreate events on the
 * ReplicaSet, StatefulSet, DaemonSet or Job (or the Deployment's
 * ReplicaFailure condition), with the ResourceQuota's used/hard when a quota
 * is exceeded and it could be read.
 */
export function createFailedRule(ctx: RuleContext): Finding[] {
  return createFailedFindings({ owners: ctx.g.owners, quotas: ctx.g.quotas, ns: ctx.ns, now: ctx.now });
}

/** What create-failed reads: the owners with their events, the exceeded quotas, the namespace and the clock. */
export interface OwnerInput {
  owners: Gathered['owners'];
  quotas?: Gathered['quotas'];
  ns: string;
  now: number;
}

/** create-failed from the owners alone (also when the owner has no pods at all). */
export function createFailedFindings(input: OwnerInput): Finding[] {
  const ctx = { g: { owners: input.owners, quotas: input.quotas }, ns: input.ns, now: input.now };
  const events = sortEventsNewestFirst(ctx.g.owners.events)
    .filter((e) => e.reason === 'FailedCreate')
    .filter((e) => ['ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job'].includes(e.involvedObject?.kind ?? ''));
  const failure = ctx.g.owners.deployment?.status?.conditions?.find(
    (c) => c.type === 'ReplicaFailure' && c.status === 'True',
  );
  const message = events[0]?.message ?? (failure?.reason === 'FailedCreate' ? failure.message : undefined);
  if (!message) return [];
  const f = parseCreateFailure(message);
  const ownerKind = events[0]?.involvedObject?.kind ?? 'Deployment';
  const ownerName = events[0]?.involvedObject?.name ?? ctx.g.owners.deployment?.metadata?.name ?? '?';
  const owner = `${OWNER_SHORT[ownerKind] ?? ownerKind.toLowerCase()}/${ownerName}`;
  const ev = events
    .slice(0, 2)
    .map(
      (e) => `${e.involvedObject?.kind ?? ''} ${e.involvedObject?.name ?? ''}: ${formatEvent(e, ctx.now)}`,
    );
  if (events.length === 0 && failure)
    ev.push(`deployment condition ReplicaFailure=True reason=FailedCreate: ${oneLine(failure.message)}`);
  const next: string[] = [];
  let why: string;
  switch (f.kind) {
    case 'quota': {
      why = `it exceeds ResourceQuota \`${f.name}\``;
      ev.push(...f.details.map((d) => `quota ${f.name}: ${d}`));
      const q = ctx.g.quotas?.find((x) => x.metadata?.name === f.name);
      if (q) {
        const hard = q.status?.hard ?? q.spec?.hard ?? {};
        const used = q.status?.used ?? {};
        for (const k of Object.keys(hard).sort())
          ev.push(`resourcequota ${f.name}: ${k} used=${used[k] ?? '0'} hard=${hard[k]}`);
      }
      next.push(
        `kubectl describe resourcequota ${f.name} -n ${ctx.ns}`,
        'Free quota (scale down or delete what uses it), raise the quota, or lower the pods\u2019 requests/limits',
      );
      break;
    }
    case 'pod-security':
      why = `its pods violate Pod Security level \`${f.name}\` of namespace ${ctx.ns}`;
      ev.push(...f.details.map((d) => `failing check: ${d}`));
      next.push(
        `Fix the pod template's securityContext for the checks above in ${owner}`,
        `kubectl get namespace ${ctx.ns} --show-labels  # pod-security.kubernetes.io/enforce`,
      );
      break;
    case 'service-account':
      why = `its service account \`${f.name}\` does not exist`;
      next.push(
        `kubectl create serviceaccount ${f.name} -n ${ctx.ns}  # or fix serviceAccountName in ${owner}`,
      );
      break;
    case 'webhook':
      why = `admission webhook \`${f.name}\` denies its pods`;
      ev.push(...f.details.map((d) => `webhook says: ${oneLine(d)}`));
      next.push(
        'Fix the pod template as the webhook message says, or the policy behind it',
        `kubectl get validatingwebhookconfigurations,mutatingwebhookconfigurations | grep -i ${f.name?.split('.')[0] ?? 'NAME'}`,
      );
      break;
    default:
      why = 'its controller cannot create pods';
  }
  next.push(`kubectl describe ${owner} -n ${ctx.ns}`);
  return [finding('create-failed', 'critical', `\`${owner}\` cannot create pods: ${why}`, ev, next)];
}
