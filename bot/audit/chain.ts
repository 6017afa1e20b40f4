import { createHash, createHmac } from 'node:crypto';
import { parseRequestId } from '../../jobs/contracts/requests.js';

/**
 * The audit hash chain, pure: no I/O.
 *
 * Each stream entry stores four fields: `seq` (1, 2, 3… in append order),
 * `prev` (the hash of the entry before it, GENESIS for the first), `event`
 * (the canonical JSON of the audit event) and `hash` =
 * sha256(prev + "\n" + seq + "\n" + event). The head key stores `seq:hash` of
 * the last entry. The sequence number turns "the chain is broken here" into
 * "N entries are missing here", and lets the head say how many entries there
 * should be.
 *
 * Keyed (the bot has AUDIT_HMAC_KEYS_FILE): each entry also stores `kid`, the id of the key it was written
 * with, and `hash` = HMAC-SHA256(key, "poddebug-audit-v2\n" + kid + "\n" + prev + "\n" + seq + "\n" + event).
 * Without the key nobody can write an entry that verifies, so a chain rewritten whole no longer does. The
 * bot appends a `checkpoint` entry at a fixed interval: the verifier, given the current time, reports when
 * the newest one is older than the interval allows, which is how a truncated tail (the newest entries deleted
 * and the head reset to the entry before them) is found.
 *
 * Longer than 400 lines on purpose: the verifier's cases (edited, inserted, deleted, truncated, unkeyed)
 * are one algorithm over one chain, and each depends on the ones before it.
 */

export const GENESIS = '0'.repeat(64);

/** One stream entry as stored: every field a string, any of them possibly missing or damaged. */
export interface RawEntry {
  /** The Redis stream entry id (`1764300000000-0`). */
  id: string;
  seq?: string;
  prev?: string;
  hash?: string;
  /** The event's JSON, exactly as stored. */
  event?: string;
  /** The id of the HMAC key the entry was written with (keyed chains). */
  kid?: string;
}

/** One HMAC key of the audit chain. */
export interface AuditKey {
  kid: string;
  secret: Buffer;
}

/** The event of a checkpoint entry: nothing but the time it was written (Redis's clock). */
export const CHECKPOINT_TYPE = 'checkpoint';

/** HMAC-SHA256 of an entry with `key` (see the file comment). */
export function entryMac(key: AuditKey, prevHash: string, seq: number, eventJson: string): string {
  return createHmac('sha256', key.secret)
    .update(`poddebug-audit-v2\n${key.kid}\n${prevHash}\n${seq}\n${eventJson}`)
    .digest('hex');
}

export const AUDIT_KID_RE = /^[a-z0-9][a-z0-9._-]{0,31}$/;

/**
 * Parses an audit key file: one key a line, `<kid>:<secret in base64>` (32 bytes or more), `#` comments.
 * The first key writes; all of them verify (rotation: put the new key first, keep the old ones).
 */
export function parseAuditKeys(text: string): AuditKey[] {
  const keys: AuditKey[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([^:\s]+):([A-Za-z0-9+/=_-]+)$/.exec(line);
    if (!m) throw new Error(`line ${i + 1}: expected <kid>:<base64 secret>`);
    if (!AUDIT_KID_RE.test(m[1]!))
      throw new Error(`line ${i + 1}: the key id must be [a-z0-9._-], 1–32 characters`);
    const secret = Buffer.from(m[2]!, 'base64');
    if (secret.length < 32) throw new Error(`line ${i + 1}: the secret must be at least 32 bytes (base64)`);
    if (keys.some((k) => k.kid === m[1])) throw new Error(`line ${i + 1}: key id ${m[1]} is given twice`);
    keys.push({ kid: m[1]!, secret });
  }
  if (keys.length === 0) throw new Error('holds no key (<kid>:<base64 secret> lines)');
  return keys;
}

/** How verifyChain checks a keyed chain: the keys, and the checkpoint rule. */
export interface KeyedVerify {
  keys: readonly AuditKey[];
  /** Now, by Redis's clock. */
  now: Date;
  /** The newest checkpoint may be this old at most (ms). */
  maxCheckpointAgeMs: number;
}

/** What the head key records: the sequence number and hash of the last entry. */
export interface ChainHead {
  seq: number;
  hash: string;
}

export type ProblemKind =
  | 'edited'
  | 'inserted'
  | 'deleted'
  | 'deleted-at-end'
  | 'malformed'
  | 'unrequested'
  | 'unkeyed'
  | 'checkpoint';

export interface ChainProblem {
  /** The stream entry id the problem is at (or next to); `head` for a problem with the head key itself. */
  id: string;
  /** 0-based position in the stream as read; entries.length for problems after the last entry. */
  index: number;
  kind: ProblemKind;
  message: string;
}

export type VerifyResult =
  | { ok: true; count: number }
  | { ok: false; count: number; problems: ChainProblem[] };

/** JSON with object keys sorted at every level and no whitespace: one text per value, so one hash. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
}

/** sha256 hex of `prev + "\n" + seq + "\n" + eventJson`. */
export function entryHash(prevHash: string, seq: number, eventJson: string): string {
  return createHash('sha256').update(`${prevHash}\n${seq}\n${eventJson}`).digest('hex');
}

/** The head key's value. */
export function formatHead(h: ChainHead): string {
  return `${h.seq}:${h.hash}`;
}

const HEX64 = /^[0-9a-f]{64}$/;
const SEQ = /^[1-9][0-9]{0,15}$/;

/** Parses the head key's value: null when absent, 'malformed' when it is not `seq:hash`. */
export function parseHead(raw: string | null | undefined): ChainHead | null | 'malformed' {
  if (raw === null || raw === undefined) return null;
  const m = /^([1-9][0-9]{0,15}):([0-9a-f]{64})$/.exec(raw);
  return m ? { seq: Number(m[1]), hash: m[2]! } : 'malformed';
}

interface Good {
  index: number;
  id: string;
  seq: number;
  prev: string;
  hash: string;
  selfOk: boolean;
}

function checkFields(e: RawEntry, keyed?: KeyedVerify): Good | { kind: ProblemKind; text: string } | string {
  const missing = (['seq', 'prev', 'hash', 'event'] as const).filter((f) => e[f] === undefined);
  if (missing.length) return `field ${missing.join(', ')} missing`;
  if (!SEQ.test(e.seq!)) return `its sequence number ${JSON.stringify(e.seq!.slice(0, 20))} is not a number`;
  if (!HEX64.test(e.prev!)) return 'its prev field is not a sha256 hash';
  if (!HEX64.test(e.hash!)) return 'its hash field is not a sha256 hash';
  let parsed: unknown;
  try {
    parsed = JSON.parse(e.event!);
  } catch {
    return 'its event is not JSON';
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return 'its event is not a JSON object';
  }
  const seq = Number(e.seq);
  let selfOk: boolean;
  if (keyed) {
    if (e.kid === undefined) {
      return {
        kind: 'unkeyed',
        text: 'it carries no key id: it was not written with the audit key (the chain was rewritten without it, or written by a bot without AUDIT_HMAC_KEYS_FILE)',
      };
    }
    const key = keyed.keys.find((k) => k.kid === e.kid);
    if (!key) {
      return {
        kind: 'unkeyed',
        text: `it was written with key ${JSON.stringify(e.kid.slice(0, 40))}, which is not among the keys given`,
      };
    }
    selfOk = entryMac(key, e.prev!, seq, e.event!) === e.hash;
  } else {
    if (e.kid !== undefined) {
      return {
        kind: 'unkeyed',
        text: `it was written with audit key ${JSON.stringify(e.kid.slice(0, 40))}: verify with the keys`,
      };
    }
    selfOk = entryHash(e.prev!, seq, e.event!) === e.hash;
  }
  return { index: -1, id: e.id, seq, prev: e.prev!, hash: e.hash!, selfOk };
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
const seqRange = (a: number, b: number) => (a === b ? `sequence number ${a}` : `sequence numbers ${a}–${b}`);

/** An accepted link of the chain: an entry taken as being where it belongs (possibly edited). */
interface Link {
  index: number; // -1 for the genesis sentinel
  seq: number; // the position in the chain, which may differ from an edited seq field
  hash: string;
  /** Its stored hash can be trusted to be what the next entry links to (content matched the hash). */
  trusted: boolean;
}

/**
 * Checks a chain read from the stream (in stream order) against the head key's
 * value. Finds entries that were edited (content, hash or sequence number
 * changed; or content changed and the hash recomputed, seen from the next
 * entry or the head), inserted (anywhere, including after the head), deleted
 * (first, middle, or at the end, with how many), and malformed entries.
 */
export function verifyChain(
  entries: readonly RawEntry[],
  headRaw: string | null | undefined,
  keyed?: KeyedVerify,
): VerifyResult {
  const found: { p: ChainProblem; by: number }[] = [];
  const at = (i: number) => `entry ${entries[i]!.id} (#${i + 1})`;
  const report = (index: number, kind: ProblemKind, message: string, by = index) =>
    found.push({ p: { id: entries[index]?.id ?? 'head', index, kind, message }, by });

  const chain: Link[] = [{ index: -1, seq: 0, hash: GENESIS, trusted: true }];
  let lastCheckpoint: { at: number; index: number } | undefined;
  const linkByHash = new Map<string, number>([[GENESIS, 0]]); // hash → position in `chain`
  let malformedSince = 0; // malformed entries since the last accepted one; each takes a sequence slot
  const accept = (g: Good, seq: number, trusted: boolean) => {
    chain.push({ index: g.index, seq, hash: g.hash, trusted });
    linkByHash.set(g.hash, chain.length - 1);
    malformedSince = 0;
  };

  entries.forEach((raw, i) => {
    const checked = checkFields(raw, keyed);
    if (typeof checked === 'string') {
      report(
        i,
        'malformed',
        `${at(i)}: ${checked}: the entry is malformed (edited, or not written by poddebug)`,
      );
      malformedSince++;
      return;
    }
    if ('kind' in checked) {
      report(i, checked.kind, `${at(i)}: ${checked.text}`);
      malformedSince++;
      return;
    }
    if (checked.selfOk && keyed) lastCheckpoint = checkpointAt(raw.event!, i) ?? lastCheckpoint;
    const g: Good = { ...checked, index: i };
    const last = chain[chain.length - 1]!;
    const expected = last.seq + 1 + malformedSince;

    // 1. It links to the last accepted entry: it is where it belongs.
    // (Malformed entries in between were then junk added to the stream; they are reported as malformed.)
    if (g.prev === last.hash) {
      const next = last.seq + 1;
      if (g.seq !== next) {
        report(i, 'edited', `${at(i)}: its sequence number ${g.seq} should be ${next}: the entry was edited`);
      } else if (!g.selfOk) {
        report(i, 'edited', `${at(i)}: its content does not match its hash: the entry was edited`);
      }
      accept(g, next, g.selfOk && g.seq === next);
      return;
    }

    // 2. It links to an earlier entry and follows it: everything accepted since then was inserted.
    // Unless this one's content does not match its hash while the one it would displace is sound:
    // then this one is the intruder (e.g. a copy of its neighbour with other content).
    const k = linkByHash.get(g.prev);
    if (
      k !== undefined &&
      k < chain.length - 1 &&
      g.seq === chain[k]!.seq + 1 &&
      (g.selfOk || !chain[k + 1]!.trusted)
    ) {
      const inserted = chain.splice(k + 1).map((l) => l.index);
      linkByHash.clear();
      for (const [pos, l] of chain.entries()) linkByHash.set(l.hash, pos);
      for (let j = found.length - 1; j >= 0; j--) {
        const f = found[j]!;
        if (inserted.includes(f.by) || inserted.includes(f.p.index)) found.splice(j, 1);
      }
      const before = chain[k]!.index;
      for (const m of inserted) {
        report(
          m,
          'inserted',
          `${at(m)}: it is not part of the chain: ${at(i)} links straight to ${before < 0 ? 'the start of the chain' : at(before)}: the entry was inserted`,
          i,
        );
      }
      if (!g.selfOk)
        report(i, 'edited', `${at(i)}: its content does not match its hash: the entry was edited`);
      accept(g, g.seq, g.selfOk);
      return;
    }
    if (k !== undefined) {
      report(
        i,
        'inserted',
        `${at(i)}: it repeats the link after ${chain[k]!.index < 0 ? 'the start of the chain' : at(chain[k]!.index)} (sequence number ${g.seq})${g.selfOk ? '' : ' and its content does not match its hash'}: the entry was inserted`,
      );
      return;
    }

    // 3. Its prev hash matches no accepted entry.
    if (g.seq === expected && (!last.trusted || malformedSince > 0)) {
      // The entry before it was edited or is malformed: its original hash is unknown, so the link cannot be checked.
      if (!g.selfOk)
        report(i, 'edited', `${at(i)}: its content does not match its hash: the entry was edited`);
      accept(g, g.seq, g.selfOk);
      return;
    }
    if (g.seq === expected) {
      if (!g.selfOk) {
        report(
          i,
          'edited',
          `${at(i)}: its content does not match its hash and its prev hash does not match the entry before it: the entry was edited`,
        );
      } else if (last.index < 0) {
        report(
          i,
          'edited',
          `${at(i)}: it is the first entry but its prev hash is not the genesis hash: the entry was edited`,
        );
      } else {
        report(
          last.index,
          'edited',
          `${at(last.index)}: its hash does not match the prev hash of ${at(i)}: the entry was edited and its hash recomputed`,
          i,
        );
      }
      accept(g, g.seq, g.selfOk);
      return;
    }
    if (g.seq > expected) {
      const n = g.seq - expected;
      report(
        i,
        'deleted',
        `before ${at(i)}: ${plural(n, 'entry is', 'entries are')} missing (${seqRange(expected, g.seq - 1)}): deleted`,
      );
      if (!g.selfOk)
        report(i, 'edited', `${at(i)}: its content does not match its hash: the entry was edited`);
      accept(g, g.seq, g.selfOk);
      return;
    }
    report(
      i,
      'inserted',
      `${at(i)}: its prev hash matches no earlier entry and its sequence number ${g.seq} does not follow ${expected - 1}: the entry was inserted`,
    );
  });

  // 4. The head: how many entries there should be, and the last one's hash.
  const head = parseHead(headRaw);
  const last = chain[chain.length - 1]!;
  const lastSeq = last.seq + malformedSince;
  const n = entries.length;
  if (head === 'malformed') {
    found.push({
      p: {
        id: 'head',
        index: n,
        kind: 'malformed',
        message: 'the head key is not `seq:hash`: it was edited',
      },
      by: n,
    });
  } else if (head === null) {
    if (n > 0) {
      found.push({
        p: {
          id: 'head',
          index: n,
          kind: 'deleted-at-end',
          message: `the head key is missing although the stream has ${plural(n, 'entry', 'entries')}: it was deleted, so entries deleted at the end cannot be counted`,
        },
        by: n,
      });
    }
  } else if (head.seq > lastSeq) {
    const missing = head.seq - lastSeq;
    const where = n > 0 ? `after ${at(n - 1)}` : 'the stream is empty';
    found.push({
      p: {
        id: n > 0 ? entries[n - 1]!.id : 'head',
        index: n,
        kind: 'deleted-at-end',
        message: `${where}: the head records ${plural(head.seq, 'entry', 'entries')} but the chain ends at ${lastSeq}: the last ${plural(missing, 'entry was', 'entries were')} deleted (${seqRange(lastSeq + 1, head.seq)})`,
      },
      by: n,
    });
  } else if (head.seq === lastSeq) {
    if (malformedSince === 0 && last.index >= 0 && last.trusted && head.hash !== last.hash) {
      report(
        last.index,
        'edited',
        `${at(last.index)}: its hash does not match the head: the last entry was edited and its hash recomputed (or the head was changed)`,
        n,
      );
    }
  } else {
    for (const l of chain) {
      if (l.index >= 0 && l.seq > head.seq) {
        report(
          l.index,
          'inserted',
          `${at(l.index)}: it comes after the last entry the head records (sequence number ${head.seq}): the entry was inserted`,
          n,
        );
      }
    }
  }

  // 5. Keyed: the newest checkpoint (an entry only the key holder can write) must be recent. Deleting the
  // newest entries and resetting the head leaves a consistent chain that ends too early: it ends before the
  // checkpoints the bot kept writing.
  if (keyed) {
    const age = lastCheckpoint ? keyed.now.getTime() - lastCheckpoint.at : undefined;
    if (n > 0 && !lastCheckpoint) {
      found.push({
        p: {
          id: 'head',
          index: n,
          kind: 'checkpoint',
          message: `no checkpoint signed with the key in ${plural(n, 'entry', 'entries')}: the bot writes one at start-up and every interval, so entries were deleted (or the stream was never written by a bot with the key)`,
        },
        by: n,
      });
    } else if (lastCheckpoint && age !== undefined && age > keyed.maxCheckpointAgeMs) {
      found.push({
        p: {
          id: entries[lastCheckpoint.index]!.id,
          index: n,
          kind: 'checkpoint',
          message: `the newest checkpoint, ${at(lastCheckpoint.index)} at ${new Date(lastCheckpoint.at).toISOString()}, is ${Math.round(age / 1000)} s old, more than the ${Math.round(keyed.maxCheckpointAgeMs / 1000)} s allowed: the newest entries were deleted and the head reset (a truncated tail), or no bot has run since`,
        },
        by: n,
      });
    }
  }

  if (found.length === 0) return { ok: true, count: n };
  const problems = found.map((f) => f.p).sort((a, b) => a.index - b.index);
  return { ok: false, count: n, problems };
}

/** The time of a checkpoint event (ms), or undefined when the event is not one. */
function checkpointAt(eventJson: string, index: number): { at: number; index: number } | undefined {
  try {
    const ev = JSON.parse(eventJson) as { type?: unknown; at?: unknown };
    if (ev.type !== CHECKPOINT_TYPE || typeof ev.at !== 'string') return undefined;
    const at = Date.parse(ev.at);
    return Number.isNaN(at) ? undefined : { at, index };
  } catch {
    return undefined;
  }
}

/** The event JSON of a checkpoint written at `at`. */
export function checkpointEvent(at: Date): string {
  return canonicalJson({ v: 1, type: CHECKPOINT_TYPE, at: at.toISOString() });
}

/**
 * Requests whose trail lacks its start: entries about a request (an id of a request kind) but no `requested`
 * entry before them. A request is audited from its start; one without it was lost or deleted with care.
 */
export function unrequestedProblems(entries: readonly RawEntry[]): ChainProblem[] {
  const requested = new Set<string>();
  const problems: ChainProblem[] = [];
  const reported = new Set<string>();
  entries.forEach((e, index) => {
    let ev: { requestId?: unknown; type?: unknown };
    try {
      ev = JSON.parse(e.event ?? '') as { requestId?: unknown; type?: unknown };
    } catch {
      return; // malformed entries are the chain check's to report
    }
    if (typeof ev.requestId !== 'string' || !parseRequestId(ev.requestId)) return;
    if (ev.type === 'requested') requested.add(ev.requestId);
    else if (!requested.has(ev.requestId) && !reported.has(ev.requestId)) {
      reported.add(ev.requestId);
      problems.push({
        id: e.id,
        index,
        kind: 'unrequested',
        message: `entry ${e.id} (#${index + 1}): request ${ev.requestId} has a ${String(ev.type)} entry but no requested entry before it`,
      });
    }
  });
  return problems;
}
