/**
 * The privileged probe commands: `strace`, `mem`, `ps`, `fds`, `netcheck`,
 * `tcpdump`. Each targets one container of one pod in a namespace the user
 * names (never guessed), and yields a ProbeSpec that the contract's schema
 * accepts. Pure.
 */
import {
  PROBE_ACTIONS,
  PROBE_LIMITS,
  type ProbeAction,
  type ProbeSpec,
  TRACE_CLASSES,
  type TraceClass,
} from '../../jobs/contracts/probe.js';
import { type Fail, fail, type GrammarContext, show } from './common.js';
import { formatSeconds, parseDuration } from './duration.js';
import { HOST_FORMS, parseHostList } from './host-port.js';
import { type OptionSpec, type OptionsHelp, parseOptions, takeQuoted } from './options.js';
import { FILTER_EXTRA_CHARACTERS, parsePcapFilter } from './pcap-filter.js';
import {
  POD_TARGET_FORM,
  type PodRequestParse,
  parsePodTarget,
  podRequest,
  TARGET_EXAMPLES,
  TARGET_OPTIONS,
} from './target.js';

export { FILTER_EXTRA_CHARACTERS };

export function isProbeVerb(word: string): word is ProbeAction {
  return (PROBE_ACTIONS as readonly string[]).includes(word);
}

const PROBE_OPTIONS: Record<ProbeAction, OptionSpec> = {
  strace: {
    ...TARGET_OPTIONS,
    duration: { type: 'string' },
    full: { type: 'boolean' },
    data: { type: 'boolean' },
    trace: { type: 'string' },
    'failed-only': { type: 'boolean' },
  },
  mem: { ...TARGET_OPTIONS, watch: { type: 'string' } },
  ps: TARGET_OPTIONS,
  fds: TARGET_OPTIONS,
  netcheck: TARGET_OPTIONS,
  tcpdump: { ...TARGET_OPTIONS, duration: { type: 'string' }, filter: { type: 'string' } },
};

const EXAMPLES: Record<string, string> = {
  ...TARGET_EXAMPLES,
  duration: '30s',
  watch: '60s',
  trace: 'file',
  filter: 'tcp port 443',
};

/** ASCII punctuation a probe command may contain beyond the base set, per verb (tcpdump's filter has its own). */
export const PROBE_EXTRA_CHARACTERS: Record<ProbeAction, string> = {
  strace: ',',
  mem: '',
  ps: '',
  fds: '',
  netcheck: ':[]',
  tcpdump: '',
};

const TARGET = POD_TARGET_FORM;
const SECONDS = 'a bare number is seconds';

/** The usage line every message about a probe ends with. */
export const PROBE_USAGE: Record<ProbeAction, string> = {
  strace: `Usage: \`/poddebug strace ${TARGET} [--duration 30s] [--full] [--data] [--trace ${TRACE_CLASSES.join('|')}] [--failed-only]\` (${SECONDS}; at most ${PROBE_LIMITS.maxDurationSec} s)`,
  mem: `Usage: \`/poddebug mem ${TARGET} [--watch [60s]]\` (${SECONDS}; ${PROBE_LIMITS.minWatchSec} to ${PROBE_LIMITS.maxWatchSec} s)`,
  ps: `Usage: \`/poddebug ps ${TARGET}\``,
  fds: `Usage: \`/poddebug fds ${TARGET}\``,
  netcheck: `Usage: \`/poddebug netcheck ${TARGET} [HOST[:PORT] …]\` (at most ${PROBE_LIMITS.maxNetcheckTargets} hosts; IPv6 as \`[::1]:443\`)`,
  tcpdump: `Usage: \`/poddebug tcpdump ${TARGET} [--duration 30s] [--filter EXPR]\` (${SECONDS}; at most ${PROBE_LIMITS.maxDurationSec} s; the filter runs to the end of the line)`,
};

/** One line per probe, for the help overview and the top of each probe's help. */
export const PROBE_SUMMARY: Record<ProbeAction, string> = {
  strace:
    "trace the system calls of the container's main process: time and errors by syscall, failed calls with their paths, slow calls",
  mem: "memory of the container's main process: RSS and its parts, the cgroup usage and limit, OOM kills; with `--watch`, a chart of RSS against the limit",
  ps: 'the processes in the container: PID, state, threads, CPU, memory and command line',
  fds: 'open file descriptors against the limit: counts by type, the sockets and the first 30',
  netcheck:
    "from the pod's network: resolv.conf, DNS lookups (the API server's name and the hosts you name), TCP connects to the HOST:PORTs you name, listening sockets",
  tcpdump: `capture packets in the pod's network namespace for a while (at most ${PROBE_LIMITS.maxPackets} packets), uploaded as a pcap file`,
};

export const STRACE_OVERHEAD =
  'strace slows the traced process down, often several times on system-call-heavy work, for the whole duration: keep it short on a busy production pod.';

export type ProbeParse = PodRequestParse;

/** Where `--filter` starts in tcpdump's text: options before it, the expression after. */
export type FilterSplit = { ok: true; rest: string; filter?: string } | Fail;

/**
 * Takes the filter out of tcpdump's text: `--filter EXPR` runs to the end of
 * the line; `--filter "EXPR"` (or `--filter="EXPR"`) ends at the closing
 * quote and options may follow it.
 */
export function splitFilter(text: string): FilterSplit {
  const m = /(^|\s)--filter(?:=|(?=\s|$))/.exec(text);
  if (!m) return { ok: true, rest: text };
  const before = text.slice(0, m.index + m[1]!.length);
  const after = text.slice(m.index + m[0].length);
  const quoted = takeQuoted(after.trimStart(), 'filter', PROBE_USAGE.tcpdump);
  if (quoted === undefined) return { ok: true, rest: before, filter: after };
  if (!quoted.ok) return quoted;
  return { ok: true, rest: `${before} ${quoted.tail}`, filter: quoted.value };
}

/**
 * Parses a probe command's words after the verb.
 * @param filter tcpdump only: the expression `splitFilter` took out of the text
 */
export function parseProbe(
  action: ProbeAction,
  args: string[],
  filter: string | undefined,
  ctx: GrammarContext,
): ProbeParse {
  const usage = PROBE_USAGE[action];
  const options = PROBE_OPTIONS[action];
  const help: OptionsHelp = { verb: action, usage, examples: EXAMPLES };
  const parsed = parseOptions(action === 'mem' ? joinWatchValue(args) : args, options, help);
  if (!parsed.ok) return parsed;
  const { values, positionals } = parsed;
  if (values.help === true) return { ok: true, help: true };
  if (parsed.terminator) {
    return fail(
      `\`--\` is not accepted in a probe command: pod names and hosts never start with '-'. ${usage}`,
    );
  }

  // The filter runs to the end of the line, so options typed after it land in it: say so first.
  let filterTokens: string[] | undefined;
  if (action === 'tcpdump') {
    if (filter !== undefined && values.filter !== undefined) {
      return fail(`\`--filter\` is given twice: give one filter. ${usage}`);
    }
    const expr = filter ?? (values.filter as string | undefined);
    if (expr !== undefined) {
      const parsedFilter = parsePcapFilter(expr);
      if (!parsedFilter.ok) return fail(`${parsedFilter.reason} ${usage}`);
      filterTokens = parsedFilter.tokens;
    }
  }

  if (positionals.length === 0) return fail(`Missing pod: which pod should ${action} look at? ${usage}`);
  const [podText, ...extra] = positionals as [string, ...string[]];
  if (action !== 'netcheck' && extra.length > 0) {
    const shown = positionals.slice(0, 3).map(show).join(', ');
    return fail(`${action} takes one pod, but got ${positionals.length} words (${shown}). ${usage}`);
  }

  const target = parsePodTarget(podText, values, ctx, {
    usage,
    onePod: 'Probes target one pod',
    takes: 'a probe takes',
    missingNamespace: `Say which namespace with \`-n NAMESPACE\`: poddebug never guesses the namespace for a privileged probe. ${usage}`,
  });
  if (!target.ok) return target;

  const spec = buildSpec(action, values, extra, filterTokens ?? []);
  if (!spec.ok) return fail(`${spec.error} ${usage}`);
  return podRequest(spec.spec, target, usage);
}

/**
 * `--watch` takes a value only when one follows that looks like a number
 * (`--watch 2m`, `--watch -5`); alone it means the default. A lone `--watch`
 * becomes `--watch=` (empty: the default).
 */
function joinWatchValue(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg !== '--watch') {
      out.push(arg);
      continue;
    }
    const next = args[i + 1];
    if (next !== undefined && /^[-+]?[0-9.]/.test(next)) {
      out.push(`--watch=${next}`);
      i++;
    } else {
      out.push('--watch=');
    }
  }
  return out;
}

type SpecBuild = { ok: true; spec: ProbeSpec } | Fail;

function buildSpec(
  action: ProbeAction,
  values: Record<string, string | boolean | undefined>,
  hosts: string[],
  filter: string[],
): SpecBuild {
  switch (action) {
    case 'ps':
    case 'fds':
      return { ok: true, spec: { action } };
    case 'strace': {
      const duration = durationOf(values.duration);
      if (!duration.ok) return duration;
      let trace: TraceClass | undefined;
      if (typeof values.trace === 'string') {
        const t = values.trace.toLowerCase();
        if (!(TRACE_CLASSES as readonly string[]).includes(t)) {
          const classes = TRACE_CLASSES.map((c) => `\`${c}\``).join(', ');
          const why = t.includes(',') ? 'takes one class' : `takes a class, not ${show(values.trace)}`;
          return fail(`\`--trace\` ${why}: one of ${classes}.`);
        }
        trace = t as TraceClass;
      }
      const spec: ProbeSpec = {
        action,
        durationSec: duration.seconds,
        full: values.full === true,
        failedOnly: values['failed-only'] === true,
      };
      if (trace !== undefined) spec.trace = trace;
      // only when asked: a spec without `data` is what every strace request was before the option existed
      if (values.data === true) spec.data = true;
      return { ok: true, spec };
    }
    case 'mem': {
      if (values.watch === undefined) return { ok: true, spec: { action } };
      if (values.watch === '') return { ok: true, spec: { action, watchSec: PROBE_LIMITS.defaultWatchSec } };
      const watch = parseDuration(String(values.watch), '--watch', {
        min: PROBE_LIMITS.minWatchSec,
        max: PROBE_LIMITS.maxWatchSec,
      });
      if (!watch.ok) return fail(watch.reason);
      return { ok: true, spec: { action, watchSec: watch.seconds } };
    }
    case 'netcheck': {
      const targets = parseHostList(hosts, PROBE_LIMITS.maxNetcheckTargets, action);
      return targets.ok ? { ok: true, spec: { action, targets: targets.hosts } } : targets;
    }
    case 'tcpdump': {
      const duration = durationOf(values.duration);
      if (!duration.ok) return duration;
      return { ok: true, spec: { action, durationSec: duration.seconds, filter } };
    }
  }
}

function durationOf(value: string | boolean | undefined): { ok: true; seconds: number } | Fail {
  if (value === undefined) return { ok: true, seconds: PROBE_LIMITS.defaultDurationSec };
  const d = parseDuration(String(value), '--duration', {
    min: PROBE_LIMITS.minDurationSec,
    max: PROBE_LIMITS.maxDurationSec,
  });
  return d.ok ? d : fail(d.reason);
}

/** Full help for one probe, Slack mrkdwn. */
export function probeHelpText(action: ProbeAction): string {
  const common = [
    "• `-n`, `--namespace NAMESPACE`: the pod's namespace (required: a probe never guesses it)",
    '• `-c`, `--container NAME`: which container (default: the only one, or the default container)',
    '• `--cluster NAME`: which cluster (default: the configured default)',
  ];
  const durationLine = `• \`--duration 30s\`: how long (default ${PROBE_LIMITS.defaultDurationSec} s, at most ${formatSeconds(PROBE_LIMITS.maxDurationSec)}); \`30s\`, \`2m\`, \`1m30s\`, or a bare number of seconds`;
  const specific: Record<ProbeAction, string[]> = {
    strace: [
      durationLine,
      '• `--full`: also upload the full trace as a file (bounded)',
      `• \`--data\`: also print the first ${PROBE_LIMITS.straceStringLength} bytes of every data buffer (what the process reads, writes, sends and receives, and the arguments of programs it starts); without it the trace shows calls, file paths, addresses, sizes and errors but no data. Known secret shapes are redacted; the approval says that buffers are captured`,
      `• \`--trace CLASS\`: only ${TRACE_CLASSES.map((c) => `\`${c}\``).join(', ')} system calls`,
      '• `--failed-only`: only calls that failed',
    ],
    mem: [
      `• \`--watch [60s]\`: sample for a while and chart RSS against the limit (alone: ${PROBE_LIMITS.defaultWatchSec} s; ${PROBE_LIMITS.minWatchSec} s to ${formatSeconds(PROBE_LIMITS.maxWatchSec)})`,
    ],
    ps: [],
    fds: [],
    netcheck: [
      `• \`HOST[:PORT] …\`: up to ${PROBE_LIMITS.maxNetcheckTargets} more hosts to resolve and connect to: ${HOST_FORMS}`,
    ],
    tcpdump: [
      durationLine,
      '• `--filter EXPR`: what to capture; everything after `--filter` to the end of the line, or a quoted string. Accepted: `host IP|NAME`, `net CIDR`, `port N`, `portrange N-M` (optionally after `src`, `dst` or `src or dst`), `tcp` `udp` `icmp` `icmp6` `ip` `ip6` `arp`, joined by `and` `or` `not` (or `&amp;&amp;` `||` `!`) and parentheses',
    ],
  };
  const examples: Record<ProbeAction, string> = {
    strace: '`/poddebug strace checkout-7d9f8b-x2kq -n shop --duration 20s --failed-only`',
    mem: '`/poddebug mem checkout-7d9f8b-x2kq -n shop --watch 2m`',
    ps: '`/poddebug ps checkout-7d9f8b-x2kq -n shop`',
    fds: '`/poddebug fds checkout-7d9f8b-x2kq -n shop -c app`',
    netcheck: '`/poddebug netcheck checkout-7d9f8b-x2kq -n shop payments.shop.svc:8080 10.0.0.7:5432`',
    tcpdump:
      '`/poddebug tcpdump checkout-7d9f8b-x2kq -n shop --duration 20s --filter tcp port 443 and not host 10.0.0.1`',
  };
  const lines = [`*\`/poddebug ${action}\`*: ${PROBE_SUMMARY[action]}.`, ''];
  if (action === 'strace') lines.push(`*Overhead:* ${STRACE_OVERHEAD}`, '');
  lines.push(
    `*Form*: \`/poddebug ${action} ${TARGET}${action === 'netcheck' ? ' [HOST[:PORT] …]' : ''}\``,
    '',
    '*Options*',
    ...common,
    ...specific[action],
    '',
    "*Privileged*: a probe runs a short-lived pod with extra privileges on the pod's node; the policy decides who may run it and whether someone must approve first.",
    '',
    '*Example*',
    `• ${examples[action]}`,
  );
  return lines.join('\n');
}
