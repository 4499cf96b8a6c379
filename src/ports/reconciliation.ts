/**
 * The small interfaces the reconciliation run use case (src/use-cases/reconcile-run) works over
 * (ARCH-1, REC-RUN-1). Each has an embedded adapter (src/adapters/embedded/recon-*.ts: local files,
 * SQLite, DuckDB) and an AWS adapter (src/adapters/aws/recon-*.ts: S3, DynamoDB).
 *
 * Bad input (a file that cannot be read as a statement, an unknown account) is a BadInputError
 * naming the file and the place; every other failure is operational and blames no input.
 */
import type { LedgerEntry, MatchResult, StatementLine } from '../recon/types';
import type { LedgerRows } from '../recon/ledger-rows';
import type { ParsedStatementRows, StatementRows } from '../recon/statement-rows';
import type { BadInputError } from '../recon/run/errors';
import type { StatementIdentity } from '../recon/run/statement-identity';
import type { RunSummary } from '../recon/run/results';

/** The run's configuration is wrong (a missing file, a bad rule set or profile): a usage error, no quarantine. */
export class ReconcileConfigError extends Error {
  override name = 'ReconcileConfigError';
}

// --- Statements --------------------------------------------------------------

/** A statement file read once: its bytes hashed and parsed in the same read (REC-RUN-2). */
export interface ReadStatement {
  /** The file's name as shown and stored (PCI-3: a card number in it masked). */
  name: string;
  /** SHA-256 (hex) of the bytes: the re-upload key (REC-OUT-2). */
  contentHash: string;
  /**
   * Absent when `skip(contentHash)` said the content is known (a re-upload: not parsed). Its lines
   * as rows (statement-rows.ts), so a large file's need not be objects (REC-PERF-1).
   */
  parsed?: ParsedStatementRows;
}

/** Statement files by reference (a local path, an S3 object). */
export interface StatementSource<Ref> {
  /**
   * Reads the statement once. `skip` is asked with the content hash; when it answers true the
   * source may stop there (no `parsed`). Bad input: BadInputError naming `describe(ref)`.
   */
  read(ref: Ref, skip: (contentHash: string) => boolean | Promise<boolean>): Promise<ReadStatement>;
  /** The reference as shown in progress and the audit (PCI-3: masked). */
  describe(ref: Ref): string;
}

// --- Ledger ------------------------------------------------------------------

/** The ledger side of a run: the bank's own books for the statements' accounts. */
export interface LedgerSource {
  /** 'file' (a ledger export), 'state' (the embedded posting ledger), 'journal' (the DynamoDB posting ledger). */
  kind: 'file' | 'state' | 'journal';
  /** Where the entries come from (a path, a table), for the audit. */
  source: string;
  /** Whether a statement account is known to this ledger. */
  knows(accountId: string): Promise<boolean>;
  /** "account X is not in the ledger <file>" / "... is not in reference data". */
  unknownAccountFault(accountId: string): string;
  /** What an unknown account is not in: "the ledger <file>", "reference data". */
  unknownAccountScope(): string;
  /**
   * The entries to reconcile against statements of `statementAccounts`, in a stable order,
   * PCI-3-masked; as rows (ledger-rows.ts), so a large ledger file's need not be objects (REC-PERF-1).
   */
  entries(statementAccounts: ReadonlySet<string>): Promise<LedgerRows>;
  /** A digest of the ledger input in scope (part of the run id). */
  digest(statementAccounts: ReadonlySet<string>): Promise<string>;
}

// --- Registry of committed runs ------------------------------------------------

/** A statement file a committed run reconciled. */
export interface RegisteredContent {
  contentHash: string;
  runId: string;
}

export interface RegisteredStatementRef {
  key: string;
  runId: string;
}

export interface RunRecord {
  runId: string;
  asOf: string;
  recordedAt: string;
  files: { contentHash: string; runId: string; file: string; format: string; statementLines: number }[];
  statements: (StatementIdentity & { file: string; contentHash: string })[];
  matchedLedger: MatchedLedgerEntries;
}

/** The ledger entries a run matched, with how many there are (an array is one; REC-PERF-1: a run's is produced as it is read, never held). */
export interface MatchedLedgerEntries extends Iterable<{ accountId: string; entryId: string; matchId: string }> {
  readonly length: number;
}

/**
 * The record of committed runs (REC-OUT-2/3): statement contents and identities already
 * reconciled, ledger entries already matched. Nothing is visible until commit().
 */
export interface RunRegistry {
  /** Where it lives, for the audit. */
  location: string;
  lookupContent(contentHash: string): Promise<RegisteredContent | undefined>;
  lookupStatement(identityKey: string): Promise<RegisteredStatementRef | undefined>;
  /** Keys `accountId \u0000 entryId` of ledger entries matched by committed runs. */
  reconciledLedgerKeys(accountIds: ReadonlySet<string>): Promise<Set<string>>;
  /** Committed run ids, oldest first; null when there is no registry yet (nothing to align results against). */
  runIds(): Promise<string[] | null>;
  runCount(): Promise<number>;
  stage(run: RunRecord): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

// --- Quarantine ----------------------------------------------------------------

export interface Quarantined {
  /** Where the file went (a path, an s3:// URI). */
  file: string;
  /** Where its reason went. */
  reasonFile: string;
}

/** Where bad input goes, with its reason (REC-IN-*): the file named by the error is set aside. */
export interface Quarantine<Ref> {
  quarantine(ref: Ref | undefined, error: BadInputError): Promise<Quarantined>;
}

// --- Results -----------------------------------------------------------------------

/** A run's outcome as the sinks receive it. */
export interface RecordedRun {
  runId: string;
  asOf: string;
  recordedAt: Date;
  summary: RunSummary;
  result: MatchResult;
  /** The run's statement lines in scope, as rows (REC-PERF-1: a large run's are columns, not objects). */
  statementLines: StatementRows;
  ledgerEntries: LedgerRows;
  /** The statement file (shown name) that held a line. */
  fileOf(statementLineId: string): string;
  /** A line of statementLines by its id: one index per run, shared by every sink (REC-PERF-1). */
  statementLine(statementLineId: string): StatementLine | undefined;
  /** A line's bank reference by its id, read from its row without building the line (REC-PERF-1: matches.csv names every matched line's). */
  statementBankReference?(statementLineId: string): string | undefined;
  /** The row of a line among statementLines by its id, or -1 (REC-PERF-1: the dashboard statistics read its fields there). */
  statementRow?(statementLineId: string): number;
  /** An entry of ledgerEntries by its id: one index per run, shared by every sink (REC-PERF-1). */
  ledgerEntry(entryId: string): LedgerEntry | undefined;
  audit: readonly Record<string, unknown>[];
}

/** A run's staged results: not visible until publish(). */
export interface StagedResults {
  /** Makes the results current (before the registry commits: REC-OUT-3). Returns where they are. */
  publish(): Promise<string>;
  /** After the registry committed: what follows it (an analytics commit); a failure is reported, the run stays committed. */
  settle(report: (message: string) => void): Promise<void>;
  /** Undoes stage() and publish() (before the registry commit). */
  abort(): Promise<void>;
  /** Always last: ends whatever stage() left open (an analytics transaction settle() did not commit). */
  close(): Promise<void>;
}

/** What a run's results hold of its inputs, known before it matches: its id, statement lines and ledger entries in scope. */
export interface RunInputs {
  runId: string;
  statementLines: StatementRows;
  ledgerEntries: LedgerRows;
  /** The statement file (shown name) that held a line. */
  fileOf(statementLineId: string): string;
}

/** A sink's head start on a run's results (ResultSink.begin): taken by stage() for the same run, or undone by abort(). */
export interface BegunResults {
  /** Undoes what begin() started (the run stopped before stage()); nothing is left. */
  abort(): Promise<void>;
}

export interface ResultSink {
  /** Where results go (a directory, a bucket prefix), for the audit. */
  location: string;
  /** Removes what runs the registry does not hold left behind (an interrupted run: REC-OUT-3); null: no registry yet, nothing removed. */
  align(committedRunIds: readonly string[] | null): Promise<void>;
  /**
   * REC-PERF-1: starts staging what the results hold of the run's inputs (its statement lines and
   * ledger entries) before the run matches, so that the work that follows (an analytics copy) runs
   * beside the matching. Resolves once the caller's part is done. stage() of the same run takes
   * it; a run that stops before stage() calls abort(). Nothing begun is visible.
   */
  begin?(run: RunInputs): Promise<BegunResults>;
  /** Writes a run's files + analytics, not yet visible (with what begin() started for this run, if anything). */
  stage(run: RecordedRun): Promise<StagedResults>;
  /** Nothing new was reconciled: keep the current results; the current run id, if any. */
  keepCurrent(): Promise<string | null>;
}

/** A committed run's result → workbench cases (REC-CASE-1). */
export interface CaseSink {
  record(run: RecordedRun): Promise<void>;
  /**
   * REC-PERF-1: starts raising the run's cases while its results are staged and its registry
   * commits, kept invisible until `commit` (called once the registry has committed); `abort` (the
   * run was not committed) leaves the cases as they were. A sink without it is recorded after the
   * registry commits.
   */
  prepare?(run: RecordedRun): PreparedCases;
}

/** A run's cases raised but not yet visible (CaseSink.prepare). */
export interface PreparedCases {
  /** Makes them visible; rejects (the cases are then not raised) if raising them failed. */
  commit(): Promise<void>;
  /** Leaves the cases as they were before; never rejects. */
  abort(): Promise<void>;
}
