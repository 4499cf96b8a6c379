/**
 * The workbench store beside another writer of the same workbench.db (a run's case import, a second
 * workbench process): a case edit reads the case's current search text, then writes. In WAL mode a
 * transaction that begins by reading and then writes fails at once with SQLITE_BUSY_SNAPSHOT when
 * another connection committed in between; an edit must instead wait for the write lock, as any
 * write waits, and then see the latest store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteBulkJobStore } from '../../../src/adapters/embedded/bulk-job-store';
import { openWorkbenchDatabase, SqliteWorkbenchStore } from '../../../src/adapters/embedded/workbench-store';
import type { CaseEvent, ExceptionCase } from '../../../src/recon/workbench/cases';
import { exceptionCase, raisedEvent, reconciler } from '../../recon/workbench/helpers';
import { besideWriter } from './support/beside-writer';

/** The other writer's rows: small run statistics, committed one by one. */
const RUN_STATS_ROW = "INSERT INTO run_stats (run_id, stats_json) VALUES (?, '{}')";

describe('SqliteWorkbenchStore beside another writer', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'workbench-writers-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("a bulk job's chunks are each leased once, while another connection keeps committing", async () => {
    const db = openWorkbenchDatabase(dir);
    new SqliteWorkbenchStore(db);
    const jobs = new SqliteBulkJobStore(db);
    const caseIds = Array.from({ length: 200 }, (_, i) => `exception:statement:bulk:${i}`);
    await jobs.create({ jobId: 'job-1', actor: reconciler, action: { type: 'comment', note: 'checked' }, filter: 'status=OPEN', caseIds, startedAt: '2026-03-10T10:00:00.000Z' }, 1);
    const leased: number[] = [];
    const failures: string[] = [];
    const commits = await besideWriter(join(dir, 'workbench.db'), RUN_STATS_ROW, async () => {
      for (let n = 0; n < caseIds.length; n += 1) {
        try {
          const lease = await jobs.lease('job-1', `owner-${n}`, Date.parse('2026-03-10T10:00:01.000Z'), 3_600_000);
          if (lease) leased.push(lease.chunk);
        } catch (error) {
          failures.push(`lease ${n}: ${(error as { code?: string }).code ?? ''} ${(error as Error).message}`);
          break;
        }
      }
    });
    expect(commits).toBeGreaterThan(0);
    expect(failures).toEqual([]);
    expect([...leased].sort((a, b) => a - b)).toEqual(caseIds.map((_, i) => i));
    db.close();
  });

  it('every case edit is written, in order, while another connection keeps committing', async () => {
    const db = openWorkbenchDatabase(dir);
    const store = new SqliteWorkbenchStore(db);
    const raised = exceptionCase();
    await store.save(raised, raisedEvent(raised));
    const failures: string[] = [];
    const commits = await besideWriter(join(dir, 'workbench.db'), RUN_STATS_ROW, async () => {
      let current: ExceptionCase = raised;
      for (let version = 2; version <= 301; version += 1) {
        const at = new Date(Date.parse(raised.updatedAt) + version * 1000).toISOString();
        const next: ExceptionCase = { ...current, version, updatedAt: at };
        const event: CaseEvent = { caseId: next.caseId, version, action: 'comment', actor: 'rita@bank.example', at, from: 'OPEN', to: 'OPEN', note: `note ${version}` };
        try {
          await store.save(next, event);
          current = next;
        } catch (error) {
          failures.push(`v${version}: ${(error as { code?: string }).code ?? ''} ${(error as Error).message}`);
          break;
        }
      }
    });
    // The other connection really wrote beside the edits.
    expect(commits).toBeGreaterThan(0);
    expect(failures).toEqual([]);
    expect((await store.get(raised.caseId))?.version).toBe(301);
    expect((await store.history(raised.caseId)).map((event) => event.version)).toEqual(Array.from({ length: 301 }, (_, i) => i + 1));
    db.close();
  });
});
