/**
 * What every job handler does first: parse the payload with its contract's schema (anything in Redis may
 * have been written by someone else) and check that the job is for this worker's cluster. Both refusals are
 * CodedErrors, which the worker does not retry and the bot shows as they are.
 */
import type { z } from 'zod';
import { CodedError } from './contracts/index.js';

/** How a refused payload is told: the sentence and what to do next. */
export interface PayloadRefusal {
  message: string;
  next: string[];
}

/** The refusal of a diagnose's or a read's payload. */
export const PAYLOAD_REFUSAL: PayloadRefusal = {
  message: 'The job payload is not valid; it was refused.',
  next: ['Run the command again from Slack.'],
};

export function jobPayload<T extends { cluster: string }>(
  schema: z.ZodType<T>,
  data: unknown,
  cluster: string,
  refusal: PayloadRefusal,
): T {
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new CodedError('invalid_args', refusal.message, refusal.next);
  if (parsed.data.cluster !== cluster) {
    throw new CodedError(
      'unknown_cluster',
      `Job for cluster \`${parsed.data.cluster}\` reached the worker of \`${cluster}\`.`,
    );
  }
  return parsed.data;
}
