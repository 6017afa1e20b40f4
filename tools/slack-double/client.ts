/** A real @slack/web-api WebClient pointed at the Web API double (or any local stand-in). */
import { type Logger, LogLevel, WebClient, type WebClientOptions } from '@slack/web-api';
import { SLACK_TEST_DEFAULTS } from './defaults.js';

/** The WebClient logs failed calls (and Slack's response_metadata.messages) at error level; tests fail calls on purpose. */
export function quietSlackLogger(): Logger {
  let level = LogLevel.ERROR;
  const noop = () => undefined;
  return {
    debug: noop,
    info: noop,
    warn: noop,
    error: noop,
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: noop,
  };
}

export interface SlackClientOptions extends WebClientOptions {
  /** Default: the double's bot token. */
  token?: string;
}

/**
 * `new WebClient(token, …)` at `double.apiUrl` with a quiet logger and fast retries (2, 10–20 ms);
 * any WebClient option (`retryConfig`, `rejectRateLimitedCalls`, `logger`) overrides those.
 */
export function slackClient(double: { apiUrl: string }, opts: SlackClientOptions = {}): WebClient {
  const { token = SLACK_TEST_DEFAULTS.botToken, ...options } = opts;
  return new WebClient(token, {
    slackApiUrl: double.apiUrl,
    logger: quietSlackLogger(),
    retryConfig: { retries: 2, minTimeout: 10, maxTimeout: 20 },
    ...options,
  });
}
