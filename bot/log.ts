import type { Logger as BoltLogger, LogLevel } from '@slack/bolt';
import { type Logger, pino } from 'pino';
import { scrubText, scrubValue } from './log-scrub.js';

/** Never printed: tokens, secrets, authorization headers, response_url (it is a bearer capability). */
export const REDACT_PATHS = [
  'token',
  '*.token',
  'botToken',
  'appToken',
  'signingSecret',
  '*.signingSecret',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'response_url',
  '*.response_url',
  'responseUrl',
  '*.responseUrl',
];

/** The bot's pino logger. */
export function createLogger(level = 'info', destination?: pino.DestinationStream): Logger {
  return pino(
    { name: 'poddebug-bot', level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    destination,
  );
}

/** Bolt's Logger interface over pino, so Bolt's own logs go through the same redaction. */
export function boltLogger(base: Logger): BoltLogger {
  let log = base.child({ component: 'bolt' });
  let level = base.level as LogLevel;
  // Strings make the message; objects and errors go to pino as objects, so that redaction applies to them
  // (a stringified object would carry its token past REDACT_PATHS). Both are scrubbed first (log-scrub.ts):
  // Socket Mode logs whole envelopes as text, and errors nest request bodies deeper than REDACT_PATHS reach.
  const emit = (level: 'debug' | 'info' | 'warn' | 'error', msg: unknown[]) => {
    const text = scrubText(msg.filter((m) => typeof m === 'string').join(' '));
    const objs = msg.filter((m) => typeof m !== 'string');
    if (objs.length === 0) return log[level](text);
    const err = objs.find((o) => o instanceof Error);
    const rest = objs.filter((o) => o !== err).map((o) => scrubValue(o));
    const fields: Record<string, unknown> = {};
    if (err) fields.err = scrubValue(err);
    if (rest.length === 1 && typeof rest[0] === 'object' && rest[0] !== null) Object.assign(fields, rest[0]);
    else if (rest.length > 0) fields.args = rest;
    log[level](fields, text);
  };
  return {
    debug: (...m: unknown[]) => emit('debug', m),
    info: (...m: unknown[]) => emit('info', m),
    warn: (...m: unknown[]) => emit('warn', m),
    error: (...m: unknown[]) => emit('error', m),
    // Bolt and Socket Mode set a level of their own (INFO by default): it may restrict, never widen,
    // the operator's LOG_LEVEL (a silent or warn-level bot stays so).
    setLevel: (l: LogLevel) => {
      level = l;
      const wanted = base.levels.values[l] ?? 0;
      log.level = wanted >= (base.levels.values[base.level] ?? Number.POSITIVE_INFINITY) ? l : base.level;
    },
    getLevel: () => level,
    setName: (name: string) => {
      log = base.child({ component: name });
    },
  };
}
export type { Logger };
