import Database from 'better-sqlite3';
import type { StateDatabase } from '../../src/adapters/embedded/database';

/** A throw-away in-memory SQLite database for the embedded stores' tests. */
export function openMemoryDatabase(): StateDatabase {
  return new Database(':memory:');
}
