import { readFileSync } from 'node:fs';
import {
  type ApprovalFacts,
  approvalStatement,
  privateKeyFromPem,
  type SignedApproval,
  signStatement,
} from '../jobs/contracts/index.js';

/** Signs approved runs with the bot's Ed25519 private key (workers verify with its public key). */
export interface ApprovalSigner {
  /** The key id workers look the public key up by. */
  readonly kid: string;
  sign(facts: ApprovalFacts): SignedApproval;
}

/** A signer from PEM text (PKCS#8 Ed25519). */
export function approvalSignerFromPem(pem: string): ApprovalSigner {
  const { key, kid } = privateKeyFromPem(pem);
  return { kid, sign: (facts) => signStatement(approvalStatement(facts, kid), key) };
}

/** A signer from the file APPROVAL_SIGNING_KEY_FILE names; throws a start-up error naming the variable. */
export function loadApprovalSigner(path: string): ApprovalSigner {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(
      `APPROVAL_SIGNING_KEY_FILE: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  try {
    return approvalSignerFromPem(pem);
  } catch (e) {
    throw new Error(`APPROVAL_SIGNING_KEY_FILE: ${path} is ${(e as Error).message}`);
  }
}
