/** The WorkbenchStore contract on the DynamoDB adapter: dynalite with the rehearsal's TransactWriteItems (support/workbench-standin.ts). */
import { DynamoWorkbenchStore } from '../../../src/adapters/aws/dynamo-workbench-store';
import { WorkbenchStandIn } from '../aws/support/workbench-standin';
import { workbenchStoreContract } from './workbench-store.contract';

const table = new WorkbenchStandIn();

beforeAll(async () => {
  await table.start();
}, 60_000);

afterAll(async () => {
  await table.stop();
});

workbenchStoreContract({
  name: 'DynamoWorkbenchStore',
  open: async () => {
    await table.clear();
    return new DynamoWorkbenchStore({ client: table.client, tableName: table.tableName });
  },
});
