/** Bolt's log calls reach pino as objects, so that the bot's redaction applies to what Bolt logs. */
import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { boltLogger, createLogger } from '../../../bot/log.js';

function capture() {
  const lines: string[] = [];
  const dest = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  return { lines, logger: createLogger('debug', dest) };
}

describe('boltLogger', () => {
  it('keeps objects as fields, redacted, and the strings as the message', () => {
    const { lines, logger } = capture();
    const bolt = boltLogger(logger);
    bolt.warn('http request failed', {
      token: 'xoxb-very-secret',
      headers: { authorization: 'Bearer xoxb-2' },
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('xoxb-');
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(entry.msg).toBe('http request failed');
    expect(entry.token).toBe('[redacted]');
    expect(entry.headers).toEqual({ authorization: '[redacted]' });
  });

  it('logs an error as err (with its stack), and plain strings as before', () => {
    const { lines, logger } = capture();
    const bolt = boltLogger(logger);
    bolt.error('listener failed:', new Error('boom'));
    bolt.info('a', 'b');
    const [err, info] = lines.map(
      (l) => JSON.parse(l) as { msg: string; err?: { message: string; stack: string } },
    );
    expect(err!.msg).toBe('listener failed:');
    expect(err!.err?.message).toBe('boom');
    expect(err!.err?.stack).toMatch(/Error: boom/);
    expect(info!.msg).toBe('a b');
  });
});
