/**
 * The SQLite query plan of the statement SqliteWorkbenchStore prepares for a list filter: the store
 * is asked for the page while `db.prepare` is watched, and the statement it prepared is explained
 * with every parameter bound to `parameter`. A statement the store prepared before (and cached) is
 * not seen: use a filter shape not asked before.
 */
import type { SqliteWorkbenchStore } from '../../../../src/adapters/embedded/workbench-store';
import type { CaseFilter } from '../../../../src/recon/workbench/ports';
import type { openMemoryDatabase } from '../../../support/memory-database';

export async function queryPlanOf(db: ReturnType<typeof openMemoryDatabase>, store: SqliteWorkbenchStore, filter: CaseFilter, parameter: number | string = 1): Promise<string[]> {
  const prepare = db.prepare.bind(db);
  let sql = '';
  db.prepare = ((source: string) => {
    sql = source;
    return prepare(source);
  }) as typeof db.prepare;
  try {
    await store.list(filter);
  } finally {
    db.prepare = prepare;
  }
  expect(sql).not.toBe('');
  const params = (sql.match(/\?/g) ?? []).map(() => parameter);
  return prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .all(...params)
    .map((row) => (row as { detail: string }).detail);
}
