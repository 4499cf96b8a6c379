/**
 * The `reconcile` command (REC-1, embedded): statement files + a ledger side → matches,
 * exceptions, summary and audit, written atomically into --out, loaded into DuckDB, and the
 * statement files registered by content hash and statement identity. The run itself is the one
 * use case (src/use-cases/reconcile-run: admit → scope → match → record); this file wires it to
 * the embedded adapters (src/adapters/embedded/recon-*.ts) under --out's writer lock (LOCK-1).
 *
 * Bad input quarantines the file with its reason and records nothing. A failure before the
 * registry commit undoes what was done: no results, no registry entry, no DuckDB rows. The
 * registry is the record of committed runs: a run starts by pruning run directories and DuckDB
 * rows of runs it does not hold (left by an interrupted run), and by reloading a committed run
 * DuckDB lacks (a crash between the two commits) from its Parquet (REC-OUT-3).
 *
 * NOTIFY-1: with a posting state (the ledger side --state, or `notifyState`), a committed run is
 * announced (reconciliation.completed) through the state's notify outbox, never lost: its events
 * are prepared there before the registry commits and released after; a run first settles what a
 * crash left prepared for this registry (published when the registry holds the run, else dropped).
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pendingLedgerSource, startFileLedgerSource, stateLedgerSource } from '../../adapters/embedded/recon-ledger-source';
import { acquireDirLock, outDirResultSink, sqliteRunRegistry, type OutDirHooks } from '../../adapters/embedded/recon-results';
import { fileStatementSource, folderQuarantine, type ParseStatement } from '../../adapters/embedded/recon-statements';
import { workbenchCaseSink } from '../../adapters/embedded/recon-cases';
import { stateRunAnnouncer } from '../../adapters/embedded/recon-notify-outward';
import type { LedgerSource, Quarantine } from '../../ports/reconciliation';
import { reconcileRun, RejectedInputError, ReconcileConfigError, type Reupload } from '../../use-cases/reconcile-run/reconcile-run';
import { defaultRuleSet, parseRuleSet, type RuleSet } from '../matching/rules';
import type { StatementFormat } from '../types';
import { BadInputError, describePosition } from './errors';
import { AccountRegistryError, readAccountRegistry } from './account-registry';
import { cliSummary, defaultAsOf, type RunSummary } from './results';
import type { StatementEncoding } from './statements';
import type { StagingHooks } from './output-dir';

export { RejectedInputError, ReconcileConfigError, type Reupload, type ParseStatement };

/** The ledger side, and optionally the registry of accounts finance reconciles (REC-ACC-1). */
export type LedgerOption = ({ file: string } | { stateDir: string; referenceDataDir?: string }) & { accounts?: string };

export interface ReconcileOptions {
  statements: readonly string[];
  ledger: LedgerOption;
  /** A rule-set JSON file (default: config/recon/default.rules.json). */
  rulesFile?: string;
  /** CSV column-mapping profile name. */
  profile?: string;
  /** Force a format instead of detecting it. */
  format?: StatementFormat;
  /** REC-IN-7: the statement files' text encoding (default: the reader decides). */
  encoding?: StatementEncoding;
  /** YYYY-MM-DD; default: the latest booking/value date of the statement lines. */
  asOf?: string;
  out: string;
  /** Directory of registry.db (default: out). */
  registryDir?: string;
  /** Default: <out>/quarantine. */
  quarantineDir?: string;
  /** The inbox moves bad files; reconcile copies them. */
  quarantineMode?: 'copy' | 'move';
  now?: () => Date;
  /** Points where a test interrupts the commit (StagingHooks, plus the analytics load and the registry commit). */
  hooks?: StagingHooks & { afterAnalytics?(): void; beforeRegistryCommit?(): void; afterRegistryCommit?(): void };
  progress?: (message: string) => void;
  parseStatement?: ParseStatement;
  /** The caller holds --out's writer lock already (the inbox holds it for as long as it runs). */
  outLocked?: boolean;
  /** Who holds the writer lock, as a second writer is told (default `ledgerline reconcile`). */
  lockCommand?: string;
  /**
   * NOTIFY-1: the posting state whose notifier is told of committed runs (default: the ledger
   * side's --state; none for a --ledger file unless given).
   */
  notifyState?: string;
  /** The notify outbox's clock (default: `now`). */
  outboxNow?: () => Date;
  /**
   * REC-PERF-1: from this many workbench cases a run raises them on their own thread while it
   * stages and commits its results (default CASE_THREAD_FROM, 20,000; fewer are raised after the
   * registry commits, on the run's thread).
   */
  caseThreadFrom?: number;
}

/** A run was committed and is the current one. */
export interface CommittedRun {
  committed: true;
  summary: RunSummary;
  runDir: string;
  elapsedMs: number;
  /** The `--json` object. */
  json: ReturnType<typeof cliSummary> & { committed: true };
}

/** Every statement was a re-upload: nothing was committed and the current results stay (REC-OUT-2). */
export interface NothingNew {
  committed: false;
  reuploaded: Reupload[];
  /** The run whose results are current (unchanged), if any. */
  currentRunId: string | null;
  elapsedMs: number;
  /** The `--json` object: the contract fields (zero counts, runId null) plus `committed` and `current`. */
  json: ReturnType<typeof nothingNewJson>;
}

export type ReconcileOutcome = CommittedRun | NothingNew;

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The matching rule set of --rules (the default without it); a missing or bad file is a ReconcileConfigError naming it. */
export function loadRules(file: string | undefined): RuleSet {
  if (!file) return defaultRuleSet();
  if (!existsSync(file)) throw new ReconcileConfigError(`rules file "${file}" does not exist`);
  try {
    return parseRuleSet(readFileSync(file, 'utf8'), file);
  } catch (error) {
    throw new ReconcileConfigError(`rules file "${file}": ${(error as Error).message}`);
  }
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function nothingNewJson(reuploaded: Reupload[], elapsedMs: number, out: string, current: string | null) {
  return {
    statementLines: 0,
    ledgerEntries: 0,
    elapsedMs,
    matched: { total: 0, byRule: {}, confirmed: 0, proposed: 0 },
    unmatchedStatement: 0,
    unmatchedLedger: 0,
    exceptions: {},
    balanceChecks: [],
    runId: null,
    asOf: null,
    reuploaded,
    ledgerEntriesAlreadyReconciled: 0,
    out,
    committed: false as const,
    current,
  };
}

/** NOTIFY-1: the posting state whose notifier a run on these options tells (none: runs are not announced). */
function notifyStateOf(options: Pick<ReconcileOptions, 'ledger' | 'notifyState'>): string | undefined {
  return options.notifyState ?? ('stateDir' in options.ledger ? options.ledger.stateDir : undefined);
}

/**
 * NOTIFY-1: settles what a crash left prepared for the registry of these options (published when
 * the registry holds the run, dropped when it does not); every run does this first, and the inbox
 * when it starts. The caller holds --out's writer lock. Returns how many runs were announced.
 */
export async function settleAnnouncements(options: Pick<ReconcileOptions, 'ledger' | 'notifyState' | 'out' | 'registryDir' | 'progress' | 'outboxNow' | 'now'>): Promise<number> {
  const notifyState = notifyStateOf(options);
  if (notifyState === undefined) return 0;
  const registryDir = resolve(options.registryDir ?? options.out);
  const registry = sqliteRunRegistry(registryDir);
  const announcer = stateRunAnnouncer(notifyState, registryDir, options.outboxNow ?? options.now);
  try {
    return (await settleWith(announcer, registry, options.progress ?? (() => undefined))).length;
  } finally {
    announcer.close();
    registry.close();
  }
}

async function settleWith(announcer: ReturnType<typeof stateRunAnnouncer>, registry: Pick<ReturnType<typeof sqliteRunRegistry>, 'runIds'>, progress: (message: string) => void): Promise<string[]> {
  const settled = await announcer.settle(new Set((await registry.runIds()) ?? []));
  if (settled.published.length > 0) progress(`announced ${settled.published.length} committed run(s) a crash had left unannounced`);
  return settled.published;
}

export async function reconcile(options: ReconcileOptions): Promise<ReconcileOutcome> {
  const started = performance.now();
  const now = options.now ?? (() => new Date());
  const progress = options.progress ?? (() => undefined);
  const parse = options.parseStatement;
  const out = resolve(options.out);
  if (existsSync(out) && !statSync(out).isDirectory()) throw new ReconcileConfigError(`--out "${options.out}" exists and is not a directory`);
  if (options.asOf !== undefined && !DATE.test(options.asOf)) throw new ReconcileConfigError(`--as-of must be YYYY-MM-DD, got "${options.asOf}"`);
  const rules = loadRules(options.rulesFile);
  // LOCK-1: one writer per --out; a second one fails at once naming the holder (DirLockedError). Readers need no lock.
  const lock = options.outLocked ? undefined : acquireDirLock(out, options.lockCommand ?? 'ledgerline reconcile');
  try {
    return await reconcileLocked({ options, out, rules, started, now, progress, parse });
  } finally {
    lock?.release();
  }
}

/** What reconcile() settles before it takes --out's lock, handed to the steps after it. */
interface RunSetup {
  options: ReconcileOptions;
  out: string;
  rules: RuleSet;
  started: number;
  now: () => Date;
  progress: (message: string) => void;
  parse: ParseStatement | undefined;
}

async function reconcileLocked(setup: RunSetup): Promise<ReconcileOutcome> {
  const { options, out, now, progress } = setup;
  const quarantine = folderQuarantine(options.quarantineDir ?? join(out, 'quarantine'), { move: options.quarantineMode === 'move', statements: options.statements, now });
  // REC-PERF-1: a large ledger file is read on a helper thread while this thread reads the statements
  // (recon-ledger-source.ts). The outcome stays the one of reading the ledger first: a bad ledger
  // file is quarantined (copied) and no statement is quarantined nor anything recorded, whatever the
  // statements hold, because every statement quarantine, the registry's first read (before anything
  // is written) and any failure of the run first await the ledger's outcome.
  const ledgerPath = 'file' in options.ledger ? options.ledger.file : undefined;
  const stateLedger = 'stateDir' in options.ledger ? options.ledger : undefined;
  const ledgerFile = ledgerPath !== undefined ? startFileLedgerSource(ledgerPath) : undefined;
  try {
    /** The ledger source, or the run stopped: a bad ledger quarantined (RejectedInputError), a missing one a usage error. */
    const ledgerOutcome = (async (): Promise<LedgerSource> => {
      try {
        return ledgerFile ? await ledgerFile.ledger : stateLedgerSource(stateLedger!.stateDir, stateLedger!.referenceDataDir);
      } catch (error) {
        if (error instanceof BadInputError) {
          // A missing state directory / ledger file is a usage error, not a file to quarantine.
          if (!existsSync(error.file) || statSync(error.file).isDirectory()) throw new ReconcileConfigError(error.message);
          const quarantined = await quarantine.quarantine(undefined, error);
          progress(`quarantined ${error.file} → ${quarantined.file}: ${error.message}`);
          throw new RejectedInputError(error, quarantined);
        }
        throw error;
      }
    })();
    // Awaited wherever the run depends on it; never an unhandled rejection meanwhile.
    ledgerOutcome.catch(() => undefined);
    try {
      const ledger = ledgerFile ? pendingLedgerSource('file', resolve(ledgerPath!), ledgerOutcome) : await ledgerOutcome;
      return await reconcileWithLedger(setup, { ledger, ledgerOutcome, quarantine });
    } catch (error) {
      // Whatever else failed, a bad ledger is what the run reports (and quarantines), as when it was read first.
      await ledgerOutcome;
      throw error;
    }
  } finally {
    ledgerFile?.stop();
  }
}

async function reconcileWithLedger(
  setup: RunSetup,
  { ledger, ledgerOutcome, quarantine }: { ledger: LedgerSource; ledgerOutcome: Promise<LedgerSource>; quarantine: Quarantine<string> },
): Promise<ReconcileOutcome> {
  const { options, out, rules, started, now, progress, parse } = setup;
  let declaredAccounts: ReadonlySet<string> | undefined;
  try {
    if (options.ledger.accounts) declaredAccounts = readAccountRegistry(options.ledger.accounts);
  } catch (error) {
    // A bad registry is the caller's configuration, not a file to quarantine.
    if (error instanceof AccountRegistryError) throw new ReconcileConfigError(error.message);
    throw error;
  }
  const notifyState = notifyStateOf(options);
  // NOTIFY-1's outbox is opened once the ledger is known good: a bad ledger touches nothing.
  if (notifyState !== undefined) await ledgerOutcome;
  const registryDir = resolve(options.registryDir ?? out);
  const registry = sqliteRunRegistry(registryDir);
  const announcer = notifyState !== undefined ? stateRunAnnouncer(notifyState, registryDir, options.outboxNow ?? now) : undefined;
  try {
    // What a crash left prepared for this registry: published when the registry holds the run, else dropped (we hold --out's lock).
    if (announcer) await settleWith(announcer, registry, progress);
    const outcome = await reconcileRun(
      {
        statements: fileStatementSource({ profile: options.profile, format: options.format, encoding: options.encoding, parse, progress }),
        ledger,
        // The registry's first read comes before the results are touched: a bad ledger stops the run there.
        registry: {
          ...registry,
          runIds: async () => {
            await ledgerOutcome;
            return registry.runIds();
          },
        },
        // A bad statement waits for the ledger: a bad ledger is quarantined instead.
        quarantine: {
          quarantine: async (ref, error) => {
            await ledgerOutcome;
            return quarantine.quarantine(ref, error);
          },
        },
        results: outDirResultSink(out, { hooks: options.hooks as OutDirHooks | undefined, progress }),
        cases: workbenchCaseSink(out, { threadFrom: options.caseThreadFrom }),
        now,
        progress,
        hooks: options.hooks,
        ...(announcer ? { announce: { prepare: announcer.prepare, committed: announcer.committed } } : {}),
      },
      { statements: options.statements, rules, rulesLabel: options.rulesFile ? resolve(options.rulesFile) : 'default', declaredAccounts, asOf: options.asOf, profile: options.profile },
    );
    const elapsedMs = Math.round(performance.now() - started);
    if (!outcome.committed) return { ...outcome, elapsedMs, json: nothingNewJson(outcome.reuploaded, elapsedMs, out, outcome.currentRunId) };
    return { committed: true, summary: outcome.summary, runDir: outcome.location, elapsedMs, json: { ...cliSummary(outcome.summary, elapsedMs, out), committed: true } };
  } finally {
    registry.close();
    announcer?.close();
  }
}

export { defaultAsOf, describePosition };
