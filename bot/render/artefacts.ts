/**
 * The thread's lines about artefacts: what each file is, its size, its full
 * SHA-256 (so a reader can check a download), whether it was cut, the
 * worker's note (redactions, pcap warning) and, when it is not in the thread,
 * why. Pure.
 */
import { ARTEFACT_TTL_SEC, type ArtefactMeta } from '../../jobs/contracts/probe.js';
import { humanBytes } from '../../jobs/contracts/units.js';
import { code, inline } from './mrkdwn.js';

/** How an upload went, as `uploadArtefacts` reports it (only the fields used here). */
export interface ArtefactStatusLike {
  name: string;
  status: 'uploaded' | 'already' | 'expired' | 'failed';
  error?: string;
  retryable?: boolean;
}

/**
 * One mrkdwn line per artefact, e.g.
 * `• \`strace-api.txt\` · 1.2 MiB · sha256 \`3f2a…\` · cut at 8 MiB of 23.4 MiB; 2 secrets redacted`.
 */
export function artefactLines(metas: ArtefactMeta[], statuses?: ArtefactStatusLike[]): string[] {
  return metas.map((m) => {
    const parts = [
      code(m.name, 100),
      humanBytes(m.bytes),
      `sha256 \`${/^[0-9a-f]{64}$/.test(m.sha256) ? m.sha256 : '?'}\``,
    ];
    const note = m.note?.trim();
    if (m.truncated && !/\bcut at\b/.test(note ?? '')) parts.push(`cut at ${humanBytes(m.bytes)}`);
    if (note) parts.push(inline(note, 400));
    const st = statuses?.find((s) => s.name === m.name);
    const why = st ? statusText(st) : undefined;
    if (why) parts.push(why);
    return `• ${parts.join(' · ')}`;
  });
}

function statusText(s: ArtefactStatusLike): string | undefined {
  switch (s.status) {
    case 'uploaded':
    case 'already':
      return undefined;
    case 'expired':
      return `expired before it could be uploaded (artefacts are kept ${ARTEFACT_TTL_SEC / 3600} h): run the probe again to get it`;
    case 'failed':
      return `not uploaded: ${inline(s.error ?? 'unknown error', 300)}`;
  }
}
