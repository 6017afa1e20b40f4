import { type DestinationStream, type Logger, pino } from 'pino';
import { REDACT_PATHS } from '../log.js';

export * from './chain.js';
export * from './event.js';
export {
  type AppendOnce,
  AuditAppendConflictError,
  type AuditEntry,
  AuditHeadMalformedError,
  AuditLog,
  AuditStream,
  type AuditStreamOptions,
  DEFAULT_AUDIT_KEY,
  DEFAULT_CHECKPOINT_MS,
  exportLine,
} from './stream.js';

/**
 * The audit logger: separate from debug logging and always on (level info,
 * whatever LOG_LEVEL says), one JSON line per auditable event, with the same
 * redaction as the bot's logger. Ship it to an external store.
 */
export function createAuditLogger(destination?: DestinationStream): Logger {
  return pino(
    { name: 'poddebug-audit', level: 'info', redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    destination,
  );
}
