/**
 * The `/poddebug` command grammar: Slack slash-command text in, a typed command
 * or one short error message out. Pure: no I/O, no clock.
 *
 * Every error is Slack mrkdwn that is safe to post as is: user input is shown
 * only after it passed the character checks, and anything unprintable is shown
 * escaped (`\u001b`), never raw.
 */
import { parseArgs } from 'node:util';
import { isDns1123Label, isDns1123Subdomain } from '../jobs/contracts/names.js';
import type { TargetKind, TargetRef } from '../jobs/contracts/target.js';

/** A parsed command. `help` carries an optional topic; `diagnose` carries a validated target. */
export type Command =
  | { verb: 'help'; topic?: 'diagnose' }
  | { verb: 'diagnose'; cluster: string; target: TargetRef };

/** Outcome of parsing: the command, or one short mrkdwn message naming what was wrong. */
export type ParseResult = { ok: true; command: Command } | { ok: false; error: string };

/** What the grammar needs to know about the deployment: configured clusters and the default one. */
export interface GrammarContext {
  clusters: readonly string[];
  defaultCluster: string;
}

/** Longest command text accepted, in characters, as Slack delivers it (escaped). */
export const MAX_COMMAND_LENGTH = 300;

const VERBS = ['diagnose', 'help'] as const;
const USAGE_DIAGNOSE =
  'Usage: `/poddebug diagnose POD|deploy/NAME [-n NAMESPACE] [-c CONTAINER] [--cluster NAME]`';
const USAGE_HELP = 'Usage: `/poddebug help [diagnose]`';

/** Owner kinds as users type them (kubectl short and long names), normalised to a TargetKind. */
const KIND_ALIASES: Record<string, TargetKind> = {
  po: 'pod',
  pod: 'pod',
  pods: 'pod',
  deploy: 'deploy',
  deployment: 'deploy',
  deployments: 'deploy',
  sts: 'sts',
  statefulset: 'sts',
  statefulsets: 'sts',
  ds: 'ds',
  daemonset: 'ds',
  daemonsets: 'ds',
  job: 'job',
  jobs: 'job',
};

/** Hints for kinds users often try that diagnose does not take. */
const KIND_HINTS: Record<string, string> = {
  rs: 'diagnose the Deployment that owns it (`deploy/NAME`)',
  replicaset: 'diagnose the Deployment that owns it (`deploy/NAME`)',
  svc: 'a Service has no pods of its own; diagnose one of its pods or its Deployment',
  service: 'a Service has no pods of its own; diagnose one of its pods or its Deployment',
  cronjob: 'diagnose one of its Jobs (`job/NAME`)',
  cj: 'diagnose one of its Jobs (`job/NAME`)',
};

const DIAGNOSE_OPTIONS = {
  namespace: { type: 'string', short: 'n' },
  container: { type: 'string', short: 'c' },
  cluster: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Fail = { ok: false; error: string };
const fail = (error: string): Fail => ({ ok: false, error });

/**
 * Parses the text after `/poddebug`. Empty text is `help`. Never throws.
 * @param text the slash command's `text` exactly as Slack sent it (HTML-escaped, with `<…>` markup)
 */
export function parseCommand(text: string, ctx: GrammarContext): ParseResult {
  if (text.length > MAX_COMMAND_LENGTH) {
    return fail(
      `That command is too long (${text.length} characters; at most ${MAX_COMMAND_LENGTH}). ${USAGE_DIAGNOSE}`,
    );
  }
  const normalised = normaliseSlackText(text);
  if (!normalised.ok) return normalised;
  const charProblem = findBadCharacter(normalised.text);
  if (charProblem) return fail(charProblem);

  const tokens = normalised.text
    .trim()
    .split(/\s+/)
    .filter((t) => t.length > 0)
    .map(stripQuotes);
  if (tokens.length === 0) return { ok: true, command: { verb: 'help' } };

  const [first, ...rest] = tokens as [string, ...string[]];
  const verb = first.toLowerCase();
  if (verb === 'help' || verb === '--help' || verb === '-h') return parseHelp(rest);
  if (verb === 'diagnose') return parseDiagnose(rest, ctx);
  return fail(unknownVerbMessage(first));
}

function parseHelp(args: string[]): ParseResult {
  if (args.length === 0) return { ok: true, command: { verb: 'help' } };
  if (args.length > 1) return fail(`\`help\` takes at most one command name. ${USAGE_HELP}`);
  const topic = args[0]!.toLowerCase();
  if (topic === 'diagnose') return { ok: true, command: { verb: 'help', topic: 'diagnose' } };
  if (topic === 'help') return { ok: true, command: { verb: 'help' } };
  return fail(
    `There is no help for ${show(args[0]!)}: commands are ${VERBS.map(show).join(', ')}. ${USAGE_HELP}`,
  );
}

function parseDiagnose(args: string[], ctx: GrammarContext): ParseResult {
  const parsed = parseDiagnoseArgs(args.map(normaliseOptionArg));
  if (!parsed.ok) return parsed;
  const { values, positionals } = parsed;
  if (values.help) return { ok: true, command: { verb: 'help', topic: 'diagnose' } };

  if (positionals.length === 0) return fail(`Missing target: which pod or owner? ${USAGE_DIAGNOSE}`);
  if (positionals.length > 1) {
    const shown = positionals.slice(0, 3).map(show).join(', ');
    return fail(
      `Two targets given (${shown}): diagnose takes one pod or owner; give a namespace with \`-n\`. ${USAGE_DIAGNOSE}`,
    );
  }

  const target = parseTarget(positionals[0]!);
  if (!target.ok) return target;

  const namespace = values.namespace;
  if (namespace !== undefined) {
    const problem = nameProblem(namespace, 'namespace', 'label');
    if (problem) return fail(`${problem} ${USAGE_DIAGNOSE}`);
  }
  const container = values.container;
  if (container !== undefined) {
    const problem = nameProblem(container, 'container name', 'label');
    if (problem) return fail(`${problem} ${USAGE_DIAGNOSE}`);
  }
  if (target.kind !== 'pod' && namespace === undefined) {
    return fail(
      `Say which namespace: \`-n NS\`. Finding \`${target.kind}/${target.name}\` across all namespaces would need a cluster-wide list. Usage: \`/poddebug diagnose ${target.kind}/${target.name} -n NAMESPACE\``,
    );
  }

  const cluster = values.cluster ?? ctx.defaultCluster;
  if (!ctx.clusters.includes(cluster)) {
    const known = ctx.clusters.length > 0 ? ctx.clusters.map(show).join(', ') : 'none configured';
    return fail(`Unknown cluster ${show(cluster)}: known clusters are ${known}. ${USAGE_DIAGNOSE}`);
  }

  const ref: TargetRef = { kind: target.kind, name: target.name };
  if (namespace !== undefined) ref.namespace = namespace;
  if (container !== undefined) ref.container = container;
  return { ok: true, command: { verb: 'diagnose', cluster, target: ref } };
}

type DiagnoseArgs = {
  ok: true;
  values: { namespace?: string; container?: string; cluster?: string; help?: boolean };
  positionals: string[];
};

/** Strict parseArgs; on failure, a lenient pass locates the offending token to name it in the message. */
function parseDiagnoseArgs(args: string[]): DiagnoseArgs | Fail {
  let result: ReturnType<typeof strictParse>;
  try {
    result = strictParse(args);
  } catch {
    return fail(explainArgsError(args));
  }
  const seen = new Map<string, string>();
  for (const token of result.tokens) {
    if (token.kind !== 'option') continue;
    const earlier = seen.get(token.name);
    if (earlier !== undefined) {
      return fail(
        `${show(token.rawName)} is given twice${earlier === token.rawName ? '' : ` (${show(earlier)} and ${show(token.rawName)})`}: give each option once. ${USAGE_DIAGNOSE}`,
      );
    }
    seen.set(token.name, token.rawName);
  }
  return { ok: true, values: result.values, positionals: result.positionals };
}

function strictParse(args: string[]) {
  return parseArgs({ args, options: DIAGNOSE_OPTIONS, strict: true, allowPositionals: true, tokens: true });
}

function explainArgsError(args: string[]): string {
  const { tokens } = parseArgs({
    args,
    options: DIAGNOSE_OPTIONS,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const known = Object.hasOwn(DIAGNOSE_OPTIONS, token.name);
    if (!known) {
      return `Unknown option ${show(token.rawName)}: diagnose takes \`-n\`/\`--namespace\`, \`-c\`/\`--container\` and \`--cluster\`. ${USAGE_DIAGNOSE}`;
    }
    const type = DIAGNOSE_OPTIONS[token.name as keyof typeof DIAGNOSE_OPTIONS].type;
    if (type === 'boolean' && token.value !== undefined) {
      return `${show(token.rawName)} takes no value. ${USAGE_DIAGNOSE}`;
    }
    if (type === 'string' && token.value === undefined) {
      return `${show(token.rawName)} needs a value, e.g. \`${token.rawName} ${exampleValue(token.name)}\`. ${USAGE_DIAGNOSE}`;
    }
    if (type === 'string' && token.inlineValue === false && token.value?.startsWith('-')) {
      return `${show(token.rawName)} needs a value, not another option (${show(token.value)}). ${USAGE_DIAGNOSE}`;
    }
  }
  return `Those options could not be read. ${USAGE_DIAGNOSE}`;
}

function exampleValue(option: string): string {
  if (option === 'namespace') return 'prod';
  if (option === 'container') return 'app';
  return 'NAME';
}

/**
 * `-n=prod` → `--namespace=prod` (parseArgs would read the value as `=prod`),
 * and `--namespace="prod"` → `--namespace=prod`.
 */
function normaliseOptionArg(arg: string): string {
  const m = /^(-[a-zA-Z]|--[a-zA-Z][a-zA-Z-]*)=(.*)$/s.exec(arg);
  if (!m) return arg;
  const flag = m[1]!;
  const value = stripQuotes(m[2]!);
  if (flag.startsWith('--')) return `${flag}=${value}`;
  for (const [long, def] of Object.entries(DIAGNOSE_OPTIONS)) {
    if ('short' in def && def.short === flag.slice(1)) return `--${long}=${value}`;
  }
  return arg;
}

type TargetParse = { ok: true; kind: TargetKind; name: string } | Fail;

function parseTarget(raw: string): TargetParse {
  const slash = raw.indexOf('/');
  if (slash === -1) {
    const problem = nameProblem(raw, 'pod name', 'subdomain');
    return problem ? fail(`${problem} ${USAGE_DIAGNOSE}`) : { ok: true, kind: 'pod', name: raw };
  }
  const kindText = raw.slice(0, slash);
  const name = raw.slice(slash + 1);
  const kind = KIND_ALIASES[kindText.toLowerCase()];
  if (kind === undefined) {
    const hint =
      KIND_HINTS[kindText.toLowerCase()] ??
      (isDns1123Label(kindText) ? `if ${show(kindText)} is a namespace, use \`-n ${kindText}\`` : undefined);
    return fail(
      `${show(`${kindText}/`)} is not a kind diagnose takes: use a pod name or \`deploy/\`, \`sts/\`, \`ds/\`, \`job/\` NAME${hint ? `; ${hint}` : ''}. ${USAGE_DIAGNOSE}`,
    );
  }
  if (name.length === 0) {
    return fail(
      `${show(`${kindText}/`)} needs a name after the slash, e.g. \`${kindText}/checkout\`. ${USAGE_DIAGNOSE}`,
    );
  }
  const what = kind === 'pod' ? 'pod name' : `${kindText.toLowerCase()} name`;
  const problem = nameProblem(name, what, 'subdomain');
  return problem ? fail(`${problem} ${USAGE_DIAGNOSE}`) : { ok: true, kind, name };
}

/** Why `s` is not a valid Kubernetes name of the given grammar, or undefined when it is. */
function nameProblem(s: string, what: string, grammar: 'label' | 'subdomain'): string | undefined {
  const valid = grammar === 'label' ? isDns1123Label(s) : isDns1123Subdomain(s);
  if (valid) return undefined;
  const max = grammar === 'label' ? 63 : 253;
  if (s.length === 0)
    return `The ${what} is empty: give a name, e.g. \`${grammar === 'label' ? 'prod' : 'checkout'}\`.`;
  if (s.length > max) return `${show(s)} is too long for a ${what} (${s.length} characters; at most ${max}).`;
  const allowed =
    grammar === 'label' ? "lowercase letters, digits and '-'" : "lowercase letters, digits, '-' and '.'";
  let reason: string | undefined;
  if (/[A-Z]/.test(s)) reason = 'it has uppercase letters';
  else if (/^[-.]/.test(s)) reason = "it must start with a letter or digit, not '-' or '.'";
  else if (/[-.]$/.test(s)) reason = "it must end with a letter or digit, not '-' or '.'";
  else if (s.includes('_')) reason = "'_' is not allowed";
  else if (grammar === 'label' && s.includes('.')) reason = "'.' is not allowed";
  return `${show(s)} is not a valid ${what}: ${reason ? `${reason}; ` : ''}use ${allowed} (DNS-1123).`;
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
  return `Unknown command ${show(word)}.${suggestion} ${USAGE_DIAGNOSE}`;
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
 * names (`<http://a.b|a.b>` → `a.b`), refuses other links and mentions,
 * decodes `&amp; &lt; &gt;`, turns every space separator (NBSP…) into a space
 * and typographic quotes/dashes back into ASCII.
 */
function normaliseSlackText(text: string): Normalised {
  let problem: string | undefined;
  const unwrapped = text.replace(/<([^<>]*)>/g, (_m, inner: string) => {
    const replaced = unwrapMarkup(inner);
    if (replaced === undefined) problem ??= describeMarkup(inner);
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

/** `http://x|x` where x is a plain dotted name → x. Anything else → undefined. */
function unwrapMarkup(inner: string): string | undefined {
  const bar = inner.indexOf('|');
  if (bar === -1) return undefined;
  const url = inner.slice(0, bar);
  const label = inner.slice(bar + 1);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(label)) return undefined;
  return url === `http://${label}` || url === `https://${label}` ? label : undefined;
}

function describeMarkup(inner: string): string {
  if (inner.startsWith('@'))
    return `A user mention is not a pod name: give the pod's name as plain text. ${USAGE_DIAGNOSE}`;
  if (inner.startsWith('#'))
    return `A channel link is not a pod name: give the pod's name as plain text. ${USAGE_DIAGNOSE}`;
  if (inner.startsWith('!'))
    return `Special mentions (@here, @channel, groups) are not allowed in a command. ${USAGE_DIAGNOSE}`;
  if (inner.startsWith('mailto:'))
    return `An email address is not a pod name: give the pod's name as plain text. ${USAGE_DIAGNOSE}`;
  return `Links are not allowed in a command: give the pod's name as plain text. ${USAGE_DIAGNOSE}`;
}

/** ASCII punctuation a command may contain; everything else printable is refused by name. */
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
};

/** The first character that may not appear in a command, described; undefined if all are fine. */
function findBadCharacter(text: string): string | undefined {
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (/\p{Cc}/u.test(ch) && !/[\t\n\r]/.test(ch)) {
      return `The command contains a control character (\`${escapeCodePoint(cp)}\`): retype it as plain text. ${USAGE_DIAGNOSE}`;
    }
    if (/[\p{Cf}\p{Zl}\p{Zp}]/u.test(ch)) {
      return `The command contains an invisible formatting character (\`${escapeCodePoint(cp)}\`, zero-width or bidi): retype it as plain text. ${USAGE_DIAGNOSE}`;
    }
    if (cp > 0x7e) {
      return `The command contains a non-ASCII character (\`${escapeCodePoint(cp)}\`): Kubernetes names use a-z, 0-9, '-' and '.' only, so look-alike letters from other alphabets are refused. ${USAGE_DIAGNOSE}`;
    }
    if (!ALLOWED_ASCII.test(ch)) {
      const name = PUNCTUATION_NAMES[ch];
      const shown = ch === '`' ? 'A backtick' : `\`${escapeMrkdwnChar(ch)}\`${name ? ` (${name})` : ''}`;
      return `${shown} is not allowed: poddebug takes Kubernetes names and options, not shell syntax. ${USAGE_DIAGNOSE}`;
    }
  }
  return undefined;
}

function escapeCodePoint(cp: number): string {
  return cp > 0xffff ? `\\u{${cp.toString(16)}}` : `\\u${cp.toString(16).padStart(4, '0')}`;
}

function escapeMrkdwnChar(ch: string): string {
  if (ch === '&') return '&amp;';
  if (ch === '<') return '&lt;';
  if (ch === '>') return '&gt;';
  return ch;
}

/** Removes one pair of matching surrounding quotes: `"prod"` → `prod`, `""` → empty. */
function stripQuotes(token: string): string {
  const m = /^(["'])(.*)\1$/s.exec(token);
  return m ? m[2]! : token;
}

/** Shows user input in a code span: long input is shortened, quotes and backticks cannot occur here. */
function show(s: string): string {
  const short = s.length > 40 ? `${s.slice(0, 40)}…` : s;
  return `\`${short.replace(/`/g, "'")}\``;
}

// ---------------------------------------------------------------------------
// Help.

/**
 * Help as Slack mrkdwn. `topic` `diagnose` gives the full form of diagnose;
 * anything else gives the overview of all commands.
 */
export function helpText(topic?: string): string {
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
    '• `/poddebug help [diagnose]`: this help, or the details of a command',
    '',
    '*Examples*',
    '• `/poddebug diagnose checkout-7d9f8b-x2kq -n shop`',
    '• `/poddebug diagnose deploy/checkout -n shop`',
  ].join('\n');
}
