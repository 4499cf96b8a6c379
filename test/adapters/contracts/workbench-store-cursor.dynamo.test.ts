/**
 * The WorkbenchStore paging contract (test/recon/workbench/store-contract.ts: walks by cursor for
 * random cases, filters and page sizes, in both orders, also while cases change status) on the
 * DynamoDB adapter: dynalite with the rehearsal's TransactWriteItems, so the real key conditions
 * and index ranges run.
 */
import { DynamoWorkbenchStore } from '../../../src/adapters/aws/dynamo-workbench-store';
import { workbenchStoreCursorContract } from '../../recon/workbench/store-contract';
import { WorkbenchStandIn } from '../aws/support/workbench-standin';

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
  // Over HTTP to dynalite: fewer runs than the in-memory store's 60.
  { runs: 20 },
);
