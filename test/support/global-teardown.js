/** Jest's globalTeardown: removes this run's shared build directory (test/support/global-setup.js). */
const { rmSync } = require('node:fs');

module.exports = async function globalTeardown() {
  const dir = process.env.LEDGERLINE_TEST_RUN_DIR;
  if (dir && process.env.LEDGERLINE_KEEP_TEMP !== '1') rmSync(dir, { recursive: true, force: true });
};
