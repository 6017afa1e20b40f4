/** slack-double's public API: the Web API double, a WebClient for it, the signed-request harness and Block Kit limit checks (README.md). */
export * from './block-kit.js';
export * from './client.js';
export * from './defaults.js';
export * from './harness.js';
export * from './payloads.js';
export type { NotYet, PollFailure, Predicate } from './poll.js';
export { RESPONSE_URL_LIMITS } from './response-url.js';
export * from './socket-mode.js';
export * from './types.js';
export { startSlackDouble } from './web-api-double.js';
