import { describe, expect, it } from '@jest/globals';
import type { RespondArguments } from '@slack/bolt';
import { refuseCommand } from '../../../../../bot/listeners/commands/refuse.js';
import type { CommandOutcome } from '../../../../../bot/metrics.js';

describe('refuseCommand', () => {
  it('answers first (ephemeral, counted as refused), and only then starts the audit', async () => {
    const seen: string[] = [];
    const acks: { outcome: CommandOutcome; why: string; msg?: RespondArguments }[] = [];
    let ackDone!: () => void;
    const acked = new Promise<void>((resolve) => {
      ackDone = resolve;
    });
    const answer = async (outcome: CommandOutcome, why: string, msg?: RespondArguments) => {
      seen.push('answer');
      acks.push({ outcome, why, msg });
      await acked;
    };
    const refused = refuseCommand(answer, 'no_worker', 'No worker for cluster `prod`.', async () => {
      seen.push('audit');
    });
    await Promise.resolve();
    expect(seen).toEqual(['answer']); // the audit waits for the ack
    ackDone();
    await refused;
    expect(seen).toEqual(['answer', 'audit']);
    expect(acks).toEqual([
      {
        outcome: 'refused',
        why: 'no_worker',
        msg: { response_type: 'ephemeral', text: 'No worker for cluster `prod`.' },
      },
    ]);
  });

  it('does not wait for the audit entry to be written', async () => {
    const never = new Promise<void>(() => undefined);
    let audited = false;
    await refuseCommand(
      async () => undefined,
      'forbidden',
      'Not allowed.',
      () => {
        audited = true;
        return never;
      },
    );
    expect(audited).toBe(true);
  });
});
