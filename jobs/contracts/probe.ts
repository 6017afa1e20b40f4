/**
 * Privileged node probes: what a user asks for (ProbeSpec), what the worker
 * resolved before approval (ProbePlan, bound by its hash), the job payloads,
 * what the probe program prints inside the probe pod (ProbeOutput) and what
 * the bot posts (ProbeResult). Shared by bot and worker; no I/O.
 *
 * Longer than 400 lines on purpose: one contract (spec → plan → payloads → program output → result), each
 * schema referring to the ones before; split, both sides would import half a dozen files for one probe.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DEBUG_PROFILES } from './debug-profiles.js';
import { RequesterSchema } from './diagnose.js';
import { FindingSchema } from './finding.js';
import { isClusterName, isDns1123Label, isDns1123Subdomain } from './names.js';
import { TRANSIENT_RETRIES } from './queue.js';
import { RequestIdSchema } from './request-id.js';

export const PROBE_ACTIONS = ['strace', 'mem', 'ps', 'fds', 'netcheck', 'tcpdump'] as const;
export type ProbeAction = (typeof PROBE_ACTIONS)[number];
export function isProbeAction(s: string): s is ProbeAction {
  return (PROBE_ACTIONS as readonly string[]).includes(s);
}

/** strace `-e trace=%<class>` classes a user may pick. */
export const TRACE_CLASSES = ['file', 'network', 'process', 'desc'] as const;
export type TraceClass = (typeof TRACE_CLASSES)[number];

/** Hard caps, whatever the policy says. The policy may lower the duration cap. */
export const PROBE_LIMITS = {
  defaultDurationSec: 30,
  maxDurationSec: 120,
  minDurationSec: 1,
  defaultWatchSec: 60,
  maxWatchSec: 600,
  minWatchSec: 5,
  /** strace -s with `--data`: bytes of each data buffer (read, write, send, recv, argv) printed. */
  straceStringLength: 128,
  /**
   * strace -s without `--data`: no buffer contents (`write(3, ""..., 27) = 27`). File paths and socket
   * addresses are not strings to strace: it prints them whole whatever -s says, so the trace stays useful.
   */
  straceStringLengthNoData: 0,
  /** tcpdump -s */
  snapLength: 128,
  maxPackets: 10_000,
  maxNetcheckTargets: 8,
  maxFilterTokens: 40,
  maxFilterLength: 200,
  /**
   * One artefact (trace, pcap, chart) after capping. Artefacts leave the probe pod base64 in its log, and the
   * kubelet rotates container logs at 10 MiB by default: 5 MiB (6.7 MiB as base64) stays clear of that.
   */
  maxArtefactBytes: 5 * 1024 * 1024,
  /** Text output of a probe (summary tables) before it is cut. */
  maxTextBytes: 256 * 1024,
} as const;

/** A DNS name (1–253 chars, labels of [a-z0-9-], case-insensitive), an IPv4 or a bracket-less IPv6 literal. */
export const HostSchema = z
  .string()
  .min(1)
  .max(253)
  .refine((h) => isHostName(h) || isIPv4(h) || isIPv6(h), 'not a host name, IPv4 or IPv6 address');
export const HostPortSchema = z.strictObject({
  host: HostSchema,
  port: z.number().int().min(1).max(65_535).optional(),
});
export type HostPort = z.infer<typeof HostPortSchema>;

const Duration = z.number().int().min(PROBE_LIMITS.minDurationSec).max(PROBE_LIMITS.maxDurationSec);

/** Requests that run in the pod itself (an ephemeral debug container, or a copy of the pod): role operator. */
export const DEBUG_ACTIONS = ['debug', 'connectivity'] as const;
export type DebugAction = (typeof DEBUG_ACTIONS)[number];
export function isDebugAction(s: string): s is DebugAction {
  return (DEBUG_ACTIONS as readonly string[]).includes(s);
}

/** Caps of debug containers and copies, whatever the policy says. */
export const DEBUG_LIMITS = {
  maxArgs: 32,
  maxArgLength: 256,
  /** How long the worker waits for the command to exit before it reports what it has. */
  commandSec: 60,
  defaultKeepSec: 15 * 60,
  maxKeepSec: 60 * 60,
  maxConnectivityTargets: 8,
  /** Output shown inline in the thread; longer output goes up as a file. */
  inlineOutputBytes: 2500,
} as const;

/** An image reference (`registry/repo:tag`, `repo@sha256:…`); the policy's allowlist decides which. */
export const ImageRefSchema = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[a-z0-9][a-z0-9._/:-]*(@sha256:[0-9a-f]{64})?$/, 'not an image reference');

/** One word of a command: printable ASCII without spaces (each is one argv element; no shell reads it). */
export const ArgvWordSchema = z
  .string()
  .min(1)
  .max(DEBUG_LIMITS.maxArgLength)
  .regex(/^[\x21-\x7e]+$/, 'not a printable word');

export const DebugSpecSchema = z.strictObject({
  action: z.literal('debug'),
  /** kubectl debug's profile (debug-profiles.ts) the container's securityContext comes from. */
  profile: z.enum(DEBUG_PROFILES),
  /** The image that runs, as the policy's allowlist names it (resolved by the bot, so approvers see it). */
  image: ImageRefSchema,
  /** The command, one element per word. */
  argv: z.array(ArgvWordSchema).min(1).max(DEBUG_LIMITS.maxArgs),
  /** A copy of the pod instead of an ephemeral container, deleted `keepSec` after the command ended. */
  copy: z.strictObject({ keepSec: z.number().int().min(0).max(DEBUG_LIMITS.maxKeepSec) }).optional(),
});
export type DebugSpec = z.infer<typeof DebugSpecSchema>;

/**
 * One validated probe request. Every value here passed the command grammar;
 * the worker and the probe program validate it again (never trusting Redis).
 */
export const ProbeSpecSchema = z.discriminatedUnion('action', [
  z.strictObject({
    action: z.literal('strace'),
    durationSec: Duration,
    /** A bounded full trace uploaded as a file, besides the summary. */
    full: z.boolean(),
    trace: z.enum(TRACE_CLASSES).optional(),
    failedOnly: z.boolean(),
    /**
     * Print data buffers (what is read, written, sent, received, and the arguments of programs started), cut at
     * `straceStringLength` bytes. Absent (or false): strace prints none. Only set when asked (`--data`), so a
     * spec without it hashes as before.
     */
    data: z.boolean().optional(),
  }),
  z.strictObject({
    action: z.literal('mem'),
    /** Sample over this many seconds and chart RSS against the limit. */
    watchSec: z.number().int().min(PROBE_LIMITS.minWatchSec).max(PROBE_LIMITS.maxWatchSec).optional(),
  }),
  z.strictObject({ action: z.literal('ps') }),
  z.strictObject({ action: z.literal('fds') }),
  z.strictObject({
    action: z.literal('netcheck'),
    /** Names (and ports) to check besides kubernetes.default.svc. */
    targets: z.array(HostPortSchema).max(PROBE_LIMITS.maxNetcheckTargets),
  }),
  z.strictObject({
    action: z.literal('tcpdump'),
    durationSec: Duration,
    /** A pcap-filter expression as validated tokens (tcpdump gets them as separate argv elements). */
    filter: z.array(z.string().min(1).max(64)).max(PROBE_LIMITS.maxFilterTokens),
  }),
  DebugSpecSchema,
  z.strictObject({
    action: z.literal('connectivity'),
    /** Hosts (and ports) to resolve and connect to from the pod's network namespace. */
    targets: z.array(HostPortSchema).min(1).max(DEBUG_LIMITS.maxConnectivityTargets),
  }),
]);
export type ProbeSpec = z.infer<typeof ProbeSpecSchema>;
/** The node probes' specs (strace … tcpdump), without debug containers. */
export type NodeProbeSpec = Extract<ProbeSpec, { action: ProbeAction }>;
export type ConnectivitySpec = Extract<ProbeSpec, { action: 'connectivity' }>;

/** `debug --copy`: a copy of the pod is created (and later deleted) instead of an ephemeral container added. */
export function isDebugCopy(spec: ProbeSpec): boolean {
  return spec.action === 'debug' && spec.copy !== undefined;
}

/** Whether a request needs an approval whatever the policy's approval count: elevated profiles and copies. */
export function specNeedsApproval(spec: ProbeSpec): boolean {
  return isDebugCopy(spec) || (spec.action === 'debug' && ['netadmin', 'sysadmin'].includes(spec.profile));
}

/** Where a probe points, as the user typed it (container optional: the pod's only or default container). */
export const ProbeTargetSchema = z.strictObject({
  namespace: z.string().refine(isDns1123Label, 'not a valid namespace name'),
  pod: z.string().refine(isDns1123Subdomain, 'not a valid pod name'),
  container: z.string().refine(isDns1123Label, 'not a valid container name').optional(),
});
export type ProbeTarget = z.infer<typeof ProbeTargetSchema>;

/**
 * Host namespaces a request allowed the probe to see whole. A target with `hostNetwork: true` or
 * `hostPID: true` shares the node's namespace; the probe program refuses an action that would then see
 * the whole node (HOST_SCOPE_BY_ACTION) unless the matching flag is set here.
 */
export const HostScopeSchema = z.strictObject({
  network: z.literal(true).optional(),
  pid: z.literal(true).optional(),
});
export type HostScope = z.infer<typeof HostScopeSchema>;

/**
 * Which of the target's namespaces each action works in, so which ones make it node-wide when they are
 * the host's: tcpdump and netcheck enter the network namespace and fds lists its sockets; ps lists the
 * PID namespace. strace and mem look at the target process only.
 */
export const HOST_SCOPE_BY_ACTION: Readonly<Record<ProbeSpec['action'], readonly (keyof HostScope)[]>> = {
  strace: [],
  mem: [],
  ps: ['pid'],
  fds: ['network'],
  netcheck: ['network'],
  tcpdump: ['network'],
  // A debug container runs inside the pod: it sees what the pod sees, never more than the pod shares.
  debug: [],
  connectivity: [],
};

/**
 * What the worker resolved before approval; the approval message shows it and
 * the approval is bound to its hash. The run re-resolves and stops if the
 * container ID (or node, or pod UID) changed.
 */
export const ProbePlanSchema = z.strictObject({
  cluster: z.string().refine(isClusterName),
  namespace: z.string(),
  pod: z.string(),
  podUid: z.string(),
  container: z.string(),
  /** `containerd://<64 hex>` as in the pod's status. */
  containerId: z.string(),
  node: z.string(),
  image: z.string(),
  spec: ProbeSpecSchema,
  /** The exact tool command line the probe runs, with PID as a placeholder (`strace -f -c -p <PID>`), for people. */
  commandLine: z.string(),
  /** What the probe pod is given: `hostPID`, `CAP_SYS_PTRACE`, `/proc (read-only)`, … */
  privileges: z.array(z.string()),
  /** Time and size caps, for people (`30 s`, `pcap ≤ 8 MiB`, …). */
  caps: z.array(z.string()),
  /** The overhead warning (strace slows the target), when there is one. */
  overhead: z.string().optional(),
  /**
   * The image the probe pod runs (the worker's PROBE_IMAGE), ideally pinned by digest (`…@sha256:<64 hex>`).
   * The probe pod runs exactly this image.
   */
  probeImage: z.string().min(1).max(512),
  /** Linux capabilities the probe pod's container is given (after dropping ALL), as in pod-spec's table. */
  capabilities: z.array(z.string().regex(/^[A-Z_]{1,32}$/)),
  /**
   * Host namespaces the probe will see whole: the target shares them (`hostNetwork` / `hostPID`) and the
   * action works in them (HOST_SCOPE_BY_ACTION). Absent: the probe sees only the target's own namespaces.
   */
  hostScope: HostScopeSchema.optional(),
  /**
   * netcheck: the addresses each target name resolved to at plan time, with the target pod's resolver
   * settings (search path of its namespace), so the policy can refuse a name that points at a denied
   * address and approvers see where the names lead.
   */
  resolved: z
    .array(z.strictObject({ name: z.string(), addresses: z.array(z.string()).max(32) }))
    .max(PROBE_LIMITS.maxNetcheckTargets)
    .optional(),
  /** debug and connectivity: the container that is added, and what the pod already carries. */
  debug: z
    .strictObject({
      /** `poddebug-<id>`: the ephemeral container's name (or the debug container's in a copy). */
      containerName: z.string().refine(isDns1123Label),
      /** The securityContext the container gets (kubectl's profile), as JSON for people. */
      securityContext: z.string().max(500),
      /** The exact argv the container runs. */
      argv: z.array(z.string()).max(DEBUG_LIMITS.maxArgs + 8),
      /** Ephemeral containers the pod carried when the plan was made. */
      ephemeralContainers: z.number().int().min(0),
      /** A copy: its pod name and when it is deleted, in seconds after the command ends. */
      copyPod: z.string().refine(isDns1123Subdomain).optional(),
      keepSec: z.number().int().min(0).optional(),
    })
    .optional(),
});
export type ProbePlan = z.infer<typeof ProbePlanSchema>;

/** The image reference is pinned by digest (`name@sha256:<64 hex>`), not a tag that can move. */
export function isDigestPinned(image: string): boolean {
  return /@sha256:[0-9a-f]{64}$/.test(image);
}

/**
 * The parts of a plan an approval is bound to: action, options and exact target, and what the probe pod
 * gets (image, capabilities, host-namespace scope, names resolved at plan time). A sha256 over canonical
 * JSON: any change to one of these fields changes the binding.
 */
export function planBinding(plan: ProbePlan): string {
  return createHash('sha256')
    .update(canonicalJson(planBindingFields(plan)))
    .digest('hex');
}

/** The fields planBinding hashes (signers sign over the same). */
export function planBindingFields(plan: ProbePlan): Record<string, unknown> {
  return {
    cluster: plan.cluster,
    namespace: plan.namespace,
    pod: plan.pod,
    podUid: plan.podUid,
    container: plan.container,
    containerId: plan.containerId,
    node: plan.node,
    spec: plan.spec,
    commandLine: plan.commandLine,
    probeImage: plan.probeImage,
    capabilities: plan.capabilities,
    hostScope: plan.hostScope,
    resolved: plan.resolved,
    debug: plan.debug,
  };
}

/** JSON with object keys sorted at every level: the same value always hashes the same. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** BullMQ job names on a cluster's queue besides `diagnose`. */
export const PROBE_PLAN_JOB = 'probe-plan';
export const PROBE_RUN_JOB = 'probe-run';

/** Resolve the target before asking for approval: read-only, quick. */
export const ProbePlanPayloadSchema = z.strictObject({
  version: z.literal(1),
  action: z.literal(PROBE_PLAN_JOB),
  requestId: RequestIdSchema,
  cluster: z.string().refine(isClusterName),
  target: ProbeTargetSchema,
  spec: ProbeSpecSchema,
  requester: RequesterSchema,
  requestedAt: z.iso.datetime(),
});
export type ProbePlanPayload = z.infer<typeof ProbePlanPayloadSchema>;

export const ApprovalSchema = z.strictObject({
  requestId: RequestIdSchema,
  /** Slack user IDs, in the order they approved. Empty when the policy needs no approval. */
  approvers: z.array(z.string()),
  approvedAt: z.iso.datetime(),
  /** The run is void if it has not started by then. */
  startBy: z.iso.datetime(),
  /** planBinding(plan) at approval time; the worker recomputes and compares. */
  binding: z.string().regex(/^[0-9a-f]{64}$/),
  reason: z.string().max(3000),
  /**
   * The bot's Ed25519 signature over what was approved (a SignedApproval, approval-signature.ts): what
   * authorizes the run. Parsed by verifyApproval, so a missing or malformed one is refused saying so.
   */
  signed: z.unknown().optional(),
});
export type Approval = z.infer<typeof ApprovalSchema>;

/** Run an approved probe. */
export const ProbeRunPayloadSchema = z.strictObject({
  version: z.literal(1),
  action: z.literal(PROBE_RUN_JOB),
  requestId: RequestIdSchema,
  cluster: z.string().refine(isClusterName),
  plan: ProbePlanSchema,
  approval: ApprovalSchema,
  requester: RequesterSchema,
  /** The Slack thread, for the probe pod's annotations (audit on the cluster side). */
  threadTs: z.string().optional(),
  requestedAt: z.iso.datetime(),
});
export type ProbeRunPayload = z.infer<typeof ProbeRunPayloadSchema>;

/** The plan job's return value. */
export const ProbePlanResultSchema = z.strictObject({
  outcome: z.literal('planned'),
  plan: ProbePlanSchema,
  binding: z.string(),
});
export type ProbePlanResult = z.infer<typeof ProbePlanResultSchema>;

/** A file the probe produced, as the bot uploads it. Travels through Redis, not through the job result. */
export const ArtefactMetaSchema = z.strictObject({
  /** Safe file name: `strace-checkout-7d9f-x2.txt`. */
  name: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/),
  contentType: z.string(),
  /** Size as stored (after any cap). */
  bytes: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** The artefact was cut at the cap; `note` says where. */
  truncated: z.boolean(),
  note: z.string().optional(),
  /** Redis key holding the bytes (set by the worker, with a TTL). */
  key: z.string().optional(),
  /** Title shown in Slack. */
  title: z.string().optional(),
});
export type ArtefactMeta = z.infer<typeof ArtefactMetaSchema>;

/** Redis key of one artefact; it expires after ARTEFACT_TTL_SEC. */
export function artefactKey(jobId: string, name: string): string {
  // The hash tag {job:name} is shared with the bot's done/pending/lock keys of the artefact (one MULTI).
  return `poddebug:artefact:{${jobId}:${name}}`;
}
export const ARTEFACT_TTL_SEC = 6 * 3600;

/** The run job's return value: findings like diagnose's, plus artefacts and what ran. */
export const ProbeResultSchema = z.strictObject({
  outcome: z.literal('probed'),
  action: z.enum([...PROBE_ACTIONS, ...DEBUG_ACTIONS]),
  target: z.strictObject({
    namespace: z.string(),
    pod: z.string(),
    container: z.string(),
    node: z.string(),
  }),
  /** Host PID the probe attached to, and the container ID it resolved right before running. */
  pid: z.number().int().optional(),
  containerId: z.string(),
  /** The exact argv that ran (PID filled in), for the audit trail. */
  argv: z.array(z.string()),
  exitCode: z.number().int().nullable(),
  findings: z.array(FindingSchema),
  /** Short preformatted text shown in the thread (e.g. the strace summary table), redacted and capped. */
  text: z.string().optional(),
  artefacts: z.array(ArtefactMetaSchema),
  notes: z.array(z.string()),
  stats: z.strictObject({ durationMs: z.number(), probePod: z.string() }),
});
export type ProbeResult = z.infer<typeof ProbeResultSchema>;

// --- What the probe program prints (stdout; the runner reads it from the pod's log). ---

/** Every machine-readable line the probe program prints starts with this marker; other lines are ignored. */
export const PROBE_LINE_MARKER = 'PODDEBUG1 ';

/** Input of the probe program (argv `--input <base64url JSON>`), built by the runner from a validated plan. */
export const ProbeInputSchema = z.strictObject({
  spec: ProbeSpecSchema,
  /** The container ID approved (`containerd://…`); the program refuses to run on another. */
  containerId: z.string(),
  podUid: z.string(),
  /** Root of the host's /proc as mounted in the probe pod (default /proc with hostPID). */
  procRoot: z.string().default('/proc'),
  /** Root of the host's cgroup filesystem (mem: usage, limit, OOM events). */
  cgroupRoot: z.string().default('/sys/fs/cgroup'),
  /** Where to write artefacts before they are streamed out. */
  workDir: z.string().default('/tmp'),
  /** CRI socket to cross-check the PID with (`crictl inspect`), when mounted. */
  criSocket: z.string().optional(),
  /** Host namespaces the request allowed (approved as node-wide); absent: refuse a target sharing them. */
  hostScope: HostScopeSchema.optional(),
});
export type ProbeInput = z.infer<typeof ProbeInputSchema>;

/** strace -c row. */
export const SyscallRowSchema = z.strictObject({
  syscall: z.string(),
  calls: z.number().int(),
  errors: z.number().int(),
  seconds: z.number(),
  usecsPerCall: z.number(),
  pctTime: z.number(),
});
export const StraceDataSchema = z.strictObject({
  action: z.literal('strace'),
  summary: z.array(SyscallRowSchema),
  /** Failed calls by errno, with the paths or addresses involved (from the trace). */
  errors: z.array(
    z.strictObject({
      errno: z.string(),
      count: z.number().int(),
      syscalls: z.array(z.string()),
      examples: z.array(z.string()).max(10),
    }),
  ),
  /** Calls that blocked long (from -T), longest first. */
  slowCalls: z.array(z.strictObject({ syscall: z.string(), seconds: z.number(), line: z.string() })).max(20),
  threads: z.number().int(),
  /** The summary table as strace printed it (text, capped). */
  summaryText: z.string(),
});
export const MemDataSchema = z.strictObject({
  action: z.literal('mem'),
  /** /proc/PID/status fields in bytes: VmRSS, VmSize, VmData, VmSwap, VmHWM, RssAnon, RssFile, … */
  status: z.record(z.string(), z.number()),
  threads: z.number().int().optional(),
  /** /proc/PID/smaps_rollup fields in bytes. */
  smapsRollup: z.record(z.string(), z.number()),
  cgroup: z.strictObject({
    version: z.union([z.literal(1), z.literal(2)]),
    path: z.string(),
    usageBytes: z.number().nullable(),
    /** null: no limit. */
    limitBytes: z.number().nullable(),
    /** OOM events and kills counted by the cgroup (memory.events / memory.oom_control). */
    oomEvents: z.number().int().nullable(),
    oomKills: z.number().int().nullable(),
  }),
  /** With --watch: samples, `t` in ms since the first. */
  samples: z.array(
    z.strictObject({ t: z.number(), rssBytes: z.number(), cgroupUsageBytes: z.number().nullable() }),
  ),
});
export const ProcessRowSchema = z.strictObject({
  /** PID inside the container's PID namespace (NSpid), and on the host. */
  pid: z.number().int(),
  hostPid: z.number().int(),
  ppid: z.number().int(),
  comm: z.string(),
  /** Command line, redacted, capped. */
  args: z.string(),
  state: z.string(),
  threads: z.number().int(),
  cpuPercent: z.number(),
  rssBytes: z.number(),
});
export const PsDataSchema = z.strictObject({
  action: z.literal('ps'),
  processes: z.array(ProcessRowSchema),
});
export const SocketRowSchema = z.strictObject({
  proto: z.string(),
  local: z.string(),
  remote: z.string(),
  state: z.string(),
});
export const FdsDataSchema = z.strictObject({
  action: z.literal('fds'),
  open: z.number().int(),
  softLimit: z.number().nullable(),
  hardLimit: z.number().nullable(),
  /** Counts by kind: file, socket, pipe, anon_inode, … */
  byType: z.record(z.string(), z.number().int()),
  /** Up to 30 descriptors: fd number and what it points to. */
  top: z.array(z.strictObject({ fd: z.number().int(), target: z.string() })),
  sockets: z.array(SocketRowSchema),
});
export const NetcheckDataSchema = z.strictObject({
  action: z.literal('netcheck'),
  resolvConf: z.string(),
  dns: z.array(
    z.strictObject({
      name: z.string(),
      addresses: z.array(z.string()),
      error: z.string().optional(),
      ms: z.number(),
    }),
  ),
  tcp: z.array(
    z.strictObject({
      host: z.string(),
      port: z.number().int(),
      address: z.string().optional(),
      ok: z.boolean(),
      /** ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH, ENOTFOUND, … */
      error: z.string().optional(),
      ms: z.number(),
    }),
  ),
  listening: z.array(SocketRowSchema),
});
export const TcpdumpDataSchema = z.strictObject({
  action: z.literal('tcpdump'),
  packets: z.number().int(),
  /** tcpdump's own closing lines ("N packets captured", "… dropped by kernel"). */
  stats: z.array(z.string()),
});
export const ProbeDataSchema = z.discriminatedUnion('action', [
  StraceDataSchema,
  MemDataSchema,
  PsDataSchema,
  FdsDataSchema,
  NetcheckDataSchema,
  TcpdumpDataSchema,
]);
export type ProbeData = z.infer<typeof ProbeDataSchema>;
export type StraceData = z.infer<typeof StraceDataSchema>;
export type MemData = z.infer<typeof MemDataSchema>;
export type PsData = z.infer<typeof PsDataSchema>;
export type FdsData = z.infer<typeof FdsDataSchema>;
export type NetcheckData = z.infer<typeof NetcheckDataSchema>;
export type TcpdumpData = z.infer<typeof TcpdumpDataSchema>;

/** Why the probe program refused or failed. */
export const PROBE_FAILURE_CODES = [
  'invalid_input',
  'container_not_found',
  'container_ambiguous',
  'container_changed',
  'not_running',
  'tool_missing',
  'tool_failed',
  'permission_denied',
  /** The target shares the node's network or PID namespace and the request did not allow it. */
  'host_namespace',
  /** The container's cgroup belongs to another pod than the approved pod UID. */
  'pod_mismatch',
] as const;

/** One artefact chunk line: base64 of up to 48 KiB; chunks of one artefact are consecutive, seq from 0. */
export const ProbeChunkLineSchema = z.strictObject({
  type: z.literal('chunk'),
  name: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/),
  seq: z.number().int().min(0),
  data: z.string(),
});
/** The closing line: exactly one per run. */
export const ProbeResultLineSchema = z.discriminatedUnion('ok', [
  z.strictObject({
    type: z.literal('result'),
    ok: z.literal(true),
    pid: z.number().int().positive(),
    containerId: z.string(),
    /** How the PID was found: the cgroup scan, confirmed by the runtime when its socket was mounted. */
    resolvedVia: z.enum(['cgroup', 'cgroup+cri']),
    /** The argv that ran, PID filled in. */
    argv: z.array(z.string()),
    exitCode: z.number().int().nullable(),
    durationMs: z.number(),
    data: ProbeDataSchema,
    artefacts: z.array(ArtefactMetaSchema),
    notes: z.array(z.string()),
  }),
  z.strictObject({
    type: z.literal('result'),
    ok: z.literal(false),
    code: z.enum(PROBE_FAILURE_CODES),
    message: z.string(),
    argv: z.array(z.string()).optional(),
  }),
]);
export type ProbeResultLine = z.infer<typeof ProbeResultLineSchema>;

// --- host grammar helpers (pure) ---

export function isHostName(h: string): boolean {
  if (h.length === 0 || h.length > 253) return false;
  const name = h.endsWith('.') ? h.slice(0, -1) : h;
  return (
    name.split('.').every((l) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(l)) &&
    !/^[0-9.]+$/.test(name) &&
    !looksNumeric(name)
  );
}

/**
 * A "name" that resolvers (inet_aton, libpcap) may read as an address: a hex label (`0x7f.1`, `0xa9fea9fe`)
 * or a last label of digits only (`foo.1`, no top-level domain is all digits). Such a label would reach
 * something other than what approvers read, so it is refused as a name.
 */
export function looksNumeric(h: string): boolean {
  const labels = (h.endsWith('.') ? h.slice(0, -1) : h).split('.');
  return labels.some((l) => /^0x[0-9a-f]*$/i.test(l)) || /^[0-9]+$/.test(labels[labels.length - 1] ?? '');
}

export function isIPv4(h: string): boolean {
  const parts = h.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

export function isIPv6(h: string): boolean {
  if (!/^[0-9a-f:.]{2,45}$/i.test(h) || !h.includes(':')) return false;
  const dbl = h.split('::');
  if (dbl.length > 2) return false;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  let parts = [...groups(dbl[0] ?? ''), ...groups(dbl[1] ?? '')];
  let extra = 0;
  const last = parts[parts.length - 1];
  if (last?.includes('.')) {
    if (!isIPv4(last)) return false;
    parts = parts.slice(0, -1);
    extra = 2;
  }
  if (!parts.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return false;
  const n = parts.length + extra;
  return dbl.length === 2 ? n < 8 : n === 8;
}

/** Plan jobs only read: retried like diagnose. */
export const PROBE_PLAN_JOB_OPTIONS = {
  ...TRANSIENT_RETRIES,
  removeOnComplete: { age: 24 * 3600, count: 5000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
} as const;

/** An approval is single-use: a probe run is never retried (a worker that died mid-run leaves it failed). */
export const PROBE_RUN_JOB_OPTIONS = {
  attempts: 1,
  removeOnComplete: { age: 24 * 3600, count: 5000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
} as const;
