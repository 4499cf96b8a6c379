#!/usr/bin/env node
// The `ledgerline` command. It runs the prebuilt bundle (dist/cli/ledgerline.js, `npm run build:cli`)
// while every source file in it is older than the bundle; otherwise (an edited checkout, no build)
// it runs the TypeScript sources through tsx's CommonJS hook. Either way the same src/cli/main.ts.
const { freshBundle } = require('./fresh-bundle');

const bundle = freshBundle('ledgerline');
if (!bundle) require('tsx/cjs/api').register();
require(bundle || '../src/cli/main.ts')
  .main(process.argv)
  .catch((error) => {
    process.stderr.write(`ledgerline: ${error && error.message ? error.message : String(error)}\n`);
    process.exitCode = process.exitCode || 1;
  });
