/**
 * REC-1 through the local run: a camt statement with a pending entry, a booked entry for the same
 * payment and an entry in another currency. Only the booked line is matched; summary.json reports
 * the others as kept out of matching, and the balance check keeps the parser's fault.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reconcile, type CommittedRun } from '../../../src/recon/run/reconcile';
import type { RunSummary } from '../../../src/recon/run/results';
import { camt } from './support/statements';

const IBAN = 'DE89370400440532013000';
const root = mkdtempSync(join(tmpdir(), 'camt-excluded-run-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ntry = (amount: string, ccy: string, sts: string, ref: string, e2e: string) =>
  `<Ntry><Amt Ccy="${ccy}">${amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>${sts}</Cd></Sts><BookgDt><Dt>2024-03-01</Dt></BookgDt><AcctSvcrRef>${ref}</AcctSvcrRef><NtryDtls><TxDtls><Refs><EndToEndId>${e2e}</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>`;
const bal = (code: string, amount: string) => `<Bal><Tp><CdOrPrtry><Cd>${code}</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">${amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-03-01</Dt></Dt></Bal>`;

it('pending and foreign lines are reported, not matched, and the balance check says why it fails', async () => {
  const statement = join(root, 'statement.xml');
  writeFileSync(
    statement,
    camt({
      iban: IBAN,
      entries: [
        bal('OPBD', '100.00'),
        bal('CLBD', '142.00'),
        ntry('42.00', 'EUR', 'PDNG', 'R-PENDING', 'E2E-1'),
        ntry('42.00', 'EUR', 'BOOK', 'R-BOOKED', 'E2E-1'),
        ntry('5.00', 'USD', 'BOOK', 'R-USD', 'E2E-2'),
      ],
    }),
  );
  const ledger = join(root, 'ledger.csv');
  writeFileSync(
    ledger,
    'entryId,accountId,currency,amount,bookingDate,valueDate,reference,description\n' +
      `L1,${IBAN},EUR,42.00,2024-03-01,2024-03-01,E2E-1,payment\n` +
      `L2,${IBAN},USD,5.00,2024-03-01,2024-03-01,E2E-2,usd payment\n`,
  );
  const out = join(root, 'out');
  const outcome = (await reconcile({ statements: [statement], ledger: { file: ledger }, out, now: () => new Date('2026-01-01T00:00:00Z') })) as CommittedRun;
  expect(outcome.committed).toBe(true);
  const summary = JSON.parse(readFileSync(join(out, 'current', 'summary.json'), 'utf8')) as RunSummary;
  expect(summary.matched.total).toBe(1);
  const matches = readFileSync(join(out, 'current', 'matches.csv'), 'utf8')
    .trim()
    .split('\n');
  expect(matches).toHaveLength(2);
  expect(matches[1]).toContain(',R-BOOKED,L1,');
  expect(summary.excludedFromMatching?.counts).toEqual({ FOREIGN_CURRENCY: 1, PENDING: 1 });
  expect(summary.excludedFromMatching?.lines.map((l) => [l.reason, l.detail])).toEqual([
    ['PENDING', 'status PDNG: not booked'],
    ['FOREIGN_CURRENCY', 'entry in USD, the account in EUR'],
  ]);
  // The USD ledger entry has no line to match: it stays open rather than being matched to the flagged line.
  expect(summary.unmatchedStatement).toBe(0);
  expect(summary.unmatchedLedger).toBe(1);
  expect(summary.balanceChecks).toEqual([expect.objectContaining({ ok: false, movements: '42.00', fault: expect.stringContaining('1 booked entry in USD') })]);
  expect(outcome.json.balanceChecks[0]).toMatchObject({ ok: false, fault: expect.stringContaining('in USD') });
});
