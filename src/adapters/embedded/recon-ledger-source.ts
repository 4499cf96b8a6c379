/**
 * The embedded ledger sources of a reconciliation run (REC-1, ports/reconciliation.ts LedgerSource):
 *
 * - the posting pipeline's state (`--state DIR`): the legs posting recorded, read through the
 *   posting ledger adapter (./ledger-store.ts `postedLegs`), one LedgerEntry per leg (credit = +,
 *   debit = -; entryId = leg id; reference = the authorisation id, else the sequence id; booking
 *   date = value date), for the accounts the statements name. A statement account resolves
 *   through reference data by IBAN or by account id ("account X is not in reference data"
 *   otherwise); the entries then carry the statement's identifier so both sides partition alike.
 *   Bank-internal accounts (FX positions, fee income) are never on a statement and so never in scope.
 * - a ledger file (`--ledger FILE`, CSV or NDJSON: src/recon/run/ledger-file.ts). REC-PERF-1: a
 *   file of LEDGER_THREAD_MIN_BYTES or more is read on a helper thread (./ledger-file.thread.ts:
 *   the same reader), so the run's thread reads the statements meanwhile; a smaller one, or any
 *   with LEDGERLINE_MAIN_THREAD=1 (every command on one thread), is read on the caller's thread.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { LedgerSource } from '../../ports/reconciliation';
import { BadInputError } from '../../recon/run/errors';
import { ledgerFileSideOf, readLedgerFile, type LedgerFileRows, type LedgerSide } from '../../recon/run/ledger-file';
import { ledgerRowsOf, type LedgerRows } from '../../recon/ledger-rows';
import { decodeLedgerFailure, decodeLedgerRows, isLedgerThreadMessage } from './ledger-file-transfer';
import { nextMessage, startThread } from './threads';
import { entriesWithDigest, legEntry } from '../../recon/run/posted-legs';
import { partitionDirs } from '../../runtime/state-layout';
import { STATE_DB_FILE } from './database';
import { postedLegs } from './ledger-store';
import { loadReferenceData, type EmbeddedReferenceData } from './reference-data';

/** A synchronous ledger side (a file, the state) as the run's LedgerSource. */
export function ledgerSourceOf(side: LedgerSide): LedgerSource {
  const source = resolve(side.source);
  return {
    kind: side.kind,
    source,
    knows: async (accountId) => side.knows(accountId),
    unknownAccountFault: (accountId) => side.unknownAccountFault(accountId),
    unknownAccountScope: () => (side.kind === 'file' ? `the ledger ${side.source}` : 'reference data'),
    entries: async (accounts) => side.entries(accounts),
    digest: async (accounts) => side.digest(accounts),
  };
}

/**
 * Ledger files from this size up are read on a helper thread (REC-PERF-1). Below it a thread costs
 * more than it saves: starting one and loading the reader into it takes tens of milliseconds (more
 * from the TypeScript sources), about what reading 8 MB (some 90,000 rows) takes.
 */
export const LEDGER_THREAD_MIN_BYTES = 8 << 20;

export const LEDGER_FILE_THREAD = join(__dirname, 'ledger-file.thread.ts');

/**
 * A ledger file being read: `file` settles as readLedgerFile would, its entries as rows (from a
 * helper thread, the columns it sent, never rebuilt as objects: REC-PERF-1); `stop()` ends a
 * helper thread still reading (nothing else).
 */
export interface LedgerFileRead {
  /** Whether a helper thread reads it. */
  threaded: boolean;
  file: Promise<LedgerFileRows>;
  stop(): void;
}

/** Whether `path` is read on a helper thread: a file of LEDGER_THREAD_MIN_BYTES or more, unless LEDGERLINE_MAIN_THREAD=1. */
export function readsOnThread(path: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.LEDGERLINE_MAIN_THREAD === '1') return false;
  try {
    const stat = statSync(path);
    return stat.isFile() && stat.size >= LEDGER_THREAD_MIN_BYTES;
  } catch {
    // Missing, unreadable: the reader names the fault, as always.
    return false;
  }
}

/**
 * Reads the ledger file on a helper thread: readLedgerFile's result (the same entries as rows, the
 * same digest) or its failure (a BadInputError with the same file, position, kind and message). The
 * thread holds the process only while the file is awaited: it ends after sending the file, on
 * `stop()`, and with its own failure.
 */
export function readLedgerFileOnThread(path: string): LedgerFileRead {
  const worker = startThread(LEDGER_FILE_THREAD, { path });
  const stop = (): void => void worker.terminate().catch(() => undefined);
  const file = nextMessage(worker, isLedgerThreadMessage).then((message) => {
    stop();
    if (message.type === 'ledger-failure') throw decodeLedgerFailure(message);
    return decodeLedgerRows(message);
  });
  return { threaded: true, file, stop };
}

/** Starts reading a ledger file: on a helper thread when readsOnThread says so, else here. */
export function startLedgerFileRead(path: string): LedgerFileRead {
  if (readsOnThread(path)) return readLedgerFileOnThread(path);
  const file = readLedgerFile(path).then(({ entries, ...rest }) => ({ ...rest, rows: ledgerRowsOf(entries) }));
  return { threaded: false, file, stop: () => undefined };
}

/** A ledger file as the ledger source (it defines its own accounts). Bad rows: BadInputError naming the file. */
export async function fileLedgerSource(path: string): Promise<LedgerSource> {
  return ledgerSourceOf(ledgerFileSideOf(path, await startLedgerFileRead(path).file));
}

/** A ledger file being read as the ledger source: `ledger` settles as fileLedgerSource would; `stop()` ends a helper thread still reading. */
export function startFileLedgerSource(path: string): { threaded: boolean; ledger: Promise<LedgerSource>; stop(): void } {
  const read = startLedgerFileRead(path);
  return { threaded: read.threaded, ledger: read.file.then((file) => ledgerSourceOf(ledgerFileSideOf(path, file))), stop: read.stop };
}

/**
 * A ledger source whose ledger is still being read (REC-PERF-1): `kind` and `source` at once, every
 * question once `ready` settles (its failure, each time asked). The run's statements are read meanwhile.
 */
export function pendingLedgerSource(kind: LedgerSource['kind'], source: string, ready: Promise<LedgerSource>): LedgerSource {
  let loaded: LedgerSource | undefined;
  const ledger = ready.then((settled) => (loaded = settled));
  // Its failure reaches whoever asks (and the caller, through `ready`): never an unhandled rejection here.
  ledger.catch(() => undefined);
  // Asked only after knows() answered: the ledger is loaded by then.
  const now = (): LedgerSource => {
    if (!loaded) throw new Error('the ledger was asked about an account before it was read');
    return loaded;
  };
  return {
    kind,
    source,
    knows: async (accountId) => (await ledger).knows(accountId),
    unknownAccountFault: (accountId) => now().unknownAccountFault(accountId),
    unknownAccountScope: () => now().unknownAccountScope(),
    entries: async (accounts) => (await ledger).entries(accounts),
    digest: async (accounts) => (await ledger).digest(accounts),
  };
}

/**
 * The posting pipeline's state as the ledger side (synchronous: the embedded run and the
 * partitioned runtime's tests read it). Statement accounts resolve through reference data.
 */
export function stateLedgerSide(stateDir: string, referenceData: EmbeddedReferenceData): LedgerSide {
  if (!existsSync(stateDir)) throw new BadInputError(stateDir, { file: stateDir }, 'state directory does not exist (run `ledgerline post --state DIR ...` first)', 'malformed');
  // A partitioned state (src/runtime/state-layout.ts) has one ledger database per partition.
  const dbFiles = partitionDirs(stateDir).map((dir) => join(dir, STATE_DB_FILE));
  if (dbFiles.length === 0) throw new BadInputError(stateDir, { file: join(stateDir, STATE_DB_FILE) }, 'state directory has no ledger database', 'malformed');
  const byIban = new Map<string, string>();
  for (const account of [...referenceData.accounts, ...referenceData.settlementAccounts]) byIban.set(account.iban, account.accountId);
  const ledgerAccount = (statementAccount: string): string | undefined => byIban.get(statementAccount) ?? referenceData.accountSync(statementAccount)?.accountId;
  const cache = new Map<string, { entries: LedgerRows; digest: string }>();
  const load = (statementAccounts: ReadonlySet<string>) => {
    const key = [...statementAccounts].sort().join('\u0000');
    const hit = cache.get(key);
    if (hit) return hit;
    const ledgerToStatement = new Map<string, string>();
    for (const account of [...statementAccounts].sort()) {
      const resolved = ledgerAccount(account);
      if (resolved === undefined) throw new Error(`account ${account} is not in reference data`);
      if (!ledgerToStatement.has(resolved)) ledgerToStatement.set(resolved, account);
    }
    const ids = [...ledgerToStatement.keys()];
    const entries = dbFiles.flatMap((dbFile) => postedLegs(dbFile, ids).map((leg) => legEntry(leg, ledgerToStatement.get(leg.accountId)!)));
    const withDigest = entriesWithDigest(entries);
    const result = { entries: ledgerRowsOf(withDigest.entries), digest: withDigest.digest };
    cache.set(key, result);
    return result;
  };
  return {
    kind: 'state',
    source: stateDir,
    knows: (accountId) => ledgerAccount(accountId) !== undefined,
    unknownAccountFault: (accountId) => `account ${accountId} is not in reference data`,
    entries: (statementAccounts) => load(statementAccounts).entries,
    digest: (statementAccounts) => load(statementAccounts).digest,
  };
}

/** The posting pipeline's state as the run's ledger source; accounts resolve through the reference data in `referenceDataDir` (default: the bundled set). */
export function stateLedgerSource(stateDir: string, referenceDataDir?: string): LedgerSource {
  return ledgerSourceOf(stateLedgerSide(stateDir, loadReferenceData(referenceDataDir)));
}
