import { createHash } from 'node:crypto';

/** BullMQ queue for one cluster. One queue per cluster; workers of that cluster consume it. */
export function queueName(cluster: string): string {
  return `poddebug-${cluster}`;
}

/** BullMQ key prefix shared by bot and workers. */
export const QUEUE_PREFIX = 'poddebug';

/**
 * Job id derived from the Slack request, so a retried delivery of the same
 * request finds the existing job instead of creating a second one. BullMQ
 * ids may not contain ':'.
 */
export function jobIdFor(parts: { teamId?: string; channelId: string; userId: string; triggerId: string }): string {
  const h = createHash('sha256')
    .update([parts.teamId ?? '', parts.channelId, parts.userId, parts.triggerId].join('\n'))
    .digest('hex');
  return `diag-${h.slice(0, 24)}`;
}
