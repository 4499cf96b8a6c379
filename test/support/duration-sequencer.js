/**
 * Jest's test order for a run with no timing cache (a clean clone, CI): the slowest suites first,
 * by the checked-in durations of test/support/suite-durations.json, so the two workers of a
 * two-core box finish together instead of one starting a two-minute suite as the other goes idle.
 * Where Jest has its own cache (a second local run) its timings win; a suite it failed last time
 * still runs first; a suite in neither (a new file) runs early, biggest file first, as Jest does.
 *
 * Refresh the list after a full run with `node test/support/suite-durations.js <jest --json output>`.
 */
const { readFileSync } = require('node:fs');
const { join, relative } = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

const ROOT = join(__dirname, '..', '..');

function checkedInDurations() {
  try {
    return JSON.parse(readFileSync(join(__dirname, 'suite-durations.json'), 'utf8')).seconds;
  } catch {
    return {};
  }
}

class DurationSequencer extends Sequencer {
  sort(tests) {
    const listed = checkedInDurations();
    const seconds = (test) => {
      const cached = this.time(test);
      if (cached != null) return cached / 1000;
      const known = listed[relative(ROOT, test.path).split('\\').join('/')];
      return typeof known === 'number' ? known : undefined;
    };
    const size = (test) => test.context.hasteFS.getSize(test.path) ?? 0;
    const keyed = tests.map((test) => ({ test, failed: this.hasFailed(test), seconds: seconds(test), size: size(test) }));
    keyed.sort((a, b) => {
      if (a.failed !== b.failed) return a.failed ? -1 : 1;
      const knownA = a.seconds !== undefined;
      const knownB = b.seconds !== undefined;
      if (knownA !== knownB) return knownA ? 1 : -1; // an unknown suite may be long: start it early
      if (knownA && a.seconds !== b.seconds) return b.seconds - a.seconds;
      if (a.size !== b.size) return b.size - a.size;
      return a.test.path < b.test.path ? -1 : 1;
    });
    return keyed.map((entry) => entry.test);
  }
}

module.exports = DurationSequencer;
