/** Jest only transpiles (SWC); `tsc --noEmit` type-checks once in `npm test`. */
const { availableParallelism } = require('node:os');

module.exports = {
  // Node's environment, plus: whatever a test file makes with mkdtemp is removed when the file ends.
  testEnvironment: '<rootDir>/test/support/temp-dirs-environment.js',
  // Jest's default (cores − 1) leaves one of CI's two cores idle: two workers on two cores (the clean-clone CI run of
  // 2026-12-07: 319 suites in 493 s).
  maxWorkers: Math.max(2, availableParallelism() - 1),
  // A worker's heap grows with every file it runs (module registries Jest does not free), and a suite run in a worker
  // with a large heap pays for it in collections. A worker past 400 MB of heap after a file is replaced by a fresh one
  // (measured against 1 GB: BENCHMARKS.md, "The whole test suite").
  workerIdleMemoryLimit: '400MB',
  roots: ['<rootDir>/test', '<rootDir>/src', '<rootDir>/functions', '<rootDir>/stacks'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j|mj)s$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }],
  },
  // Middy and cel-js are ESM-only: let SWC transform it to CommonJS for Jest.
  transformIgnorePatterns: ['/node_modules/(?!(@middy|@marcbachmann)/)'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  testTimeout: 60000,
  // A clean clone has no timing cache: start the slowest suites first by a checked-in list.
  testSequencer: '<rootDir>/test/support/duration-sequencer.js',
  setupFiles: ['<rootDir>/test/setup/polyfills.ts'],
  // Jest's runtime with V8's code cache: a module a worker compiled once (the AWS SDK, a function's handler loaded
  // again in a fresh registry by the IAM and function suites) is compiled from its cached data, then run afresh.
  runtime: '<rootDir>/test/support/code-cache-runtime.js',
  // Names the run's shared build directory (test/support/shared-build.ts: every Lambda bundle built once a run, not once a suite).
  globalSetup: '<rootDir>/test/support/global-setup.js',
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
};
