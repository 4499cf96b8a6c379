/**
 * The DynamoDB store (DynamoWorkbenchStore, on dynalite with the rehearsal's TransactWriteItems)
 * under the WorkbenchStore paging contract (store-contract.ts): the same walks, filters, status
 * changes between pages and refused cursors as the embedded store.
 */
import { useWorkbenchTable } from '../../adapters/aws/support/workbench-standin';
import { workbenchStoreCursorContract } from './store-contract';

const { freshStore } = useWorkbenchTable();

workbenchStoreCursorContract('DynamoWorkbenchStore', freshStore, { runs: 12 });
