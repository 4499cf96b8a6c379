/**
 * Reading a --out directory's analytics store (DuckDB recon.duckdb, src/recon/run/analytics-store.ts)
 * the way a tool does: read-only, one query.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { join } from 'node:path';
import { DUCKDB_FILE } from '../../src/recon/run/analytics-store';

/** Opens the store read-only and runs one query; rows as JSON-friendly objects. */
export async function queryStore<T = Record<string, unknown>>(out: string, sql: string): Promise<T[]> {
  const instance = await DuckDBInstance.create(join(out, DUCKDB_FILE), { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(sql);
    return reader.getRowObjectsJson() as T[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
