export * from './diagnose.js';
export * from './env.js';
export * from './errors.js';
export * from './failure.js';
export * from './finding.js';
export * from './names.js';
export * from './queue.js';
export * from './target.js';
