/** The CardHistoryStore contract (FRAUD-1) on the embedded adapter (SQLite). */
import { SqliteCardHistoryStore } from '../../../src/adapters/embedded/fraud-history';
import { openMemoryDatabase } from '../../support/memory-database';
import { cardHistoryContract } from './fraud-history.contract';

cardHistoryContract({ name: 'SqliteCardHistoryStore', runs: 30, open: async () => new SqliteCardHistoryStore(openMemoryDatabase()) });
