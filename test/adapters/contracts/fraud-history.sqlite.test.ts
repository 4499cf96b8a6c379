/** The CardHistoryStore contract (FRAUD-1) on the embedded adapter (SQLite). */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { SqliteCardHistoryStore } from '../../../src/adapters/embedded/fraud-history';
import { TransientStoreError } from '../../../src/ports';
import { openMemoryDatabase } from '../../support/memory-database';
import { cardHistoryContract } from './fraud-history.contract';

cardHistoryContract({ name: 'SqliteCardHistoryStore', runs: 30, open: async () => new SqliteCardHistoryStore(openMemoryDatabase()) });

describe('SqliteCardHistoryStore on a locked database', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ledgerline-card-history-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is a TransientStoreError (retried, as velocity and decisions are), not an answer; nothing is recorded', async () => {
    const file = path.join(dir, 'state.db');
    const holder = new Database(file);
    const held = new SqliteCardHistoryStore(holder);
    const other = new Database(file, { timeout: 0 });
    const store = new SqliteCardHistoryStore(other);
    const entry = { transactionId: 'tx-1', atEpochMs: Date.parse('2026-03-01T10:00:00.000Z'), amountMinor: 1250n, merchantCountry: 'GB' };
    try {
      holder.exec('BEGIN EXCLUSIVE');
      await expect(store.recordAndRead('tok_card00001', entry, 3_600_000)).rejects.toThrow(TransientStoreError);
      holder.exec('COMMIT');
      const later = { ...entry, transactionId: 'tx-2', atEpochMs: entry.atEpochMs + 1 };
      expect((await held.recordAndRead('tok_card00001', later, 3_600_000)).map((e) => e.transactionId)).toEqual(['tx-2']);
      expect((await store.recordAndRead('tok_card00001', entry, 3_600_000)).map((e) => e.transactionId)).toEqual(['tx-1']);
    } finally {
      other.close();
      holder.close();
    }
  });
});
