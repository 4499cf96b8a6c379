/** The flow facts contract on the embedded adapter set: the SQLite flow journal and stores of one state directory. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { correlationIdFor } from '../../src/domain/events';
import { isApproved } from '../../src/domain/ingest';
import { openStateDatabase } from '../../src/adapters/embedded/database';
import { SqliteDedupStore, SqliteParkedDuplicateStore } from '../../src/adapters/embedded/dedup-store';
import { SqliteFlowFacts, SqliteFlowJournal } from '../../src/adapters/embedded/flow-facts';
import { SqliteLedgerStore } from '../../src/adapters/embedded/ledger-store';
import { SqliteFileOutbox } from '../../src/adapters/embedded/outbox';
import { SqliteDecisionStore } from '../../src/adapters/embedded/rules-state';
import { SqliteTransactionStateStore } from '../../src/adapters/embedded/transaction-state-store';
import { flowFactsContract } from './flow-facts.contract';

flowFactsContract({
  name: 'embedded (SQLite flow journal and stores)',
  runs: 25,
  open: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledgerline-flow-facts-'));
    const db = openStateDatabase(dir);
    const journal = new SqliteFlowJournal(db);
    return {
      ingest: async (authorisation, ingestedAt) =>
        journal.recordIngested(authorisation, correlationIdFor(authorisation.authorizationId, authorisation.transmittedAt), isApproved(authorisation), ingestedAt),
      reject: async (event) => journal.recordRejected(event),
      dedup: new SqliteDedupStore(db),
      parking: new SqliteParkedDuplicateStore(db),
      decisions: new SqliteDecisionStore(db),
      ledger: new SqliteLedgerStore(db),
      outbox: new SqliteFileOutbox(db, join(dir, 'outbox')),
      transactions: new SqliteTransactionStateStore(db),
      reader: new SqliteFlowFacts([dir]),
      close: async () => {
        db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
});
