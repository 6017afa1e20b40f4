import type { KeyObject } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { publicKeysFromPem } from '../contracts/index.js';

/**
 * The bot's approval public keys, from APPROVAL_PUBLIC_KEYS_FILE: a PEM file holding one or more
 * `BEGIN PUBLIC KEY` blocks, or a directory of `*.pem` files (a mounted ConfigMap: one file per key while
 * keys rotate). Keys are looked up by their key id (the SHA-256 of the key), whatever the file names.
 * Throws a start-up error naming the variable when nothing usable is there.
 */
export function loadApprovalPublicKeys(path: string): Map<string, KeyObject> {
  const what = `APPROVAL_PUBLIC_KEYS_FILE: ${path}`;
  let files: string[];
  try {
    files = statSync(path).isDirectory()
      ? readdirSync(path)
          .filter((f) => f.endsWith('.pem') && !f.startsWith('.'))
          .sort()
          .map((f) => join(path, f))
      : [path];
  } catch (e) {
    throw new Error(`${what} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const keys = new Map<string, KeyObject>();
  for (const f of files) {
    let found: Map<string, KeyObject>;
    try {
      found = publicKeysFromPem(readFileSync(f, 'utf8'));
    } catch (e) {
      throw new Error(`${what}: ${f} ${(e as Error).message}`);
    }
    for (const [kid, k] of found) keys.set(kid, k);
  }
  if (keys.size === 0) throw new Error(`${what} holds no Ed25519 public key ("BEGIN PUBLIC KEY")`);
  return keys;
}
