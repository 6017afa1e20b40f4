/**
 * Why the cluster refused a debug container, said exactly, with the node probe that works instead: the feature
 * is off (404 on `pods/ephemeralcontainers`), the namespace's Pod Security forbids the profile (403 "violates
 * PodSecurity"), the runtime cannot join the target container (StartError "joining the namespaces of target
 * container"), the pod or its container is not running. Pure: an API error or a status in, a CodedError out.
 */
import { CodedError } from '../contracts/errors.js';
import type { ProbeSpec } from '../contracts/probe.js';
import { apiFailure, KubeApiError } from '../k8s/errors.js';

export interface RefusalContext {
  cluster: string;
  namespace: string;
  pod: string;
  container: string;
  spec: ProbeSpec;
}

/** The node probe that does what the debug container would have, typed for this pod. */
export function nodeProbeHint(c: RefusalContext): string {
  const where = `${c.pod} -n ${c.namespace} -c ${c.container}`;
  if (c.spec.action === 'connectivity') {
    const hosts = c.spec.targets.map((t) =>
      t.port ? `${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}` : t.host,
    );
    return `\`/poddebug netcheck ${where} ${hosts.join(' ')}\` checks the same from the node (role privileged, with approval)`;
  }
  return `\`/poddebug ps ${where}\`, \`fds\`, \`netcheck\` or \`strace\` look at the container from its node instead (role privileged, with approval)`;
}

/** A refused PATCH of pods/ephemeralcontainers (or CREATE of a copy), as the user-facing error. */
export function debugApiRefusal(e: unknown, c: RefusalContext, what: 'ephemeral' | 'copy'): CodedError {
  if (!(e instanceof KubeApiError)) throw e;
  const pod = `\`${c.namespace}/${c.pod}\``;
  const instead = nodeProbeHint(c);
  if (what === 'ephemeral' && (e.status === 404 || e.status === 405)) {
    return new CodedError(
      'debug_refused',
      `Cluster \`${c.cluster}\` does not serve ephemeral containers (the API answered ${e.status} for pods/ephemeralcontainers of pod ${pod}): the feature is off or the API server is older than Kubernetes 1.23. Nothing was added.`,
      [`Use ${instead}.`, 'Or debug a copy of the pod: add `--copy` to the command.'],
      { cause: e },
    );
  }
  if (e.status === 403 && /violates PodSecurity/i.test(e.message)) {
    const level = /PodSecurity "([a-z]+)/.exec(e.message)?.[1];
    const profile = c.spec.action === 'debug' ? c.spec.profile : 'general';
    const lower =
      level === 'restricted'
        ? '`--profile restricted`'
        : level === 'baseline'
          ? '`--profile baseline` or `--profile restricted`'
          : 'a lower profile';
    return new CodedError(
      'debug_refused',
      `The Pod Security admission of namespace \`${c.namespace}\`${level ? ` (level ${level})` : ''} forbids the \`${profile}\` profile there: ${e.message.replace(/^.*?violates PodSecurity/, 'violates PodSecurity').slice(0, 400)}. Nothing was added.`,
      [`Try ${lower}, which that level allows.`, `Or use ${instead}.`],
      { cause: e },
    );
  }
  if (e.status === 403) {
    const verb = what === 'ephemeral' ? 'patch pods/ephemeralcontainers' : 'create pods';
    return new CodedError(
      'forbidden',
      `The worker on \`${c.cluster}\` may not ${verb} in namespace \`${c.namespace}\` (403): ${e.message.slice(0, 300)}`,
      [
        `Grant it with deploy/components/debug-containers (a RoleBinding in \`${c.namespace}\`).`,
        `Meanwhile use ${instead}.`,
      ],
      { cause: e },
    );
  }
  if (e.status === 422) {
    return new CodedError(
      'debug_refused',
      `The API server refused the debug container for pod ${pod}: ${e.message.slice(0, 400)}. Nothing was added.`,
      [`Use ${instead}.`],
      { cause: e },
    );
  }
  return apiFailure(
    e,
    what === 'ephemeral' ? `the debug container of pod ${pod}` : `the copy of pod ${pod}`,
    c.cluster,
  );
}

/** A container that did not start, from its waiting or terminated state; undefined while it may still start. */
export function startRefusal(
  state: {
    waiting?: { reason?: string; message?: string };
    terminated?: { reason?: string; message?: string; exitCode?: number };
  },
  c: RefusalContext,
  name: string,
): CodedError | undefined {
  const t = state.terminated;
  const w = state.waiting;
  const msg = t?.message ?? w?.message ?? '';
  if (t && /target container|joining the namespaces/i.test(msg)) {
    return new CodedError(
      'debug_refused',
      `The container runtime could not put \`${name}\` into the namespaces of container \`${c.container}\` (${t.reason ?? 'StartError'}: ${msg.slice(0, 300)}). It is a stopped container in the pod now; nothing ran.`,
      [`Use ${nodeProbeHint(c)}.`, 'If the container is crash looping, debug a copy instead: add `--copy`.'],
    );
  }
  if (t && t.reason === 'StartError') {
    return new CodedError(
      'debug_refused',
      `The debug container \`${name}\` did not start (${msg.slice(0, 300) || 'StartError'}): is the program in the image? Nothing ran.`,
      ['Check the command and the image (`--image`).'],
    );
  }
  const reason = w?.reason ?? '';
  if (
    [
      'ErrImagePull',
      'ImagePullBackOff',
      'InvalidImageName',
      'CreateContainerError',
      'CreateContainerConfigError',
    ].includes(reason)
  ) {
    return new CodedError(
      'debug_refused',
      `The debug container \`${name}\` cannot start: ${reason}${w?.message ? ` (${w.message.slice(0, 300)})` : ''}. Nothing ran.`,
      ['Check that the node can pull the image the policy lists.', `Or use ${nodeProbeHint(c)}.`],
    );
  }
  return undefined;
}

/** The pod (or its target container) is not running: an ephemeral container would never start. */
export function notRunningRefusal(c: RefusalContext, why: string): CodedError {
  return new CodedError(
    'not_running',
    `${why}, so an ephemeral container would never start there. Nothing was added.`,
    [
      `Debug a copy of the pod instead: \`/poddebug debug ${c.pod} -n ${c.namespace} --copy -- …\` (needs an approval).`,
      `Run \`/poddebug diagnose ${c.pod} -n ${c.namespace}\` to see why.`,
    ],
  );
}
