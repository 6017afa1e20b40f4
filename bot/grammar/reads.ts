/**
 * The read commands: `logs`, `events` and `describe`. Each names a pod or an owner (`deploy/`, `sts/`, `ds/`,
 * `job/`) in a namespace the user gives (never searched cluster-wide) and yields a ReadSpec the contract's
 * schema accepts. `--grep`'s pattern is taken out of the text first (it may hold regex punctuation the
 * other words may not) and must compile on RE2 (re2js), the linear-time engine the worker runs it on.
 * Pure.
 */
import {
  compileGrep,
  isReadAction,
  READ_ACTIONS,
  READ_LIMITS,
  type ReadAction,
  type ReadSpec,
  ReadSpecSchema,
} from '../../jobs/contracts/reads.js';
import type { TargetRef } from '../../jobs/contracts/target.js';
import { type Fail, fail, type GrammarContext, show, splitWords } from './common.js';
import { formatSeconds, parseDuration } from './duration.js';
import { type OptionSpec, parseOptions, takeQuoted } from './options.js';
import { parseScope, parseTarget, TARGET_EXAMPLES, TARGET_OPTIONS, terminatorRefused } from './target.js';

export { isReadAction as isReadVerb, READ_ACTIONS as READ_VERBS };

export type ReadParse =
  | { ok: true; help: true }
  | { ok: true; help: false; cluster: string; target: TargetRef; spec: ReadSpec }
  | Fail;

const TARGET = 'POD|deploy/NAME|sts/NAME|ds/NAME|job/NAME -n NAMESPACE';

export const READ_USAGE: Record<ReadAction, string> = {
  logs: `Usage: \`/poddebug logs ${TARGET} [-c CONTAINER|--all-containers] [--previous] [--since 15m|--since-time 2026-01-02T15:04:05Z] [--tail N] [--grep REGEX] [--timestamps] [--cluster NAME]\``,
  events: `Usage: \`/poddebug events ${TARGET} [--since 1h] [--warnings] [--cluster NAME]\``,
  describe: `Usage: \`/poddebug describe ${TARGET} [--cluster NAME]\``,
};

export const READ_SUMMARY: Record<ReadAction, string> = {
  logs: "a container's log (an owner's pods merged in time order), inline when short, as a file when long",
  events:
    'the events of a pod or an owner (and its pods), aggregated like kubectl: count, first and last seen',
  describe: 'what `kubectl describe` shows for a pod or an owner, as a file when long',
};

/** The target options without `-c`, which only logs takes (and lists after `--cluster`). */
const { container: CONTAINER_OPTION, ...COMMON } = TARGET_OPTIONS;

const OPTIONS: Record<ReadAction, OptionSpec> = {
  logs: {
    ...COMMON,
    container: CONTAINER_OPTION,
    'all-containers': { type: 'boolean' },
    previous: { type: 'boolean', short: 'p' },
    since: { type: 'string' },
    'since-time': { type: 'string' },
    tail: { type: 'string' },
    timestamps: { type: 'boolean' },
    grep: { type: 'string' },
  },
  events: { ...COMMON, since: { type: 'string' }, warnings: { type: 'boolean' } },
  describe: COMMON,
};

const EXAMPLES: Record<string, string> = {
  ...TARGET_EXAMPLES,
  since: '15m',
  'since-time': '2026-01-02T15:04:05Z',
  tail: '100',
  grep: 'timeout',
};

/** What each verb does to a target, for the hints about kinds it does not take (`rs/`: "read the logs of the Deployment …"). */
const ACT: Record<ReadAction, string> = {
  logs: 'read the logs of',
  events: 'read the events of',
  describe: 'describe',
};

/** ASCII punctuation the read words may hold beyond the base set: `:` and `+` for --since-time. */
const EXTRA: Record<ReadAction, string> = { logs: ':+', events: '', describe: '' };

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Where `--grep` is in the text: the pattern and the text without it. */
export type GrepSplit = { ok: true; rest: string; grep?: string } | Fail;

/**
 * Takes `--grep PATTERN` (or `--grep=PATTERN`, or a pattern in matching quotes, which may hold spaces) out
 * of the text, so that its regex punctuation is not read as shell syntax.
 */
export function splitGrep(text: string): GrepSplit {
  const m = /(^|\s)--grep(?:=|\s+|$)/.exec(text);
  if (!m) return { ok: true, rest: text };
  const before = text.slice(0, m.index + m[1]!.length);
  const after = text.slice(m.index + m[0].length);
  if (/(^|\s)--grep(=|\s|$)/.test(after))
    return fail(`\`--grep\` is given twice: give one pattern. ${READ_USAGE.logs}`);
  const quoted = takeQuoted(after, 'pattern', READ_USAGE.logs);
  if (quoted !== undefined) {
    return quoted.ok ? { ok: true, rest: `${before} ${quoted.tail}`, grep: quoted.value } : quoted;
  }
  const word = /^\S*/.exec(after)![0];
  return { ok: true, rest: `${before} ${after.slice(word.length)}`, grep: word };
}

/**
 * Parses a read command's text (Slack markup already undone, characters checked by the caller).
 * @param badPunctuation the top-level check for shell punctuation, given the extra characters allowed
 */
export function parseRead(
  action: ReadAction,
  text: string,
  ctx: GrammarContext,
  badPunctuation: (text: string, extra: string, usage: string) => string | undefined,
): ReadParse {
  const usage = READ_USAGE[action];
  let rest = text;
  let grep: string | undefined;
  if (action === 'logs') {
    const split = splitGrep(text);
    if (!split.ok) return split;
    rest = split.rest;
    grep = split.grep;
  }
  const bad = badPunctuation(rest, EXTRA[action], usage);
  if (bad) return fail(bad);
  const [, ...args] = splitWords(rest);
  const parsed = parseOptions(args, OPTIONS[action], { verb: action, usage, examples: EXAMPLES });
  if (!parsed.ok) return parsed;
  const v = parsed.values as Record<string, string | boolean | undefined>;
  if (v.help === true) return { ok: true, help: true };
  if (parsed.terminator) return terminatorRefused(usage);
  const target = parseTarget(parsed.positionals, { verb: action, act: ACT[action], usage });
  if (!target.ok) return target;
  const scope = parseScope(
    v,
    ctx,
    usage,
    `Say which namespace: \`-n NAMESPACE\` (${action} never searches every namespace). ${usage}`,
  );
  if (!scope.ok) return scope;
  const { cluster } = scope;
  const ref: TargetRef = { kind: target.kind, name: target.name, namespace: scope.namespace };

  let spec: ReadSpec;
  if (action === 'logs') {
    const s = parseLogsOptions(v, grep, usage);
    if (!s.ok) return s;
    spec = s.spec;
  } else if (action === 'events') {
    const since = v.since === undefined ? undefined : parseSince(v.since as string, usage);
    if (since && !since.ok) return since;
    spec = {
      action: 'events',
      warningsOnly: v.warnings === true,
      ...(since ? { sinceSeconds: since.seconds } : {}),
    };
  } else spec = { action: 'describe' };
  const checked = ReadSpecSchema.safeParse(spec);
  /* c8 ignore next: the checks above are stricter than the schema */
  if (!checked.success) return fail(`Those options could not be read. ${usage}`);
  return { ok: true, help: false, cluster, target: ref, spec: checked.data };
}

function parseSince(raw: string, usage: string): { ok: true; seconds: number } | Fail {
  const d = parseDuration(raw, '--since', { min: 1, max: READ_LIMITS.maxSinceSec });
  return d.ok ? d : fail(`${d.reason} ${usage}`);
}

function parseLogsOptions(
  v: Record<string, string | boolean | undefined>,
  grep: string | undefined,
  usage: string,
): { ok: true; spec: ReadSpec } | Fail {
  // The container name was checked with the namespace (parseScope).
  const container = v.container as string | undefined;
  if (container !== undefined && v['all-containers'] === true) {
    return fail(
      `\`-c\` and \`--all-containers\` exclude each other: name one container or ask for all. ${usage}`,
    );
  }
  if (v.since !== undefined && v['since-time'] !== undefined)
    return fail(`\`--since\` and \`--since-time\` exclude each other: give one. ${usage}`);
  const since = v.since === undefined ? undefined : parseSince(v.since as string, usage);
  if (since && !since.ok) return since;
  const sinceTime = v['since-time'] as string | undefined;
  if (sinceTime !== undefined && (!RFC3339.test(sinceTime) || Number.isNaN(Date.parse(sinceTime)))) {
    return fail(
      `\`--since-time\` takes an RFC 3339 time such as \`2026-01-02T15:04:05Z\` or \`2026-01-02T17:04:05+02:00\`, not ${show(sinceTime)}. ${usage}`,
    );
  }
  let tail: number | undefined;
  if (v.tail !== undefined) {
    const raw = v.tail as string;
    if (!/^[0-9]{1,6}$/.test(raw) || Number(raw) < 1 || Number(raw) > READ_LIMITS.maxTailLines) {
      return fail(
        `\`--tail\` takes a whole number of lines from 1 to ${READ_LIMITS.maxTailLines}, not ${show(raw)} (leave it out to read up to ${READ_LIMITS.maxTailLines}). ${usage}`,
      );
    }
    tail = Number(raw);
  }
  const pattern = grep ?? (v.grep as string | undefined);
  if (pattern !== undefined) {
    if (pattern.length === 0) return fail(`\`--grep\` needs a pattern, e.g. \`--grep timeout\`. ${usage}`);
    if (pattern.length > READ_LIMITS.maxGrepChars)
      return fail(
        `The \`--grep\` pattern is too long (${pattern.length} characters; at most ${READ_LIMITS.maxGrepChars}). ${usage}`,
      );
    const re = compileGrep(pattern);
    if (!re.ok) {
      return fail(
        `\`--grep\` is not a pattern poddebug can run: ${show(re.error)}. Patterns are RE2 syntax (no lookaround or backreferences), e.g. \`--grep "timeout|refused"\`. ${usage}`,
      );
    }
  }
  return {
    ok: true,
    spec: {
      action: 'logs',
      allContainers: v['all-containers'] === true,
      previous: v.previous === true,
      timestamps: v.timestamps === true,
      ...(container !== undefined ? { container } : {}),
      ...(since ? { sinceSeconds: since.seconds } : {}),
      ...(sinceTime !== undefined ? { sinceTime } : {}),
      ...(tail !== undefined ? { tailLines: tail } : {}),
      ...(pattern !== undefined ? { grep: pattern } : {}),
    },
  };
}

/** `/poddebug help logs|events|describe`. */
export function readHelpText(action: ReadAction): string {
  const common = [
    '• `-n`, `--namespace NAMESPACE`: the namespace (required)',
    '• `--cluster NAME`: which cluster (default: the configured default)',
  ];
  const byAction: Record<ReadAction, string[]> = {
    logs: [
      "• `-c`, `--container NAME`: which container (default: the pod's default container, else its first)",
      '• `--all-containers`: every container, init containers included, each line prefixed with its container',
      '• `-p`, `--previous`: the log of the previous (crashed) instance',
      `• \`--since 15m\`: only lines from the last 15 minutes (s, m, h; at most ${formatSeconds(READ_LIMITS.maxSinceSec)}); or \`--since-time 2026-01-02T15:04:05Z\``,
      `• \`--tail N\`: the last N lines (per container; at most ${READ_LIMITS.maxTailLines}; an owner reads ${READ_LIMITS.ownerTailLines} per pod unless given)`,
      `• \`--grep REGEX\`: only matching lines; RE2 syntax (linear time, no lookaround), quote it when it has spaces; searching stops after ${READ_LIMITS.grepBudgetMs / 1000} s and says so`,
      '• `--timestamps`: the time of each line',
      `An owner's pods (at most ${READ_LIMITS.maxOwnerPods}, by its selector) are merged in time order with a \`[pod]\` prefix. Short output is shown in the thread; long output is uploaded as a file with its size and sha256, and any cut is said. Secrets are redacted.`,
    ],
    events: [
      '• `--since 1h`: only events last seen within the last hour',
      '• `--warnings`: only Warning events',
      "Both event APIs (core/v1 and events.k8s.io/v1) are read; repeats are counted with their first and last time. An owner's events include its ReplicaSets' and pods'.",
    ],
    describe: [
      'The sections of `kubectl describe` for a pod (containers, state, probes, environment, mounts, conditions, volumes, events) or an owner (replicas, strategy, pod template, conditions, its pods, events). As a file when long; secrets redacted.',
    ],
  };
  const examples: Record<ReadAction, string[]> = {
    logs: [
      '• `/poddebug logs checkout-7d9f8b-x2kq -n shop --previous --tail 100`',
      '• `/poddebug logs deploy/checkout -n shop --since 15m --grep "timeout|refused"`',
    ],
    events: ['• `/poddebug events deploy/checkout -n shop --since 1h --warnings`'],
    describe: [
      '• `/poddebug describe checkout-7d9f8b-x2kq -n shop`',
      '• `/poddebug describe sts/postgres -n db`',
    ],
  };
  return [
    `*\`/poddebug ${action}\`*: ${READ_SUMMARY[action]}.`,
    '',
    READ_USAGE[action],
    '',
    '*Options*',
    ...common,
    ...byAction[action],
    '',
    '*Examples*',
    ...examples[action],
  ].join('\n');
}
