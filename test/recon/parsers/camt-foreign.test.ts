/**
 * REC-1: a camt statement whose entries are in another currency than its account. The balance
 * proof counts the account's currency only and says what it left out (the run's balance check
 * keeps that reason), and the foreign entries are kept out of matching with a reason.
 */
import * as fc from 'fast-check';
import { matchAll } from '../../../src/recon/matching/partition';
import { defaultRuleSet } from '../../../src/recon/matching/rules';
import { parseStatementFile } from '../../../src/recon/parsers';
import { splitBookable } from '../../support/bookable-split';
import { balanceCheck, cliSummary, type RunSummary } from '../../../src/recon/run/results';
import type { LedgerEntry } from '../../../src/recon/types';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';
import { tempDir } from './support/fixtures';
import { camt } from './support/statements';

const tmp = tempDir('camt-foreign');
afterAll(() => tmp.cleanup());
let counter = 0;

const IBAN = 'DE89370400440532013000';

const bal = (code: string, amount: string, ccy = 'EUR') =>
  `<Bal><Tp><CdOrPrtry><Cd>${code}</Cd></CdOrPrtry></Tp><Amt Ccy="${ccy}">${amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-03-01</Dt></Dt></Bal>`;
const ntry = (amount: string, ccy: string, ref: string) =>
  `<Ntry><Amt Ccy="${ccy}">${amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2024-03-01</Dt></BookgDt><AcctSvcrRef>${ref}</AcctSvcrRef><NtryDtls><TxDtls><Refs><EndToEndId>${ref}</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>`;

function ledger(id: string, amount: string, currency: string, reference: string): LedgerEntry {
  return { entryId: id, accountId: IBAN, currency, amount, bookingDate: '2024-03-01', valueDate: '2024-03-01', reference, description: 'payment' };
}

const parse = async (entries: string[]) => parseStatementFile(tmp.write(`foreign-${counter++}.xml`, camt({ iban: IBAN, entries })));

describe('camt entries in another currency than the account', () => {
  it('the balance proof names what it left out, the run keeps that reason, and the foreign entry is not matched', async () => {
    const file = await parse([bal('OPBD', '100.00'), bal('CLBD', '110.00'), ntry('10.00', 'EUR', 'E-EUR'), ntry('25.00', 'USD', 'E-USD')]);
    const statement = file.statements[0]!;
    expect(statement.currency).toBe('EUR');
    const balance = statement.balance!;
    expect(balance).toMatchObject({ opening: '100.00', movements: '10.00', closing: '110.00', difference: '0.00', ok: false });
    expect(balance.fault).toBe('1 booked entry in USD (first Document/BkToCstmrStmt/Stmt[1]/Ntry[2], total 25.00 USD) left out of the movements: the statement is in EUR');

    const check = balanceCheck(balance);
    expect(check.ok).toBe(false);
    expect(check.fault).toBe(balance.fault);
    const json = cliSummary({ matched: { total: 0, confirmed: 0, proposed: 0, byRule: {} }, balanceChecks: [check] } as unknown as RunSummary, 0, '/out');
    expect(json.balanceChecks[0]).toMatchObject({ ok: false, fault: balance.fault });

    const [eur, usd] = statement.lines;
    const { bookable, excluded } = splitBookable(file.statements);
    expect(bookable).toEqual([eur]);
    expect(excluded).toEqual([{ statementLineId: usd!.statementLineId, reason: 'FOREIGN_CURRENCY', detail: 'entry in USD, the account in EUR' }]);
    // A ledger entry that would match it exactly (same currency, amount, reference) stays open.
    const result = matchAll(bookable, [ledger('L-EUR', '10.00', 'EUR', 'E-EUR'), ledger('L-USD', '25.00', 'USD', 'E-USD')], defaultRuleSet(), '2024-03-01');
    expect(result.matches.map((m) => [m.statementLineIds, m.ledgerEntryIds])).toEqual([[[eur!.statementLineId], ['L-EUR']]]);
    expect(result.unmatched.map((u) => u.id)).toEqual(['L-USD']);
  });

  it('a balance that proves in the account currency still proves when there are no foreign entries', async () => {
    const file = await parse([bal('OPBD', '100.00'), bal('CLBD', '110.00'), ntry('10.00', 'EUR', 'E-EUR')]);
    expect(file.statements[0]!.balance).toMatchObject({ movements: '10.00', ok: true });
    expect(file.statements[0]!.balance!.fault).toBeUndefined();
    expect(splitBookable(file.statements).excluded).toEqual([]);
  });

  it('for any mix of currencies: movements are the EUR entries, every other currency is named once with its count, and exactly the non-EUR lines are excluded', async () => {
    const entries = fc.array(fc.record({ ccy: fc.constantFrom('EUR', 'USD', 'GBP', 'JPY'), cents: fc.integer({ min: 1, max: 99_999 }) }), { minLength: 1, maxLength: 8 });
    await fc.assert(
      fc.asyncProperty(entries, async (list) => {
        const amount = (e: { ccy: string; cents: number }) => (e.ccy === 'JPY' ? String(e.cents) : `${Math.floor(e.cents / 100)}.${String(e.cents % 100).padStart(2, '0')}`);
        const eurMinor = list.filter((e) => e.ccy === 'EUR').reduce((n, e) => n + BigInt(e.cents), 0n);
        const closing = 10_000n + eurMinor;
        const closingText = `${closing / 100n}.${String(closing % 100n).padStart(2, '0')}`;
        const file = await parse([bal('OPBD', '100.00'), bal('CLBD', closingText), ...list.map((e, i) => ntry(amount(e), e.ccy, `R${i}`))]);
        const balance = file.statements[0]!.balance!;
        expect(balance.difference).toBe('0.00');
        const foreign = [...new Set(list.filter((e) => e.ccy !== 'EUR').map((e) => e.ccy))].sort();
        expect(balance.ok).toBe(foreign.length === 0);
        for (const c of foreign) {
          const n = list.filter((e) => e.ccy === c).length;
          expect(balance.fault).toContain(`${n} booked entr${n === 1 ? 'y' : 'ies'} in ${c} `);
        }
        const { excluded } = splitBookable(file.statements);
        const lines = file.statements[0]!.lines;
        expect(excluded.map((e) => e.statementLineId)).toEqual(lines.filter((l) => l.currency !== 'EUR').map((l) => l.statementLineId));
        expect(excluded.every((e) => e.reason === 'FOREIGN_CURRENCY')).toBe(true);
      }),
      { numRuns: fuzzRuns(30), seed: fuzzSeed(5303) },
    );
  });
});
