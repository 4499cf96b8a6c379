/** Paths to the shared real-world fixtures (read in place, never copied) and to our own test files. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { toMinorUnits } from '../../../../src/domain/money';
import { StatementParseError } from '../../../../src/recon/types';

const ROOT = resolve(__dirname, '../../../..');

/** ../shared/fixtures/<path> relative to the repo root. */
export function shared(path: string): string {
  return join(ROOT, '..', 'shared', 'fixtures', path);
}

/** test/recon/parsers/fixtures/<path> */
export function own(path: string): string {
  return join(ROOT, 'test', 'recon', 'parsers', 'fixtures', path);
}

/** A temporary directory removed after the test file. */
export function tempDir(prefix: string): { dir: string; write: (name: string, content: string | Buffer) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `ledgerline-${prefix}-`));
  return {
    dir,
    write(name, content) {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `action` and returns the StatementParseError it throws (fails the test otherwise). */
export async function parseError(action: () => Promise<unknown> | unknown): Promise<StatementParseError> {
  try {
    await action();
  } catch (error) {
    if (error instanceof StatementParseError) return error;
    throw error;
  }
  throw new Error('expected a StatementParseError, but the parse succeeded');
}

/** Two decimal strings are the same amount in `currency` (compares exact minor units). */
export function sameAmount(actual: string, expected: string, currency: string): boolean {
  return toMinorUnits(normalise(actual), currency) === toMinorUnits(normalise(expected), currency);
}

/** "300" / "380115.1" / "-0.080" → a canonical decimal string (trailing fraction zeros dropped). */
export function normalise(decimal: string): string {
  const match = /^(-)?0*([0-9]+?)(?:\.([0-9]*?)0*)?$/.exec(decimal.trim());
  if (!match) throw new Error(`not a decimal: ${decimal}`);
  const [, sign = '', whole, fraction = ''] = match;
  const text = fraction ? `${whole}.${fraction}` : whole!;
  return text === '0' ? '0' : `${sign}${text}`;
}

/** Shared MT940/MT942 sample files every reader test reads (under ../shared/fixtures/mt940/). */
export const MT940_SAMPLES = [
  'betterplace/sepa_mt9401.sta',
  'betterplace/sepa_snippet.sta',
  'betterplace/with_binary_character.sta',
  'cmxl/mt940.sta',
  'mBank/mt940.sta',
  'mBank/mt942.sta',
  'mBank/with_newline_in_tnr.sta',
];
