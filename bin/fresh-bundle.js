// Which prebuilt bundle under dist/cli may run (REC-PERF-1): one whose every source file is older
// than it. `npm run build:cli` writes each bundle with an inputs list beside it; an edited checkout
// (a newer source), a missing build or LEDGERLINE_FROM_SOURCE=1 answers null, and the caller runs the
// TypeScript sources through tsx instead, so stale code never runs.
const { readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');

/** @param {string} name the bundle's base name in dist/cli (ledgerline, partition-worker) */
function freshBundle(name) {
  if (process.env.LEDGERLINE_FROM_SOURCE === '1') return null;
  const dir = join(__dirname, '..', 'dist', 'cli');
  try {
    const bundle = join(dir, `${name}.js`);
    const built = statSync(bundle).mtimeMs;
    const { inputs } = JSON.parse(readFileSync(join(dir, `${name}.inputs.json`), 'utf8'));
    for (const input of inputs) if (statSync(input).mtimeMs > built) return null;
    return bundle;
  } catch {
    return null;
  }
}

module.exports = { freshBundle };
