/**
 * The DynamoDB store (DynamoWorkbenchStore, on dynalite with the rehearsal's TransactWriteItems)
 * under the WorkbenchStore paging contract (store-contract.ts): the same walks, filters, status
 * changes between pages and refused cursors as the embedded store.
 */
import { DynamoWorkbenchStore } from '../../../src/adapters/aws/dynamo-workbench-store';
import { WorkbenchStandIn } from '../../adapters/aws/support/workbench-standin';
import { workbenchStoreCursorContract } from './store-contract';

const table = new WorkbenchStandIn();

beforeAll(async () => {
  await table.start();
}, 60_000);

afterAll(async () => {
  await table.stop();
});

workbenchStoreCursorContract(
  'DynamoWorkbenchStore',
  async () => {
    await table.clear();
    return new DynamoWorkbenchStore({ client: table.client, tableName: table.tableName });
  },
  { runs: 12 },
);
