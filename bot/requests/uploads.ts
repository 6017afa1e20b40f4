/**
 * Bot side of artefacts: take the bytes a worker left in Redis and upload them
 * into the incident thread with Slack's external upload flow
 * (files.getUploadURLExternal → POST the bytes to upload_url →
 * files.completeUploadExternal), exactly once across retries and restarts.
 *
 * Why the three steps are driven here rather than by WebClient.filesUploadV2
 * (which runs the same three calls): filesUploadV2 reveals the file id only
 * when everything is done, so after a crash or a lost response during
 * completion nothing would tell whether the file is already in the thread. Here
 * the file id and the step reached are recorded in Redis before each step:
 *
 *   pending {fileId, stage:'url'}         the id exists, the bytes may not have arrived: start again
 *   pending {fileId, stage:'uploaded'}    the bytes arrived, never shared: complete that id
 *   pending {fileId, stage:'completing'}  completion sent, answer unknown: complete that id again;
 *                                         Slack refuses a second completion (file_not_found),
 *                                         which means the first one landed
 *   done = fileId                         in the thread: never again
 *
 * A file whose bytes reached Slack but that was never completed is shared
 * nowhere, so starting again never shows a file twice.
 */
import { createHash, randomUUID } from 'node:crypto';
import { ErrorCode, type WebClient } from '@slack/web-api';
import type { Redis } from 'ioredis';
import { luaScript } from '../../jobs/contracts/lua.js';
import { type ArtefactMeta, ArtefactMetaSchema, artefactKey } from '../../jobs/contracts/probe.js';

/** Releases a lock only if it is still ours (the same script guards request locks). */
const UNLOCK_LUA = luaScript(new URL('./lua/unlock.lua', import.meta.url));

export type ArtefactUploadStatus = 'uploaded' | 'already' | 'expired' | 'failed';

/** What happened to one artefact. */
export interface ArtefactUpload {
  name: string;
  /** The Slack file id, when the file is in the thread. */
  fileId?: string;
  status: ArtefactUploadStatus;
  /** Why it failed, for the thread (no secrets, no stack). */
  error?: string;
  /** 'failed' only: running uploadArtefacts again later may succeed (rate limit, network, another bot busy). */
  retryable?: boolean;
}

export interface UploadArtefactsInput {
  jobId: string;
  channel: string;
  threadTs: string;
  artefacts: ArtefactMeta[];
  /** How long the done / pending records live. Default 7 days (longer than any job result is kept). */
  recordTtlSec?: number;
  /** How long one bot may hold an artefact's upload lock. Default 300 s. */
  lockTtlSec?: number;
  /** Timeout of the POST to upload_url. Default 120 s. */
  uploadTimeoutMs?: number;
}

const DEFAULT_RECORD_TTL_SEC = 7 * 24 * 3600;
const DEFAULT_LOCK_TTL_SEC = 300;
const DEFAULT_UPLOAD_TIMEOUT_MS = 120_000;

/** Slack file id of an artefact already shared in its thread. */
export function artefactDoneKey(jobId: string, name: string): string {
  return `poddebug:artefact-done:{${jobId}:${name}}`;
}
/** Upload in progress: `{ fileId, stage }`. */
export function artefactPendingKey(jobId: string, name: string): string {
  return `poddebug:artefact-pending:{${jobId}:${name}}`;
}
function lockKey(jobId: string, name: string): string {
  return `poddebug:artefact-lock:{${jobId}:${name}}`;
}

type Stage = 'url' | 'uploaded' | 'completing';
interface Pending {
  fileId: string;
  stage: Stage;
}

/** uploadArtefacts with its client and Redis bound (what the request engine is given). */
export type UploadArtefacts = (input: UploadArtefactsInput) => Promise<ArtefactUpload[]>;

/**
 * Uploads each artefact into the thread, in order, and says what happened to
 * each. Safe to call again with the same input after a failure, a 429 or a
 * restart: what is already in the thread is reported 'already', never posted
 * twice. The bytes are checked against the worker's sha256 and size before
 * anything is sent; the Redis copy is deleted once the file is in the thread.
 */
export async function uploadArtefacts(
  client: WebClient,
  redis: Redis,
  input: UploadArtefactsInput,
): Promise<ArtefactUpload[]> {
  const out: ArtefactUpload[] = [];
  for (const meta of input.artefacts) {
    try {
      out.push(await uploadOne(client, redis, input, meta));
    } catch (err) {
      // Redis unreachable and the like: nothing was recorded as done, a later run retries.
      out.push({ name: meta.name, status: 'failed', error: describe(err), retryable: true });
    }
  }
  return out;
}

async function uploadOne(
  client: WebClient,
  redis: Redis,
  input: UploadArtefactsInput,
  raw: ArtefactMeta,
): Promise<ArtefactUpload> {
  const parsed = ArtefactMetaSchema.safeParse(raw);
  const name = typeof raw?.name === 'string' ? raw.name : '?';
  if (!parsed.success)
    return { name, status: 'failed', error: 'invalid artefact metadata', retryable: false };
  const meta = parsed.data;
  const key = artefactKey(input.jobId, meta.name);
  // The key comes from the worker through Redis: never read another key than this job's own artefact.
  if (meta.key === undefined)
    return { name, status: 'failed', error: 'the worker did not store it', retryable: false };
  if (meta.key !== key)
    return { name, status: 'failed', error: 'unexpected storage key; not uploaded', retryable: false };

  const doneKey = artefactDoneKey(input.jobId, meta.name);
  const done = await redis.get(doneKey);
  if (done) return { name, status: 'already', fileId: done };

  const lock = lockKey(input.jobId, meta.name);
  const token = randomUUID();
  const got = await redis.set(lock, token, 'EX', input.lockTtlSec ?? DEFAULT_LOCK_TTL_SEC, 'NX');
  if (got !== 'OK')
    return { name, status: 'failed', error: 'another upload of this file is in progress', retryable: true };
  try {
    return await uploadLocked(client, redis, input, meta, key, doneKey);
  } finally {
    await redis.eval(UNLOCK_LUA, 1, lock, token);
  }
}

async function uploadLocked(
  client: WebClient,
  redis: Redis,
  input: UploadArtefactsInput,
  meta: ArtefactMeta,
  key: string,
  doneKey: string,
): Promise<ArtefactUpload> {
  const name = meta.name;
  const ttl = input.recordTtlSec ?? DEFAULT_RECORD_TTL_SEC;
  const pendingKey = artefactPendingKey(input.jobId, name);
  const done = await redis.get(doneKey); // another bot may have finished while we waited for the lock
  if (done) return { name, status: 'already', fileId: done };

  const setPending = (p: Pending) => redis.set(pendingKey, JSON.stringify(p), 'EX', ttl);
  const finish = async (fileId: string, status: 'uploaded' | 'already'): Promise<ArtefactUpload> => {
    await redis.multi().set(doneKey, fileId, 'EX', ttl).del(pendingKey).del(key).exec();
    return { name, status, fileId };
  };
  /** Shares the uploaded file in the thread. */
  const complete = async (fileId: string, before: Stage): Promise<ArtefactUpload | 'restart'> => {
    await setPending({ fileId, stage: 'completing' });
    try {
      await client.files.completeUploadExternal({
        files: [{ id: fileId, title: meta.title ?? name }],
        channel_id: input.channel,
        thread_ts: input.threadTs,
      });
    } catch (err) {
      const code = platformError(err);
      if (code === 'file_not_found' && before === 'completing') return finish(fileId, 'already');
      if (code === 'file_not_found') {
        await redis.del(pendingKey); // Slack no longer has the upload: send the bytes again
        return 'restart';
      }
      // A rate limit or a platform error means Slack did not share the file; a network error leaves it unknown.
      if (isRateLimited(err) || code !== undefined) await setPending({ fileId, stage: 'uploaded' });
      return {
        name,
        status: 'failed',
        error: `completing the upload: ${describe(err)}`,
        retryable: retryable(err),
      };
    }
    return finish(fileId, 'uploaded');
  };

  const pending = parsePending(await redis.get(pendingKey));
  if (pending && pending.stage !== 'url') {
    const r = await complete(pending.fileId, pending.stage);
    if (r !== 'restart') return r;
  }

  const bytes = await redis.getBuffer(key);
  if (!bytes) {
    await redis.del(pendingKey);
    return { name, status: 'expired', error: 'the artefact expired before it could be uploaded' };
  }
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (bytes.length !== meta.bytes || sha !== meta.sha256)
    return {
      name,
      status: 'failed',
      error: `stored bytes do not match the worker's record (${bytes.length} bytes, sha256 ${sha}; expected ${meta.bytes} bytes, sha256 ${meta.sha256}); not uploaded`,
      retryable: false,
    };

  let fileId: string;
  let uploadUrl: string;
  try {
    const res = await client.files.getUploadURLExternal({ filename: name, length: bytes.length });
    if (!res.file_id || !res.upload_url) throw new Error('Slack returned no upload URL');
    fileId = res.file_id;
    uploadUrl = res.upload_url;
  } catch (err) {
    return {
      name,
      status: 'failed',
      error: `requesting an upload URL: ${describe(err)}`,
      retryable: retryable(err),
    };
  }
  await setPending({ fileId, stage: 'url' });
  try {
    const res = await fetch(uploadUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array(bytes),
      signal: AbortSignal.timeout(input.uploadTimeoutMs ?? DEFAULT_UPLOAD_TIMEOUT_MS),
    });
    await res.arrayBuffer().catch(() => undefined);
    if (res.status !== 200) throw new Error(`the upload URL answered HTTP ${res.status}`);
  } catch (err) {
    return { name, status: 'failed', error: `sending the bytes: ${describe(err)}`, retryable: true };
  }
  await setPending({ fileId, stage: 'uploaded' });
  const r = await complete(fileId, 'uploaded');
  return r === 'restart'
    ? { name, status: 'failed', error: 'Slack lost the upload; try again', retryable: true }
    : r;
}

function parsePending(s: string | null): Pending | undefined {
  if (!s) return undefined;
  try {
    const v = JSON.parse(s) as Partial<Pending>;
    if (
      typeof v.fileId === 'string' &&
      (v.stage === 'url' || v.stage === 'uploaded' || v.stage === 'completing')
    )
      return { fileId: v.fileId, stage: v.stage };
  } catch {
    // a corrupt record is treated as none: at worst an orphan upload that is never shared
  }
  return undefined;
}

function platformError(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; data?: { error?: unknown } };
  return e.code === ErrorCode.PlatformError && typeof e.data?.error === 'string' ? e.data.error : undefined;
}

function isRateLimited(err: unknown): boolean {
  return (
    typeof err === 'object' && err !== null && (err as { code?: unknown }).code === ErrorCode.RateLimitedError
  );
}

const TRANSIENT = new Set([
  'ratelimited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);

function retryable(err: unknown): boolean {
  const code = platformError(err);
  return code === undefined || TRANSIENT.has(code);
}

/** A short reason for the thread: Slack's error code, or the error's message (never a stack). */
function describe(err: unknown): string {
  const code = platformError(err);
  if (code) return code;
  if (isRateLimited(err)) return 'rate limited by Slack';
  if (err instanceof Error) return err.message.split('\n')[0]!.slice(0, 200);
  return 'unknown error';
}
