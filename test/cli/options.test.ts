import { type Command, InvalidArgumentError } from 'commander';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProgram } from '../../src/cli/main';
import { directory, positiveInteger, wholeNumber } from '../../src/cli/options';
import { runCli } from '../support/cli-in-process';

describe('whole-number CLI options', () => {
  it('parses base-10 whole numbers within the limits', () => {
    expect(wholeNumber('--port', { max: 65535 })('0')).toBe(0);
    expect(wholeNumber('--port', { max: 65535 })('65535')).toBe(65535);
    expect(positiveInteger('--count')('007')).toBe(7);
  });

  it('refuses anything else, naming the option, the range and the value', () => {
    expect(() => wholeNumber('--port', { max: 65535, hint: '0 = any free port' })('65536')).toThrow(
      new InvalidArgumentError('--port must be a whole number from 0 to 65535 (0 = any free port), got "65536"'),
    );
    expect(() => positiveInteger('--count')('0')).toThrow('--count must be a positive whole number, got "0"');
    for (const bad of ['', '-1', '1.5', '1e3', ' 2', '0x10', '9'.repeat(16)]) expect(() => wholeNumber('--n')(bad)).toThrow(`--n must be a whole number, got "${bad}"`);
  });
});

describe('directory CLI options', () => {
  const root = mkdtempSync(join(tmpdir(), 'ledgerline-options-'));
  const aFile = join(root, 'ledger.csv');
  writeFileSync(aFile, 'x\n');

  it('accepts a directory, or a path not there yet (a command creates it)', () => {
    expect(directory('--state')(root)).toBe(root);
    expect(directory('--state')(join(root, 'new'))).toBe(join(root, 'new'));
  });

  it('refuses a path that is a file, naming the option and the path', () => {
    expect(() => directory('--state')(aFile)).toThrow(new InvalidArgumentError(`--state "${aFile}" exists and is not a directory`));
  });

  it.each([
    ['post', ['--input', aFile]],
    ['demo', ['--count', '10']],
    ['serve', ['--port', '0']],
    ['ingest', ['--source', 'card-files', '--inbox', root]],
    ['authorise', ['--input', aFile]],
    ['ledger', []],
    ['sweep', []],
  ])('%s --state FILE: exit 2 naming the option and the path, and the file is untouched', async (command, extra) => {
    const result = await runCli([command, '--state', aFile, ...extra]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`--state "${aFile}" exists and is not a directory`);
    expect(readFileSync(aFile, 'utf8')).toBe('x\n');
  });

  it('every command with a --state option refuses a file there, before anything else: exit 2 naming the option and the path', async () => {
    const withState: string[][] = [];
    const walk = (command: Command, path: string[]): void => {
      if (command.options.some((option) => option.long === '--state')) withState.push(path);
      for (const sub of command.commands) walk(sub, [...path, sub.name()]);
    };
    walk(buildProgram(), []);
    expect(withState.length).toBeGreaterThan(15);
    for (const path of withState) {
      const result = await runCli([...path, '--state', aFile]);
      expect({ path, status: result.status }).toEqual({ path, status: 2 });
      expect({ path, stderr: result.stderr }).toEqual({ path, stderr: expect.stringContaining(`--state "${aFile}" exists and is not a directory`) });
    }
    expect(readFileSync(aFile, 'utf8')).toBe('x\n');
  });
});
