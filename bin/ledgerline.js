#!/usr/bin/env node
// The `ledgerline` command. TypeScript sources run through tsx's CommonJS hook (no build step).
require('tsx/cjs/api').register();
require('../src/cli/main.ts')
  .main(process.argv)
  .catch((error) => {
    process.stderr.write(`ledgerline: ${error && error.message ? error.message : String(error)}\n`);
    process.exitCode = process.exitCode || 1;
  });
