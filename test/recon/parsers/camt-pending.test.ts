/**
 * REC-1: camt entries that are not booked (camt.052 PDNG, camt.054 INFO, written `<Sts>PDNG</Sts>`
 * up to 001.06 or `<Sts><Cd>PDNG</Cd></Sts>` from 001.07 on) carry their status, stay out of the
 * booked balance, are kept out of matching and reported as pending: they never take the ledger
 * entry that the booked line for the same payment needs.
 */
import * as fc from 'fast-check';
import { matchAll } from '../../../src/recon/matching/partition';
import { defaultRuleSet } from '../../../src/recon/matching/rules';
import { parseStatementFile } from '../../../src/recon/parsers';
import { countExcluded } from '../../../src/recon/run/bookable';
import { splitBookable } from '../../support/bookable-split';
import type { LedgerEntry } from '../../../src/recon/types';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';
import { tempDir } from './support/fixtures';
import { camt, camtDetails } from './support/statements';

const tmp = tempDir('camt-pending');
afterAll(() => tmp.cleanup());
let counter = 0;

const IBAN = 'DE89370400440532013000';
type Spelling = 'text' | 'code' | 'none';

function entry(amount: string, status: string, spelling: Spelling, e2e: string, bankRef: string): string {
  const sts = spelling === 'none' ? '' : spelling === 'text' ? `<Sts>${status}</Sts>` : `<Sts><Cd>${status}</Cd></Sts>`;
  return `<Ntry><Amt Ccy="EUR">${amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd>${sts}<BookgDt><Dt>2024-03-01</Dt></BookgDt><AcctSvcrRef>${bankRef}</AcctSvcrRef>${camtDetails({ e2e, ref: 'INSTR1' })}</Ntry>`;
}

function ledger(amount: string, reference: string): LedgerEntry {
  return { entryId: 'L1', accountId: IBAN, currency: 'EUR', amount, bookingDate: '2024-03-01', valueDate: '2024-03-01', reference, description: 'payment' };
}

async function parse(text: string) {
  return parseStatementFile(tmp.write(`pending-${counter++}.xml`, text));
}

describe('camt pending entries', () => {
  it.each([
    ['camt.052', '001.02', 'PDNG', 'text'],
    ['camt.052', '001.08', 'PDNG', 'code'],
    ['camt.054', '001.04', 'INFO', 'text'],
    ['camt.054', '001.08', 'INFO', 'code'],
  ] as const)('%s.%s: a %s entry (%s spelling) carries its status and does not take the booked line’s ledger entry', async (type, version, status, spelling) => {
    const text = camt({ type, version, iban: IBAN, entries: [entry('42.00', status, spelling, 'E2E-SAME', 'PENDINGREF'), entry('42.00', 'BOOK', spelling, 'E2E-SAME', 'BOOKEDREF')] });
    const file = await parse(text);
    const [pending, booked] = file.statements[0]!.lines;
    expect(pending!.status).toBe(status);
    expect(booked!.status).toBe('BOOK');

    const { bookable, excluded } = splitBookable(file.statements);
    expect(bookable.map((l) => l.statementLineId)).toEqual([booked!.statementLineId]);
    expect(excluded).toEqual([{ statementLineId: pending!.statementLineId, reason: 'PENDING', detail: `status ${status}: not booked` }]);
    expect(countExcluded(excluded)).toEqual({ PENDING: 1 });

    const result = matchAll(bookable, [ledger('42.00', 'E2E-SAME')], defaultRuleSet(), '2024-03-01');
    expect(result.matches.map((m) => [m.statementLineIds, m.ledgerEntryIds])).toEqual([[[booked!.statementLineId], ['L1']]]);
    // Pending is an outcome of its own: never an exception of the matcher.
    expect(result.unmatched.map((u) => u.id)).not.toContain(pending!.statementLineId);
  });

  it('whatever the order and mix of pending and booked entries, only booked ones are matched and every pending one is reported', async () => {
    const entries = fc.array(fc.record({ status: fc.constantFrom('BOOK', 'PDNG', 'INFO', 'NONE'), spelling: fc.constantFrom<Spelling>('text', 'code') }), { minLength: 1, maxLength: 6 });
    await fc.assert(
      fc.asyncProperty(entries, async (list) => {
        // Every entry is the same payment (same amount, same end-to-end id); one ledger entry.
        const xml = camt({
          type: 'camt.052',
          version: '001.08',
          iban: IBAN,
          entries: list.map((e, i) => entry('7.50', e.status === 'NONE' ? 'BOOK' : e.status, e.status === 'NONE' ? 'none' : e.spelling, 'E2E-ONE', `REF${i}`)),
        });
        const file = await parse(xml);
        const lines = file.statements[0]!.lines;
        const { bookable, excluded } = splitBookable(file.statements);
        const pendingIds = lines.filter((_, i) => list[i]!.status === 'PDNG' || list[i]!.status === 'INFO').map((l) => l.statementLineId);
        expect(excluded.map((e) => e.statementLineId)).toEqual(pendingIds);
        expect(excluded.every((e) => e.reason === 'PENDING')).toBe(true);
        expect(bookable.length + excluded.length).toBe(lines.length);

        const result = matchAll(bookable, [ledger('7.50', 'E2E-ONE')], defaultRuleSet(), '2024-03-01');
        const matchedLines = result.matches.flatMap((m) => m.statementLineIds);
        for (const id of matchedLines) expect(pendingIds).not.toContain(id);
        // With at least one booked line, the ledger entry is matched to a booked one; with none, it stays open.
        if (bookable.length > 0) expect(result.matches.flatMap((m) => m.ledgerEntryIds)).toEqual(['L1']);
        else expect(result.unmatched).toEqual([expect.objectContaining({ side: 'ledger', id: 'L1' })]);
      }),
      { numRuns: fuzzRuns(30), seed: fuzzSeed(5302) },
    );
  });

  it('pending entries do not move the booked balance', async () => {
    const bal = (code: string, amount: string) => `<Bal><Tp><CdOrPrtry><Cd>${code}</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">${amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-03-01</Dt></Dt></Bal>`;
    const text = camt({ iban: IBAN, entries: [bal('OPBD', '100.00'), bal('CLBD', '110.00'), entry('99.00', 'PDNG', 'code', 'E1', 'R1'), entry('10.00', 'BOOK', 'code', 'E2', 'R2')] });
    const file = await parse(text);
    expect(file.statements[0]!.balance).toMatchObject({ opening: '100.00', movements: '10.00', closing: '110.00', ok: true });
  });
});
