/**
 * The `/poddebug` command grammar: Slack slash-command text in, a typed command
 * or one short error message out. Pure: no I/O, no clock.
 *
 * Every error is Slack mrkdwn that is safe to post as is: user input is shown
 * only after it passed the character checks, and anything unprintable is shown
 * escaped (`\u001b`), never raw.
 *
 * Longer than 400 lines on purpose: one grammar, its error messages and its help text belong together.
 */
import {
  PROBE_ACTIONS,
  type ProbeAction,
  type ProbeSpec,
  type ProbeTarget,
} from '../../jobs/contracts/probe.js';
import type { ReadAction, ReadSpec } from '../../jobs/contracts/reads.js';
import type { TargetRef } from '../../jobs/contracts/target.js';
import {
  escapeCodePoint,
  type Fail,
  fail,
  type GrammarContext,
  show,
  splitWords,
  stripQuotes,
} from './common.js';
import {
  DEBUG_EXTRA_CHARACTERS,
  DEBUG_SUMMARY,
  DEBUG_USAGE,
  debugHelpText,
  isDebugVerb,
  parseDebug,
} from './debug.js';
import {
  isJobControlVerb,
  JOB_CONTROL_SUMMARY,
  JOB_CONTROL_USAGE,
  JOB_CONTROL_VERBS,
  type JobControlVerb,
  jobControlHelpText,
  parseJobControl,
} from './job-control.js';
import { parseOptions } from './options.js';
import {
  FILTER_EXTRA_CHARACTERS,
  isProbeVerb,
  PROBE_EXTRA_CHARACTERS,
  PROBE_SUMMARY,
  PROBE_USAGE,
  parseProbe,
  probeHelpText,
  splitFilter,
} from './probes.js';
import { isReadVerb, parseRead, READ_USAGE, READ_VERBS, type ReadParse, readHelpText } from './reads.js';
import { parseScope, parseTarget, TARGET_EXAMPLES, TARGET_OPTIONS, terminatorRefused } from './target.js';

export type { GrammarContext } from './common.js';

/** What `/poddebug help TOPIC` can explain. */
export type HelpTopic = 'diagnose' | ProbeAction | ReadAction | JobControlVerb | 'debug' | 'connectivity';

/**
 * A parsed command. `help` carries an optional topic; `diagnose` carries a
 * validated target; `probe` carries the pod to probe and a ProbeSpec the
 * contract's schema accepted.
 */
export type Command =
  | { verb: 'help'; topic?: HelpTopic }
  | { verb: 'diagnose'; cluster: string; target: TargetRef }
  | { verb: 'probe'; cluster: string; target: ProbeTarget; spec: ProbeSpec }
  | { verb: 'read'; cluster: string; target: TargetRef; spec: ReadSpec }
  | { verb: 'jobs' }
  | { verb: 'cancel'; id: string };

/** Outcome of parsing: the command, or one short mrkdwn message naming what was wrong. */
export type ParseResult = { ok: true; command: Command } | { ok: false; error: string };

/** Longest command text accepted, in characters, as Slack delivers it (escaped). */
export const MAX_COMMAND_LENGTH = 300;

const VERBS = [
  'diagnose',
  'help',
  ...PROBE_ACTIONS,
  ...READ_VERBS,
  'debug',
  'connectivity',
  ...JOB_CONTROL_VERBS,
] as const;
const HELP_TOPICS: readonly string[] = [
  'diagnose',
  ...PROBE_ACTIONS,
  ...READ_VERBS,
  'debug',
  'connectivity',
  ...JOB_CONTROL_VERBS,
];
const USAGE_DIAGNOSE =
  'Usage: `/poddebug diagnose POD|deploy/NAME [-n NAMESPACE] [-c CONTAINER] [--cluster NAME]`';
const USAGE_HELP = `Usage: \`/poddebug help [${HELP_TOPICS.join('|')}]\``;

const DIAGNOSE_HELP = { verb: 'diagnose', usage: USAGE_DIAGNOSE, examples: TARGET_EXAMPLES };

/** The usage line for messages about `verb` (diagnose's for unknown words, as before). */
function usageOf(verb: string): string {
  if (isDebugVerb(verb)) return DEBUG_USAGE[verb];
  if (isJobControlVerb(verb)) return JOB_CONTROL_USAGE[verb];
  if (isReadVerb(verb)) return READ_USAGE[verb];
  return isProbeVerb(verb) ? PROBE_USAGE[verb] : USAGE_DIAGNOSE;
}

/**
 * Parses the text after `/poddebug`. Empty text is `help`. Never throws.
 * @param text the slash command's `text` exactly as Slack sent it (HTML-escaped, with `<…>` markup)
 */
export function parseCommand(text: string, ctx: GrammarContext): ParseResult {
  const guess = stripQuotes(/^\s*(\S*)/.exec(text)?.[1] ?? '').toLowerCase();
  const usage = usageOf(guess);
  const probe = isProbeVerb(guess) ? guess : undefined;
  const debug = isDebugVerb(guess) ? guess : undefined;
  if (text.length > MAX_COMMAND_LENGTH) {
    return fail(
      `That command is too long (${text.length} characters; at most ${MAX_COMMAND_LENGTH}). ${usage}`,
    );
  }
  const normalised = normaliseSlackText(text, usage);
  if (!normalised.ok) return normalised;
  const invisible = findInvisibleCharacter(
    normalised.text,
    usage,
    probe !== undefined || debug !== undefined,
  );
  if (invisible) return fail(invisible);
  if (isReadVerb(guess))
    return readCommand(guess, parseRead(guess, normalised.text, ctx, findBadPunctuation));

  // tcpdump's filter runs to the end of the line and has characters of its own (`( ) && || ! :`).
  let optionsText = normalised.text;
  let filter: string | undefined;
  if (probe === 'tcpdump') {
    const split = splitFilter(normalised.text);
    if (!split.ok) return split;
    optionsText = split.rest;
    filter = split.filter;
  }
  const punctuation =
    findBadPunctuation(
      optionsText,
      probe ? PROBE_EXTRA_CHARACTERS[probe] : debug ? DEBUG_EXTRA_CHARACTERS[debug] : '',
      usage,
    ) ?? (filter === undefined ? undefined : findBadPunctuation(filter, FILTER_EXTRA_CHARACTERS, usage));
  if (punctuation) return fail(punctuation);

  const tokens = splitWords(optionsText);
  if (tokens.length === 0) return { ok: true, command: { verb: 'help' } };

  const [first, ...rest] = tokens as [string, ...string[]];
  const verb = first.toLowerCase();
  if (verb === 'help' || verb === '--help' || verb === '-h') return parseHelp(rest);
  if (verb === 'diagnose') return parseDiagnose(rest, ctx);
  if (isDebugVerb(verb)) {
    if (verb !== debug)
      return fail(`Type \`${verb}\` as plain text at the start of the command. ${DEBUG_USAGE[verb]}`);
    const parsed = parseDebug(verb, rest, ctx);
    if (!parsed.ok) return parsed;
    if (parsed.help) return { ok: true, command: { verb: 'help', topic: verb } };
    return {
      ok: true,
      command: { verb: 'probe', cluster: parsed.cluster, target: parsed.target, spec: parsed.spec },
    };
  }
  if (isJobControlVerb(verb)) {
    const parsed = parseJobControl(verb, rest);
    if (!parsed.ok) return parsed;
    if ('help' in parsed) return { ok: true, command: { verb: 'help', topic: parsed.help } };
    return {
      ok: true,
      command: parsed.verb === 'cancel' ? { verb: 'cancel', id: parsed.id } : { verb: 'jobs' },
    };
  }
  if (isProbeVerb(verb) && verb !== probe) {
    // Only reachable when the verb was hidden in markup; its characters were checked as diagnose's.
    return fail(`Type \`${verb}\` as plain text at the start of the command. ${PROBE_USAGE[verb]}`);
  }
  if (isProbeVerb(verb)) {
    const parsed = parseProbe(verb, rest, filter, ctx);
    if (!parsed.ok) return parsed;
    if (parsed.help) return { ok: true, command: { verb: 'help', topic: verb } };
    return {
      ok: true,
      command: { verb: 'probe', cluster: parsed.cluster, target: parsed.target, spec: parsed.spec },
    };
  }
  return fail(unknownVerbMessage(first));
}

function readCommand(action: ReadAction, parsed: ReadParse): ParseResult {
  if (!parsed.ok) return parsed;
  if (parsed.help) return { ok: true, command: { verb: 'help', topic: action } };
  return {
    ok: true,
    command: { verb: 'read', cluster: parsed.cluster, target: parsed.target, spec: parsed.spec },
  };
}

function parseHelp(args: string[]): ParseResult {
  if (args.length === 0) return { ok: true, command: { verb: 'help' } };
  if (args.length > 1) return fail(`\`help\` takes at most one command name. ${USAGE_HELP}`);
  const topic = args[0]!.toLowerCase();
  if (HELP_TOPICS.includes(topic)) return { ok: true, command: { verb: 'help', topic: topic as HelpTopic } };
  if (topic === 'help') return { ok: true, command: { verb: 'help' } };
  return fail(
    `There is no help for ${show(args[0]!)}: commands are ${VERBS.map((v) => `\`${v}\``).join(', ')}. ${USAGE_HELP}`,
  );
}

function parseDiagnose(args: string[], ctx: GrammarContext): ParseResult {
  const parsed = parseOptions(args, TARGET_OPTIONS, DIAGNOSE_HELP);
  if (!parsed.ok) return parsed;
  if (parsed.values.help === true) return { ok: true, command: { verb: 'help', topic: 'diagnose' } };
  if (parsed.terminator) return terminatorRefused(USAGE_DIAGNOSE);

  const target = parseTarget(parsed.positionals, { verb: 'diagnose', usage: USAGE_DIAGNOSE });
  if (!target.ok) return target;
  // A pod is found in any namespace; an owner's namespace must be given.
  const scope = parseScope(
    parsed.values,
    ctx,
    USAGE_DIAGNOSE,
    target.kind === 'pod'
      ? undefined
      : `Say which namespace: \`-n NS\`. Finding \`${target.kind}/${target.name}\` across all namespaces would need a cluster-wide list. Usage: \`/poddebug diagnose ${target.kind}/${target.name} -n NAMESPACE\``,
  );
  if (!scope.ok) return scope;

  const ref: TargetRef = { kind: target.kind, name: target.name };
  if (scope.namespace !== undefined) ref.namespace = scope.namespace;
  if (scope.container !== undefined) ref.container = scope.container;
  return { ok: true, command: { verb: 'diagnose', cluster: scope.cluster, target: ref } };
}

function unknownVerbMessage(word: string): string {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const verb of VERBS) {
    const d = editDistance(lower, verb);
    if (d < bestDistance) {
      best = verb;
      bestDistance = d;
    }
  }
  const close = best !== undefined && bestDistance <= Math.max(2, Math.floor(best.length / 3));
  const suggestion = close ? ` Did you mean \`${best}\`?` : ` Commands are ${VERBS.map(show).join(', ')}.`;
  return `Unknown command ${show(word)}.${suggestion} ${close ? usageOf(best!) : USAGE_DIAGNOSE}`;
}

/** Levenshtein distance; inputs are short (≤ 300 chars), so the O(n·m) table is fine. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

// ---------------------------------------------------------------------------
// Slack text: markup, entities, look-alike characters.

type Normalised = { ok: true; text: string } | Fail;

/**
 * Undoes what Slack does to slash-command text: unwraps auto-links of plain
 * names (`<http://a.b|a.b>` → `a.b`, also with a `:port`), refuses other links
 * and mentions, decodes `&amp; &lt; &gt;`, turns every space separator (NBSP…)
 * into a space and typographic quotes/dashes back into ASCII.
 */
function normaliseSlackText(text: string, usage: string): Normalised {
  let problem: string | undefined;
  const unwrapped = text.replace(/<([^<>]*)>/g, (_m, inner: string) => {
    const replaced = unwrapMarkup(inner);
    if (replaced === undefined) problem ??= describeMarkup(inner, usage);
    return replaced ?? ' ';
  });
  if (problem) return fail(problem);
  const decoded = unwrapped
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\p{Zs}/gu, ' ')
    .replace(/[\u201c\u201d\u201e]/g, '"')
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/\u2014/g, '--')
    .replace(/\u2013/g, '-');
  return { ok: true, text: decoded };
}

/** `http://x|x` where x is a plain dotted name, optionally with `:PORT` → x. Anything else → undefined. */
function unwrapMarkup(inner: string): string | undefined {
  const bar = inner.indexOf('|');
  if (bar === -1) return undefined;
  const url = inner.slice(0, bar);
  const label = inner.slice(bar + 1);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*(:[0-9]{1,5})?$/.test(label)) return undefined;
  return url === `http://${label}` || url === `https://${label}` ? label : undefined;
}

function describeMarkup(inner: string, usage: string): string {
  if (inner.startsWith('@'))
    return `A user mention is not a pod name: give the pod's name as plain text. ${usage}`;
  if (inner.startsWith('#'))
    return `A channel link is not a pod name: give the pod's name as plain text. ${usage}`;
  if (inner.startsWith('!'))
    return `Special mentions (@here, @channel, groups) are not allowed in a command. ${usage}`;
  if (inner.startsWith('mailto:'))
    return `An email address is not a pod name: give the pod's name as plain text. ${usage}`;
  return `Links are not allowed in a command: give the pod's name as plain text. ${usage}`;
}

/** ASCII punctuation every command may contain; verbs may allow a few more (PROBE_EXTRA_CHARACTERS). */
const ALLOWED_ASCII = /^[A-Za-z0-9 \t\n\r._/=\-"']$/;

const PUNCTUATION_NAMES: Record<string, string> = {
  ';': 'semicolon',
  '|': 'pipe',
  '&': 'ampersand',
  $: 'dollar sign',
  '`': 'backtick',
  '>': 'redirect',
  '<': 'redirect',
  '(': 'parenthesis',
  ')': 'parenthesis',
  '*': 'wildcard',
  '?': 'wildcard',
  '\\': 'backslash',
  '%': 'percent sign',
  ',': 'comma',
  ':': 'colon',
  '[': 'bracket',
  ']': 'bracket',
  '!': 'exclamation mark',
  '#': 'hash',
  '~': 'tilde',
  '{': 'brace',
  '}': 'brace',
  '@': 'at sign',
};

/** Characters from other alphabets that pass for ASCII, with what they look like. */
const LOOK_ALIKES: Record<number, string> = {
  8208: '-',
  8209: '-',
  8210: '-',
  8213: '-',
  8722: '-',
  65123: '-',
  1072: 'a',
  1077: 'e',
  1086: 'o',
  1088: 'p',
  1089: 'c',
  1091: 'y',
  1093: 'x',
  1109: 's',
  1110: 'i',
  1112: 'j',
  1211: 'h',
  1281: 'd',
  945: 'a',
  959: 'o',
  957: 'v',
  305: 'i',
};

function lookAlike(cp: number): string | undefined {
  if (cp >= 0xff01 && cp <= 0xff5e) return String.fromCodePoint(cp - 0xfee0);
  return LOOK_ALIKES[cp];
}

/**
 * The first control, invisible or non-ASCII character, described with its
 * code point (never echoed raw); undefined if there is none. Line breaks (CR,
 * LF: a paste of several lines) are control characters too and refused, naming
 * the character; tabs separate words like spaces.
 */
function findInvisibleCharacter(text: string, usage: string, oneLine: boolean): string | undefined {
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\n' || ch === '\r') {
      const what = oneLine ? 'A probe command is one line' : 'A command is one line';
      return `${what}, but this one has a line break (\`${escapeCodePoint(cp)}\`): retype it on one line. ${usage}`;
    }
    if (/\p{Cc}/u.test(ch) && !/[\t\n\r]/.test(ch)) {
      return `The command contains a control character (\`${escapeCodePoint(cp)}\`): retype it as plain text. ${usage}`;
    }
    if (/[\p{Cf}\p{Zl}\p{Zp}]/u.test(ch)) {
      return `The command contains an invisible formatting character (\`${escapeCodePoint(cp)}\`, zero-width or bidi): retype it as plain text. ${usage}`;
    }
    if (cp > 0x7e) {
      const like = lookAlike(cp);
      const hint = like === undefined ? '' : ` that looks like \`${like === '`' ? "'" : like}\``;
      return `The command contains a non-ASCII character (\`${escapeCodePoint(cp)}\`)${hint}: commands are plain ASCII and Kubernetes names use a-z, 0-9, '-' and '.' only, so look-alike letters from other alphabets are refused. ${usage}`;
    }
  }
  return undefined;
}

/** The first ASCII punctuation character not allowed here, described; undefined if all are fine. */
function findBadPunctuation(text: string, extra: string, usage: string): string | undefined {
  for (const ch of text) {
    if (ALLOWED_ASCII.test(ch) || extra.includes(ch)) continue;
    const name = PUNCTUATION_NAMES[ch];
    const shown = ch === '`' ? 'A backtick' : `\`${escapeMrkdwnChar(ch)}\`${name ? ` (${name})` : ''}`;
    return `${shown} is not allowed: poddebug takes Kubernetes names and options, not shell syntax. ${usage}`;
  }
  return undefined;
}

function escapeMrkdwnChar(ch: string): string {
  if (ch === '&') return '&amp;';
  if (ch === '<') return '&lt;';
  if (ch === '>') return '&gt;';
  return ch;
}

// ---------------------------------------------------------------------------
// Help.

/**
 * Help as Slack mrkdwn. `topic` `diagnose` or a probe verb gives the full form
 * of that command; anything else gives the overview of all commands.
 */
export function helpText(topic?: string): string {
  if (topic !== undefined && isProbeVerb(topic)) return probeHelpText(topic);
  if (topic !== undefined && isDebugVerb(topic)) return debugHelpText(topic);
  if (topic !== undefined && isJobControlVerb(topic)) return jobControlHelpText(topic);
  if (topic !== undefined && isReadVerb(topic)) return readHelpText(topic);
  if (topic === 'diagnose') {
    return [
      '*`/poddebug diagnose`*: find out why a pod is not healthy.',
      '',
      '*Forms*',
      '• `/poddebug diagnose POD [-n NAMESPACE]`: one pod; without `-n` every namespace is searched',
      '• `/poddebug diagnose deploy/NAME -n NAMESPACE`: the worst pod of an owner; also `sts/`, `ds/`, `job/` (long names `deployment/`, `statefulset/`, `daemonset/` work too)',
      '',
      '*Options*',
      '• `-n`, `--namespace NAMESPACE`: namespace (required for owners)',
      '• `-c`, `--container NAME`: container whose logs to read (default: the one that is failing)',
      '• `--cluster NAME`: which cluster (default: the configured default)',
      '',
      '*Examples*',
      '• `/poddebug diagnose checkout-7d9f8b-x2kq -n shop`',
      '• `/poddebug diagnose deploy/checkout -n shop --cluster prod`',
      '• `/poddebug diagnose sts/postgres -n db -c postgres`',
    ].join('\n');
  }
  return [
    '*poddebug* diagnoses Kubernetes pods and answers in a thread.',
    '',
    '*Commands*',
    '• `/poddebug diagnose POD [-n NAMESPACE] [-c CONTAINER] [--cluster NAME]`: diagnose a pod',
    '• `/poddebug diagnose deploy/NAME -n NAMESPACE`: diagnose the worst pod of a Deployment (also `sts/`, `ds/`, `job/`)',
    '• `/poddebug logs|events|describe POD|deploy/NAME -n NAMESPACE`: logs, events or a description, like kubectl',
    `• \`/poddebug help [${HELP_TOPICS.join('|')}]\`: this help, or the details of a command`,
    '',
    "*Probes* (privileged: a short-lived pod on the pod's node; the policy decides who may run them and who approves). Each takes `POD -n NAMESPACE [-c CONTAINER] [--cluster NAME]`:",
    ...PROBE_ACTIONS.map(
      (a) =>
        `• \`/poddebug ${a}\`: ${PROBE_SUMMARY[a]}${a === 'strace' ? ' (slows the process while it runs)' : ''}`,
    ),
    '',
    '*In the pod* (role operator: a debug container added to the pod; elevated profiles and copies need an approval):',
    `• \`/poddebug debug POD -n NAMESPACE [--profile P] [--copy] -- COMMAND …\`: ${DEBUG_SUMMARY.debug}`,
    `• \`/poddebug connectivity POD -n NAMESPACE HOST[:PORT] …\`: ${DEBUG_SUMMARY.connectivity}`,
    '*Job control*',
    ...JOB_CONTROL_VERBS.map(
      (v) => `• \`${JOB_CONTROL_USAGE[v].replace(/^Usage: `|`.*$/g, '')}\`: ${JOB_CONTROL_SUMMARY[v]}`,
    ),
    '',
    '*Examples*',
    '• `/poddebug diagnose checkout-7d9f8b-x2kq -n shop`',
    '• `/poddebug diagnose deploy/checkout -n shop`',
    '• `/poddebug strace checkout-7d9f8b-x2kq -n shop --duration 20s`',
    '• `/poddebug debug checkout-7d9f8b-x2kq -n shop -- cat /etc/resolv.conf`',
  ].join('\n');
}
