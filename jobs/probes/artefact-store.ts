/**
 * Worker side of artefacts (traces, pcaps, charts): check what the probe
 * produced against its metadata, redact text, cap the size, and put the bytes
 * in Redis with a TTL for the bot to upload (the worker holds no Slack token).
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  ARTEFACT_TTL_SEC,
  type ArtefactMeta,
  ArtefactMetaSchema,
  artefactKey,
  PROBE_LIMITS,
} from '../contracts/probe.js';
import { humanBytes } from '../contracts/units.js';
import { redactText } from '../redact.js';

/** One artefact as the runner reassembled it from the probe's chunk lines. */
export interface ArtefactInput {
  /** What the probe program reported (size and sha256 of what it sent). */
  meta: ArtefactMeta;
  bytes: Buffer;
}

/** Options of {@link storeArtefacts}. */
export interface StoreArtefactsOptions {
  /** Cap of one artefact after redaction. Default PROBE_LIMITS.maxArtefactBytes (5 MiB). */
  maxBytes?: number;
  /** Seconds the bytes stay in Redis. Default ARTEFACT_TTL_SEC (6 h). */
  ttlSec?: number;
}

export const PCAP_NOTE = 'pcap not redacted: it may contain credentials; share with care';

/**
 * Stores each artefact at `artefactKey(jobId, name)` (`SET … EX ttl`) and
 * returns the metadata the bot needs, `key` set:
 * - the bytes must match the probe's `bytes` and `sha256`, else the artefact is
 *   not stored (returned without `key`, the note says why);
 * - text (`text/*`) is redacted before anything else, and the note counts the
 *   redactions; binary (pcap, PNG) is stored as is, a pcap with a warning;
 * - anything over `maxBytes` is cut (a text at a line end, a pcap at a packet
 *   boundary), `truncated` set, sha256 recomputed, and the note says where.
 */
export async function storeArtefacts(
  redis: Redis,
  jobId: string,
  items: ArtefactInput[],
  opts: StoreArtefactsOptions = {},
): Promise<ArtefactMeta[]> {
  const maxBytes = opts.maxBytes ?? PROBE_LIMITS.maxArtefactBytes;
  const ttlSec = opts.ttlSec ?? ARTEFACT_TTL_SEC;
  if (!Number.isInteger(maxBytes) || maxBytes < 1)
    throw new RangeError(`maxBytes must be a positive integer`);
  if (!Number.isInteger(ttlSec) || ttlSec < 1) throw new RangeError(`ttlSec must be a positive integer`);
  const out: ArtefactMeta[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    const meta = ArtefactMetaSchema.parse(item.meta);
    const prepared = prepareArtefact(meta, item.bytes, maxBytes, seen.has(meta.name));
    seen.add(meta.name);
    if (!prepared.bytes) {
      out.push(prepared.meta);
      continue;
    }
    const key = artefactKey(jobId, meta.name);
    await redis.set(key, prepared.bytes, 'EX', ttlSec);
    out.push({ ...prepared.meta, key });
  }
  return out;
}

/**
 * The pure part of {@link storeArtefacts}: what would be stored (bytes
 * undefined when refused) and its metadata, without `key`.
 */
export function prepareArtefact(
  meta: ArtefactMeta,
  received: Buffer,
  maxBytes: number = PROBE_LIMITS.maxArtefactBytes,
  duplicate = false,
): { meta: ArtefactMeta; bytes?: Buffer } {
  const { key: _ignored, ...base } = meta;
  const notes = meta.note ? [meta.note] : [];
  const refuse = (why: string) => ({
    meta: { ...base, truncated: false, note: [...notes, `not stored: ${why}`].join('; ') },
  });
  if (duplicate) return refuse('another artefact of this run has the same name');
  if (received.length !== meta.bytes)
    return refuse(`received ${received.length} bytes, the probe reported ${meta.bytes}`);
  const got = sha256(received);
  if (got !== meta.sha256)
    return refuse(`received bytes have sha256 ${got}, the probe reported ${meta.sha256}`);

  let bytes = received;
  let truncated = meta.truncated;
  if (isText(meta.contentType)) {
    const red = redactText(bytes.toString('utf8'));
    if (red.redactions > 0) {
      bytes = Buffer.from(red.text, 'utf8');
      notes.push(`${red.redactions} secret${red.redactions === 1 ? '' : 's'} redacted`);
    }
  } else if (isPcap(meta)) {
    notes.push(PCAP_NOTE);
  }
  if (bytes.length > maxBytes) {
    const full = bytes.length;
    bytes = cut(bytes, maxBytes, meta);
    truncated = true;
    notes.push(`cut at ${humanBytes(bytes.length)} of ${humanBytes(full)}`);
  }
  const out: ArtefactMeta = { ...base, bytes: bytes.length, sha256: sha256(bytes), truncated };
  if (notes.length > 0) out.note = notes.join('; ');
  else delete out.note;
  return { meta: out, bytes };
}

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

function isText(contentType: string): boolean {
  return /^text\//i.test(contentType.trim());
}

function isPcap(meta: ArtefactMeta): boolean {
  return /pcap/i.test(meta.contentType) || /\.pcap(ng)?$/i.test(meta.name);
}

/** At most `max` bytes: text at the last line end (or a UTF-8 boundary), a classic pcap at a packet boundary. */
function cut(b: Buffer, max: number, meta: ArtefactMeta): Buffer {
  if (isText(meta.contentType)) {
    const nl = b.lastIndexOf(0x0a, max - 1);
    if (nl >= max / 2) return b.subarray(0, nl + 1);
    let end = max;
    while (end > 0 && (b[end]! & 0xc0) === 0x80) end--; // do not split a UTF-8 sequence
    return b.subarray(0, end);
  }
  if (isPcap(meta)) {
    const end = pcapBoundary(b, max);
    if (end !== undefined) return b.subarray(0, end);
  }
  return b.subarray(0, max);
}

/** End of the last whole packet within `max` bytes of a classic pcap file, or undefined if it is not one. */
function pcapBoundary(b: Buffer, max: number): number | undefined {
  if (b.length < 24) return undefined;
  const magic = b.readUInt32LE(0);
  let le: boolean;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) le = true;
  else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) le = false;
  else return undefined; // pcapng or unknown: cut bytes
  let at = 24;
  if (at > max) return undefined;
  for (;;) {
    if (at + 16 > b.length) return at;
    const incl = le ? b.readUInt32LE(at + 8) : b.readUInt32BE(at + 8);
    const next = at + 16 + incl;
    if (next > max || next > b.length) return at;
    at = next;
  }
}
