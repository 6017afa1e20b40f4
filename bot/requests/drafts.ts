import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { ProbeSpecSchema, ProbeTargetSchema } from '../../jobs/contracts/index.js';

/**
 * A privileged command between the slash command and the reason modal's
 * submission. The modal carries only the draft's random id; the command itself
 * stays in Redis (15 minutes) and is validated again when it comes back.
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

export class Drafts {
  constructor(private readonly redis: Redis) {}

  async save(d: Draft): Promise<string> {
    const id = randomBytes(12).toString('hex');
    await this.redis.set(KEY + id, JSON.stringify(DraftSchema.parse(d)), 'EX', TTL_SEC);
    return id;
  }

  /** The draft, or undefined when unknown, expired or malformed (a forged or stale modal). */
  async get(id: string): Promise<Draft | undefined> {
    if (!/^[0-9a-f]{24}$/.test(id)) return undefined;
    const raw = await this.redis.get(KEY + id);
    if (!raw) return undefined;
    try {
      const r = DraftSchema.safeParse(JSON.parse(raw));
      return r.success ? r.data : undefined;
    } catch {
      return undefined;
    }
  }
}
