/**
 * Mutation testing (StrykerJS) of the pure domain core and the reconciliation matcher:
 * `npm run mutate` (CI does not run it). Narrow a run with --mutate, e.g.
 *   npm run mutate -- --mutate 'src/recon/matching/engine.ts'
 *
 * - Jest with the project's jest.config.js (SWC, no type check), limited to the tests of these
 *   areas; per-test coverage, so each mutant runs only the tests that reach it. Tests that run a
 *   whole pipeline or large data (the replay property through the embedded runtime; the matcher's
 *   determinism and labelled precision/recall sets, 3-10 s each) are left out: each would run for
 *   nearly every mutant. The score is therefore what the focused tests catch.
 * - pan.ts and ingest.ts are left out: their guards are judged by generated class tests against a
 *   plain reference reading (test/domain/pan.*.test.ts, strict-json, timestamps), which run long.
 * - Sandboxes live in .tmp/stryker (the sandbox's ../shared is linked by the npm script, so tests
 *   that read the shared fixtures by `../shared` from the working directory find them); reports
 *   in .tmp/mutation/.
 */
module.exports = {
  packageManager: 'npm',
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    configFile: 'jest.config.js',
    config: {
      roots: ['<rootDir>/test/domain', '<rootDir>/test/recon/matching'],
      testPathIgnorePatterns: [
        '/node_modules/',
        '/test/domain/pan[.]',
        '/test/domain/ingest',
        '/test/domain/replay-idempotency[.]',
        '/test/recon/matching/determinism[.]',
        '/test/recon/matching/labelled[.]',
      ],
    },
    enableFindRelatedTests: false,
  },
  coverageAnalysis: 'perTest',
  mutate: ['src/domain/**/*.ts', 'src/recon/matching/**/*.ts', '!src/domain/pan.ts', '!src/domain/ingest.ts'],
  // Static mutants (module-level code) would need every test for each one: not worth it here.
  ignoreStatic: true,
  concurrency: 2,
  // A mutant that loops forever costs this much (plus the baseline) before it counts as killed.
  timeoutMS: 5000,
  tempDirName: '.tmp/stryker',
  ignorePatterns: ['.tmp', 'cdktf.out', 'dist', 'coverage', '.state', 'bench', 'stacks', 'glue', 'workflows', 'buildspecs', 'environments'],
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: '.tmp/mutation/mutation.html' },
  jsonReporter: { fileName: '.tmp/mutation/mutation.json' },
  thresholds: { high: 90, low: 75, break: null },
};
