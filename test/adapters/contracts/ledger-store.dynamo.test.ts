/** The LedgerStore contract on the DynamoDB adapter, on dynalite with transactions (the rehearsal's stand-in). */
import { DynamoLedgerStore, legsFromLedgerItems } from '../../../src/adapters/aws/dynamo-ledger-store';
import { minorOf } from '../../../src/domain/money';
import { ledgerStoreContract, type RecordedLeg } from './ledger-store.contract';
import { DynamoLedgerTable, internalServerError } from './support/dynamo-ledger';

const table = new DynamoLedgerTable();

beforeAll(async () => {
  await table.start();
});

afterAll(async () => {
  await table.stop();
});

ledgerStoreContract({
  name: 'DynamoLedgerStore',
  runs: 12,
  open: async (options) => {
    table.fail = undefined;
    await table.clear();
    const store = new DynamoLedgerStore({ client: table.client, tableName: table.tableName, retryBaseDelayMs: 1, hotAccountShards: options?.hotAccountShards });
    return {
      store,
      recordedLegs: async () =>
        legsFromLedgerItems(await table.items()).map((leg): RecordedLeg => ({
          legId: leg.legId,
          sequenceId: leg.sequenceId,
          accountId: leg.accountId,
          direction: leg.direction,
          amountMinor: minorOf(leg.amount),
          currency: leg.amount.currency,
        })),
      // An outage of every transaction that updates one account's balance (the SDK sees a 500).
      failWritesTouching: (accountId) => {
        table.fail =
          accountId === undefined
            ? undefined
            : (operation, input) =>
                operation === 'TransactWriteItems' && JSON.stringify(input.TransactItems).includes(JSON.stringify({ S: `BAL#${accountId}#` }).slice(0, -2)) ? internalServerError() : undefined;
      },
    };
  },
});
