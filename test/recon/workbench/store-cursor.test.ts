/**
 * The embedded store (SqliteWorkbenchStore) under the WorkbenchStore paging contract
 * (store-contract.ts): keyset paging by cursor, for every filter, in both orders.
 */
import { memoryStore } from './helpers';
import { workbenchStoreCursorContract } from './store-contract';

workbenchStoreCursorContract('SqliteWorkbenchStore', async () => memoryStore(), { runs: 60 });
