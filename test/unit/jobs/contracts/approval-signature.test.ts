import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { approvalSignerFromPem, loadApprovalSigner } from '../../../../bot/approval-signer.js';
import {
  type ApprovalFacts,
  keyIdOf,
  type ProbePlan,
  publicKeysFromPem,
  statementBytes,
  verifyApproval,
} from '../../../../jobs/contracts/index.js';
import { loadApprovalPublicKeys } from '../../../../jobs/probes/approval-keys.js';

const plan: ProbePlan = {
  cluster: 'prod-eu',
  namespace: 'shop',
  pod: 'checkout-7d9f-x2',
  podUid: '0f1e2d3c-0000-4000-8000-000000000001',
  container: 'app',
  containerId: `containerd://${'a'.repeat(64)}`,
  node: 'node-a',
  image: 'ghcr.io/poddebug/poddebug:1.0.0',
  probeImage: 'ghcr.io/poddebug/poddebug:1.0.0',
  capabilities: ['SYS_PTRACE'],
  spec: { action: 'ps' },
  commandLine: 'ps',
  privileges: ['hostPID', 'CAP_SYS_PTRACE'],
  caps: ['30 s'],
};
const T0 = Date.parse('2026-12-06T10:00:00Z');
const facts: ApprovalFacts = {
  requestId: `prb-prod-${'1'.repeat(24)}`,
  plan,
  requester: 'U0REQ',
  approvers: ['U0APP1', 'U0APP2'],
  approvedAt: new Date(T0).toISOString(),
  startBy: new Date(T0 + 600_000).toISOString(),
};

function pair() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    kid: keyIdOf(publicKey),
  };
}
const k1 = pair();
const k2 = pair();
const signer = approvalSignerFromPem(k1.privatePem);
const trusted = publicKeysFromPem(k1.publicPem + k2.publicPem);

describe('signed approvals', () => {
  it('a statement signed by the bot verifies against its public key, up to start-by inclusive', () => {
    const signed = signer.sign(facts);
    expect(signed.statement.kid).toBe(k1.kid);
    expect(signed.statement.commandHash).toMatch(/^[0-9a-f]{64}$/);
    expect(verifyApproval(signed, facts, trusted, T0).ok).toBe(true);
    expect(verifyApproval(signed, facts, trusted, T0 + 600_000).ok).toBe(true);
    expect(verifyApproval(signed, facts, trusted, T0 + 600_001)).toMatchObject({ ok: false, why: 'time' });
  });

  it.each<[string, (f: ApprovalFacts) => ApprovalFacts, RegExp]>([
    ['pod UID', (f) => ({ ...f, plan: { ...f.plan, podUid: 'other' } }), /pod UID, command/],
    [
      'container ID',
      (f) => ({ ...f, plan: { ...f.plan, containerId: 'containerd://x' } }),
      /container ID, command/,
    ],
    ['node', (f) => ({ ...f, plan: { ...f.plan, node: 'node-b' } }), /node, command/],
    ['command', (f) => ({ ...f, plan: { ...f.plan, spec: { action: 'fds' } } }), /the job's command differ/],
    [
      'image',
      (f) => ({ ...f, plan: { ...f.plan, probeImage: 'evil:latest' } }),
      /command, probe image differ/,
    ],
    [
      'capabilities',
      (f) => ({ ...f, plan: { ...f.plan, capabilities: ['SYS_ADMIN'] } }),
      /command, probe image|capabilities/,
    ],
    ['privileges', (f) => ({ ...f, plan: { ...f.plan, privileges: ['privileged'] } }), /privileges differ/],
    ['requester', (f) => ({ ...f, requester: 'U0EVIL' }), /requester differ/],
    ['approvers', (f) => ({ ...f, approvers: ['U0APP1'] }), /approvers differ/],
    ['approver order', (f) => ({ ...f, approvers: ['U0APP2', 'U0APP1'] }), /approvers differ/],
    ['start-by', (f) => ({ ...f, startBy: new Date(T0 + 86_400_000).toISOString() }), /start-by time differ/],
    ['request id', (f) => ({ ...f, requestId: `prb-prod-${'2'.repeat(24)}` }), /request id differ/],
  ])('a job whose %s differs from what was signed is refused, saying so', (_what, change, detail) => {
    const r = verifyApproval(signer.sign(facts), change(facts), trusted, T0);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.why).toBe('binding');
      expect(r.detail).toMatch(detail);
    }
  });

  it('an edited statement no longer verifies', () => {
    const signed = signer.sign(facts);
    const edited = { ...signed, statement: { ...signed.statement, node: 'node-b' } };
    expect(
      verifyApproval(edited, { ...facts, plan: { ...plan, node: 'node-b' } }, trusted, T0),
    ).toMatchObject({
      ok: false,
      why: 'signature',
    });
  });

  it('a key the worker does not hold, a missing and a malformed signature are refused', () => {
    const other = approvalSignerFromPem(pair().privatePem);
    expect(verifyApproval(other.sign(facts), facts, trusted, T0)).toMatchObject({ ok: false, why: 'key' });
    expect(verifyApproval(undefined, facts, trusted, T0)).toMatchObject({ ok: false, why: 'unsigned' });
    expect(verifyApproval({ statement: {}, sig: 'x' }, facts, trusted, T0)).toMatchObject({
      ok: false,
      why: 'signature',
    });
  });

  it('a signature by another trusted key under this key id does not verify', () => {
    const bySecond = approvalSignerFromPem(k2.privatePem).sign(facts);
    const relabelled = { ...bySecond, statement: { ...bySecond.statement, kid: k1.kid } };
    expect(verifyApproval(relabelled, facts, trusted, T0)).toMatchObject({ ok: false, why: 'signature' });
    // …and under its own key id it does (rotation: both keys trusted).
    expect(verifyApproval(bySecond, facts, trusted, T0).ok).toBe(true);
  });

  it('signs canonical bytes: the same statement gives the same bytes whatever the key order', () => {
    const s = signer.sign(facts).statement;
    const reordered = Object.fromEntries(Object.entries(s).reverse()) as typeof s;
    expect(statementBytes(reordered).equals(statementBytes(s))).toBe(true);
  });
});

describe('keys from files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'poddebug-keys-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads a directory of public keys by key id, whatever the file names', () => {
    const d = join(dir, 'pub');
    mkdirSync(d);
    writeFileSync(join(d, 'old.pem'), k1.publicPem);
    writeFileSync(join(d, 'new.pem'), k2.publicPem);
    writeFileSync(join(d, 'README'), 'not a key');
    expect([...loadApprovalPublicKeys(d).keys()].sort()).toEqual([k1.kid, k2.kid].sort());
  });

  it('refuses, naming the variable: no key, a private key among public ones, a missing path', () => {
    const empty = join(dir, 'empty.pem');
    writeFileSync(empty, '');
    expect(() => loadApprovalPublicKeys(empty)).toThrow(
      /APPROVAL_PUBLIC_KEYS_FILE: .* holds no Ed25519 public key/,
    );
    const priv = join(dir, 'priv.pem');
    writeFileSync(priv, k1.privatePem);
    expect(() => loadApprovalPublicKeys(priv)).toThrow(/only public keys/);
    expect(() => loadApprovalPublicKeys(join(dir, 'nope'))).toThrow(
      /APPROVAL_PUBLIC_KEYS_FILE: .* cannot be read \(ENOENT\)/,
    );
  });

  it('the bot refuses a signing key that is missing or not Ed25519', () => {
    expect(() => loadApprovalSigner(join(dir, 'nope.pem'))).toThrow(/APPROVAL_SIGNING_KEY_FILE: cannot read/);
    const rsa = join(dir, 'rsa.pem');
    writeFileSync(
      rsa,
      generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
    );
    expect(() => loadApprovalSigner(rsa)).toThrow(/APPROVAL_SIGNING_KEY_FILE: .* rsa, not Ed25519/);
    const pub = join(dir, 'pub-as-private.pem');
    writeFileSync(pub, k1.publicPem);
    expect(() => loadApprovalSigner(pub)).toThrow(/not a PEM private key/);
  });
});
