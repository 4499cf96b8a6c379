/** The BulkJobStore contract on the DynamoDB adapter: the workbench table on dynalite with the rehearsal's TransactWriteItems (support/workbench-standin.ts). */
import { DynamoBulkJobStore } from '../../../src/adapters/aws/dynamo-bulk-job-store';
import { DynamoWorkbenchStore } from '../../../src/adapters/aws/dynamo-workbench-store';
import { WorkbenchStandIn } from '../aws/support/workbench-standin';
import { bulkJobStoreContract } from './bulk-job-store.contract';

const table = new WorkbenchStandIn();

beforeAll(async () => {
  await table.start();
}, 60_000);

afterAll(async () => {
  await table.stop();
});

bulkJobStoreContract({
  name: 'DynamoBulkJobStore',
  open: async () => {
    await table.clear();
    return {
      cases: new DynamoWorkbenchStore({ client: table.client, tableName: table.tableName }),
      jobs: new DynamoBulkJobStore({ client: table.client, tableName: table.tableName }),
    };
  },
});
