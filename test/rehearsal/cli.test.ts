/** `npm run rehearse` options: help, and every bad argument refused before anything boots (REH-1). */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');
const rehearse = (...args: string[]) =>
  spawnSync(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'rehearsal/rehearse.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });

test('--help prints every option and exits 0', () => {
  const run = rehearse('--help');
  expect(run.status).toBe(0);
  for (const option of ['--env', '--count', '--seed', '--duplicates', '--synth', '--bundles', '--keep', '--report', '--max-processes', '--counts']) expect(run.stdout).toContain(option);
});

test.each([
  [['--cout', '5'], /unknown argument "--cout"/],
  [['--count'], /--count needs a value/],
  [['--count', '--seed', '1'], /--count needs a value/],
  [['--count', '1e3'], /--count expects a whole number, got "1e3"/],
  [['--duplicates', '2'], /--duplicates expects a rate 0\.\.1, got "2"/],
  [['dev'], /unknown argument "dev"/],
])('%j is refused with exit 2 before anything boots', (args, message) => {
  const run = rehearse(...args);
  expect(run.status).toBe(2);
  expect(run.stderr).toMatch(message);
  expect(run.stdout).not.toContain('synthesizing');
});
