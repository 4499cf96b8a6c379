/**
 * ADJ-1, embedded (the workbench reaches it through this recon-* file, ARCH-1): the posting state directory (`ledgerline post --state DIR`) as the workbench's
 * ledger. An adjustment is booked in the state's first partition (its ledger and its posting
 * outbox, `<partition>/outbox/postings-NNNNNNNN.txt`); `ledgerline ledger` sums every partition,
 * so an account reads as one. Each write holds the state's writer lock (LOCK-1) only while it
 * writes: while `post` runs, an approval is refused naming the holder, and nothing is booked.
 * Concurrent requests of one workbench take turns. Reads (is a sequence recorded?) take no lock. The case's account resolves through reference data
 * by IBAN or account id, as the reconciliation ledger source resolves it.
 *
 * NOTIFY-1: an approved write-off is announced (workbench.write-off-approved) through the state's
 * notify outbox (src/adapters/embedded/notify-outward.ts), which `ledgerline notify --state` drains.
 */
import { join, resolve } from 'node:path';
import { openStateDatabase, type StateDatabase } from './database';
import { acquireDirLock, DirLockedError } from './dir-lock';
import { SqliteLedgerStore } from './ledger-store';
import { SqliteFileOutbox } from './outbox';
import { SqliteOutwardEventPublisher } from './notify-outward';
import { loadReferenceData } from './reference-data';
import type { AdjustmentAccounts } from '../../domain/adjustment';
import type { LedgerAccountResolver, LedgerStore, PostingOutbox, PostingRecord, PostingSequence, RecordedSequences } from '../../ports';
import { partitionDirs } from '../../runtime/state-layout';
import type { WorkbenchLedgerDeps } from '../../use-cases/post-adjustment/post-adjustment';
import { WorkbenchError } from '../../recon/workbench/cases';

export class WorkbenchLedgerConfigError extends Error {
  override name = 'WorkbenchLedgerConfigError';
}

export interface LocalWorkbenchLedger extends WorkbenchLedgerDeps {
  /** The partition directory adjustments are booked in. */
  readonly partition: string;
  close(): void;
}

const LOCK_COMMAND = 'ledgerline workbench (booking an adjustment)';

/** The accounts of reference data by account id and by IBAN (customer and settlement accounts). */
export function referenceDataAccounts(referenceDir?: string): LedgerAccountResolver {
  const data = referenceDir ? loadReferenceData(referenceDir) : loadReferenceData();
  const byKey = new Map<string, { accountId: string; currency: string }>();
  for (const account of [...data.accounts, ...data.settlementAccounts]) {
    byKey.set(account.accountId, { accountId: account.accountId, currency: account.currency });
    if (account.iban) byKey.set(account.iban, { accountId: account.accountId, currency: account.currency });
  }
  return { ledgerAccount: async (accountId) => byKey.get(accountId) ?? byKey.get(accountId.replace(/\s+/g, '').toUpperCase()) };
}

/**
 * Opens the posting state `stateDir` as the workbench's ledger. Throws WorkbenchLedgerConfigError
 * naming the directory when it holds no posting state.
 */
export function openLocalWorkbenchLedger(stateDir: string, options: { referenceDir?: string; adjustmentAccounts?: AdjustmentAccounts } = {}): LocalWorkbenchLedger {
  const root = resolve(stateDir);
  const partitions = partitionDirs(root);
  if (partitions.length === 0) throw new WorkbenchLedgerConfigError(`--state "${stateDir}" holds no posting state (run \`ledgerline post --state ${stateDir} ...\` first)`);
  const partition = partitions[0]!;
  const db: StateDatabase = openStateDatabase(partition);
  const store = new SqliteLedgerStore(db);
  const outbox = new SqliteFileOutbox(db, join(partition, 'outbox'));

  // This workbench's own writes (concurrent requests) take turns; the directory lock keeps other commands out.
  let turn: Promise<unknown> = Promise.resolve();
  function locked<T>(work: () => Promise<T>): Promise<T> {
    const mine = turn.then(() => underDirLock(work));
    turn = mine.catch(() => undefined);
    return mine;
  }

  async function underDirLock<T>(work: () => Promise<T>): Promise<T> {
    let lock;
    try {
      lock = acquireDirLock(root, LOCK_COMMAND);
    } catch (error) {
      if (error instanceof DirLockedError)
        throw new WorkbenchError('UNAVAILABLE', `the posting state is being written by another command (${error.message}); nothing was booked. Try again when it has finished`);
      throw error;
    }
    try {
      return await work();
    } finally {
      lock.release();
    }
  }

  const ledger: LedgerStore & RecordedSequences = {
    recordPostings: (sequences: readonly PostingSequence[]) => locked(() => store.recordPostings(sequences)),
    balances: () => store.balances(),
    hasSequence: (sequenceId: string) => store.hasSequence(sequenceId),
  };
  const records: PostingOutbox = {
    // The record goes into the partition's outbox table, then to its numbered file (FR8), under the lock.
    writeBatch: (batch: readonly PostingRecord[]) =>
      locked(async () => {
        await outbox.writeBatch(batch);
        outbox.flush();
      }),
  };
  // The outbox is a file of its own (`<state>/notify/outward-events.db`): publishing takes no state lock.
  const outward = SqliteOutwardEventPublisher.open(root);
  return {
    partition,
    ledger,
    records,
    accounts: referenceDataAccounts(options.referenceDir),
    ...(options.adjustmentAccounts ? { adjustmentAccounts: options.adjustmentAccounts } : {}),
    outward,
    close: () => {
      outward.close();
      db.close();
    },
  };
}
