/** The WorkbenchStore contract on the embedded adapter (SQLite in memory). */
import { workbenchStoreContract } from './workbench-store.contract';
import { memoryStore } from '../../recon/workbench/helpers';

workbenchStoreContract({ name: 'SqliteWorkbenchStore', open: async () => memoryStore() });
