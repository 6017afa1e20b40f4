import type { Logger as BoltLogger, LogLevel } from '@slack/bolt';
import { type Logger, pino } from 'pino';

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
  const fmt = (msg: unknown[]) => msg.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join(' ');
  return {
    debug: (...m: unknown[]) => log.debug(fmt(m)),
    info: (...m: unknown[]) => log.info(fmt(m)),
    warn: (...m: unknown[]) => log.warn(fmt(m)),
    error: (...m: unknown[]) => log.error(fmt(m)),
    setLevel: (l: LogLevel) => {
      level = l;
      log.level = l;
    },
    getLevel: () => level,
    setName: (name: string) => {
      log = base.child({ component: name });
    },
  };
}
export type { Logger };
