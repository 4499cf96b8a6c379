#!/usr/bin/env node
// The `ledgerline` command. It runs the prebuilt bundle (dist/cli/ledgerline.js, `npm run build:cli`)
// while every source file in it is older than the bundle; otherwise (an edited checkout, no build)
// it runs the TypeScript sources through tsx's CommonJS hook. Either way the same src/cli/main.ts.
const { readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');

function freshBundle() {
  if (process.env.LEDGERLINE_FROM_SOURCE === '1') return null;
  const dir = join(__dirname, '..', 'dist', 'cli');
  try {
    const bundle = join(dir, 'ledgerline.js');
    const built = statSync(bundle).mtimeMs;
    const { inputs } = JSON.parse(readFileSync(join(dir, 'inputs.json'), 'utf8'));
    for (const input of inputs) if (statSync(input).mtimeMs > built) return null;
    return bundle;
  } catch {
    return null;
  }
}

const bundle = freshBundle();
if (!bundle) require('tsx/cjs/api').register();
require(bundle || '../src/cli/main.ts')
  .main(process.argv)
  .catch((error) => {
    process.stderr.write(`ledgerline: ${error && error.message ? error.message : String(error)}\n`);
    process.exitCode = process.exitCode || 1;
  });
