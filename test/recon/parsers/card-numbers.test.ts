/**
 * PCI-1, PCI-2, PCI-3 at the statement readers, with the shared PAN spelling generator
 * (test/support/pan-spellings.ts):
 *   - a card number in any free-text field (narratives, :86:, remittance information, 16 text,
 *     CSV description, names), in any spelling, never leaves a reader: no parsed field holds its
 *     digits;
 *   - a card number standing alone in an identifier field (account, statement id, references,
 *     end-to-end id) is masked too (PCI-2 identifier evidence);
 *   - numbers that are not card numbers stay visible in identifier fields: Luhn-valid bank
 *     references, long references, IBANs (the balance PCI-2 asks for);
 *   - a refusal never quotes the field: a card number in a field that breaks the grammar (an
 *     MT940 :61: amount was the reported case) is in neither the error, the bad-input message nor
 *     the quarantine reason.
 */
import * as fc from 'fast-check';
import { parseStatementFile, type StatementParseOptions } from '../../../src/recon/parsers';
import { asBadInput, BadInputError } from '../../../src/recon/run/errors';
import { reasonText } from '../../../src/recon/run/quarantine';
import { StatementParseError, type ParsedStatementFile, type StatementLine } from '../../../src/recon/types';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';
import { cardPanArb, containsDigitsOf, nonCardNumberArb, panSpellingArb, PAN_SEPARATORS, SAMPLE_PANS, spellPan, type DigitForm, type PanSpelling } from '../../support/pan-spellings';
import { tempDir } from './support/fixtures';
import { bai2, BAI2_DEFAULTS, camt, camtDetails, camtEntry, csv, csvProfile, mt940 } from './support/statements';

interface Input {
  text: string;
  options?: StatementParseOptions;
}

interface Field {
  name: string;
  put: (value: string) => Input;
  /** The parsed field, for the fields that must keep non-card numbers visible. */
  read?: (line: StatementLine, file: ParsedStatementFile) => string | undefined;
}

/** One physical line: the line-based formats cannot hold a line break inside a field. */
const oneLine = (text: string): string => text.replace(/[\r\n]+/g, ' ').trim() || 'x';
const xml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const l61 = '2401020102C1,00NTRFCREF//BREF';
const firstLine = (f: ParsedStatementFile): StatementLine => f.statements[0]!.lines[0]!;

const FREE_TEXT: Field[] = [
  { name: 'MT940 :86: narrative', put: (v) => ({ text: mt940({ entries: [{ l61: [l61], l86: [oneLine(v)] }] }) }) },
  { name: 'MT940 :86: SVWZ+', put: (v) => ({ text: mt940({ entries: [{ l61: [l61], l86: [`166?00GUTSCHRIFT?20SVWZ+${oneLine(v)}`] }] }) }) },
  {
    name: 'MT940 :86: SVWZ+ split across ?20/?21 subfields',
    put: (v) => {
      const t = oneLine(v);
      const half = Math.floor(t.length / 2);
      return { text: mt940({ entries: [{ l61: [l61], l86: [`166?00GUTSCHRIFT?20SVWZ+${t.slice(0, half)}?21${t.slice(half)}`] }] }) };
    },
  },
  { name: 'MT940 :86: ?32 counterparty', put: (v) => ({ text: mt940({ entries: [{ l61: [l61], l86: [`166?00GUTSCHRIFT?32${oneLine(v)}`] }] }) }) },
  { name: 'MT940 :86: over two lines', put: (v) => ({ text: mt940({ entries: [{ l61: [l61], l86: ['Zahlung', oneLine(v)] }] }) }) },
  { name: 'BAI2 16 text', put: (v) => ({ text: bai2({ details: [{ ...BAI2_DEFAULTS.details[0]!, text: `${oneLine(v)} .` }, BAI2_DEFAULTS.details[1]!] }) }) },
  { name: 'BAI2 16 text on an 88 continuation', put: (v) => ({ text: bai2({ details: [{ ...BAI2_DEFAULTS.details[0]!, text: 'Wire', more: [`${oneLine(v)} .`] }, BAI2_DEFAULTS.details[1]!] }) }) },
  { name: 'CSV description', put: (v) => ({ text: csv([{ description: v }]), options: { profile: csvProfile() } }) },
  { name: 'CSV counterparty', put: (v) => ({ text: csv([{ counterparty: v }]), options: { profile: csvProfile() } }) },
  { name: 'camt Ustrd', put: (v) => ({ text: camt({ entries: [camtEntry('1.00', 'CRDT', camtDetails({ ustrd: [xml(v)] }))] }) }) },
  { name: 'camt AddtlNtryInf', put: (v) => ({ text: camt({ entries: [camtEntry('1.00', 'CRDT', `<AddtlNtryInf>${xml(v)}</AddtlNtryInf>`)] }) }) },
  { name: 'camt debtor Nm', put: (v) => ({ text: camt({ entries: [camtEntry('1.00', 'CRDT', camtDetails({ name: xml(v) }))] }) }) },
];

const IDENTIFIERS: Field[] = [
  { name: 'MT940 :20: (statement id)', put: (v) => ({ text: mt940({ ref: oneLine(v) }) }), read: (_l, f) => f.statements[0]!.statementId },
  { name: 'MT940 :25: (account)', put: (v) => ({ text: mt940({ account: oneLine(v) }) }), read: (l) => l.accountId },
  { name: 'MT940 :61: customer reference', put: (v) => ({ text: mt940({ entries: [{ l61: [`2401020102C1,00NTRF${oneLine(v)}//BREF`] }] }) }), read: (l) => l.customerReference },
  { name: 'MT940 :61: bank reference', put: (v) => ({ text: mt940({ entries: [{ l61: [`2401020102C1,00NTRFCREF//${oneLine(v)}`] }] }) }), read: (l) => l.bankReference },
  { name: 'MT940 :86: EREF+ (end-to-end id)', put: (v) => ({ text: mt940({ entries: [{ l61: [l61], l86: [`166?00GUTSCHRIFT?20EREF+${oneLine(v)}`] }] }) }), read: (l) => l.endToEndId },
  { name: 'BAI2 03 account', put: (v) => ({ text: bai2({ account: oneLine(v) }) }), read: (l) => l.accountId },
  { name: 'BAI2 16 bank reference', put: (v) => ({ text: bai2({ details: [{ ...BAI2_DEFAULTS.details[0]!, bankRef: oneLine(v) }, BAI2_DEFAULTS.details[1]!] }) }), read: (l) => l.bankReference },
  {
    name: 'BAI2 16 customer reference',
    put: (v) => ({ text: bai2({ details: [{ ...BAI2_DEFAULTS.details[0]!, custRef: oneLine(v) }, BAI2_DEFAULTS.details[1]!] }) }),
    read: (l) => l.customerReference,
  },
  { name: 'CSV account', put: (v) => ({ text: csv([{ account: v }]), options: { profile: csvProfile() } }), read: (l) => l.accountId },
  { name: 'CSV end-to-end id', put: (v) => ({ text: csv([{ e2e: v }]), options: { profile: csvProfile() } }), read: (l) => l.endToEndId },
  { name: 'CSV bank reference', put: (v) => ({ text: csv([{ bank_ref: v }]), options: { profile: csvProfile() } }), read: (l) => l.bankReference },
  { name: 'CSV customer reference', put: (v) => ({ text: csv([{ cust_ref: v }]), options: { profile: csvProfile() } }), read: (l) => l.customerReference },
  { name: 'camt Stmt/Id (statement id)', put: (v) => ({ text: camt({ stmtId: xml(v) }) }), read: (_l, f) => f.statements[0]!.statementId },
  { name: 'camt Acct/Id/IBAN (account)', put: (v) => ({ text: camt({ iban: xml(v) }) }), read: (l) => l.accountId },
  { name: 'camt AcctSvcrRef (bank reference)', put: (v) => ({ text: camt({ entries: [camtEntry('1.00', 'CRDT', camtDetails({ acctSvcrRef: xml(v) }))] }) }), read: (l) => l.bankReference },
  { name: 'camt EndToEndId', put: (v) => ({ text: camt({ entries: [camtEntry('1.00', 'CRDT', camtDetails({ e2e: xml(v) }))] }) }), read: (l) => l.endToEndId },
  { name: 'camt InstrId (customer reference)', put: (v) => ({ text: camt({ entries: [camtEntry('1.00', 'CRDT', camtDetails({ ref: xml(v) }))] }) }), read: (l) => l.customerReference },
];

/** Fields whose grammar a card number breaks: the refusal must not quote it. */
const GRAMMAR: Field[] = [
  { name: 'MT940 :61: amount', put: (v) => ({ text: mt940({ entries: [{ l61: [`2401020102C${oneLine(v)}NTRFX`] }] }) }) },
  { name: 'MT940 :61: whole', put: (v) => ({ text: mt940({ entries: [{ l61: [oneLine(v)] }] }) }) },
  { name: 'MT940 :60F:', put: (v) => ({ text: mt940({ opening: `C240101EUR${oneLine(v)}` }) }) },
  { name: 'MT940 :28C:', put: (v) => ({ text: mt940({ number: oneLine(v) }) }) },
  { name: 'MT940 text before :20:', put: (v) => ({ text: `${oneLine(v)}\n${mt940()}` }) },
  { name: 'BAI2 16 amount', put: (v) => ({ text: bai2({ details: [{ ...BAI2_DEFAULTS.details[0]!, amount: oneLine(v) }, BAI2_DEFAULTS.details[1]!] }) }) },
  { name: 'BAI2 03 summary amount', put: (v) => ({ text: bai2({ summaries: [['010', oneLine(v)]] }) }) },
  { name: 'BAI2 a record code', put: (v) => ({ text: bai2().replace('16,475', `${oneLine(v)},475`) }) },
  { name: 'CSV amount', put: (v) => ({ text: csv([{ amount: v }]), options: { profile: csvProfile() } }) },
  { name: 'CSV booking date', put: (v) => ({ text: csv([{ booking_date: v }]), options: { profile: csvProfile() } }) },
  { name: 'CSV currency', put: (v) => ({ text: csv([{ currency: v }]), options: { profile: csvProfile() } }) },
  { name: 'camt Amt', put: (v) => ({ text: camt({ entries: [camtEntry(xml(v))] }) }) },
  { name: 'camt CdtDbtInd', put: (v) => ({ text: camt({ entries: [camtEntry('1.00').replace('<CdtDbtInd>CRDT', `<CdtDbtInd>${xml(v)}`)] }) }) },
  { name: 'camt Ccy attribute', put: (v) => ({ text: camt({ entries: [camtEntry('1.00').replace('Ccy="EUR"', `Ccy="${xml(v).replace(/"/g, '&quot;')}"`)] }) }) },
  { name: 'camt namespace', put: (v) => ({ text: camt().replace('camt.053.001.08', `camt.053.${xml(v).replace(/"/g, '&quot;')}`) }) },
  { name: 'a whole file of it (unknown format)', put: (v) => ({ text: `${oneLine(v)}\n` }) },
];

const tmp = tempDir('card-numbers');
afterAll(() => tmp.cleanup());
let counter = 0;

type Outcome = { parsed: ParsedStatementFile } | { refused: StatementParseError; path: string };

async function run(input: Input): Promise<Outcome> {
  const path = tmp.write(`in-${counter++}`, input.text);
  try {
    return { parsed: await parseStatementFile(path, input.options ?? {}) };
  } catch (error) {
    if (!(error instanceof StatementParseError)) throw error;
    return { refused: error, path };
  }
}

/**
 * Nothing that leaves the reader (or its refusal, the bad-input message, the quarantine reason)
 * holds the PAN. `amounts`: a bare 16-digit run is a valid amount in some formats (BAI2, camt,
 * CSV); an amount is money, not text, and is left out of the scan.
 */
function expectNoPan(outcome: Outcome, spelling: PanSpelling, where: string, amounts = true): void {
  const seen = (text: string): boolean => containsDigitsOf(text, spelling.pan);
  if ('parsed' in outcome) {
    const fields = JSON.stringify(outcome.parsed.statements, (key, value: unknown) => (!amounts && ['amount', 'opening', 'movements', 'closing', 'difference'].includes(key) ? undefined : value));
    if (seen(fields)) throw new Error(`${where}: ${spelling.form}: the card number survived parsing`);
    return;
  }
  const bad = asBadInput(outcome.refused, outcome.path) as BadInputError;
  expect(bad).toBeInstanceOf(BadInputError);
  for (const text of [outcome.refused.message, bad.message, reasonText(bad, 'f'.repeat(64), new Date(0))]) {
    if (seen(text)) throw new Error(`${where}: ${spelling.form}: the refusal quotes the card number: ${text}`);
  }
}

/**
 * Card-scheme PANs as an identifier field would hold one: standing alone, one run or printed in
 * groups joined the way PCI-2 reads card numbers (one space, no-break space, hyphen or dash; a
 * `/`, `.`, `,` or `_` separates numbers in an identifier), in any digit script.
 */
const PCI2_JOINERS = PAN_SEPARATORS.filter((s) => /^[ \u00a0\u2010-\u2015-]$/.test(s));
const standaloneSpelling: fc.Arbitrary<PanSpelling> = cardPanArb().chain((pan) =>
  fc
    .record({
      grouped: fc.boolean(),
      separator: fc.constantFrom(...PCI2_JOINERS),
      digits: fc.constantFrom<DigitForm>('ascii', 'ascii', 'fullwidth', { zero: 0x0660 }, { zero: 0x0966 }),
    })
    .map(({ grouped, separator, digits }) => {
      const groups = grouped ? Array.from({ length: Math.ceil(pan.length / 4) }, (_, i) => Math.min(4, pan.length - 4 * i)) : undefined;
      return { pan, text: spellPan(pan, { groups, separator, digits }), form: `standalone, ${grouped ? `groups by ${JSON.stringify(separator)}` : 'one run'}, ${JSON.stringify(digits)}` };
    }),
);

describe('card numbers at the statement readers', () => {
  it.each(FREE_TEXT.map((f) => [f.name, f] as const))('free text %s: masked in every spelling (PCI-1)', async (_name, field) => {
    // The plain case parses, and the mask is in place of the digits.
    const plain = await run(field.put(`card ${SAMPLE_PANS[3]} paid`));
    if (!('parsed' in plain)) throw new Error(`${field.name}: the plain case was refused: ${plain.refused.message}`);
    expect(JSON.stringify(plain.parsed.statements)).toContain('[REDACTED-PAN]');
    expectNoPan(plain, { pan: SAMPLE_PANS[3]!, text: '', form: 'plain' }, field.name);
    await fc.assert(
      fc.asyncProperty(panSpellingArb(), async (spelling) => {
        // REC-PAN-1: digits inside an unseparated run of 20 or more (an account number such as a
        // Polish NRB) are data in a statement's free text, unless a card word is near.
        if (spelling.form.startsWith('longRun')) {
          expectNoPan(await run(field.put(`Karte ${spelling.text}`)), spelling, `${field.name} (card context)`);
          return;
        }
        expectNoPan(await run(field.put(spelling.text)), spelling, field.name);
      }),
      { numRuns: fuzzRuns(12), seed: fuzzSeed(4400 + field.name.length) },
    );
  });

  it.each(IDENTIFIERS.map((f) => [f.name, f] as const))('identifier %s: a standalone card number is masked (PCI-2)', async (_name, field) => {
    await fc.assert(
      fc.asyncProperty(standaloneSpelling, async (spelling) => expectNoPan(await run(field.put(spelling.text)), spelling, field.name)),
      { numRuns: fuzzRuns(10), seed: fuzzSeed(4500 + field.name.length) },
    );
  });

  it.each(IDENTIFIERS.map((f) => [f.name, f] as const))('identifier %s: a number that is no card number stays visible (PCI-2)', async (_name, field) => {
    let shown = 0;
    await fc.assert(
      fc.asyncProperty(
        nonCardNumberArb().filter((n) => !/[,/]/.test(n.text)),
        async (number) => {
          const outcome = await run(field.put(number.text));
          if (!('parsed' in outcome)) {
            // Only a bound (or the field's grammar) may refuse it, never as a card number.
            expect(outcome.refused.fault).not.toMatch(/REDACTED/);
            return;
          }
          shown++;
          expect(field.read!(firstLine(outcome.parsed), outcome.parsed)).toContain(number.text);
        },
      ),
      { numRuns: fuzzRuns(15), seed: fuzzSeed(4600 + field.name.length) },
    );
    expect(shown).toBeGreaterThan(0);
  });

  it.each(GRAMMAR.map((f) => [f.name, f] as const))('%s: a card number that breaks the grammar is refused without being quoted (PCI-3)', async (_name, field) => {
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(panSpellingArb(), async (spelling) => {
        const outcome = await run(field.put(spelling.text));
        if (!('parsed' in outcome)) refused++;
        expectNoPan(outcome, spelling, field.name, false);
      }),
      { numRuns: fuzzRuns(10), seed: fuzzSeed(4700 + field.name.length) },
    );
    expect(refused).toBeGreaterThan(0);
  });

  it('the reported case: a PAN in an MT940 :61: is in neither the error, the bad-input message nor the reason file', async () => {
    const pan = SAMPLE_PANS[3]!;
    const outcome = await run({ text: mt940({ entries: [{ l61: [`2401020102C${pan}NTRFX//B`] }] }) });
    if ('parsed' in outcome) throw new Error('expected a refusal');
    expect(outcome.refused.fault).toBe(':61: amount is longer than 15 characters');
    expectNoPan(outcome, { pan, text: pan, form: 'ascii' }, 'MT940 :61:');
  });
});
