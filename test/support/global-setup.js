/**
 * Jest's globalSetup: names this run's shared build directory (test/support/shared-build.ts) in
 * the environment, before Jest starts its workers (they inherit it), so a build several suites use
 * (every Lambda bundle) is made once per `jest` run instead of once per suite. Nothing is built
 * here: a run of one file that needs no build pays nothing. globalTeardown removes the directory.
 */
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

module.exports = async function globalSetup() {
  process.env.LEDGERLINE_TEST_RUN_DIR = mkdtempSync(join(tmpdir(), 'ledgerline-test-run-'));
};
