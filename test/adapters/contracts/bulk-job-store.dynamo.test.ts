/** The BulkJobStore contract on the DynamoDB adapter: the workbench table on dynalite with the rehearsal's TransactWriteItems (support/workbench-standin.ts). */
import { DynamoBulkJobStore } from '../../../src/adapters/aws/dynamo-bulk-job-store';
import { WORKBENCH_INDEXES } from '../../../src/adapters/aws/tables';
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

describe('DynamoBulkJobStore: the running jobs from the bulkRunning index', () => {
  it('pages through the index, takes the finished jobs off it as it finds them, and never Scans', async () => {
    await freshStore();
    const jobs = new DynamoBulkJobStore({ client: table.client, tableName: table.tableName });
    const ids = Array.from({ length: 105 }, (_, i) => `job-${String(i).padStart(3, '0')}`);
    for (const [i, jobId] of ids.entries()) {
      await jobs.create(
        {
          jobId,
          actor: { user: 'rita', roles: ['reconciler'] },
          action: { type: 'comment', note: 'n' },
          filter: '',
          caseIds: [`exception:statement:p${i}`],
          startedAt: new Date(Date.parse('2026-03-10T10:00:00.000Z') + i * 1000).toISOString(),
        },
        1,
      );
    }
    // The 100 oldest finish (a whole first page of the index).
    for (const jobId of ids.slice(0, 100)) {
      const lease = (await jobs.lease(jobId, 'p', 0, 60_000))!;
      await jobs.record(lease, 0, { caseId: lease.pending[0]!.caseId, ok: true, message: 'ok' });
      await jobs.complete(lease, '2026-03-10T10:05:00.000Z');
    }
    const indexed = async () => (await table.items()).filter((item) => item[WORKBENCH_INDEXES.bulkRunning.partitionKey] !== undefined).length;
    expect(await indexed()).toBe(105);
    table.operations.length = 0;
    expect(await jobs.unfinished()).toEqual(ids.slice(100));
    expect(await indexed()).toBe(5);
    expect(table.operations).not.toContain('Scan');
    // Asked again, the index holds only the running ones: one page, no removal.
    table.operations.length = 0;
    expect(await jobs.unfinished(2)).toEqual(ids.slice(100, 102));
    expect(table.operations.filter((operation) => operation === 'UpdateItem')).toEqual([]);
  }, 60_000);
});
