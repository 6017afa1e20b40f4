/**
 * What every targeted verb (diagnose, the reads, the probes, debug and connectivity) parses the same way: the
 * target word (`POD`, `pod/POD`, `deploy/NAME`, …) and the options that place it (`-n/--namespace`,
 * `-c/--container`, `--cluster`, `-h/--help`), with one set of checks, in one order, and one set of messages.
 * A verb gives only what is its own: its usage line, and why it needs a namespace. Pure.
 */
import { isDns1123Label, isDns1123Subdomain } from '../../jobs/contracts/names.js';
import {
  type ProbeSpec,
  ProbeSpecSchema,
  type ProbeTarget,
  ProbeTargetSchema,
} from '../../jobs/contracts/probe.js';
import type { TargetKind } from '../../jobs/contracts/target.js';
import { type Fail, fail, type GrammarContext, KIND_ALIASES, nameProblem, show } from './common.js';
import type { OptionSpec } from './options.js';

/** The options every targeted verb takes, in the order messages list them. */
export const TARGET_OPTIONS = {
  namespace: { type: 'string', short: 'n' },
  container: { type: 'string', short: 'c' },
  cluster: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

/** Example values of TARGET_OPTIONS, for "`-n` needs a value, e.g. `-n prod`". */
export const TARGET_EXAMPLES: Readonly<Record<string, string>> = {
  namespace: 'prod',
  container: 'app',
  cluster: 'NAME',
};

/** The target part of a usage line for verbs that take one pod. */
export const POD_TARGET_FORM = 'POD -n NAMESPACE [-c CONTAINER] [--cluster NAME]';

/** The owner kind a user typed before the slash, or undefined (never a property of Object.prototype). */
function kindOf(kindText: string): TargetKind | undefined {
  const key = kindText.toLowerCase();
  return Object.hasOwn(KIND_ALIASES, key) ? KIND_ALIASES[key] : undefined;
}

/** A slash with nothing after it: `deploy/`, `pod/`. */
function needsName(kindText: string, usage: string): Fail {
  return fail(
    `${show(`${kindText}/`)} needs a name after the slash, e.g. \`${kindText}/checkout\`. ${usage}`,
  );
}

/** `shop/web-0`: the hint that `shop` may be meant as the namespace (only when it could be one). */
function namespaceHint(kindText: string): string | undefined {
  return isDns1123Label(kindText) ? `if ${show(kindText)} is a namespace, use \`-n ${kindText}\`` : undefined;
}

/** Kinds users try that no verb takes, with what to point the verb at instead (`act` says what the verb does). */
const KIND_HINTS: Readonly<Record<string, (act: string) => string>> = {
  rs: (act) => `${act} the Deployment that owns it (\`deploy/NAME\`)`,
  replicaset: (act) => `${act} the Deployment that owns it (\`deploy/NAME\`)`,
  svc: (act) => `a Service has no pods of its own; ${act} one of its pods or its Deployment`,
  service: (act) => `a Service has no pods of its own; ${act} one of its pods or its Deployment`,
  cronjob: (act) => `${act} one of its Jobs (\`job/NAME\`)`,
  cj: (act) => `${act} one of its Jobs (\`job/NAME\`)`,
};

export type TargetParse = { ok: true; kind: TargetKind; name: string } | Fail;

export interface TargetWording {
  /** The verb, for "`rs/` is not a kind logs takes". */
  verb: string;
  /** What the verb does to a target, for the kind hints: `diagnose`, `read the logs of`; default: the verb. */
  act?: string;
  usage: string;
}

/**
 * The one target of a verb that takes a pod or an owner (diagnose, logs, events, describe): exactly one
 * positional, `POD`, `pod/POD` or `KIND/NAME` with KIND one of KIND_ALIASES.
 */
export function parseTarget(positionals: readonly string[], wording: TargetWording): TargetParse {
  const { verb, usage } = wording;
  if (positionals.length === 0) return fail(`Missing target: which pod or owner? ${usage}`);
  if (positionals.length > 1) {
    const shown = positionals.slice(0, 3).map(show).join(', ');
    return fail(
      `Two targets given (${shown}): ${verb} takes one pod or owner; give a namespace with \`-n\`. ${usage}`,
    );
  }
  const raw = positionals[0]!;
  const slash = raw.indexOf('/');
  if (slash === -1) return named('pod', raw, 'pod name', usage);
  const kindText = raw.slice(0, slash);
  const name = raw.slice(slash + 1);
  const kind = kindOf(kindText);
  if (kind === undefined) {
    const lower = kindText.toLowerCase();
    const hint = Object.hasOwn(KIND_HINTS, lower)
      ? KIND_HINTS[lower]!(wording.act ?? verb)
      : namespaceHint(kindText);
    return fail(
      `${show(`${kindText}/`)} is not a kind ${verb} takes: use a pod name or \`deploy/\`, \`sts/\`, \`ds/\`, \`job/\` NAME${hint ? `; ${hint}` : ''}. ${usage}`,
    );
  }
  if (name.length === 0) return needsName(kindText, usage);
  return named(kind, name, kind === 'pod' ? 'pod name' : `${kindText.toLowerCase()} name`, usage);
}

function named(kind: TargetKind, name: string, what: string, usage: string): TargetParse {
  const problem = nameProblem(name, what, 'subdomain');
  return problem ? fail(`${problem} ${usage}`) : { ok: true, kind, name };
}

export interface PodWording {
  usage: string;
  /** Leads the refusal of an owner: `Probes target one pod`, `A debug container goes into one pod`. */
  onePod: string;
  /** Leads the forms in the refusal of any other word: `a probe takes`, `give`. */
  takes: string;
}

/**
 * The pod word of a verb that acts on one pod (the probes, debug, connectivity): `POD` or `pod/POD`. An owner
 * is refused with the diagnose command that finds its pod.
 * @param namespace the `-n` value, shown in that diagnose command when it is a valid namespace
 */
export function parsePodWord(
  raw: string,
  namespace: string | undefined,
  wording: PodWording,
): { ok: true; name: string } | Fail {
  const { usage } = wording;
  const slash = raw.indexOf('/');
  const kindText = raw.slice(0, Math.max(slash, 0));
  const kind = slash === -1 ? 'pod' : kindOf(kindText);
  const name = raw.slice(slash + 1);
  if (kind === 'pod') {
    if (slash !== -1 && name.length === 0) return needsName(kindText, usage);
    const problem = nameProblem(name, 'pod name', 'subdomain');
    return problem ? fail(`${problem} ${usage}`) : { ok: true, name };
  }
  if (kind !== undefined) {
    const shownName = isDns1123Subdomain(name) ? name : 'NAME';
    const shownNs = namespace !== undefined && isDns1123Label(namespace) ? namespace : 'NS';
    return fail(
      `${wording.onePod}, not a ${kindText.toLowerCase()}: run \`/poddebug diagnose ${kind}/${shownName} -n ${shownNs}\` to find the pod. ${usage}`,
    );
  }
  const hint = namespaceHint(kindText);
  return fail(
    `${show(raw)} is not a pod name: ${wording.takes} \`POD\` or \`pod/POD\`${hint ? `; ${hint}` : ''}. ${usage}`,
  );
}

/** Where the target is: its namespace (when given or required), container (when given) and cluster. */
export type ScopeParse<Ns extends string | undefined> =
  | { ok: true; namespace: Ns; container?: string; cluster: string }
  | Fail;

/**
 * Checks `-n`, `-c` and `--cluster`, in that order: the namespace is there (when `missingNamespace` is given)
 * and valid, the container valid, the cluster configured (default: the context's).
 * @param missingNamespace the whole message (usage included) when `-n` is required and absent: the reason
 *   differs by verb
 */
export function parseScope(
  values: Readonly<Record<string, string | boolean | undefined>>,
  ctx: GrammarContext,
  usage: string,
  missingNamespace: string,
): ScopeParse<string>;
export function parseScope(
  values: Readonly<Record<string, string | boolean | undefined>>,
  ctx: GrammarContext,
  usage: string,
  missingNamespace?: string,
): ScopeParse<string | undefined>;
export function parseScope(
  values: Readonly<Record<string, string | boolean | undefined>>,
  ctx: GrammarContext,
  usage: string,
  missingNamespace?: string,
): ScopeParse<string | undefined> {
  const namespace = values.namespace as string | undefined;
  if (namespace === undefined && missingNamespace !== undefined) return fail(missingNamespace);
  if (namespace !== undefined) {
    const problem = nameProblem(namespace, 'namespace', 'label');
    if (problem) return fail(`${problem} ${usage}`);
  }
  const container = values.container as string | undefined;
  if (container !== undefined) {
    const problem = nameProblem(container, 'container name', 'label');
    if (problem) return fail(`${problem} ${usage}`);
  }
  const cluster = (values.cluster as string | undefined) ?? ctx.defaultCluster;
  if (!ctx.clusters.includes(cluster)) {
    const known = ctx.clusters.length > 0 ? ctx.clusters.map(show).join(', ') : 'none configured';
    return fail(`Unknown cluster ${show(cluster)}: known clusters are ${known}. ${usage}`);
  }
  return { ok: true, namespace, ...(container !== undefined ? { container } : {}), cluster };
}

/** `--` where no word may start with '-' (diagnose and the reads; the probes say why in their own words). */
export function terminatorRefused(usage: string): Fail {
  return fail(`\`--\` is not accepted here: names never start with '-'. ${usage}`);
}

export interface PodTargetWording extends PodWording {
  /** The whole message (usage included) when `-n` is absent: why this verb needs it. */
  missingNamespace: string;
}

/** The pod a pod-level verb acts on, and where it is. */
export type PodTarget = { pod: string; namespace: string; container?: string; cluster: string };

/** The pod word, then `-n` (required), `-c` and `--cluster`: all a pod-level verb's target, in one call. */
export function parsePodTarget(
  podText: string,
  values: Readonly<Record<string, string | boolean | undefined>>,
  ctx: GrammarContext,
  wording: PodTargetWording,
): ({ ok: true } & PodTarget) | Fail {
  const pod = parsePodWord(podText, values.namespace as string | undefined, wording);
  if (!pod.ok) return pod;
  const scope = parseScope(values, ctx, wording.usage, wording.missingNamespace);
  if (!scope.ok) return scope;
  return { ...scope, pod: pod.name };
}

/** A pod-level request (a probe, debug, connectivity) as the listener takes it, or help, or one message. */
export type PodRequestParse =
  | { ok: true; help: true }
  | { ok: true; help: false; cluster: string; target: ProbeTarget; spec: ProbeSpec }
  | Fail;

/**
 * The request for one pod, checked against the job contract: whatever the grammar let through must fit the
 * contract too, or nothing is sent.
 */
export function podRequest(spec: ProbeSpec, where: PodTarget, usage: string): PodRequestParse {
  const target: ProbeTarget = { namespace: where.namespace, pod: where.pod };
  if (where.container !== undefined) target.container = where.container;
  const checkedSpec = ProbeSpecSchema.safeParse(spec);
  const checkedTarget = ProbeTargetSchema.safeParse(target);
  if (!checkedSpec.success || !checkedTarget.success) {
    return fail(
      `That ${spec.action} request does not fit the request contract, so it was not sent. ${usage}`,
    );
  }
  return {
    ok: true,
    help: false,
    cluster: where.cluster,
    target: checkedTarget.data,
    spec: checkedSpec.data,
  };
}
