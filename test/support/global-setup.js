/**
 * Jest's globalSetup, before Jest starts its workers (they inherit the environment):
 * - names this run's shared build directory (test/support/shared-build.ts), so a build several
 *   suites use (every Lambda bundle) is made once per `jest` run instead of once per suite. Nothing
 *   is built here: a run of one file that needs no build pays nothing. globalTeardown removes it.
 * - rebuilds the prebuilt command (dist/cli, scripts/bundle-cli.ts, REC-PERF-1) when a source file
 *   is newer than a bundle of it, as `npm ci` leaves it on CI (its `prepare`): the suites that start
 *   `ledgerline` then run the checkout's code from its bundle (0.2 s a start) instead of through tsx
 *   from the sources (bin/fresh-bundle.js, about a second a start). The suites that compare the
 *   bundle with the sources choose each themselves (LEDGERLINE_FROM_SOURCE), as before.
 */
const { spawnSync } = require('node:child_process');
const { mkdtempSync, readdirSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { freshBundle } = require('../../bin/fresh-bundle');

const ROOT = join(__dirname, '..', '..');

function staleCliBundles() {
  if (process.env.LEDGERLINE_FROM_SOURCE === '1') return [];
  let listed;
  try {
    listed = readdirSync(join(ROOT, 'dist', 'cli')).filter((name) => name.endsWith('.inputs.json'));
  } catch {
    return ['(no dist/cli)'];
  }
  if (listed.length === 0) return ['(no dist/cli)'];
  return listed.map((name) => name.slice(0, -'.inputs.json'.length)).filter((name) => freshBundle(name) === null);
}

module.exports = async function globalSetup() {
  process.env.LEDGERLINE_TEST_RUN_DIR = mkdtempSync(join(tmpdir(), 'ledgerline-test-run-'));
  const stale = staleCliBundles();
  if (stale.length > 0) {
    const build = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'scripts', 'bundle-cli.ts')], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    // Not fatal: the command then runs from its sources, as it would have without this step.
    if (build.status !== 0) process.stderr.write(`globalSetup: could not rebuild dist/cli (${stale.join(', ')} stale): ${build.stderr || build.error}\n`);
  }
};
