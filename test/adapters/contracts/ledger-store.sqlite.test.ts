/** The LedgerStore contract on the embedded adapter (SQLite in memory). */
import { openMemoryDatabase } from '../../support/memory-database';
import { SqliteLedgerStore } from '../../../src/adapters/embedded/ledger-store';
import { ledgerStoreContract, type RecordedLeg } from './ledger-store.contract';

ledgerStoreContract({
  name: 'SqliteLedgerStore',
  runs: 60,
  open: async (options) => {
    const db = openMemoryDatabase();
    const store = new SqliteLedgerStore(db, options);
    return {
      store,
      recordedLegs: async () =>
        (
          db.prepare('SELECT leg_id, sequence_id, account_id, direction, amount_minor, currency FROM ledger_legs').safeIntegers(true).all() as {
            leg_id: string;
            sequence_id: string;
            account_id: string;
            direction: 'DEBIT' | 'CREDIT';
            amount_minor: bigint;
            currency: string;
          }[]
        ).map((row): RecordedLeg => ({ legId: row.leg_id, sequenceId: row.sequence_id, accountId: row.account_id, direction: row.direction, amountMinor: row.amount_minor, currency: row.currency })),
      // An outage on one account's balance row: the update aborts mid-call, after the call's legs are inserted.
      failWritesTouching: (accountId) => {
        db.exec('DROP TRIGGER IF EXISTS temp.fail_insert; DROP TRIGGER IF EXISTS temp.fail_update;');
        if (accountId === undefined) return;
        const quoted = `'${accountId.replace(/'/g, "''")}'`;
        db.exec(`CREATE TEMP TRIGGER fail_insert BEFORE INSERT ON ledger_balances WHEN NEW.account_id = ${quoted} BEGIN SELECT RAISE(ABORT, 'injected outage'); END;
                 CREATE TEMP TRIGGER fail_update BEFORE UPDATE ON ledger_balances WHEN NEW.account_id = ${quoted} BEGIN SELECT RAISE(ABORT, 'injected outage'); END;`);
      },
    };
  },
});
