/**
 * files.getUploadURLExternal → POST bytes to upload_url → files.completeUploadExternal: the upload flow that
 * replaced files.upload (and that WebClient.filesUploadV2 drives).
 */
import { randomBytes } from 'node:crypto';
import { str } from '../request-body.js';
import type { SlackStore } from '../store.js';
import type { PostedMessage } from '../types.js';
import { fail, type MethodHandler, missing } from './result.js';

const getUploadURLExternal: MethodHandler = (store, args) => {
  const filename = str(args.filename);
  if (!filename) return missing('filename');
  const length = Number(args.length);
  if (args.length === undefined) return missing('length');
  if (!Number.isInteger(length) || length < 0)
    return fail('invalid_arguments', ['[ERROR] length must be an integer']);
  const id = store.nextId('F');
  const key = `${id}-${randomBytes(12).toString('hex')}`;
  store.files.set(id, {
    id,
    filename,
    bytes: Buffer.alloc(0),
    length,
    uploaded: false,
    completed: false,
    created: store.cfg.now(),
  });
  store.uploadKeys.set(key, id);
  return { ok: true, upload_url: `${store.cfg.baseUrl}/upload/v1/${key}`, file_id: id };
};

/** Stores bytes posted to an upload_url; returns the file id, or undefined for an unknown URL. */
export function receiveUpload(store: SlackStore, key: string, bytes: Buffer): string | undefined {
  const id = store.uploadKeys.get(key);
  const f = id ? store.files.get(id) : undefined;
  if (!f) return undefined;
  f.bytes = bytes;
  f.uploaded = true;
  return f.id;
}

const completeUploadExternal: MethodHandler = (store, args) => {
  if (!Array.isArray(args.files) || args.files.length === 0) return missing('files');
  const entries: { id: string; title?: string }[] = [];
  for (const e of args.files as unknown[]) {
    if (typeof e !== 'object' || e === null || typeof (e as { id?: unknown }).id !== 'string')
      return fail('invalid_arguments', ['[ERROR] files items must have an id']);
    const { id, title } = e as { id: string; title?: unknown };
    entries.push(typeof title === 'string' ? { id, title } : { id });
  }
  for (const e of entries) {
    const f = store.files.get(e.id);
    if (!f?.uploaded || f.completed) return fail('file_not_found');
  }
  const rawChannel = str(args.channel_id) ?? str(args.channels)?.split(',')[0];
  const channel = rawChannel ? store.resolveChannel(rawChannel) : undefined;
  if (channel && !store.canPost(channel)) return fail('not_in_channel');
  const threadTs = str(args.thread_ts);
  const comment = str(args.initial_comment);
  for (const e of entries) {
    const f = store.files.get(e.id)!;
    f.completed = true;
    if (e.title) f.title = e.title;
    if (channel) f.channel = channel;
    if (threadTs) f.thread_ts = threadTs;
    if (comment) f.initial_comment = comment;
  }
  if (channel) {
    const m: PostedMessage = {
      channel,
      ts: store.nextTs(),
      user: store.cfg.botUserId,
      edits: 0,
      text: comment ?? '',
      files: entries.map((e) => e.id),
    };
    if (threadTs) m.thread_ts = threadTs;
    if (!comment && Array.isArray(args.blocks)) m.blocks = args.blocks;
    store.messages.push(m);
  }
  return {
    ok: true,
    files: entries.map((e) => ({
      id: e.id,
      title: store.files.get(e.id)!.title ?? store.files.get(e.id)!.filename,
    })),
  };
};

/** Handlers for files.*. */
export const FILE_METHODS: Record<string, MethodHandler> = {
  'files.getUploadURLExternal': getUploadURLExternal,
  'files.completeUploadExternal': completeUploadExternal,
};
