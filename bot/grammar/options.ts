/**
 * Option parsing shared by every verb: node's strict `util.parseArgs`, plus
 * the checks it does not make (an option given twice, `-duration` with one
 * dash) and, when it refuses, a lenient pass that names the offending token.
 * Pure.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type Fail, fail, show, stripQuotes } from './common.js';

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

export type ParsedOptions = {
  ok: true;
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  /** `--` was given (everything after it is a positional). */
  terminator: boolean;
};

export interface OptionsHelp {
  /** The verb, for "strace takes …". */
  verb: string;
  /** The usage line every message ends with. */
  usage: string;
  /** An example value per string option, for "`--duration` needs a value, e.g. `--duration 30s`". */
  examples: Record<string, string>;
}

/** Parses `args` against `options`, strictly. Never throws. */
export function parseOptions(args: string[], options: OptionSpec, help: OptionsHelp): ParsedOptions | Fail {
  const normalised = args.map((a) => normaliseOptionArg(a, options));
  for (const arg of normalised) {
    const single = /^-([a-z][a-z-]+)(=.*)?$/s.exec(arg);
    if (single && Object.hasOwn(options, single[1]!)) {
      return fail(
        `${show(single[0].split('=')[0]!)} has one dash: long options take two, \`--${single[1]}\`. ${help.usage}`,
      );
    }
  }
  let result: ReturnType<typeof parseArgs>;
  try {
    result = parseArgs({
      args: normalised,
      options: options as ParseArgsConfig['options'],
      strict: true,
      allowPositionals: true,
      tokens: true,
    });
  } catch {
    return fail(explainArgsError(normalised, options, help));
  }
  const seen = new Map<string, string>();
  let terminator = false;
  for (const token of result.tokens ?? []) {
    if (token.kind === 'option-terminator') terminator = true;
    if (token.kind !== 'option') continue;
    const earlier = seen.get(token.name);
    if (earlier !== undefined) {
      return fail(
        `${show(token.rawName)} is given twice${earlier === token.rawName ? '' : ` (${show(earlier)} and ${show(token.rawName)})`}: give each option once. ${help.usage}`,
      );
    }
    seen.set(token.name, token.rawName);
  }
  return {
    ok: true,
    values: result.values as Record<string, string | boolean | undefined>,
    positionals: result.positionals,
    terminator,
  };
}

/** The options of a verb as a message lists them: `-n`/`--namespace`, `--cluster`, … (help excluded). */
export function listOptions(options: OptionSpec): string {
  const names = Object.entries(options)
    .filter(([name]) => name !== 'help')
    .map(([name, def]) => (def.short ? `\`-${def.short}\`/\`--${name}\`` : `\`--${name}\``));
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/**
 * A value in matching quotes at the start of `text` (`"a b" -n x`), for options whose value is taken out of
 * the text before it is split into words (`--filter`, `--grep`): the value, and the text after the closing
 * quote, which must start with a space. undefined when `text` does not start with a quote.
 * @param what the value's name in messages: `filter` → "The filter's opening quote is never closed."
 */
export function takeQuoted(
  text: string,
  what: string,
  usage: string,
): { ok: true; value: string; tail: string } | Fail | undefined {
  const quote = text[0];
  if (quote !== '"' && quote !== "'") return undefined;
  const close = text.indexOf(quote, 1);
  if (close === -1) return fail(`The ${what}'s opening quote is never closed. ${usage}`);
  const tail = text.slice(close + 1);
  if (tail.length > 0 && !/^\s/.test(tail))
    return fail(`Put a space after the ${what}'s closing quote. ${usage}`);
  return { ok: true, value: text.slice(1, close), tail };
}

function explainArgsError(args: string[], options: OptionSpec, help: OptionsHelp): string {
  const { tokens } = parseArgs({
    args,
    options: options as ParseArgsConfig['options'],
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const def = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
    if (def === undefined) {
      return `Unknown option ${show(token.rawName)}: ${help.verb} takes ${listOptions(options)}. ${help.usage}`;
    }
    if (def.type === 'boolean' && token.value !== undefined) {
      return `${show(token.rawName)} takes no value. ${help.usage}`;
    }
    const example = help.examples[token.name] ?? 'NAME';
    if (def.type === 'string' && token.value === undefined) {
      return `${show(token.rawName)} needs a value, e.g. \`${token.rawName} ${example}\`. ${help.usage}`;
    }
    if (def.type === 'string' && token.inlineValue === false && token.value?.startsWith('-')) {
      if (/^-[0-9.]/.test(token.value)) {
        return `${show(token.rawName)} takes a positive value, not ${show(token.value)}, e.g. \`${token.rawName} ${example}\`. ${help.usage}`;
      }
      return `${show(token.rawName)} needs a value, not another option (${show(token.value)}). ${help.usage}`;
    }
  }
  return `Those options could not be read. ${help.usage}`;
}

/**
 * `-n=prod` → `--namespace=prod` (parseArgs would read the value as `=prod`),
 * and `--namespace="prod"` → `--namespace=prod`.
 */
function normaliseOptionArg(arg: string, options: OptionSpec): string {
  const m = /^(-[a-zA-Z]|--[a-zA-Z][a-zA-Z-]*)=(.*)$/s.exec(arg);
  if (!m) return arg;
  const flag = m[1]!;
  const value = stripQuotes(m[2]!);
  if (flag.startsWith('--')) return `${flag}=${value}`;
  for (const [long, def] of Object.entries(options)) {
    if (def.short === flag.slice(1)) return `--${long}=${value}`;
  }
  return arg;
}
