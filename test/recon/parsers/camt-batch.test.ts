/**
 * REC-1: a batch entry that lists its items as several TxDtls (each with its own EndToEndId and
 * amount) becomes one statement line per item when the items sum to the entry (item amount, item
 * EndToEndId, a link to the entry's reference); otherwise the entry stays whole and is flagged.
 */
import * as fc from 'fast-check';
import { matchAll } from '../../../src/recon/matching/partition';
import { defaultRuleSet } from '../../../src/recon/matching/rules';
import { parseStatementFile } from '../../../src/recon/parsers';
import { CAMT_BATCH_ITEMS } from '../../../src/recon/parsers/camt';
import { CAMT_NODES_PER_CHILD } from '../../../src/recon/parsers/limits';
import type { LedgerEntry } from '../../../src/recon/types';
import { fuzzRuns, fuzzSeed } from '../../support/fuzz';
import { tempDir } from './support/fixtures';
import { camt } from './support/statements';

const tmp = tempDir('camt-batch');
afterAll(() => tmp.cleanup());
let counter = 0;

const IBAN = 'DE89370400440532013000';
type Item = { amount: string; indicator?: 'CRDT' | 'DBIT'; e2e: string; style?: 'amt' | 'amtdtls'; ccy?: string };

function txDtls(item: Item): string {
  const ccy = item.ccy ?? 'EUR';
  const amount = item.style === 'amtdtls' ? `<AmtDtls><TxAmt><Amt Ccy="${ccy}">${item.amount}</Amt></TxAmt></AmtDtls>` : `<Amt Ccy="${ccy}">${item.amount}</Amt>`;
  const indicator = item.indicator ? `<CdtDbtInd>${item.indicator}</CdtDbtInd>` : '';
  return `<TxDtls><Refs><EndToEndId>${item.e2e}</EndToEndId></Refs>${amount}${indicator}<RltdPties><Dbtr><Nm>Payer ${item.e2e}</Nm></Dbtr></RltdPties><RmtInf><Ustrd>Invoice ${item.e2e}</Ustrd></RmtInf></TxDtls>`;
}

function batchEntry(amount: string, indicator: 'CRDT' | 'DBIT', items: Item[], nbOfTxs?: number): string {
  const btch = nbOfTxs === undefined ? '' : `<Btch><PmtInfId>PMTINF-1</PmtInfId><NbOfTxs>${nbOfTxs}</NbOfTxs></Btch>`;
  return `<Ntry><Amt Ccy="EUR">${amount}</Amt><CdtDbtInd>${indicator}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2024-03-01</Dt></BookgDt><AcctSvcrRef>BATCH-REF</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>BOOK</SubFmlyCd></Fmly></Domn></BkTxCd><NtryDtls>${btch}${items.map(txDtls).join('')}</NtryDtls></Ntry>`;
}

const bal = (code: string, amount: string, indicator = 'CRDT') =>
  `<Bal><Tp><CdOrPrtry><Cd>${code}</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">${amount}</Amt><CdtDbtInd>${indicator}</CdtDbtInd><Dt><Dt>2024-03-01</Dt></Dt></Bal>`;

async function lines(entries: string[], type: 'camt.053' | 'camt.054' = 'camt.053') {
  const file = await parseStatementFile(tmp.write(`batch-${counter++}.xml`, camt({ type, iban: IBAN, entries })));
  return { file, lines: file.statements[0]!.lines };
}

const ENTRY = 'Document/BkToCstmrStmt/Stmt[1]/Ntry[1]';

describe('camt batch entries with several TxDtls', () => {
  it('items that sum to the entry become one line each (item amount and EndToEndId, linked to the entry)', async () => {
    const items: Item[] = [
      { amount: '10.00', indicator: 'CRDT', e2e: 'E2E-A' },
      { amount: '2.50', indicator: 'CRDT', e2e: 'E2E-B', style: 'amtdtls' },
      { amount: '0.50', e2e: 'E2E-C' },
    ];
    const { file, lines: out } = await lines([bal('OPBD', '100.00'), bal('CLBD', '113.00'), batchEntry('13.00', 'CRDT', items, 3)]);
    expect(out.map((l) => [l.amount, l.endToEndId, l.bankReference, l.batchReference, l.batchItem, l.position.element])).toEqual([
      ['10.00', 'E2E-A', 'BATCH-REF', 'BATCH-REF', { index: 1, of: 3 }, `${ENTRY}/NtryDtls/TxDtls[1]`],
      ['2.50', 'E2E-B', 'BATCH-REF', 'BATCH-REF', { index: 2, of: 3 }, `${ENTRY}/NtryDtls/TxDtls[2]`],
      ['0.50', 'E2E-C', 'BATCH-REF', 'BATCH-REF', { index: 3, of: 3 }, `${ENTRY}/NtryDtls/TxDtls[3]`],
    ]);
    for (const line of out) {
      expect(line).toMatchObject({ currency: 'EUR', status: 'BOOK', bookingDate: '2024-03-01', typeCode: 'PMNT/RCDT/BOOK', customerReference: 'PMTINF-1' });
      expect(line.batchItemCount).toBeUndefined();
      expect(line.batchFault).toBeUndefined();
    }
    expect(out.map((l) => l.counterparty)).toEqual(['Payer E2E-A', 'Payer E2E-B', 'Payer E2E-C']);
    expect(out.map((l) => l.remittanceInformation)).toEqual(['Invoice E2E-A', 'Invoice E2E-B', 'Invoice E2E-C']);
    expect(new Set(out.map((l) => l.statementLineId)).size).toBe(3);
    // The entry moves the balance once.
    expect(file.statements[0]!.balance).toMatchObject({ movements: '13.00', ok: true });

    // Each item matches its own ledger entry.
    const ledger: LedgerEntry[] = items.map((item, i) => ({
      entryId: `L${i}`,
      accountId: IBAN,
      currency: 'EUR',
      amount: out[i]!.amount,
      bookingDate: '2024-03-01',
      valueDate: '2024-03-01',
      reference: item.e2e,
      description: 'x',
    }));
    const result = matchAll(out, ledger, defaultRuleSet(), '2024-03-01');
    expect(result.matches.map((m) => [m.statementLineIds, m.ledgerEntryIds])).toEqual(out.map((l, i) => [[l.statementLineId], [`L${i}`]]));
    expect(result.unmatched).toEqual([]);
  });

  it.each([
    [
      'items that do not sum',
      batchEntry('13.00', 'CRDT', [
        { amount: '10.00', e2e: 'A' },
        { amount: '2.00', e2e: 'B' },
      ]),
      2,
      'the 2 TxDtls sum to 12.00 EUR, the entry is 13.00 EUR',
    ],
    [
      'NbOfTxs that disagrees',
      batchEntry(
        '12.00',
        'CRDT',
        [
          { amount: '10.00', e2e: 'A' },
          { amount: '2.00', e2e: 'B' },
        ],
        3,
      ),
      3,
      'NbOfTxs is 3 but the entry lists 2 TxDtls',
    ],
    [
      'an item without an amount in EUR',
      batchEntry('12.00', 'CRDT', [
        { amount: '10.00', e2e: 'A' },
        { amount: '2.00', e2e: 'B', ccy: 'CHF' },
      ]),
      2,
      'TxDtls[2] has no amount in EUR',
    ],
    [
      'an item amount that is not an amount',
      batchEntry('12.00', 'CRDT', [
        { amount: '10.00', e2e: 'A' },
        { amount: '2.001', e2e: 'B' },
      ]),
      2,
      'TxDtls[2] amount is not a EUR amount',
    ],
  ])('a batch with %s stays one line, flagged', async (_, entry, count, fault) => {
    const { lines: out } = await lines([entry]);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ amount: expect.stringMatching(/^1[23]\.00$/), bankReference: 'BATCH-REF', batchItemCount: count, batchFault: fault });
    expect(out[0]!.endToEndId).toBeUndefined();
    expect(out[0]!.batchItem).toBeUndefined();
  });

  it('for any items: split exactly when they sum to the entry, and the lines always sum to the entry', async () => {
    const item = fc.record({ cents: fc.integer({ min: 1, max: 500_000 }), indicator: fc.constantFrom<'CRDT' | 'DBIT'>('CRDT', 'DBIT'), style: fc.constantFrom<'amt' | 'amtdtls'>('amt', 'amtdtls') });
    await fc.assert(
      fc.asyncProperty(fc.array(item, { minLength: 2, maxLength: 12 }), fc.integer({ min: -3, max: 3 }), async (list, delta) => {
        const sum = list.reduce((n, i) => n + (i.indicator === 'DBIT' ? -i.cents : i.cents), 0) + delta;
        fc.pre(sum !== 0);
        const text = (cents: number) => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
        const items: Item[] = list.map((i, k) => ({ amount: text(i.cents), indicator: i.indicator, style: i.style, e2e: `E${k}` }));
        const { lines: out } = await lines([batchEntry(text(Math.abs(sum)), sum < 0 ? 'DBIT' : 'CRDT', items)], 'camt.054');
        const total = out.reduce((n, l) => n + BigInt(l.amount.replace('.', '')), 0n);
        expect(total).toBe(BigInt(sum));
        if (delta === 0) {
          expect(out.map((l) => l.endToEndId)).toEqual(items.map((i) => i.e2e));
          expect(out.every((l) => l.batchReference === 'BATCH-REF' && l.batchFault === undefined)).toBe(true);
        } else {
          expect(out).toHaveLength(1);
          expect(out[0]!.batchItemCount).toBe(list.length);
          expect(out[0]!.batchFault).toMatch(/^the \d+ TxDtls sum to /);
        }
      }),
      { numRuns: fuzzRuns(40), seed: fuzzSeed(5304) },
    );
  });

  it('a batch with more elements in all than one entry may hold is still split (only one TxDtls tree is held at a time)', async () => {
    // Each TxDtls below is 9 elements: 2000 of them are 18000 elements, above CAMT_NODES_PER_CHILD.
    const n = 2000;
    expect(n * 9).toBeGreaterThan(CAMT_NODES_PER_CHILD);
    expect(n).toBeLessThanOrEqual(CAMT_BATCH_ITEMS);
    const items: Item[] = Array.from({ length: n }, (_, k) => ({ amount: '0.01', indicator: 'CRDT', e2e: `E${k}` }));
    const { lines: out } = await lines([batchEntry('20.00', 'CRDT', items, n)]);
    expect(out).toHaveLength(n);
    expect(out[n - 1]).toMatchObject({ amount: '0.01', endToEndId: `E${n - 1}`, batchItem: { index: n, of: n } });
  });
});
