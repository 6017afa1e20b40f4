/** ESM all the way: @kubernetes/client-node 2.x is ESM-only, so the project is
 * "type": "module", tsc emits NodeNext ESM, and jest runs with
 * --experimental-vm-modules and transpiles TypeScript to ESM with swc. */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
        module: { type: 'es6' },
        sourceMaps: 'inline',
      },
    ],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/test/**/*.test.ts', '<rootDir>/tools/**/test/**/*.test.ts'],
  testTimeout: 30000,
  // The run's own Redis unless REDIS_URL is set (test/support/test-redis.ts).
  globalSetup: '<rootDir>/test/support/jest-global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/jest-global-teardown.mjs',
  // Not crawled: another test run's build may be swapping files in there (scripts/build.mjs).
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
};
