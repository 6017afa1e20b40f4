import { type Finding, finding } from '../../contracts/finding.js';
import {
  type ContainerView,
  eventLines,
  eventsCommand,
  eventsWith,
  type RuleContext,
  templateTarget,
} from './context.js';
import { oneLine } from './util.js';

/** Why an image pull failed. */
export type ImagePullClass = 'not-found' | 'auth' | 'rate-limit' | 'tls' | 'timeout' | 'unknown';

const PULL_CLASSES: [ImagePullClass, RegExp][] = [
  ['rate-limit', /toomanyrequests|too many requests|rate limit|\b429\b/i],
  [
    'auth',
    /pull access denied|unauthorized|insufficient_scope|authentication required|\b401\b|\b403\b|forbidden|failed to authorize|denied: /i,
  ],
  ['tls', /x509|certificate|tls: (?!handshake timeout)|server gave HTTP response to HTTPS client/i],
  [
    'timeout',
    /i\/o timeout|deadline exceeded|timed out|timeout|connection reset|connection refused|network is unreachable/i,
  ],
  ['not-found', /not found|manifest unknown|no such host|name unknown|does not exist|NotFound/i],
];

/** Classifies the runtime's pull error message (as in `Failed to pull image "X": …`). */
export function classifyImagePull(message: string): ImagePullClass {
  for (const [cls, re] of PULL_CLASSES) if (re.test(message)) return cls;
  return 'unknown';
}

const CLASS_TEXT: Record<ImagePullClass, string> = {
  'not-found': 'image or tag not found',
  auth: 'registry denied access (authentication)',
  'rate-limit': 'registry rate limit',
  tls: 'TLS/certificate error talking to the registry',
  timeout: 'registry unreachable (timeout or connection failure)',
  unknown: 'pull failed',
};

/** Image reference named in a pull message, if any. */
export function imageInMessage(message: string | undefined): string | undefined {
  return /(?:pull(?:ing)? image|image) "([^"]+)"/i.exec(message ?? '')?.[1];
}

function registryOf(image: string): string {
  const first = image.split('/')[0] ?? '';
  return image.includes('/') && /[.:]|^localhost$/.test(first) ? first : 'docker.io';
}

function pullNext(ctx: RuleContext, c: ContainerView, cls: ImagePullClass, image: string): string[] {
  const secrets = (ctx.pod.spec?.imagePullSecrets ?? []).map((s) => s.name).filter(Boolean);
  const registry = registryOf(image);
  switch (cls) {
    case 'not-found':
      return [
        `Check that \`${image}\` exists: crane manifest ${image}  (or docker manifest inspect ${image})`,
        `kubectl set image ${templateTarget(ctx)} -n ${ctx.ns} ${c.name}=<an image:tag that exists>`,
      ];
    case 'auth':
      return [
        secrets.length > 0
          ? `kubectl get secret ${secrets[0]} -n ${ctx.ns} -o jsonpath='{.data.\\.dockerconfigjson}' | base64 -d | jq '.auths | keys'  # does it hold credentials for ${registry}?`
          : `The pod has no imagePullSecrets: kubectl create secret docker-registry regcred -n ${ctx.ns} --docker-server=${registry} --docker-username=… --docker-password=…`,
        `kubectl get pod ${ctx.name} -n ${ctx.ns} -o jsonpath='{.spec.imagePullSecrets}'`,
        `kubectl get serviceaccount ${ctx.pod.spec?.serviceAccountName ?? 'default'} -n ${ctx.ns} -o yaml`,
      ];
    case 'rate-limit':
      return [
        `Authenticate pulls from ${registry} (imagePullSecrets) or use a pull-through mirror`,
        'Set imagePullPolicy: IfNotPresent for pinned tags',
      ];
    case 'tls':
      return [
        `The node does not trust ${registry}'s certificate: add the CA to the container runtime's registry config on ${ctx.pod.spec?.nodeName ?? 'the node'}`,
      ];
    case 'timeout':
      return [
        `Check egress from ${ctx.pod.spec?.nodeName ?? 'the node'} to ${registry} (proxy, firewall, DNS)`,
        `kubectl debug node/${ctx.pod.spec?.nodeName ?? 'NODE'} -it --image=busybox -- nslookup ${registry}`,
      ];
    default:
      return [eventsCommand(ctx)];
  }
}

/** ErrImagePull / ImagePullBackOff, classified, naming the image. */
export function imagePullRule(ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  for (const c of ctx.containers) {
    const w = c.status?.state?.waiting;
    if (w?.reason !== 'ErrImagePull' && w?.reason !== 'ImagePullBackOff') continue;
    const failed = eventsWith(ctx, ['Failed'], { container: c.name, message: /Failed to pull image/i });
    const message = failed[0]?.message ?? w.message ?? '';
    const image = imageInMessage(failed[0]?.message) ?? c.spec?.image ?? imageInMessage(w.message) ?? '?';
    const cls = classifyImagePull(`${message} ${w.reason === 'ErrImagePull' ? (w.message ?? '') : ''}`);
    const secrets = (ctx.pod.spec?.imagePullSecrets ?? []).map((s) => s.name);
    const ev = [`state.waiting.reason: ${w.reason}`];
    if (w.message) ev.push(`state.waiting.message: ${oneLine(w.message)}`);
    ev.push(`image: ${image}`, `imagePullSecrets: ${secrets.length > 0 ? secrets.join(', ') : 'none'}`);
    ev.push(...eventLines(ctx, failed, 2));
    ev.push(
      ...eventLines(ctx, eventsWith(ctx, ['BackOff'], { container: c.name, message: /pulling image/i }), 1),
    );
    out.push(
      finding(
        'image-pull',
        'critical',
        `Container \`${c.name}\` cannot pull image \`${image}\`: ${CLASS_TEXT[cls]}`,
        ev,
        pullNext(ctx, c, cls, image),
      ),
    );
  }
  return out;
}

/** InvalidImageName and ErrImageNeverPull: the reference or the pull policy is wrong, not the registry. */
export function invalidImageRule(ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  for (const c of ctx.containers) {
    const w = c.status?.state?.waiting;
    if (w?.reason !== 'InvalidImageName' && w?.reason !== 'ErrImageNeverPull') continue;
    const image = c.spec?.image ?? '?';
    const ev = [`state.waiting.reason: ${w.reason}`];
    if (w.message) ev.push(`state.waiting.message: ${oneLine(w.message)}`);
    ev.push(`image: ${image}`);
    if (c.spec?.imagePullPolicy) ev.push(`imagePullPolicy: ${c.spec.imagePullPolicy}`);
    ev.push(
      ...eventLines(
        ctx,
        eventsWith(ctx, ['InspectFailed', 'ErrImageNeverPull', 'Failed'], { container: c.name }),
        2,
      ),
    );
    const never = w.reason === 'ErrImageNeverPull';
    out.push(
      finding(
        'invalid-image',
        'critical',
        never
          ? `Container \`${c.name}\`: image \`${image}\` is not on the node and imagePullPolicy is Never`
          : `Container \`${c.name}\` has an invalid image reference \`${image}\``,
        ev,
        never
          ? [
              `Load the image onto ${ctx.pod.spec?.nodeName ?? 'the node'}, or set imagePullPolicy: IfNotPresent in ${templateTarget(ctx)}`,
            ]
          : [
              `Fix the reference (lowercase repository, registry/repo:tag or @sha256:digest): kubectl set image ${templateTarget(ctx)} -n ${ctx.ns} ${c.name}=<valid reference>`,
            ],
      ),
    );
  }
  return out;
}
