/** The PostingOutbox contract on the embedded adapter (SQLite rows, flushed to numbered files). */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMemoryDatabase } from '../../support/memory-database';
import { SqliteFileOutbox } from '../../../src/adapters/embedded/outbox';
import { postingOutboxContract, record, recordsIn } from './posting-outbox.contract';

function openOutbox() {
  const db = openMemoryDatabase();
  const directory = mkdtempSync(join(tmpdir(), 'ledgerline-outbox-contract-'));
  const outbox = new SqliteFileOutbox(db, directory);
  const files = () =>
    readdirSync(directory)
      .filter((name) => name.endsWith('.txt'))
      .sort();
  return { db, outbox, directory, files };
}

postingOutboxContract({
  name: 'SqliteFileOutbox',
  runs: 40,
  open: async () => {
    const { db, outbox, directory, files } = openOutbox();
    return {
      outbox,
      objects: async () => {
        outbox.flush();
        return files().map((name) => readFileSync(join(directory, name), 'utf8'));
      },
      failWritesHolding: (recordId) => {
        db.exec('DROP TRIGGER IF EXISTS temp.fail_outbox');
        if (recordId !== undefined) {
          db.exec(`CREATE TEMP TRIGGER fail_outbox BEFORE INSERT ON posting_outbox WHEN NEW.record_id = '${recordId.replace(/'/g, "''")}' BEGIN SELECT RAISE(ABORT, 'injected outage'); END`);
        }
      },
    };
  },
});

describe('SqliteFileOutbox (embedded specifics)', () => {
  it('writes every record exactly once over all files, whatever the re-deliveries, in insertion order', async () => {
    const { outbox, directory, files } = openOutbox();
    const pool = Array.from({ length: 10 }, (_, n) => record(n + 1));
    await outbox.writeBatch([pool[2]!, pool[0]!, pool[5]!]);
    outbox.flush();
    await outbox.writeBatch([pool[0]!, pool[1]!, pool[2]!, pool[9]!]);
    await outbox.writeBatch([pool[1]!]);
    outbox.flush();
    const held = files().map((name) => recordsIn(readFileSync(join(directory, name), 'utf8')));
    expect(held).toEqual([[pool[2]!, pool[0]!, pool[5]!].map((r) => r.recordId), [pool[1]!, pool[9]!].map((r) => r.recordId)]);
  });
});
