import { describe, expect, it } from '@jest/globals';
import { errorAnswer } from '../../../../bot/render/failure.js';
import { CodedError } from '../../../../jobs/contracts/errors.js';

describe('errorAnswer', () => {
  it('the message, then each next step on a line of its own', () => {
    const err = new CodedError('cluster_unreachable', 'Redis did not answer in time.', [
      'Try again in a minute.',
      'If it persists, tell whoever runs poddebug.',
    ]);
    expect(errorAnswer(err)).toBe(
      'Redis did not answer in time.\nTry again in a minute.\nIf it persists, tell whoever runs poddebug.',
    );
  });

  it('no next steps: the message and a line break, as commands have always answered', () => {
    expect(errorAnswer({ message: 'Something failed.', next: [] })).toBe('Something failed.\n');
  });
});
