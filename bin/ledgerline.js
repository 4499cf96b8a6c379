#!/usr/bin/env node
// The `ledgerline` command. It runs the prebuilt bundle (dist/cli/ledgerline.js, `npm run build:cli`)
// while every source file in it is older than the bundle; otherwise (an edited checkout, no build)
// it runs the TypeScript sources through tsx's CommonJS hook. Either way the same src/cli/main.ts.
//
// The batch commands (`reconcile`, `inbox`) run on a worker thread of this same process whose young
// generation is 192 MB (semi-spaces of 64 MB, against V8's default 16 MB) (REC-PERF-1): a run allocates
// millions of short-lived lines and entries, and with small semi-spaces most of them are copied and
// promoted before they die. Measured on 1M × 1M MT940, paired against the main thread: 0.75–0.9 of
// the CPU time, within the 2 GB budget (BENCHMARKS.md). A worker, not a re-spawned node with
// `--max-semi-space-size`: one process, so kill -9, exit codes and the output directory's lock behave
// exactly as before. LEDGERLINE_MAIN_THREAD=1 runs every command on the main thread.
const { isMainThread, Worker } = require('node:worker_threads');

const BATCH_COMMANDS = new Set(['reconcile', 'inbox']);
const BATCH_YOUNG_GENERATION_MB = 192;

// A reader that stops reading (`ledgerline generate ... | head`) closes the pipe: the command's output
// ends there, quietly, with the exit code it has so far, rather than crashing with a stack trace.
// The main thread writes to the real stdout and stderr in both modes (a worker's output is forwarded to it).
if (isMainThread) {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error) => {
      if (error && error.code === 'EPIPE') process.exit(process.exitCode || 0);
      throw error;
    });
  }
}

function runHere() {
  const { freshBundle } = require('./fresh-bundle');
  const bundle = freshBundle('ledgerline');
  if (!bundle) require('tsx/cjs/api').register();
  require(bundle || '../src/cli/main.ts')
    .main(process.argv)
    .catch((error) => {
      process.stderr.write(`ledgerline: ${error && error.message ? error.message : String(error)}\n`);
      process.exitCode = process.exitCode || 1;
    });
}

if (isMainThread && BATCH_COMMANDS.has(process.argv[2]) && process.env.LEDGERLINE_MAIN_THREAD !== '1') {
  // The young generation starts at its full size rather than growing from 1 MB through the run's
  // first seconds of scavenges (REC-PERF-1: BENCHMARKS.md, eleventh pass). A V8 flag, read when an
  // isolate is made: the worker's (made next) and any thread after it (capped at its own limit).
  require('node:v8').setFlagsFromString(`--min-semi-space-size=${BATCH_YOUNG_GENERATION_MB / 3}`);
  const worker = new Worker(__filename, { argv: process.argv.slice(2), resourceLimits: { maxYoungGenerationSizeMb: BATCH_YOUNG_GENERATION_MB } });
  worker.on('error', (error) => {
    process.stderr.write(`ledgerline: ${error && error.message ? error.message : String(error)}\n`);
    process.exitCode = process.exitCode || 1;
  });
  worker.on('exit', (code) => {
    process.exitCode = process.exitCode || code;
  });
} else {
  runHere();
}
