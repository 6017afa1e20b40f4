/** The policy package: the file's schema, parsing, decisions, and the run-time parts (file watching, Slack user groups, rate limits). */

export * from './debug-scope.js';
export * from './decide.js';
export * from './groups.js';
export * from './load.js';
export * from './parse.js';
export * from './probe-scope.js';
export * from './rate-limit.js';
export * from './schema.js';
