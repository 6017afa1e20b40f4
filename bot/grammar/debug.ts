/**
 * `/poddebug debug` and `/poddebug connectivity`: a debug container in the pod (kubectl debug's ephemeral
 * container, or a copy of the pod) running one command, and DNS/TCP checks from the pod's network namespace.
 * The command after `--` becomes an argv array word by word: no shell ever reads it, so shell syntax (pipes,
 * redirects, variables, quotes that group words) is refused rather than silently not working. Pure.
 */

import { DEBUG_PROFILES, type DebugProfile, PROFILE_SUMMARY } from '../../jobs/contracts/debug-profiles.js';
import { DEBUG_LIMITS, type DebugAction, type ProbeSpec } from '../../jobs/contracts/probe.js';
import { DEFAULT_IMAGE_NAME } from '../policy/debug-scope.js';
import { type Fail, fail, type GrammarContext, show } from './common.js';
import { formatSeconds, parseDuration } from './duration.js';
import { HOST_FORMS, parseHostList } from './host-port.js';
import { type OptionSpec, type OptionsHelp, parseOptions } from './options.js';
import {
  POD_TARGET_FORM,
  type PodRequestParse,
  parsePodTarget,
  podRequest,
  TARGET_EXAMPLES,
  TARGET_OPTIONS,
} from './target.js';

export function isDebugVerb(word: string): word is DebugAction {
  return word === 'debug' || word === 'connectivity';
}

/** ASCII punctuation these commands may contain beyond the base set (command words: `:`, `,`, `@`, `+`, `%`). */
export const DEBUG_EXTRA_CHARACTERS: Record<DebugAction, string> = {
  debug: ':,@+%',
  connectivity: ':[]',
};

const TARGET = POD_TARGET_FORM;

export const DEBUG_USAGE: Record<DebugAction, string> = {
  debug: `Usage: \`/poddebug debug ${TARGET} [--profile ${DEBUG_PROFILES.join('|')}] [--image NAME] [--copy [--keep 15m]] -- COMMAND [ARG …]\``,
  connectivity: `Usage: \`/poddebug connectivity ${TARGET} HOST[:PORT] …\` (at most ${DEBUG_LIMITS.maxConnectivityTargets} hosts; IPv6 as \`[::1]:443\`)`,
};

export const DEBUG_SUMMARY: Record<DebugAction, string> = {
  debug:
    "run one command in a debug container added to the pod (kubectl debug's ephemeral container, with its profiles), or in a copy of the pod with `--copy`; its output and exit status come back in the thread",
  connectivity:
    "DNS lookups and TCP connects to the hosts you name, from a debug container in the pod's network namespace (no node privileges)",
};

const OPTIONS: Record<DebugAction, OptionSpec> = {
  debug: {
    ...TARGET_OPTIONS,
    profile: { type: 'string' },
    image: { type: 'string' },
    copy: { type: 'boolean' },
    keep: { type: 'string' },
  },
  connectivity: TARGET_OPTIONS,
};

const EXAMPLES: Record<string, string> = {
  ...TARGET_EXAMPLES,
  profile: 'general',
  image: 'busybox',
  keep: '15m',
};

/** Characters a shell would give a meaning that no shell gives them here, with what the user likely meant. */
const SHELL_WORDS: Array<[RegExp, string]> = [
  [/["']/, 'quotes do not group words here: each word is one argument, and no shell reads them'],
];

export type DebugParse = PodRequestParse;

/**
 * Parses the words after `debug` or `connectivity`.
 * @param args the command's words after the verb, quotes around whole words already removed
 */
export function parseDebug(action: DebugAction, args: string[], ctx: GrammarContext): DebugParse {
  const usage = DEBUG_USAGE[action];
  const split = args.indexOf('--');
  const optionWords = split === -1 ? args : args.slice(0, split);
  const command = split === -1 ? undefined : args.slice(split + 1);
  const help: OptionsHelp = { verb: action, usage, examples: EXAMPLES };
  const parsed = parseOptions(optionWords, OPTIONS[action], help);
  if (!parsed.ok) return parsed;
  const { values, positionals } = parsed;
  if (values.help === true) return { ok: true, help: true };

  if (action === 'connectivity' && command !== undefined) {
    return fail(`\`--\` is not used by connectivity: list the hosts after the pod. ${usage}`);
  }
  if (positionals.length === 0) return fail(`Missing pod: which pod should ${action} run in? ${usage}`);
  const [podText, ...extra] = positionals as [string, ...string[]];
  if (action === 'debug' && extra.length > 0) {
    const shown = extra.slice(0, 3).map(show).join(', ');
    return fail(
      `debug takes one pod, then \`--\` and the command: ${shown} came before \`--\`. e.g. \`/poddebug debug ${podText} -n NS -- ${extra.join(' ')}\`. ${usage}`,
    );
  }
  const target = parsePodTarget(podText, values, ctx, {
    usage,
    onePod: 'A debug container goes into one pod',
    takes: 'give',
    missingNamespace: `Say which namespace with \`-n NAMESPACE\`: poddebug never guesses it for ${action}. ${usage}`,
  });
  if (!target.ok) return target;

  const spec = action === 'debug' ? debugSpec(values, command) : connectivitySpec(extra);
  if (!spec.ok) return fail(`${spec.error} ${usage}`);
  return podRequest(spec.spec, target, usage);
}

type SpecBuild = { ok: true; spec: ProbeSpec } | Fail;

function debugSpec(values: Record<string, string | boolean | undefined>, command?: string[]): SpecBuild {
  const profileText = values.profile as string | undefined;
  let profile: DebugProfile = 'general';
  if (profileText !== undefined) {
    const p = profileText.toLowerCase();
    if (!(DEBUG_PROFILES as readonly string[]).includes(p)) {
      const hint = p === 'legacy' ? ' (`legacy` is deprecated in kubectl and not offered)' : '';
      return fail(
        `\`--profile\` is one of ${DEBUG_PROFILES.map((x) => `\`${x}\``).join(', ')}, not ${show(profileText)}${hint}.`,
      );
    }
    profile = p as DebugProfile;
  }
  const image = values.image as string | undefined;
  if (image !== undefined && !/^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/.test(image)) {
    return fail(
      `\`--image\` takes the short name of an image the policy lists (e.g. \`--image busybox\`), not ${show(image)}: registries and tags are set by the policy.`,
    );
  }
  const copy = values.copy === true;
  let keepSec: number = DEBUG_LIMITS.defaultKeepSec;
  if (values.keep !== undefined) {
    if (!copy) return fail('`--keep` says how long a copy stays: it goes with `--copy`.');
    const keep = parseDuration(String(values.keep), '--keep', { min: 0, max: DEBUG_LIMITS.maxKeepSec });
    if (!keep.ok) return fail(keep.reason);
    keepSec = keep.seconds;
  }
  if (command === undefined) {
    return fail('Give the command to run after `--`, e.g. `-- cat /etc/resolv.conf`.');
  }
  if (command.length === 0) return fail('The command after `--` is empty: give at least the program to run.');
  if (command.length > DEBUG_LIMITS.maxArgs) {
    return fail(`The command has ${command.length} words; at most ${DEBUG_LIMITS.maxArgs}.`);
  }
  for (const word of command) {
    for (const [re, why] of SHELL_WORDS) {
      if (re.test(word)) return fail(`${show(word)}: ${why}.`);
    }
    if (word.length > DEBUG_LIMITS.maxArgLength) {
      return fail(
        `${show(word)} is too long for one argument (${word.length}; at most ${DEBUG_LIMITS.maxArgLength}).`,
      );
    }
  }
  const spec: ProbeSpec = {
    action: 'debug',
    profile,
    image: image ?? DEFAULT_IMAGE_NAME,
    argv: command,
  };
  if (copy) spec.copy = { keepSec };
  return { ok: true, spec };
}

function connectivitySpec(hosts: string[]): SpecBuild {
  if (hosts.length === 0) {
    return fail(
      `Name at least one host to check after the pod, e.g. \`payments.shop.svc:8080\`; hosts look like ${HOST_FORMS}.`,
    );
  }
  const targets = parseHostList(hosts, DEBUG_LIMITS.maxConnectivityTargets, 'connectivity');
  return targets.ok ? { ok: true, spec: { action: 'connectivity', targets: targets.hosts } } : targets;
}

/** Full help for `debug` or `connectivity`, Slack mrkdwn. */
export function debugHelpText(action: DebugAction): string {
  const common = [
    "• `-n`, `--namespace NAMESPACE`: the pod's namespace (required)",
    '• `-c`, `--container NAME`: the container whose namespaces the debug container joins (default: the only one, or the default container)',
    '• `--cluster NAME`: which cluster (default: the configured default)',
  ];
  if (action === 'connectivity') {
    return [
      `*\`/poddebug connectivity\`*: ${DEBUG_SUMMARY.connectivity}.`,
      '',
      `*Form*: \`/poddebug connectivity ${TARGET} HOST[:PORT] …\``,
      '',
      '*Options*',
      ...common,
      `• \`HOST[:PORT] …\`: up to ${DEBUG_LIMITS.maxConnectivityTargets} hosts to resolve (with the pod's resolv.conf) and, with a port, connect to: ${HOST_FORMS}`,
      '',
      "*How*: an ephemeral container named `poddebug-<id>` with kubectl debug's `general` profile joins the pod's network namespace and runs the checks; no node privileges. Role `operator`. When a pod cannot take an ephemeral container, `/poddebug netcheck` does the same from the node (role `privileged`, with approval).",
      '',
      '*Kubernetes access* (where poddebug checks your own RBAC with a SubjectAccessReview): `patch pods/ephemeralcontainers` on the pod.',
      '',
      '⚠️ *Ephemeral containers cannot be removed*: the container stays in the pod’s spec (stopped) until the pod is replaced.',
      '',
      '*Example*',
      '• `/poddebug connectivity checkout-7d9f8b-x2kq -n shop payments.shop.svc:8080 10.0.0.7:5432`',
    ].join('\n');
  }
  return [
    `*\`/poddebug debug\`*: ${DEBUG_SUMMARY.debug}.`,
    '',
    `*Form*: \`/poddebug debug ${TARGET} [--profile P] [--image NAME] [--copy [--keep 15m]] -- COMMAND [ARG …]\``,
    '',
    '*Options*',
    ...common,
    `• \`--profile P\`: kubectl debug's profile, the securityContext of the debug container (default \`general\`):`,
    ...DEBUG_PROFILES.map(
      (p) =>
        `   ◦ \`${p}\`: ${PROFILE_SUMMARY[p]}${p === 'netadmin' || p === 'sysadmin' ? ' — *needs an approval*' : ''}`,
    ),
    '• `--image NAME`: one of the images the policy lists (default: its first); pinned by digest where the policy says so',
    `• \`--copy\`: debug a copy of the pod instead (for a crash-looping pod): the copy has no labels (no Service routes to it), no probes, and the target container's command replaced by a sleep; the command runs in a debug container beside it. *Needs an approval* (it schedules a new pod with the workload's identity)`,
    `• \`--keep 15m\`: with \`--copy\`, how long the copy stays after the command (default ${formatSeconds(DEBUG_LIMITS.defaultKeepSec)}, at most ${formatSeconds(DEBUG_LIMITS.maxKeepSec)}; \`0\` deletes it at once); a reaper deletes leftovers`,
    '• `-- COMMAND [ARG …]`: the command, word by word. No shell reads it: pipes, redirects, variables and quotes are refused; run `sh -c` yourself if the image has a shell and you need one',
    '',
    `*Limits*: the worker waits ${DEBUG_LIMITS.commandSec} s for the command; long output comes as a file; everything is redacted.`,
    '',
    '*Kubernetes access* (where poddebug checks your own RBAC with a SubjectAccessReview): a debug container needs `patch pods/ephemeralcontainers` on the pod; `--copy` needs `get pods` and `create pods` in the namespace, as `kubectl debug --copy-to` does.',
    '',
    '⚠️ *Ephemeral containers cannot be removed*: each `debug` leaves a stopped container named `poddebug-<id>` in the pod’s spec until the pod is replaced, and the policy caps how many a pod may carry. `--copy` leaves the original pod untouched.',
    '',
    'When the cluster refuses an ephemeral container (feature off, Pod Security, the runtime cannot target a container, the pod not running), the thread says which and which node probe (`/poddebug ps`, `netcheck`, `strace`) works instead.',
    '',
    '*Examples*',
    '• `/poddebug debug checkout-7d9f8b-x2kq -n shop -- cat /etc/resolv.conf`',
    '• `/poddebug debug checkout-7d9f8b-x2kq -n shop -c app --profile netadmin --image netshoot -- ip route`',
    '• `/poddebug debug checkout-7d9f8b-x2kq -n shop --copy --keep 30m -- ls -la /app`',
  ].join('\n');
}
