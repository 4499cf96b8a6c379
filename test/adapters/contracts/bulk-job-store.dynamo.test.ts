/** The BulkJobStore contract on the DynamoDB adapter: the workbench table on dynalite with the rehearsal's TransactWriteItems (support/workbench-standin.ts). */
import { DynamoBulkJobStore } from '../../../src/adapters/aws/dynamo-bulk-job-store';
import { useWorkbenchTable } from '../aws/support/workbench-standin';
import { bulkJobStoreContract } from './bulk-job-store.contract';

const { table, freshStore } = useWorkbenchTable();

bulkJobStoreContract({
  name: 'DynamoBulkJobStore',
  open: async () => {
    return {
      cases: await freshStore(),
      jobs: new DynamoBulkJobStore({ client: table.client, tableName: table.tableName }),
    };
  },
});
