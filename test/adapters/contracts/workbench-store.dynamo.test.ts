/** The WorkbenchStore contract on the DynamoDB adapter: dynalite with the rehearsal's TransactWriteItems (support/workbench-standin.ts). */
import { useWorkbenchTable } from '../aws/support/workbench-standin';
import { workbenchStoreContract } from './workbench-store.contract';

const { freshStore } = useWorkbenchTable();

workbenchStoreContract({
  name: 'DynamoWorkbenchStore',
  open: freshStore,
});
