/**
 * The LedgerSource contract on the posting ledger's DynamoDB journal (the AWS run's ledger side,
 * REC-1), on dynalite: each generated ledger row is posted as a sequence (the row's leg + a
 * balancing suspense leg) through the real DynamoLedgerStore, then read back as ledger entries.
 */
import { DynamoLedgerStore } from '../../../src/adapters/aws/dynamo-ledger-store';
import { journalLedgerSource } from '../../../src/adapters/aws/recon-ledger-source';
import type { PostingLeg } from '../../../src/domain/events';
import type { PostingSequence } from '../../../src/ports';
import { ledgerSourceContract } from './recon-ports.contract';
import { DynamoLedgerTable } from './support/dynamo-ledger';

const table = new DynamoLedgerTable();

beforeAll(async () => {
  await table.start();
});

afterAll(async () => {
  await table.stop();
});

/** A ledger row (LEDGER_HEADER columns) as a posted sequence: its leg and a balancing suspense leg. */
function sequenceOf(row: string, n: number): PostingSequence {
  const [entryId, accountId, currency, amount, , valueDate, reference, narrative] = row.split(',') as [string, string, string, string, string, string, string, string];
  const sequenceId = `0190a1b2-c3d4-7e5f-8a6b-${String(n).padStart(12, '0')}`;
  const credit = !amount.startsWith('-');
  const value = amount.replace(/^[-+]/, '');
  const leg = (legIndex: number, legId: string, account: string, direction: 'DEBIT' | 'CREDIT'): PostingLeg =>
    ({
      legId,
      sequenceId,
      legIndex,
      legCount: 2,
      legType: legIndex === 1 ? 'CUSTOMER_DEBIT' : 'MERCHANT_SETTLEMENT_CREDIT',
      accountId: account,
      direction,
      amount: { value, currency },
      valueDate,
      narrative,
      authorizationId: reference,
    }) as PostingLeg;
  return { sequenceId, authorizationId: reference, legs: [leg(1, entryId, accountId, credit ? 'CREDIT' : 'DEBIT'), leg(2, `${entryId}-S`, 'SUSPENSE-EUR', credit ? 'DEBIT' : 'CREDIT')] };
}

ledgerSourceContract({
  name: 'DynamoDB posting journal',
  open: async (rows) => {
    await table.clear();
    const store = new DynamoLedgerStore({ client: table.client, tableName: table.tableName, retryBaseDelayMs: 1 });
    await store.recordPostings(rows.map(sequenceOf));
    return journalLedgerSource(store, { source: `dynamodb://${table.tableName}` });
  },
});
