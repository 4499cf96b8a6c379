/**
 * WB-BULK-1: the embedded BulkJobStore, tables in the workbench's own SQLite database
 * (<out>/workbench.db, opened by openWorkbenchDatabase in ./workbench-store.ts), so a job and its
 * per-case results survive a restart of the workbench:
 *   - bulk_jobs: the job as created (JSON), one row a job;
 *   - bulk_chunks: the job's cases split into chunks in order, each with its lease (owner, until,
 *     how often taken) and when it completed;
 *   - bulk_items: one row a case, its result (JSON) once recorded.
 * Each lease is one transaction (better-sqlite3 runs it synchronously: two advancers never take the
 * same chunk); a result is written only where the item has none.
 */
import { type StateDatabase, writeTransaction } from './database';
import type { BulkItem, BulkJob, BulkJobStore, BulkLease, NewBulkJob } from '../../recon/workbench/ports';

export class SqliteBulkJobStore implements BulkJobStore {
  private readonly insertJob;
  private readonly insertChunk;
  private readonly insertItem;
  private readonly jobRow;
  private readonly itemRows;
  private readonly chunkRows;
  private readonly freeChunk;
  private readonly takeChunk;
  private readonly pendingItems;
  private readonly recordItem;
  private readonly completeChunk;
  private readonly unfinishedJobs;
  private readonly createTransaction;
  private readonly leaseTransaction;

  constructor(private readonly db: StateDatabase) {
    db.exec(`CREATE TABLE IF NOT EXISTS bulk_jobs (
      job_id TEXT PRIMARY KEY,
      job_json TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS bulk_chunks (
      job_id TEXT NOT NULL,
      chunk INTEGER NOT NULL,
      lease_owner TEXT,
      lease_until INTEGER NOT NULL DEFAULT 0,
      leases INTEGER NOT NULL DEFAULT 0,
      done_at TEXT,
      PRIMARY KEY (job_id, chunk)
    );
    CREATE TABLE IF NOT EXISTS bulk_items (
      job_id TEXT NOT NULL,
      item INTEGER NOT NULL,
      chunk INTEGER NOT NULL,
      case_id TEXT NOT NULL,
      result_json TEXT,
      PRIMARY KEY (job_id, item)
    );
    CREATE INDEX IF NOT EXISTS bulk_chunks_open ON bulk_chunks (job_id) WHERE done_at IS NULL;`);
    this.insertJob = db.prepare<[string, string]>('INSERT INTO bulk_jobs (job_id, job_json) VALUES (?, ?)');
    this.insertChunk = db.prepare<[string, number]>('INSERT INTO bulk_chunks (job_id, chunk) VALUES (?, ?)');
    this.insertItem = db.prepare<[string, number, number, string]>('INSERT INTO bulk_items (job_id, item, chunk, case_id) VALUES (?, ?, ?, ?)');
    this.jobRow = db.prepare<[string], { job_json: string }>('SELECT job_json FROM bulk_jobs WHERE job_id = ?');
    this.itemRows = db.prepare<[string], { case_id: string; result_json: string }>('SELECT case_id, result_json FROM bulk_items WHERE job_id = ? AND result_json IS NOT NULL ORDER BY item');
    this.chunkRows = db.prepare<[string], { done_at: string | null }>('SELECT done_at FROM bulk_chunks WHERE job_id = ?');
    this.freeChunk = db.prepare<[string, number], { chunk: number; leases: number }>(
      'SELECT chunk, leases FROM bulk_chunks WHERE job_id = ? AND done_at IS NULL AND lease_until <= ? ORDER BY chunk LIMIT 1',
    );
    this.takeChunk = db.prepare<[string, number, string, number]>('UPDATE bulk_chunks SET lease_owner = ?, lease_until = ?, leases = leases + 1 WHERE job_id = ? AND chunk = ?');
    this.pendingItems = db.prepare<[string, number], { item: number; case_id: string }>('SELECT item, case_id FROM bulk_items WHERE job_id = ? AND chunk = ? AND result_json IS NULL ORDER BY item');
    this.recordItem = db.prepare<[string, string, number, number]>('UPDATE bulk_items SET result_json = ? WHERE job_id = ? AND chunk = ? AND item = ? AND result_json IS NULL');
    this.completeChunk = db.prepare<[string, string, number, string, number]>(
      `UPDATE bulk_chunks SET done_at = ?, lease_owner = NULL, lease_until = 0
       WHERE job_id = ? AND chunk = ? AND done_at IS NULL
         AND NOT EXISTS (SELECT 1 FROM bulk_items WHERE job_id = ? AND chunk = ? AND result_json IS NULL)`,
    );
    // Oldest first: bulk_jobs' rowid is the order of creation.
    this.unfinishedJobs = db.prepare<[number], { job_id: string }>(
      'SELECT job_id FROM bulk_jobs j WHERE EXISTS (SELECT 1 FROM bulk_chunks c WHERE c.job_id = j.job_id AND c.done_at IS NULL) ORDER BY j.rowid LIMIT ?',
    );
    this.createTransaction = writeTransaction(db, (job: NewBulkJob, chunkSize: number) => {
      this.insertJob.run(job.jobId, JSON.stringify(job));
      const chunks = Math.max(1, Math.ceil(job.caseIds.length / chunkSize));
      for (let chunk = 0; chunk < chunks; chunk += 1) this.insertChunk.run(job.jobId, chunk);
      job.caseIds.forEach((caseId, index) => this.insertItem.run(job.jobId, index, Math.floor(index / chunkSize), caseId));
    });
    this.leaseTransaction = writeTransaction(db, (jobId: string, owner: string, now: number, leaseMs: number): BulkLease | undefined => {
      const free = this.freeChunk.get(jobId, now);
      if (!free) return undefined;
      const until = now + leaseMs;
      this.takeChunk.run(owner, until, jobId, free.chunk);
      const pending = this.pendingItems.all(jobId, free.chunk).map((row) => ({ index: row.item, caseId: row.case_id }));
      return { jobId, chunk: free.chunk, owner, until, pending };
    });
  }

  async create(job: NewBulkJob, chunkSize: number): Promise<void> {
    if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`a bulk job's chunk size is a whole number ≥ 1; got ${chunkSize}`);
    this.createTransaction(job, chunkSize);
  }

  async get(jobId: string): Promise<BulkJob | undefined> {
    const row = this.jobRow.get(jobId);
    if (!row) return undefined;
    const job = JSON.parse(row.job_json) as NewBulkJob;
    const items = this.itemRows.all(jobId).map((item) => ({ caseId: item.case_id, ...(JSON.parse(item.result_json) as Omit<BulkItem, 'caseId'>) }));
    const chunks = this.chunkRows.all(jobId);
    const open = chunks.some((chunk) => chunk.done_at === null);
    const finishedAt = open
      ? undefined
      : chunks
          .map((chunk) => chunk.done_at!)
          .sort()
          .at(-1);
    return { ...job, caseIds: [...job.caseIds], items, state: open ? 'running' : 'done', ...(finishedAt ? { finishedAt } : {}) };
  }

  async lease(jobId: string, owner: string, now: number, leaseMs: number): Promise<BulkLease | undefined> {
    return this.leaseTransaction(jobId, owner, now, leaseMs);
  }

  async record(lease: BulkLease, index: number, item: BulkItem): Promise<boolean> {
    return this.recordItem.run(JSON.stringify({ ok: item.ok, message: item.message }), lease.jobId, lease.chunk, index).changes === 1;
  }

  async complete(lease: BulkLease, at: string): Promise<boolean> {
    return this.completeChunk.run(at, lease.jobId, lease.chunk, lease.jobId, lease.chunk).changes === 1;
  }

  async unfinished(limit?: number): Promise<string[]> {
    return this.unfinishedJobs.all(limit ?? -1).map((row) => row.job_id);
  }
}
