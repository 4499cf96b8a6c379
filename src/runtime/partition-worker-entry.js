// Worker-thread entry of one state partition: the prebuilt bundle of partition-worker.ts
// (dist/cli/partition-worker.js, `npm run build:cli`) while it is fresh, else the TypeScript source
// through tsx's CommonJS hook (an edited checkout). A worker then starts without compiling TypeScript.
const { freshBundle } = require('../../bin/fresh-bundle');

const bundle = freshBundle('partition-worker');
if (bundle) require(bundle);
else {
  require('tsx/cjs/api').register();
  require('./partition-worker.ts');
}
