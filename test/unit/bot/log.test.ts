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

describe('boltLogger: what Bolt and Socket Mode log as text, or nest deep', () => {
  it('a Socket Mode envelope logged as text loses its token, response_url and the app token', () => {
    const { lines, logger } = capture();
    const bolt = boltLogger(logger);
    const envelope = JSON.stringify({
      envelope_id: '1d2e3f',
      type: 'slash_commands',
      payload: {
        token: 'verif-tok-9Xq',
        command: '/poddebug',
        text: 'diagnose web-1',
        response_url: 'https://hooks.slack.com/commands/T0/123/SeCrEtPaRt',
      },
      accepts_response_payload: true,
    });
    // @slack/socket-mode's own wording (SocketModeClient.js).
    bolt.debug(`Received a message on the WebSocket: ${envelope}`);
    bolt.debug(
      'connecting to wss://wss-primary.slack.com/link/?ticket=abc-123-ticket&app_id=A0 with xapp-1-A0-99-ffee',
    );
    expect(lines).toHaveLength(2);
    for (const secret of ['verif-tok-9Xq', 'SeCrEtPaRt', 'abc-123-ticket', 'xapp-1-A0-99-ffee'])
      expect(lines.join('\n')).not.toContain(secret);
    const first = JSON.parse(lines[0]!) as { msg: string };
    expect(first.msg).toContain('"command":"/poddebug"');
    expect(first.msg).toContain('"token":"[redacted]"');
    expect(first.msg).toContain('"envelope_id":"1d2e3f"');
  });

  it('a token nested deep in an argument object or an error’s data is redacted', () => {
    const { lines, logger } = capture();
    const bolt = boltLogger(logger);
    const err = Object.assign(new Error('An API error occurred: invalid_auth (token xoxb-111-222-abc)'), {
      data: { ok: false, request: { body: { token: 'xoxb-333-444-def', channel: 'C0TESTCHAN' } } },
    });
    bolt.error('Slack API error: invalid_auth', err, {
      envelope: { payload: { response_url: 'https://x/y' } },
    });
    expect(lines).toHaveLength(1);
    const text = lines[0]!;
    for (const secret of ['xoxb-111-222-abc', 'xoxb-333-444-def', 'https://x/y'])
      expect(text).not.toContain(secret);
    const entry = JSON.parse(text) as { err: { message: string; data: unknown }; args?: unknown[] };
    expect(entry.err.message).toBe('An API error occurred: invalid_auth (token [redacted])');
    expect(entry.err.data).toEqual({
      ok: false,
      request: { body: { token: '[redacted]', channel: 'C0TESTCHAN' } },
    });
  });
});

describe('boltLogger levels', () => {
  it('a level Bolt or Socket Mode sets never widens the operator’s LOG_LEVEL, but may narrow it', () => {
    const silent = capture();
    silent.logger.level = 'silent';
    const quiet = boltLogger(silent.logger);
    quiet.setLevel('info' as never); // what SocketModeClient does with its default
    quiet.error('WebSocket error occurred: ');
    expect(silent.lines).toEqual([]);

    const { lines, logger } = capture();
    const bolt = boltLogger(logger); // LOG_LEVEL debug
    bolt.setLevel('warn' as never);
    bolt.info('dropped');
    bolt.warn('kept');
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['kept']);
  });
});
