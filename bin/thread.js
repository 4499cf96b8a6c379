// The entry of every helper thread of a run (REC-PERF-1): `workerData.threadSource` names a
// `src/**/*.thread.ts` module. Its prebuilt bundle (dist/cli/<name>.thread.js, `npm run build:cli`)
// runs while it is fresh, else the TypeScript source through tsx's CommonJS hook, exactly as
// bin/ledgerline.js does for the command, so an edited checkout never runs stale code.
const { workerData } = require('node:worker_threads');
const { basename } = require('node:path');
const { freshBundle } = require('./fresh-bundle');

const source = workerData && workerData.threadSource;
if (typeof source !== 'string' || !source.endsWith('.thread.ts')) throw new Error(`bin/thread.js: workerData.threadSource must name a .thread.ts module (got ${String(source)})`);
const bundle = freshBundle(basename(source, '.ts'));
if (bundle) require(bundle);
else {
  require('tsx/cjs/api').register();
  require(source);
}
