import { type Logger, pino } from 'pino';

/** Paths pino must never print: credentials that can appear in errors and request options. */
export const REDACT_PATHS = [
  'token',
  '*.token',
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'err.config.headers.authorization',
  'kubeconfig',
];

/** The one logger of the cluster side; workers log with `logger.child({ jobId, cluster })`. */
export function createLogger(level = 'info', destination?: pino.DestinationStream): Logger {
  return pino(
    { name: 'poddebug-worker', level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    destination,
  );
}
export type { Logger };
