/**
 * Data a bundled function reads at run time travels in its bundle (NOTIFY-1): the notifier and
 * the webhook sweeper carry every notification template, byte for byte; a function that does not
 * read them carries none.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { bundleFunction, REPO_ROOT } from '../../scripts/bundle-functions';

jest.setTimeout(120_000);

function files(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as { isFile(): boolean; name: string; parentPath: string }[])
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

let out: string;
beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'bundle-data-'));
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

it.each(['notify', 'webhook-sweeper'])('%s carries every notification template beside its bundle, byte for byte', (name) => {
  bundleFunction(name, join(out, name));
  const source = join(REPO_ROOT, 'config', 'templates');
  const bundled = join(out, name, 'config', 'templates');
  const expected = files(source);
  expect(expected.length).toBeGreaterThan(10);
  expect(files(bundled)).toEqual(expected);
  for (const file of expected) expect(readFileSync(join(bundled, file)).equals(readFileSync(join(source, file)))).toBe(true);
});

it('a function that reads no templates carries none, and a stale copy is removed', () => {
  const dir = join(out, 'dedup');
  bundleFunction('notify', dir);
  expect(existsSync(join(dir, 'config', 'templates'))).toBe(true);
  bundleFunction('dedup', dir);
  expect(existsSync(join(dir, 'config', 'templates'))).toBe(false);
});
