/** The BulkJobStore contract on the embedded adapter: SQLite in memory, the jobs' tables in the workbench's own database. */
import { SqliteBulkJobStore } from '../../../src/adapters/embedded/bulk-job-store';
import { SqliteWorkbenchStore } from '../../../src/adapters/embedded/workbench-store';
import { openMemoryDatabase } from '../../support/memory-database';
import { bulkJobStoreContract } from './bulk-job-store.contract';

bulkJobStoreContract({
  name: 'SqliteBulkJobStore',
  open: async () => {
    const db = openMemoryDatabase();
    return { cases: new SqliteWorkbenchStore(db), jobs: new SqliteBulkJobStore(db) };
  },
});
