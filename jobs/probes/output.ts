/**
 * Parses what the probe program printed (the probe pod's log) into its one
 * result line and the artefacts it streamed as chunk lines. Pure.
 *
 * Rules: only lines starting with PROBE_LINE_MARKER count (the kubelet's log
 * also holds stderr and anything node printed); exactly one result line; the
 * chunks of one artefact are consecutive with seq 0, 1, 2…; every artefact the
 * result lists arrives whole (bytes and sha256 match), and no chunk belongs to
 * an artefact the result does not list.
 */
import { createHash } from 'node:crypto';
import {
  PROBE_LINE_MARKER,
  ProbeChunkLineSchema,
  type ProbeResultLine,
  ProbeResultLineSchema,
} from '../contracts/probe.js';

export class ProbeOutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProbeOutputError';
  }
}

export interface ProbeOutput {
  line: ProbeResultLine;
  /** Artefact bytes by name, each verified against the result's metadata. */
  artefacts: Map<string, Buffer>;
  /** Up to the last 20 lines that were not marker lines (stderr, warnings), for logs and failure messages. */
  otherLines: string[];
}

/** Parses the log text of a probe pod. Throws ProbeOutputError with a clear message. */
export function parseProbeOutput(text: string): ProbeOutput {
  const results: ProbeResultLine[] = [];
  const chunks = new Map<string, Buffer[]>();
  const other: string[] = [];
  let current: string | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    if (!raw.startsWith(PROBE_LINE_MARKER)) {
      if (raw.trim() !== '') {
        other.push(raw.length > 500 ? `${raw.slice(0, 500)}…` : raw);
        if (other.length > 20) other.shift();
      }
      continue;
    }
    const at = `line ${i + 1}`;
    let v: unknown;
    try {
      v = JSON.parse(raw.slice(PROBE_LINE_MARKER.length));
    } catch {
      throw new ProbeOutputError(
        `the probe printed a marker line that is not JSON (${at}); the log may have been cut`,
      );
    }
    const type = (v as { type?: unknown } | null)?.type;
    if (type === 'chunk') {
      const c = ProbeChunkLineSchema.safeParse(v);
      if (!c.success)
        throw new ProbeOutputError(`malformed chunk line (${at}): ${c.error.issues[0]?.message}`);
      const { name, seq, data } = c.data;
      const have = chunks.get(name);
      if (have === undefined) {
        if (seq !== 0)
          throw new ProbeOutputError(
            `artefact ${name}: first chunk has seq ${seq}, expected 0 (${at}); the log was probably rotated or cut (kubelet containerLogMaxSize)`,
          );
        chunks.set(name, [decodeBase64(data, name, at)]);
      } else {
        if (current !== name)
          throw new ProbeOutputError(`artefact ${name}: its chunks are not consecutive (${at})`);
        if (seq !== have.length)
          throw new ProbeOutputError(
            `artefact ${name}: chunk seq ${seq} where ${have.length} was expected (${at})`,
          );
        have.push(decodeBase64(data, name, at));
      }
      current = name;
      continue;
    }
    if (type === 'result') {
      const r = ProbeResultLineSchema.safeParse(v);
      if (!r.success)
        throw new ProbeOutputError(
          `malformed result line (${at}): ${r.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`,
        );
      results.push(r.data);
      current = undefined;
      continue;
    }
    throw new ProbeOutputError(`unknown marker line type ${JSON.stringify(type)} (${at})`);
  }
  if (results.length === 0)
    throw new ProbeOutputError(
      `the probe printed no result line${other.length > 0 ? `; its last output: ${other.slice(-3).join(' | ')}` : ''}`,
    );
  if (results.length > 1)
    throw new ProbeOutputError(`the probe printed ${results.length} result lines; expected exactly one`);
  const line = results[0]!;
  const artefacts = new Map<string, Buffer>();
  const listed = line.ok ? line.artefacts : [];
  for (const meta of listed) {
    const parts = chunks.get(meta.name);
    if (!parts)
      throw new ProbeOutputError(`artefact ${meta.name} is listed in the result but no chunk of it arrived`);
    const buf = Buffer.concat(parts);
    if (buf.length !== meta.bytes)
      throw new ProbeOutputError(
        `artefact ${meta.name}: ${buf.length} bytes arrived, the result says ${meta.bytes}`,
      );
    const sha = createHash('sha256').update(buf).digest('hex');
    if (sha !== meta.sha256)
      throw new ProbeOutputError(
        `artefact ${meta.name}: sha256 mismatch (got ${sha.slice(0, 12)}…, expected ${meta.sha256.slice(0, 12)}…)`,
      );
    artefacts.set(meta.name, buf);
  }
  for (const name of chunks.keys())
    if (!artefacts.has(name))
      throw new ProbeOutputError(`chunks of artefact ${name} arrived but the result does not list it`);
  return { line, artefacts, otherLines: other };
}

function decodeBase64(data: string, name: string, at: string): Buffer {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 !== 0)
    throw new ProbeOutputError(`artefact ${name}: chunk data is not base64 (${at})`);
  return Buffer.from(data, 'base64');
}
