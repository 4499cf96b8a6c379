#!/usr/bin/env node
/**
 * Writes test/support/suite-durations.json (the order test/support/duration-sequencer.js gives a
 * run with no cache) from `jest --json --outputFile=<file>` reports: each suite's wall seconds.
 * Usage: node test/support/suite-durations.js report.json [more.json …]   (later reports win; suites
 * whose file no longer exists are dropped)
 */
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');

const ROOT = join(__dirname, '..', '..');
const reports = process.argv.slice(2);
if (reports.length === 0) {
  process.stderr.write('usage: node test/support/suite-durations.js <jest --json report> [more …]\n');
  process.exit(2);
}
const target = join(__dirname, 'suite-durations.json');
let seconds = {};
try {
  seconds = JSON.parse(readFileSync(target, 'utf8')).seconds;
} catch {
  // a first list
}
for (const report of reports) {
  const { testResults } = JSON.parse(readFileSync(report, 'utf8'));
  if (!Array.isArray(testResults)) throw new Error(`${report}: not a jest --json report (no testResults)`);
  for (const result of testResults) {
    const { startTime, endTime } = result;
    if (!(endTime > startTime)) continue;
    seconds[relative(ROOT, result.name).split('\\').join('/')] = Math.round((endTime - startTime) / 100) / 10;
  }
}
// A suite whose file is gone (renamed, removed) leaves the list.
const sorted = Object.fromEntries(
  Object.entries(seconds)
    .filter(([suite]) => existsSync(join(ROOT, suite)))
    .sort(([a], [b]) => (a < b ? -1 : 1)),
);
writeFileSync(
  target,
  `${JSON.stringify({ about: 'Wall seconds per suite from a full jest run, read by test/support/duration-sequencer.js to start the slowest first.', seconds: sorted }, null, 2)}\n`,
);
process.stdout.write(`${Object.keys(sorted).length} suites in ${relative(ROOT, target)}\n`);
