import { type Finding, sortFindings } from '../../contracts/finding.js';
import type { Gathered } from '../types.js';
import { configErrorRule, createErrorRule } from './config.js';
import { crashLoopRule, highRestartsRule } from './containers.js';
import { buildContext, type RuleContext } from './context.js';
import { failedMountRule, sandboxRule } from './creating.js';
import { livenessRule, readinessRule } from './health-checks.js';
import { healthyFinding } from './healthy.js';
import { imagePullRule, invalidImageRule } from './images.js';
import { initContainerRule } from './init.js';
import {
  admissionRule,
  deadlineRule,
  disruptedRule,
  evictedRule,
  stuckTerminatingRule,
} from './lifecycle.js';
import { linkFindings } from './links.js';
import { logCauseRule } from './log-rules.js';
import { nodeNotReadyRule, nodeOomRule, nodePressureRule, nodeReady } from './node.js';
import { createFailedRule, jobFailedRule, rolloutStuckRule } from './owner.js';
import { cpuThrottledRule, probeMisconfiguredRule } from './probes-config.js';
import { noSchedulerActivityRule, schedulingGatedRule, unschedulableRule } from './scheduling.js';
import { terminationRules } from './terminations.js';

export { type ConfigProblem, parseConfigError } from './config.js';
export { type ExitMeaning, exitCodeMeaning } from './exit-codes.js';
export { classifyImagePull, type ImagePullClass } from './images.js';
export { type EvictionInfo, parseEviction } from './lifecycle.js';
export { parseUnschedulable, type UnschedulableReason, type UnschedulableSummary } from './scheduling.js';
export { podStatusString, readyString } from './util.js';

type Rule = (ctx: RuleContext) => Finding[];

/** The rules in the catalogue's order: deletion → status.reason → scheduling → init → waiting → terminations → probes → node → owner. */
const RULES: Rule[] = [
  (ctx) => stuckTerminatingRule(ctx, nodeReady(ctx)),
  evictedRule,
  disruptedRule,
  deadlineRule,
  admissionRule,
  unschedulableRule,
  schedulingGatedRule,
  noSchedulerActivityRule,
  initContainerRule,
  imagePullRule,
  invalidImageRule,
  configErrorRule,
  createErrorRule,
  failedMountRule,
  sandboxRule,
  livenessRule,
  probeMisconfiguredRule,
  cpuThrottledRule,
  logCauseRule,
  terminationRules,
  crashLoopRule,
  highRestartsRule,
  readinessRule,
  nodeNotReadyRule,
  nodePressureRule,
  nodeOomRule,
  createFailedRule,
  rolloutStuckRule,
  jobFailedRule,
];

/**
 * Judges one gathered pod: every finding the catalogue's rules produce,
 * linked (`causes`/`causedBy`) and in causal order: the deepest cause first
 * (see sortFindings). When nothing is critical or a warning, ends with one
 * `healthy` finding (Running and ready, or Succeeded) — or `no-problem-found`
 * when the pod is in another state and nothing explains it yet.
 * `opts.container` restricts container-level findings to that container.
 */
export function runRules(g: Gathered, opts: { container?: string } = {}): Finding[] {
  const ctx = buildContext(g, opts);
  const findings = RULES.flatMap((rule) => rule(ctx));
  const serious = findings.some((f) => f.severity !== 'info');
  if (!serious && !findings.some((f) => f.id === 'scheduling-gated')) findings.push(healthyFinding(ctx));
  return sortFindings(linkFindings(findings));
}
