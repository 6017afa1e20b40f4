import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { ProbeSpecSchema, ProbeTargetSchema } from '../../jobs/contracts/index.js';
import { luaScript } from '../../jobs/contracts/lua.js';

/**
 * A privileged command between the slash command and the reason modal's
 * submission. The modal carries only the draft's random id; the command itself
 * stays in Redis (15 minutes) and is validated again when it comes back.
 *
 * One form, one request: the command listener records the view id `views.open`
 * returned (`bind`), and the first valid submission of that view consumes the
 * draft atomically (`consume`, one Lua script). A submission under another view
 * id, or a second one after the draft made its request, is refused; Slack's
 * redelivery of the same submission (same view id) gets the draft again and maps
 * to the same request (its id derives from the view id).
 */
const DraftSchema = z.strictObject({
  cluster: z.string(),
  target: ProbeTargetSchema,
  spec: ProbeSpecSchema,
  userId: z.string(),
  channelId: z.string(),
  channelName: z.string(),
  teamId: z.string().optional(),
});
export type Draft = z.infer<typeof DraftSchema>;

const KEY = 'poddebug:draft:';
const TTL_SEC = 15 * 60;
const DRAFT_ID = /^[0-9a-f]{24}$/;
/** Slack view ids: `V` and upper-case letters and digits. */
const VIEW_ID = /^V[A-Z0-9]{2,40}$/;

export type ConsumeStatus = 'ok' | 'again' | 'unknown' | 'not_yours' | 'other_view' | 'used';
/** What `consume` found; `draft` is there whenever the record was (also for refusals, to audit them). */
export interface Consumed {
  status: ConsumeStatus;
  draft?: Draft;
}

function parseDraft(raw: unknown): Draft | undefined {
  if (typeof raw !== 'string') return undefined;
  try {
    const r = DraftSchema.safeParse(JSON.parse(raw));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

type ScriptFn = (...a: string[]) => Promise<unknown>;

export class Drafts {
  constructor(private readonly redis: Redis) {
    redis.defineCommand('poddebug_draft_consume', {
      numberOfKeys: 1,
      lua: luaScript(new URL('./lua/draft-consume.lua', import.meta.url)),
    });
    redis.defineCommand('poddebug_draft_bind', {
      numberOfKeys: 1,
      lua: luaScript(new URL('./lua/draft-bind.lua', import.meta.url)),
    });
  }

  private script(name: string): ScriptFn {
    const fn = (this.redis as unknown as Record<string, ScriptFn>)[name]!;
    return fn.bind(this.redis);
  }

  async save(d: Draft): Promise<string> {
    const id = randomBytes(12).toString('hex');
    const draft = DraftSchema.parse(d);
    await this.redis
      .multi()
      .hset(KEY + id, { draft: JSON.stringify(draft), user: draft.userId })
      .expire(KEY + id, TTL_SEC)
      .exec();
    return id;
  }

  /** Records the view `views.open` returned for the draft; false when it could not (gone, or taken). */
  async bind(id: string, viewId: string): Promise<boolean> {
    if (!DRAFT_ID.test(id) || !VIEW_ID.test(viewId)) return false;
    return (await this.script('poddebug_draft_bind')(KEY + id, viewId)) === 'bound';
  }

  /** Consumes the draft for the submission of `viewId` by `userId` (see the class comment). */
  async consume(id: string, viewId: string, userId: string): Promise<Consumed> {
    if (!DRAFT_ID.test(id) || !VIEW_ID.test(viewId)) return { status: 'unknown' };
    const [status, raw] = (await this.script('poddebug_draft_consume')(KEY + id, viewId, userId)) as [
      ConsumeStatus,
      string | null,
    ];
    const draft = parseDraft(raw);
    // A record that no longer parses is as good as none (a forged or stale modal).
    if (!draft) return { status: 'unknown' };
    return { status, draft };
  }
}
