/**
 * Signed approvals: the bot signs a statement of exactly what was approved (Ed25519) with a private key only
 * it holds; a worker runs a probe only when that statement verifies against one of its public keys and says
 * the same as the job it got. Redis is then no longer the root of trust: whoever can write a record and a
 * job into Redis still cannot make a worker run anything without the bot's private key.
 *
 * Pure and shared by bot and worker: the statement's schema, its canonical bytes, signing and verifying
 * (node:crypto computes; nothing here reads a file, a clock or the network).
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { z } from 'zod';
import { isClusterName } from './names.js';
import { canonicalJson, HostScopeSchema, type ProbePlan, planBinding } from './probe.js';
import { RequestIdSchema } from './request-id.js';

/** A key id: the first 16 hex digits of the SHA-256 of the public key (SPKI DER). */
export const KID_RE = /^[0-9a-f]{16}$/;

/** What the bot signs: the binding of the approved run, who asked, who approved, when, and until when. */
export const ApprovalStatementSchema = z.strictObject({
  /** Format of the statement; a worker refuses one it does not know. */
  v: z.literal(1),
  /** The key that signed it (see {@link keyIdOf}). */
  kid: z.string().regex(KID_RE),
  requestId: RequestIdSchema,
  cluster: z.string().refine(isClusterName),
  namespace: z.string(),
  pod: z.string(),
  podUid: z.string(),
  container: z.string(),
  containerId: z.string(),
  node: z.string(),
  /** planBinding(plan): the action, its options, the exact target and command line (and whatever else it binds). */
  commandHash: z.string().regex(/^[0-9a-f]{64}$/),
  /** The image the probe pod runs and what it is given, as the plan says (also inside commandHash). */
  image: z.string(),
  capabilities: z.array(z.string()),
  privileges: z.array(z.string()),
  /** Set when the probe sees the whole node's network or processes. */
  hostScope: HostScopeSchema.optional(),
  /**
   * debug and connectivity: what runs in the pod, spelled out (also inside commandHash): kubectl's profile, the
   * exact argv, the container added and, for a copy, the copy's name.
   */
  debug: z
    .strictObject({
      profile: z.string(),
      argv: z.array(z.string()),
      container: z.string(),
      copyPod: z.string().optional(),
    })
    .optional(),
  requester: z.string().min(1),
  /** Slack user IDs, in the order they approved. */
  approvers: z.array(z.string()),
  approvedAt: z.iso.datetime(),
  startBy: z.iso.datetime(),
});
export type ApprovalStatement = z.infer<typeof ApprovalStatementSchema>;

/** The statement and its signature, as the run job carries it. */
export const SignedApprovalSchema = z.strictObject({
  statement: ApprovalStatementSchema,
  /** Ed25519 signature of {@link statementBytes}(statement), base64. */
  sig: z.string().regex(/^[A-Za-z0-9+/]{86}==$/, 'not an Ed25519 signature (base64)'),
});
export type SignedApproval = z.infer<typeof SignedApprovalSchema>;

/** What a statement is built from: the run job's plan and approval fields (without the key id). */
export interface ApprovalFacts {
  requestId: string;
  plan: ProbePlan;
  requester: string;
  approvers: readonly string[];
  approvedAt: string;
  startBy: string;
}

/** The statement the run job claims, with the given key id. */
export function approvalStatement(f: ApprovalFacts, kid: string): ApprovalStatement {
  return {
    v: 1,
    kid,
    requestId: f.requestId,
    cluster: f.plan.cluster,
    namespace: f.plan.namespace,
    pod: f.plan.pod,
    podUid: f.plan.podUid,
    container: f.plan.container,
    containerId: f.plan.containerId,
    node: f.plan.node,
    commandHash: planBinding(f.plan),
    image: f.plan.probeImage,
    capabilities: [...f.plan.capabilities],
    privileges: [...f.plan.privileges],
    ...(f.plan.hostScope ? { hostScope: { ...f.plan.hostScope } } : {}),
    ...(f.plan.debug
      ? {
          debug: {
            profile: f.plan.spec.action === 'debug' ? f.plan.spec.profile : 'general',
            argv: [...f.plan.debug.argv],
            container: f.plan.debug.containerName,
            ...(f.plan.debug.copyPod ? { copyPod: f.plan.debug.copyPod } : {}),
          },
        }
      : {}),
    requester: f.requester,
    approvers: [...f.approvers],
    approvedAt: f.approvedAt,
    startBy: f.startBy,
  };
}

/** The bytes signed: a domain tag, then the statement as canonical JSON (keys sorted at every level). */
export function statementBytes(s: ApprovalStatement): Buffer {
  return Buffer.from(`poddebug-approval-v1\n${canonicalJson(s)}`, 'utf8');
}

/** The key id of a public (or private: its public half) Ed25519 key. */
export function keyIdOf(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const der = pub.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}

const PEM_BLOCK_RE = /-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----/g;

/** An Ed25519 private key from PEM text (PKCS#8); throws a short message saying what is wrong. */
export function privateKeyFromPem(pem: string): { key: KeyObject; kid: string } {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new Error('not a PEM private key (expected PKCS#8 "BEGIN PRIVATE KEY")');
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(`the key is ${key.asymmetricKeyType ?? 'of an unknown type'}, not Ed25519`);
  }
  return { key, kid: keyIdOf(key) };
}

/** Every Ed25519 public key in PEM text (one or more `BEGIN PUBLIC KEY` blocks), by key id. */
export function publicKeysFromPem(pem: string): Map<string, KeyObject> {
  const out = new Map<string, KeyObject>();
  for (const m of pem.matchAll(PEM_BLOCK_RE)) {
    if (m[1] !== 'PUBLIC KEY') {
      throw new Error(`holds a "${m[1]}" block: only public keys ("BEGIN PUBLIC KEY") belong here`);
    }
    let key: KeyObject;
    try {
      key = createPublicKey(m[0]);
    } catch {
      throw new Error('holds a PUBLIC KEY block that does not parse');
    }
    if (key.asymmetricKeyType !== 'ed25519') {
      throw new Error(`holds a ${key.asymmetricKeyType ?? 'non'} public key, not Ed25519`);
    }
    out.set(keyIdOf(key), key);
  }
  return out;
}

export function signStatement(s: ApprovalStatement, key: KeyObject): SignedApproval {
  return { statement: s, sig: sign(null, statementBytes(s), key).toString('base64') };
}

/** Why a signed approval is refused: no signature, unknown key, bad signature, binding differs, too late. */
export type ApprovalRefusal = 'unsigned' | 'key' | 'signature' | 'binding' | 'time';

export type ApprovalCheck =
  | { ok: true; statement: ApprovalStatement }
  | { ok: false; why: ApprovalRefusal; detail: string };

/** People's names for the statement's fields, in refusals. */
const FIELD_NAMES: Record<keyof ApprovalStatement, string> = {
  v: 'format',
  kid: 'key id',
  requestId: 'request id',
  cluster: 'cluster',
  namespace: 'namespace',
  pod: 'pod',
  podUid: 'pod UID',
  container: 'container',
  containerId: 'container ID',
  node: 'node',
  commandHash: 'command',
  image: 'probe image',
  capabilities: 'capabilities',
  privileges: 'privileges',
  hostScope: 'host-namespace scope',
  debug: 'debug profile, argv or container',
  requester: 'requester',
  approvers: 'approvers',
  approvedAt: 'approval time',
  startBy: 'start-by time',
};

/**
 * Checks a run job's signed approval: the key is one of `keys`, the signature verifies over the statement,
 * the statement says what the job says (recomputed from its plan), and `nowMs` (Redis's clock) is not past
 * its start-by. Returns the first failure with what failed, in that order.
 */
export function verifyApproval(
  signed: unknown,
  facts: ApprovalFacts,
  keys: ReadonlyMap<string, KeyObject>,
  nowMs: number,
): ApprovalCheck {
  if (signed === undefined || signed === null) {
    return { ok: false, why: 'unsigned', detail: 'the approval carries no signature of the bot' };
  }
  const parsed = SignedApprovalSchema.safeParse(signed);
  if (!parsed.success) {
    return { ok: false, why: 'signature', detail: 'the signed approval is malformed' };
  }
  const { statement, sig } = parsed.data;
  const key = keys.get(statement.kid);
  if (!key) {
    return {
      ok: false,
      why: 'key',
      detail: `it is signed with key ${statement.kid}, which this worker does not trust`,
    };
  }
  if (!verify(null, statementBytes(statement), key, Buffer.from(sig, 'base64'))) {
    return { ok: false, why: 'signature', detail: `the signature does not verify with key ${statement.kid}` };
  }
  const expected = approvalStatement(facts, statement.kid);
  const differ = (Object.keys(FIELD_NAMES) as (keyof ApprovalStatement)[]).filter(
    (k) => canonicalJson(expected[k]) !== canonicalJson(statement[k]),
  );
  if (differ.length > 0) {
    return {
      ok: false,
      why: 'binding',
      detail: `the job's ${differ.map((k) => FIELD_NAMES[k]).join(', ')} differ from what was signed`,
    };
  }
  const startBy = Date.parse(statement.startBy);
  if (!(nowMs <= startBy)) {
    return { ok: false, why: 'time', detail: `it had to start by ${statement.startBy}` };
  }
  return { ok: true, statement };
}
