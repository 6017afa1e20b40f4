/**
 * `logs`: reads the container logs of a pod, or of each pod of an owner (bounded per pod and in number of
 * pods), always with timestamps so that an owner's lines merge in time order; then filters with `--grep`
 * (re2js, under a time budget) and renders the text. Independent log reads run concurrently.
 */
import { CodedError, type LogsSpec, READ_LIMITS } from '../contracts/index.js';
import type { KubeReader } from '../k8s/client.js';
import { apiFailure, KubeApiError } from '../k8s/errors.js';
import type { Pod } from '../k8s/types.js';
import { compileGrep, grepLines } from './grep.js';
import { countLines, type LogLine, mergeByTime, parseTimestamped, renderLines } from './log-lines.js';
import type { ReadTarget } from './resolve.js';

export interface ReadText {
  text: string;
  verdict: string;
  summary: string[];
  notes: string[];
}

export interface LogsOptions {
  cluster: string;
  now: Date;
  /** The grep budget (ms); default READ_LIMITS.grepBudgetMs. */
  grepBudgetMs?: number;
  /** Clock for the grep budget (tests). */
  clock?: () => number;
}

interface Source {
  pod: string;
  container: string;
}

/** The containers `logs` reads in a pod: the one asked for, all of them, or kubectl's default. */
export function containersToRead(
  pod: Pod,
  spec: LogsSpec,
): { names: string[]; note?: string } | { error: string } {
  const main = (pod.spec?.containers ?? []).map((c) => c.name);
  const init = (pod.spec?.initContainers ?? []).map((c) => c.name);
  const eph = (pod.spec?.ephemeralContainers ?? []).map((c) => c.name);
  const podName = pod.metadata?.name ?? '?';
  if (spec.allContainers) return { names: [...init, ...main, ...eph] };
  if (spec.container) {
    if (![...init, ...main, ...eph].includes(spec.container))
      return {
        error: `Pod \`${podName}\` has no container \`${spec.container}\`; it has ${[...init, ...main, ...eph].map((n) => `\`${n}\``).join(', ')}.`,
      };
    return { names: [spec.container] };
  }
  const annotated = pod.metadata?.annotations?.['kubectl.kubernetes.io/default-container'];
  if (annotated && main.includes(annotated)) return { names: [annotated] };
  if (main.length <= 1) return { names: main };
  return {
    names: [main[0]!],
    note: `Defaulted container ${main[0]} out of: ${main.join(', ')} (use -c CONTAINER or --all-containers)`,
  };
}

export async function readLogs(
  reader: KubeReader,
  target: ReadTarget,
  spec: LogsSpec,
  o: LogsOptions,
): Promise<ReadText> {
  const notes: string[] = [];
  const summary: string[] = [];
  const owner = target.kind === 'owner';
  let pods = target.kind === 'pod' ? [target.pod] : target.pods;
  if (owner && pods.length === 0)
    throw new CodedError(
      'no_pods',
      `${target.owner.kind} \`${target.namespace}/${target.owner.obj.metadata?.name}\` has no pods right now, so there are no logs to read.`,
      [
        `See why: /poddebug describe ${target.owner.kind === 'Deployment' ? 'deploy' : target.owner.kind === 'StatefulSet' ? 'sts' : target.owner.kind === 'DaemonSet' ? 'ds' : 'job'}/${target.owner.obj.metadata?.name} -n ${target.namespace}`,
      ],
    );
  if (pods.length > READ_LIMITS.maxOwnerPods) {
    notes.push(
      `${pods.length} pods match; read the first ${READ_LIMITS.maxOwnerPods} by name (${pods
        .slice(READ_LIMITS.maxOwnerPods)
        .map((p) => p.metadata?.name)
        .join(', ')} not read)`,
    );
    pods = pods.slice(0, READ_LIMITS.maxOwnerPods);
  }
  const sources: Source[] = [];
  for (const p of pods) {
    const c = containersToRead(p, spec);
    if ('error' in c) {
      if (!owner)
        throw new CodedError('container_not_found', c.error, [
          'Pick one with -c CONTAINER, or use --all-containers.',
        ]);
      notes.push(c.error);
      continue;
    }
    if (c.note && !notes.includes(c.note)) notes.push(c.note);
    for (const name of c.names) sources.push({ pod: p.metadata?.name ?? '?', container: name });
  }
  const tail = spec.tailLines ?? (owner ? READ_LIMITS.ownerTailLines : READ_LIMITS.maxTailLines);
  const sinceTimeMs = spec.sinceTime ? Date.parse(spec.sinceTime) : undefined;
  // The API takes sinceSeconds only (client-node sends no sinceTime): read from a second before, cut exactly here.
  const sinceSeconds =
    spec.sinceSeconds ??
    (sinceTimeMs !== undefined
      ? Math.max(1, Math.ceil((o.now.getTime() - sinceTimeMs) / 1000) + 1)
      : undefined);
  const ns = target.namespace;
  const multiContainer = new Set(sources.map((s) => s.pod)).size < sources.length;
  const label = (s: Source) =>
    owner ? (multiContainer ? `${s.pod}/${s.container}` : s.pod) : multiContainer ? s.container : '';

  const reads = await Promise.all(
    sources.map(async (s) => {
      try {
        const body = await reader.podLog(ns, s.pod, s.container, {
          previous: spec.previous,
          tailLines: tail,
          limitBytes: READ_LIMITS.perLogBytes,
          timestamps: true,
          ...(sinceSeconds !== undefined ? { sinceSeconds } : {}),
        });
        return { s, body };
      } catch (e) {
        return { s, error: e };
      }
    }),
  );
  const perSource: LogLine[][] = [];
  for (const r of reads) {
    if ('error' in r) {
      const msg = r.error instanceof KubeApiError && r.error.status === 400 ? r.error.message : undefined;
      if (!owner && sources.length === 1) {
        if (msg)
          throw new CodedError(
            'invalid_args',
            `The API server refused the log: ${msg}`,
            logHints(spec, ns, r.s),
          );
        throw apiFailure(r.error, `read the log of ${ns}/${r.s.pod} (${r.s.container})`, o.cluster);
      }
      notes.push(
        `${r.s.pod}/${r.s.container}: not read (${msg ?? (r.error instanceof Error ? r.error.message.split('\n')[0] : 'error')})`,
      );
      continue;
    }
    let lines = parseTimestamped(r.body, label(r.s));
    if (sinceTimeMs !== undefined) lines = lines.filter((l) => Number.isNaN(l.ms) || l.ms >= sinceTimeMs);
    if (Buffer.byteLength(r.body) >= READ_LIMITS.perLogBytes)
      notes.push(
        `${r.s.pod}/${r.s.container}: the read stopped at ${READ_LIMITS.perLogBytes / 1024 / 1024} MiB (narrow it with --since or --tail)`,
      );
    else if (countLines(r.body) >= tail && spec.tailLines === undefined)
      notes.push(
        `${r.s.pod}/${r.s.container}: cut at the last ${tail} lines (set --tail or --since to choose)`,
      );
    perSource.push(lines);
  }
  let lines = mergeByTime(perSource);
  const read = lines.length;
  if (spec.grep) {
    const re = compileGrep(spec.grep);
    if (!re.ok) throw new CodedError('invalid_args', `\`--grep\` is not a valid RE2 pattern: ${re.error}`);
    const g = grepLines(lines, (l) => l.text, re.re, o.grepBudgetMs ?? READ_LIMITS.grepBudgetMs, o.clock);
    if (g.cut)
      notes.push(
        `--grep stopped after ${o.grepBudgetMs ?? READ_LIMITS.grepBudgetMs} ms: looked at ${g.scanned} of ${read} lines; the rest were not searched`,
      );
    lines = g.kept;
  }
  const podsRead = new Set(sources.map((s) => s.pod)).size;
  summary.push(
    owner
      ? `${podsRead} pod${podsRead === 1 ? '' : 's'} of ${target.owner.kind.toLowerCase()}/${target.owner.obj.metadata?.name}, lines merged in time order with a [pod] prefix, at most ${tail} lines per container`
      : `pod ${target.kind === 'pod' ? target.pod.metadata?.name : ''}, container ${[...new Set(sources.map((s) => s.container))].join(', ')}`,
  );
  const filters = [
    spec.previous ? 'previous instance' : '',
    spec.sinceSeconds ? `since ${spec.sinceSeconds} s ago` : '',
    spec.sinceTime ? `since ${spec.sinceTime}` : '',
    spec.tailLines ? `last ${spec.tailLines} lines` : '',
    spec.grep ? `lines matching ${spec.grep}` : '',
  ].filter(Boolean);
  if (filters.length > 0) summary.push(filters.join(', '));
  const text = renderLines(lines, { timestamps: spec.timestamps, prefix: true });
  const verdict =
    spec.grep !== undefined
      ? `${lines.length} of ${read} lines match`
      : `${lines.length} line${lines.length === 1 ? '' : 's'}${owner ? ` from ${podsRead} pod${podsRead === 1 ? '' : 's'}` : ''}`;
  return { text, verdict, summary, notes };
}

function logHints(spec: LogsSpec, ns: string, s: Source): string[] {
  if (spec.previous)
    return [
      `The container may not have restarted yet: try without --previous (/poddebug logs ${s.pod} -n ${ns} -c ${s.container}).`,
    ];
  return [`Check the container: /poddebug describe ${s.pod} -n ${ns}`];
}
