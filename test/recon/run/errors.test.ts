/**
 * How the run reports bad input (src/recon/run/errors.ts, quarantine.ts):
 *   - REC-IN-2: every reader failure becomes a BadInputError naming the file and the line
 *     (StatementParseError, a bare line syntax fault), and an operational error is not blamed on
 *     the input;
 *   - PCI-3: a BadInputError's fault, message and element, and the quarantine reason file, hold
 *     no card number even when a message quotes a field, while an IBAN or a Luhn-valid bank
 *     reference quoted there stays readable (PCI-2 identifier evidence).
 */
import * as fc from 'fast-check';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asBadInput, BadInputError, classifyFault } from '../../../src/recon/run/errors';
import { quarantine, reasonText } from '../../../src/recon/run/quarantine';
import { CsvSyntaxError } from '../../../src/recon/run/csv';
import { LineSyntaxError, StatementParseError } from '../../../src/recon/types';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';
import { cardPanArb, containsDigitsOf, ibanOf, luhnComplete, PAN_SEPARATORS, spellPan } from '../../support/pan-spellings';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ledgerline-errors-'));
  dirs.push(dir);
  return dir;
}

/** A card number as a message would quote it: standing alone, one run or printed in groups (PCI-2 reads these). */
const quotedPan = cardPanArb().chain((pan) =>
  fc
    .record({ grouped: fc.boolean(), joiner: fc.constantFrom(...PAN_SEPARATORS.filter((s) => /^[ \u00a0\u2010-\u2015-]$/.test(s))), quote: fc.constantFrom('', '"', "'", '(') })
    .map(({ grouped, joiner, quote }) => {
      const text = spellPan(pan, grouped ? { groups: Array.from({ length: Math.ceil(pan.length / 4) }, (_, i) => Math.min(4, pan.length - 4 * i)), separator: joiner } : {});
      return { pan, text: `${quote}${text}${quote === '(' ? ')' : quote}` };
    }),
);

describe('asBadInput: every reader failure names the file and the line (REC-IN-2)', () => {
  it('a StatementParseError keeps its position, filling in the file', () => {
    const bad = asBadInput(new StatementParseError({ file: '', line: 7, element: 'Document/X' }, 'amount has 3 decimal places but EUR allows 2'), '/in/x.xml') as BadInputError;
    expect(bad).toBeInstanceOf(BadInputError);
    expect(bad.position).toEqual({ file: '/in/x.xml', line: 7, element: 'Document/X' });
    expect(bad.kind).toBe('precision');
    expect(bad.message).toBe('/in/x.xml line 7 element Document/X: amount has 3 decimal places but EUR allows 2');
  });

  it('a bare line syntax fault (the XML tokenizer, the CSV record reader) becomes bad input at its line', () => {
    const csv = asBadInput(new CsvSyntaxError(4, 'a quoted cell is never closed (truncated file?)'), '/in/ledger.csv') as BadInputError;
    expect(csv).toBeInstanceOf(BadInputError);
    expect([csv.position, csv.kind]).toEqual([{ file: '/in/ledger.csv', line: 4 }, 'truncated']);
    const line = asBadInput(new LineSyntaxError(9, 'unexpected markup'), '/in/x.xml') as BadInputError;
    expect(line.message).toBe('/in/x.xml line 9: unexpected markup');
  });

  it('an operational error is not blamed on the input', () => {
    const disk = Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
    expect(asBadInput(disk, '/in/x.xml')).toBe(disk);
    const range = new RangeError('Invalid string length');
    expect(asBadInput(range, '/in/x.xml')).toBe(range);
  });

  it.each([
    ['the file does not end with </Document> (truncated file?)', 'truncated'],
    ['unknown statement format: the file starts with a digit', 'unknown-format'],
    ['camt.053.001.99 is not a supported camt version (supported: camt.053.001.01 to camt.053.001.08)', 'unknown-format'],
    ['amount has 3 decimal places but EUR allows 2', 'precision'],
    [':61: amount is longer than 15 characters', 'malformed'],
  ])('"%s" is %s', (fault, kind) => {
    expect(classifyFault(fault)).toBe(kind);
  });
});

describe('BadInputError and the quarantine reason hold no card number (PCI-3)', () => {
  it('whatever a message quotes, the card number is masked in the fault, the message, the element and the reason file', () => {
    const dir = temp();
    fc.assert(
      fc.property(quotedPan, ({ pan, text }) => {
        const file = join(dir, 'statement.sta');
        writeFileSync(file, 'content');
        const error = new BadInputError(
          file,
          { file, line: 3, element: `Document/${text}` },
          `account ${text} is not in the ledger`,
          'unknown-account',
          `account ${text} in statement file ${file} line 3 is not in the ledger`,
        );
        for (const shown of [error.fault, error.message, error.position.element ?? '', reasonText(error, 'a'.repeat(64), new Date(0))]) {
          if (containsDigitsOf(shown, pan)) throw new Error(`${text} survives in: ${shown}`);
        }
        expect(error.message).toContain('[REDACTED-PAN]');
        expect(error.message).toContain(`${file} line 3`);
      }),
      { numRuns: fuzzRuns(100), seed: fuzzSeed(8101) },
    );
  });

  it('an IBAN and a Luhn-valid bank reference quoted in a message stay readable (PCI-2)', () => {
    const iban = ibanOf('PL', '114010810000267002001002');
    const reference = luhnComplete('100000000000');
    const error = new BadInputError('/in/x.sta', { file: '/in/x.sta', line: 6 }, `account ${iban} (reference ${reference}) is not in the ledger`, 'unknown-account');
    expect(error.fault).toBe(`account ${iban} (reference ${reference}) is not in the ledger`);
    expect(reasonText(error, undefined, new Date(0))).toContain(`account ${iban} (reference ${reference})`);
  });

  it('quarantine() writes a reason file without the card number, next to the copied file, with the hash untouched', () => {
    const dir = temp();
    const source = join(dir, 'in.sta');
    writeFileSync(source, ':20:X\n');
    const pan = '4111111111111111';
    const error = new BadInputError(source, { file: source, line: 1 }, `reference ${pan} is refused`);
    const out = join(dir, 'quarantine');
    const result = quarantine(error, out, { now: new Date(0) });
    expect(readdirSync(out).sort()).toEqual(['in.sta', 'in.sta.reason.txt']);
    const reason = readFileSync(result.reasonFile, 'utf8');
    expect(containsDigitsOf(reason, pan)).toBe(false);
    expect(reason).toContain(`where: ${source} line 1`);
    expect(reason).toMatch(/^sha256: [0-9a-f]{64}$/m);
  });
});
