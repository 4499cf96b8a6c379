/** Shared inputs of the reconciliation run tests: the real fixtures and a ledger written to match some of their lines. */
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openStateDatabase } from '../../../src/adapters/embedded/database';
import { SqliteLedgerStore } from '../../../src/adapters/embedded/ledger-store';
import type { PostingLeg } from '../../../src/domain/events';
import { type CommittedRun, reconcile, type ReconcileOptions } from '../../../src/recon/run/reconcile';
import { RunRegistry } from '../../../src/recon/run/registry';

export const FIXTURES = resolve(__dirname, '../../../../shared/fixtures');
export const CAMT053 = join(FIXTURES, 'camt/camt053.v2.multi.statement.xml');
export const MT940 = join(FIXTURES, 'mt940/mBank/mt940.sta');
export const BAI2 = join(FIXTURES, 'bai2/sample1.txt');
export const CAMT_WRONG = join(FIXTURES, 'camt/camt053.v2.wrong.xml');
export const BAI2_UNKNOWN = join(FIXTURES, 'bai2/sample-parseError.txt');

export const LEDGER_HEADER = 'entryId,accountId,currency,amount,bookingDate,valueDate,reference,description';

/**
 * Matches some lines of CAMT053 (end-to-end ids), MT940 (bank references) and BAI2 (amount +
 * date, and a batch: the statement's 115.00 against 100.00 + 15.00), and leaves one ledger entry
 * (-77.77) unmatched.
 */
export const LEDGER_ROWS = [
  'L-CAMT-1,NL26VAYB8060476890,EUR,8.85,2014-12-31,2015-01-02,000000001,"Incoming, first statement"',
  'L-CAMT-2,NL26VAYB8060476890,EUR,-7.00,2014-12-31,2015-01-02,000000002,Outgoing',
  'L-MB-1,PL29114010810000267002001002,PLN,0.01,2017-01-19,2017-01-19,MB170119012058,mBank 1',
  'L-MB-3,PL29114010810000267002001002,PLN,0.01,2017-01-19,2017-01-19,MB170119012121,mBank 3',
  'L-BAI-1,10200123456,CAD,2035.00,2006-03-16,2006-03-16,,TFR 1020 0345678',
  'L-BAI-2,10200123456,CAD,1000.00,2006-03-17,2006-03-17,,MONTREAL',
  'L-BAI-B1,10200123456,CAD,100.00,2006-03-17,2006-03-17,,batch item 1',
  'L-BAI-B2,10200123456,CAD,15.00,2006-03-17,2006-03-17,,batch item 2',
  'L-BAI-X,10200123456,CAD,-77.77,2006-03-17,2006-03-17,,not on any statement',
];

export function writeLedger(dir: string, rows: readonly string[] = LEDGER_ROWS, name = 'ledger.csv'): string {
  const path = join(dir, name);
  writeFileSync(path, `${LEDGER_HEADER}\n${rows.join('\n')}\n`);
  return path;
}

export function copyTo(dir: string, source: string, name: string): string {
  const target = join(dir, name);
  copyFileSync(source, target);
  return target;
}

export function writeText(dir: string, name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** Everything under `dir` (relative paths, sorted; not the writer lock's files), to compare "nothing recorded". */
export function listing(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => !entry.name.startsWith('.ledgerline.lock'))
    .flatMap((entry) => (entry.isDirectory() ? [`${prefix}${entry.name}/`, ...listing(join(dir, entry.name), `${prefix}${entry.name}/`)] : [`${prefix}${entry.name}`]))
    .sort();
}

export function read(path: string): string {
  return readFileSync(path, 'utf8');
}

export function csvHeader(path: string): string {
  return read(path).split('\n')[0]!;
}

export function csvRows(path: string): Record<string, string>[] {
  const [header, ...lines] = read(path).trimEnd().split('\n');
  const columns = header!.split(',');
  return lines.filter((l) => l.length > 0).map((line) => Object.fromEntries(line.split(',').map((cell, i) => [columns[i]!, cell])));
}

/**
 * A posting-pipeline state directory whose ledger holds a few legs (through the real store):
 * ACC-0000001 (IBAN GB93LDGL67874444189555, GBP) debited 12.34 and 50.00, SETTLE-GBP-001 credited.
 */
export function writeState(dir: string): string {
  const db = openStateDatabase(dir);
  const store = new SqliteLedgerStore(db);
  const leg = (sequenceId: string, index: number, accountId: string, direction: 'DEBIT' | 'CREDIT', value: string): PostingLeg => ({
    legId: `${sequenceId}:${index}`,
    sequenceId,
    legIndex: index,
    legCount: 2,
    legType: direction === 'DEBIT' ? 'CUSTOMER_DEBIT' : 'MERCHANT_SETTLEMENT_CREDIT',
    accountId,
    direction,
    amount: { value, currency: 'GBP' },
    valueDate: '2024-01-02',
    narrative: 'CARD PAYMENT',
    authorizationId: `AUTH-${sequenceId}`,
  });
  void store.recordPostings([
    { sequenceId: 'SEQ-1', authorizationId: 'AUTH-SEQ-1', legs: [leg('SEQ-1', 1, 'ACC-0000001', 'DEBIT', '12.34'), leg('SEQ-1', 2, 'SETTLE-GBP-001', 'CREDIT', '12.34')] },
    { sequenceId: 'SEQ-2', authorizationId: 'AUTH-SEQ-2', legs: [leg('SEQ-2', 1, 'ACC-0000001', 'DEBIT', '50.00'), leg('SEQ-2', 2, 'SETTLE-GBP-001', 'CREDIT', '50.00')] },
  ]);
  db.close();
  return dir;
}

/** A small MT940 statement for ACC-0000001's IBAN (an account that IS in reference data). */
export const STATE_MT940 = [
  ':20:STMT-REFDATA-1',
  ':25:GB93LDGL67874444189555',
  ':28C:1/1',
  ':60F:C240101GBP100,00',
  ':61:2401020102D12,34NMSCNONREF//BANKREF-1',
  ':86:CARD PAYMENT',
  ':62F:C240102GBP87,66',
  '-',
  '',
].join('\r\n');

/** Runs `reconcile` and returns the committed run (fails the test when nothing new was committed). */
export async function reconciled(options: ReconcileOptions): Promise<CommittedRun> {
  const outcome = await reconcile(options);
  if (!outcome.committed) throw new Error(`expected a committed run, got nothing new: ${JSON.stringify(outcome.reuploaded)}`);
  return outcome;
}

/** The run ids the registry of `out` holds, oldest first. */
export function registryRuns(out: string): string[] {
  const registry = RunRegistry.at(out);
  try {
    return registry.runIds();
  } finally {
    registry.close();
  }
}
