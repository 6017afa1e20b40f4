/**
 * The worker's side of a read (logs, events, describe; jobs/worker.ts dispatches READ_JOB here): validate
 * the payload read back from Redis, resolve the target in its namespace, read, redact, and return the text
 * inline when it is short or store it as an artefact (Redis, with a TTL) for the bot to upload into the
 * thread with its size and sha256, said cut when it was. Runs under the job deadline.
 */
import { createHash } from 'node:crypto';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  CodedError,
  READ_LIMITS,
  type ReadPayload,
  ReadPayloadSchema,
  type ReadResult,
} from '../contracts/index.js';
import type { KubeReader } from '../k8s/client.js';
import type { Logger } from '../log.js';
import { jobPayload, PAYLOAD_REFUSAL } from '../payload.js';
import { storeArtefacts } from '../probes/artefact-store.js';
import { redactText } from '../redact.js';
import { withTimeout } from '../timeout.js';
import { readDescribe } from './describe.js';
import { readEvents } from './events.js';
import { countLines, cutAtLine } from './log-lines.js';
import { type ReadText, readLogs } from './logs.js';
import { resolveReadTarget } from './resolve.js';

export interface ReadJobDeps {
  cluster: string;
  reader: () => KubeReader;
  logger: Logger;
  jobTimeoutMs: number;
  /** Where long texts are stored for the bot; absent: long texts are refused with a note. */
  redis?: Redis;
  now?: () => Date;
  /** The grep budget (ms); default READ_LIMITS.grepBudgetMs. */
  grepBudgetMs?: number;
}

export async function runReadJob(job: Job, d: ReadJobDeps): Promise<ReadResult> {
  const p = jobPayload(ReadPayloadSchema, job.data, d.cluster, PAYLOAD_REFUSAL);
  d.logger.info({ target: p.target, action: p.spec.action, requester: p.requester.userId }, 'read started');
  const started = Date.now();
  const reader = d.reader();
  const result = await withTimeout(
    read(reader, p, d, job.id ?? ''),
    d.jobTimeoutMs,
    () =>
      new CodedError(
        'timeout',
        `${p.spec.action} did not finish within ${Math.round(d.jobTimeoutMs / 1000)} s.`,
        ['The API server may be slow; poddebug retries automatically.'],
      ),
  );
  result.stats = { apiRequests: reader.requestCount(), durationMs: Date.now() - started };
  d.logger.info(
    { action: p.spec.action, verdict: result.verdict, files: result.artefacts.length },
    'read finished',
  );
  return result;
}

async function read(reader: KubeReader, p: ReadPayload, d: ReadJobDeps, jobId: string): Promise<ReadResult> {
  const now = d.now?.() ?? new Date();
  const t = { ...p.target, namespace: p.target.namespace! };
  const target = await resolveReadTarget(reader, t, d.cluster);
  let out: ReadText;
  switch (p.spec.action) {
    case 'logs':
      out = await readLogs(reader, target, p.spec, {
        cluster: d.cluster,
        now,
        ...(d.grepBudgetMs !== undefined ? { grepBudgetMs: d.grepBudgetMs } : {}),
      });
      break;
    case 'events':
      out = await readEvents(reader, target, p.spec, now);
      break;
    case 'describe':
      out = await readDescribe(reader, target, now);
      break;
  }
  const shown =
    target.kind === 'pod'
      ? { kind: 'Pod', namespace: target.namespace, name: target.pod.metadata?.name ?? '' }
      : { kind: target.owner.kind, namespace: target.namespace, name: target.owner.obj.metadata?.name ?? '' };
  const base: ReadResult = {
    outcome: 'read',
    action: p.spec.action,
    target: shown,
    verdict: out.verdict,
    summary: out.summary,
    artefacts: [],
    notes: out.notes,
    stats: { apiRequests: 0, durationMs: 0 },
  };
  const red = redactText(out.text);
  if (red.redactions > 0)
    base.notes.push(`${red.redactions} secret${red.redactions === 1 ? '' : 's'} redacted`);
  const text = red.text;
  if (fitsInline(text)) return { ...base, inline: text };
  if (!d.redis) {
    base.notes.push('too long to show here, and this worker cannot store files');
    return base;
  }
  const cut = cutAtLine(text, READ_LIMITS.maxFileBytes);
  if (cut.cut)
    base.notes.push(
      `cut at ${countLines(cut.text)} lines (${Buffer.byteLength(cut.text)} bytes, the ${READ_LIMITS.maxFileBytes / 1024 / 1024} MiB file limit): ${cut.droppedLines} later lines not included`,
    );
  const bytes = Buffer.from(cut.text, 'utf8');
  const name = fileName(p.spec.action, shown.namespace, shown.name);
  base.artefacts = await storeArtefacts(
    d.redis,
    jobId,
    [
      {
        meta: {
          name,
          contentType: 'text/plain; charset=utf-8',
          bytes: bytes.length,
          sha256: createHash('sha256').update(bytes).digest('hex'),
          truncated: cut.cut,
          title: `${p.spec.action} ${shown.namespace}/${shown.name}`,
        },
        bytes,
      },
    ],
    { maxBytes: READ_LIMITS.maxFileBytes },
  );
  return base;
}

/** Whether the text is short enough for a code block in the thread. */
export function fitsInline(text: string): boolean {
  return (
    Buffer.byteLength(text) <= READ_LIMITS.inlineMaxBytes &&
    countLines(text) <= READ_LIMITS.inlineMaxLines &&
    text.split('\n').every((l) => l.length <= READ_LIMITS.inlineMaxLineChars)
  );
}

/** `logs-shop-checkout-7d9f.txt`: only characters an artefact name allows. */
export function fileName(action: string, ns: string, name: string): string {
  return `${`${action}-${ns}-${name}`.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 90)}.txt`;
}
