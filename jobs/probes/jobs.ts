/**
 * The worker's side of a privileged request: the plan job (read the target:
 * container, node, image, container ID) and the run job (check the approval's
 * binding and validity, run the probe pod, turn its output into findings and
 * artefacts). Artefacts go to Redis with a TTL; the bot uploads them.
 */
import type { KeyObject } from 'node:crypto';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import {
  type ArtefactMeta,
  CodedError,
  KEYS,
  ProbePlanPayloadSchema,
  type ProbePlanResult,
  type ProbeResult,
  type ProbeRunPayload,
  ProbeRunPayloadSchema,
  parseRequestRecord,
  planBinding,
  verifyApproval,
} from '../contracts/index.js';
import { isDebugAction } from '../contracts/probe.js';
import { planDebug } from '../debug/plan.js';
import { runDebug } from '../debug/run.js';
import type { DebugPods } from '../k8s/debug-pods.js';
import type { ProbePods } from '../k8s/probe-pods.js';
import { jobPayload } from '../payload.js';
import { redactText } from '../redact.js';
import { type ArtefactInput, sha256, storeArtefacts } from './artefact-store.js';
import { memChartPng } from './chart.js';
import { probeError } from './errors.js';
import { probeFindings, probeText } from './findings/index.js';
import { type PlanResolver, planProbe } from './plan.js';
import { runProbePod } from './runner.js';
import type { ProbeSlots } from './slots.js';

export interface ProbeJobDeps {
  cluster: string;
  pods: ProbePods;
  slots: ProbeSlots;
  redis: Redis;
  logger: Logger;
  /**
   * The bot's approval public keys by key id (several while keys rotate): a run job runs only when its
   * approval is signed by one of them and says what the job says.
   */
  approvalKeys: ReadonlyMap<string, KeyObject>;
  /** The poddebug image the probe pod runs. */
  image: string;
  criSocket?: string;
  /** netcheck: resolves target names at plan time with the target's resolver (resolve-target.ts). */
  resolveName?: PlanResolver;
  startTimeoutMs?: number;
  now?: () => Date;
  /** debug and connectivity (jobs/debug/): the target pods' ephemeral containers and copies. */
  debugPods?: DebugPods;
}

/** The debug client, or the refusal of a worker without one. */
function debugPodsOf(d: ProbeJobDeps): DebugPods {
  if (!d.debugPods) {
    throw new CodedError(
      'invalid_args',
      `The worker of \`${d.cluster}\` is not set up for debug containers.`,
      ['Deploy the worker with deploy/components/debug-containers; see docs/debug.md.'],
    );
  }
  return d.debugPods;
}

/** Resolves the target so approvers see exactly what will run where. */
export async function runPlanJob(job: Job, d: ProbeJobDeps): Promise<ProbePlanResult> {
  const p = jobPayload(ProbePlanPayloadSchema, job.data, d.cluster, {
    message: 'The probe request is not valid; it was refused.',
    next: ['Run the command again from Slack.'],
  });
  if (isDebugAction(p.spec.action)) {
    const plan = await planDebug(debugPodsOf(d), {
      cluster: p.cluster,
      requestId: p.requestId,
      target: p.target,
      spec: p.spec,
      workerImage: d.image,
    });
    return { outcome: 'planned', plan, binding: planBinding(plan) };
  }
  const plan = await planProbe(d.pods, {
    cluster: p.cluster,
    target: p.target,
    spec: p.spec,
    image: d.image,
    ...(d.criSocket ? { criSocket: d.criSocket } : {}),
    ...(d.resolveName ? { resolve: d.resolveName } : {}),
  });
  return { outcome: 'planned', plan, binding: planBinding(plan) };
}

/**
 * Runs an approved probe once. Refuses (without retry, nothing run) a payload whose plan does not hash to the
 * approved binding, an approval not signed by a trusted bot key or saying other than the job
 * (verifyApproval), a bot record that does not match, an approval past its start-by time (Redis's clock),
 * and an approval already used.
 */
export async function runRunJob(job: Job, d: ProbeJobDeps, abort?: AbortSignal): Promise<ProbeResult> {
  const p = jobPayload(ProbeRunPayloadSchema, job.data, d.cluster, {
    message: 'The probe job is not valid; it was refused and nothing ran.',
    next: ['Request the probe again from Slack.'],
  });
  // Redis's clock, not this worker's: the bot replicas that set start-by read the same one.
  const now = d.now ? d.now() : await redisNow(d.redis);
  if (p.approval.requestId !== p.requestId || planBinding(p.plan) !== p.approval.binding) {
    throw probeError(
      'approval_mismatch',
      'The probe to run is not the one that was approved (its action or target differ from the approval); nothing ran.',
      ['Request the probe again; approvals are bound to the exact command and container.'],
    );
  }
  if (now.getTime() > Date.parse(p.approval.startBy)) {
    throw probeError(
      'approval_void',
      `The approval expired before the probe could start (it had to start by ${p.approval.startBy}); nothing ran.`,
      ['Request the probe again if it is still needed.'],
    );
  }
  // The signature is what authorizes; the bot's record in Redis is checked too (defence in depth), and a
  // refusal names every problem found.
  const sig = verifyApproval(
    p.approval.signed,
    {
      requestId: p.requestId,
      plan: p.plan,
      requester: p.requester.userId,
      approvers: p.approval.approvers,
      approvedAt: p.approval.approvedAt,
      startBy: p.approval.startBy,
    },
    d.approvalKeys,
    now.getTime(),
  );
  const recordProblems = await checkApprovalRecord(d.redis, p, now);
  if (!sig.ok || recordProblems.length > 0) {
    const parts = [
      ...(sig.ok ? [] : [`signature refused (${sig.why}): ${sig.detail}`]),
      ...(recordProblems.length > 0 ? [`the bot's record: ${recordProblems.join('; ')}`] : []),
    ];
    d.logger.warn(
      { jobId: job.id, requestId: p.requestId, signature: sig.ok ? 'ok' : sig.why, recordProblems },
      'probe run refused',
    );
    if (!sig.ok && sig.why === 'time' && recordProblems.length === 0) {
      throw probeError(
        'approval_void',
        `The approval expired before the probe could start (${sig.detail}); nothing ran.`,
        ['Request the probe again if it is still needed.'],
      );
    }
    throw probeError(
      'approval_mismatch',
      `This probe job is not an approval this worker can trust (${parts.join('; ')}); nothing ran.`,
      [
        'Request the probe again from Slack; approvals are signed by the bot and bound to the exact command and container.',
      ],
    );
  }
  const first = await d.redis.set(KEYS.approvalUsed(p.requestId), job.id ?? '?', 'EX', 30 * 24 * 3600, 'NX');
  if (first !== 'OK') {
    throw probeError(
      'approval_void',
      'This approval was already used (a worker started this probe before and stopped); approvals are single-use, so nothing ran again.',
      ['Request the probe again if it is still needed.'],
    );
  }
  const log = d.logger.child({ jobId: job.id, requestId: p.requestId, action: p.plan.spec.action });
  if (isDebugAction(p.plan.spec.action)) {
    log.info(
      { container: p.plan.debug?.containerName, copy: p.plan.debug?.copyPod },
      'debug container starting',
    );
    const jobId = job.id ?? p.requestId;
    return runDebug(debugPodsOf(d), {
      plan: p.plan,
      requestId: p.requestId,
      jobId,
      requester: p.requester.userId,
      storeArtefacts: (items) => storeArtefacts(d.redis, jobId, items),
      ...(abort ? { abort } : {}),
    });
  }
  log.info(
    { node: p.plan.node, containerId: p.plan.containerId, approvers: p.approval.approvers },
    'probe starting',
  );
  const run = await runProbePod(d.pods, d.slots, {
    plan: p.plan,
    jobId: job.id ?? p.requestId,
    requestId: p.requestId,
    requester: p.requester.userId,
    approvers: p.approval.approvers,
    ...(p.threadTs ? { threadTs: p.threadTs } : {}),
    channel: p.requester.channelId,
    image: d.image,
    ...(d.criSocket ? { criSocket: d.criSocket } : {}),
    ...(abort ? { abort } : {}),
    ...(d.startTimeoutMs ? { startTimeoutMs: d.startTimeoutMs } : {}),
    logger: log,
  });
  const line = run.line;
  if (!line.ok) {
    const code = line.code === 'container_changed' ? 'container_changed' : 'probe_failed';
    throw probeError(code, `The probe program refused or failed: ${redactText(line.message).text}`, [
      line.code === 'container_changed'
        ? 'The container restarted since approval: request the probe again.'
        : 'See the worker logs for the probe pod output; request the probe again if needed.',
    ]);
  }
  const target = {
    namespace: p.plan.namespace,
    pod: p.plan.pod,
    container: p.plan.container,
    node: p.plan.node,
  };
  const limit = line.data.action === 'mem' ? (line.data.cgroup.limitBytes ?? undefined) : undefined;
  const findings = probeFindings(line.data, {
    spec: p.plan.spec,
    target,
    cluster: p.cluster,
    ...(limit ? { memoryLimitBytes: limit } : {}),
  }).map((f) => ({
    ...f,
    evidence: f.evidence.map((e) => redactText(e).text),
    title: redactText(f.title).text,
  }));
  const text = redactText(probeText(line.data, p.plan.spec, limit ? { memoryLimitBytes: limit } : {})).text;

  const items: ArtefactInput[] = [];
  for (const meta of line.artefacts) {
    const bytes = run.artefacts.get(meta.name);
    if (bytes) items.push({ meta, bytes });
  }
  const notes = [...line.notes.map((n) => redactText(n).text)];
  if (line.data.action === 'mem' && line.data.samples.length > 1) {
    try {
      const png = memChartPng(line.data.samples, {
        limitBytes: line.data.cgroup.limitBytes,
        title: `RSS of ${p.plan.pod}/${p.plan.container} against its limit`,
      });
      const meta: ArtefactMeta = {
        name: `mem-${p.plan.pod}.png`.slice(0, 100),
        contentType: 'image/png',
        bytes: png.length,
        sha256: sha256(png),
        truncated: false,
        title: `Memory of ${p.plan.pod} over ${Math.round((line.data.samples.at(-1)?.t ?? 0) / 1000)} s`,
      };
      items.push({ meta, bytes: png });
    } catch (err) {
      log.warn({ err }, 'memory chart not drawn');
      notes.push('The memory chart could not be drawn; the samples are in the findings.');
    }
  }
  const artefacts = items.length > 0 ? await storeArtefacts(d.redis, job.id ?? p.requestId, items) : [];
  log.info(
    { findings: findings.map((f) => f.id), artefacts: artefacts.map((a) => a.name) },
    'probe finished',
  );
  return {
    outcome: 'probed',
    action: p.plan.spec.action,
    target,
    pid: line.pid,
    containerId: line.containerId,
    argv: line.argv,
    exitCode: line.exitCode,
    findings,
    ...(text ? { text } : {}),
    artefacts,
    notes,
    stats: { durationMs: run.durationMs, probePod: run.probePod },
  };
}

/** The Redis server's time: one clock for every bot replica and worker. */
export async function redisNow(redis: Redis): Promise<Date> {
  const [sec, usec] = await redis.time();
  return new Date(Number(sec) * 1000 + Math.floor(Number(usec) / 1000));
}

/**
 * Defence in depth besides the signature: the bot's record of the request must say approved, for this very
 * plan, by the approvers the job names (enough of them other than the requester), and not past its start-by
 * time. Returns what is wrong (nothing: it matches).
 */
async function checkApprovalRecord(redis: Redis, p: ProbeRunPayload, now: Date): Promise<string[]> {
  const [h, approvers] = await Promise.all([
    redis.hgetall(KEYS.request(p.requestId)),
    redis.lrange(KEYS.approvers(p.requestId), 0, -1),
  ]);
  // The same schema the bot writes with: a record this version cannot read is no approval.
  const rec = parseRequestRecord(h);
  const problems: string[] = [];
  if (!rec)
    problems.push(h.id ? "the bot's record of it cannot be read" : 'the bot has no record of this request');
  else if (rec.kind !== 'privileged') problems.push('it is not a privileged request');
  else {
    if (rec.state !== 'approved' && rec.state !== 'running')
      problems.push(`the request is ${rec.state}, not approved`);
    if (rec.binding !== p.approval.binding) problems.push('the approved command or target differs');
    if (rec.requester !== p.requester.userId) problems.push('the requester differs');
    const others = approvers.filter((a) => a !== rec.requester);
    if (!(others.length >= rec.needed)) problems.push(`it has ${others.length} of ${rec.needed} approvals`);
    if (approvers.join(',') !== p.approval.approvers.join(',')) problems.push('the approvers differ');
    if (rec.startBy !== undefined && now.getTime() > rec.startBy)
      problems.push('its start-by time has passed');
  }
  return problems;
}
